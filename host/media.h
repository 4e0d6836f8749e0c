/* media.h: image files behind simulated drives (ISO images, raw disk images).
 *
 * A media file is opened read-only unless the caller asks for a writable
 * one; its size is taken once at open. Reads past the end of the file
 * return zero bytes for the part beyond the end, so a drive model decides
 * itself what "past the end" means (a sense error, IDNF). Errors are
 * returned as values with a message naming the file. */
#ifndef CW_MEDIA_H
#define CW_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "../kernel/types.h"

struct media_file;

/* Opens `path` (a regular file or a block device). Returns NULL and fills
 * err ("cannot open 'x.iso': No such file or directory") on failure. */
struct media_file *media_open(const char *path, bool writable, struct cw_error *err);

/* Closes the file; NULL is allowed. */
void media_close(struct media_file *m);

/* Size in bytes as it was when the file was opened. */
uint64_t media_size(const struct media_file *m);

/* The path the file was opened with. */
const char *media_path(const struct media_file *m);

bool media_writable(const struct media_file *m);

/* Reads len bytes at offset. Bytes beyond the end of the file read as
 * zero. Returns 0, or -1 on an I/O error (errno set). */
int media_pread(struct media_file *m, void *buf, size_t len, uint64_t offset);

/* Writes len bytes at offset. Returns 0, or -1 (errno set; EROFS when the
 * file was opened read-only). */
int media_pwrite(struct media_file *m, const void *buf, size_t len, uint64_t offset);

/* Pushes written data to stable storage. Returns 0 or -1. */
int media_flush(struct media_file *m);

#endif
