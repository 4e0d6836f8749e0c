/* png.c: display surfaces to PNG files and back, through libpng's
 * simplified API (png_image, libpng 1.6). */
#include "host/png.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int png_write_surface(const char *path, const struct display_surface *s, struct cw_error *err)
{
    if (!s || !s->pixels || s->width <= 0 || s->height <= 0)
        return cw_errorf(err, "%s: no image to write (the display is blank or off)", path);
    size_t w = (size_t)s->width, h = (size_t)s->height;
    uint8_t *rgb = malloc(w * h * 3);
    if (!rgb)
        return cw_errorf(err, "%s: out of memory for a %zux%zu image", path, w, h);
    for (size_t y = 0; y < h; y++) {
        const uint32_t *src = s->pixels + y * (size_t)s->stride;
        uint8_t *dst = rgb + y * w * 3;
        for (size_t x = 0; x < w; x++) {
            dst[3 * x] = (uint8_t)(src[x] >> 16);
            dst[3 * x + 1] = (uint8_t)(src[x] >> 8);
            dst[3 * x + 2] = (uint8_t)src[x];
        }
    }
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32)w;
    image.height = (png_uint_32)h;
    image.format = PNG_FORMAT_RGB;

    /* Write beside the target and rename, so a reader never sees half a file. */
    size_t tmp_len = strlen(path) + 32;
    char *tmp = malloc(tmp_len);
    if (!tmp) {
        free(rgb);
        return cw_errorf(err, "%s: out of memory", path);
    }
    snprintf(tmp, tmp_len, "%s.tmp%ld", path, (long)getpid());
    int ok = png_image_write_to_file(&image, tmp, 0, rgb, (png_int_32)(w * 3), NULL);
    free(rgb);
    if (!ok) {
        cw_errorf(err, "%s: cannot write PNG: %s", path, image.message);
        png_image_free(&image);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        cw_errorf(err, "%s: cannot write PNG: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int png_read_rgb(const char *path, uint32_t **pixels, int *width, int *height,
                 struct cw_error *err)
{
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, path))
        return cw_errorf(err, "%s: cannot read PNG: %s", path, image.message);
    image.format = PNG_FORMAT_RGB;
    size_t w = image.width, h = image.height;
    uint8_t *rgb = malloc(PNG_IMAGE_SIZE(image));
    uint32_t *out = malloc(w * h * sizeof *out + 1);
    if (!rgb || !out) {
        free(rgb);
        free(out);
        png_image_free(&image);
        return cw_errorf(err, "%s: out of memory for a %zux%zu image", path, w, h);
    }
    png_color black = {0, 0, 0};
    if (!png_image_finish_read(&image, &black, rgb, 0, NULL)) {
        cw_errorf(err, "%s: cannot read PNG: %s", path, image.message);
        free(rgb);
        free(out);
        png_image_free(&image);
        return -1;
    }
    for (size_t i = 0; i < w * h; i++)
        out[i] = (uint32_t)rgb[3 * i] << 16 | (uint32_t)rgb[3 * i + 1] << 8 | rgb[3 * i + 2];
    free(rgb);
    *pixels = out;
    *width = (int)w;
    *height = (int)h;
    return 0;
}
