/* media.c: image files behind simulated drives, opened read-only unless a
 * writable disk is asked for. POSIX pread/pwrite, no caching of our own. */
#include "media.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct media_file {
    int fd;
    uint64_t size;
    bool writable;
    char *path;
};

static int media_size_of(int fd, const struct stat *st, uint64_t *size)
{
    if (S_ISREG(st->st_mode)) {
        *size = (uint64_t)st->st_size;
        return 0;
    }
    /* Block devices report size 0 in st_size; their end is where lseek lands. */
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0)
        return -1;
    *size = (uint64_t)end;
    return 0;
}

struct media_file *media_open(const char *path, bool writable, struct cw_error *err)
{
    if (!path || !*path) {
        cw_errorf(err, "no media file name given");
        return NULL;
    }
    int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        cw_errorf(err, "cannot open '%s'%s: %s", path, writable ? " for writing" : "",
                  strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        cw_errorf(err, "cannot stat '%s': %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        cw_errorf(err, "'%s' is not a regular file or block device", path);
        close(fd);
        return NULL;
    }
    struct media_file *m = calloc(1, sizeof *m);
    if (!m || !(m->path = strdup(path))) {
        free(m);
        close(fd);
        cw_errorf(err, "out of memory opening '%s'", path);
        return NULL;
    }
    m->fd = fd;
    m->writable = writable;
    if (media_size_of(fd, &st, &m->size) != 0) {
        cw_errorf(err, "cannot find the size of '%s': %s", path, strerror(errno));
        media_close(m);
        return NULL;
    }
    return m;
}

void media_close(struct media_file *m)
{
    if (!m)
        return;
    close(m->fd);
    free(m->path);
    free(m);
}

uint64_t media_size(const struct media_file *m)
{
    return m->size;
}

const char *media_path(const struct media_file *m)
{
    return m->path;
}

bool media_writable(const struct media_file *m)
{
    return m->writable;
}

int media_pread(struct media_file *m, void *buf, size_t len, uint64_t offset)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pread(m->fd, p, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            /* End of file (or the file shrank): the rest reads as zero. */
            memset(p, 0, len);
            return 0;
        }
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

int media_pwrite(struct media_file *m, const void *buf, size_t len, uint64_t offset)
{
    if (!m->writable) {
        errno = EROFS;
        return -1;
    }
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(m->fd, p, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return 0;
}

int media_flush(struct media_file *m)
{
    if (!m->writable)
        return 0;
    return fsync(m->fd);
}
