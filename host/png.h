/* png.h: PNG screenshots of a display surface (libpng), and reading PNG
 * files back as pixels for tests that compare screenshots. */
#ifndef CW_PNG_H
#define CW_PNG_H

#include "kernel/iface.h"
#include "kernel/types.h"

/* Writes the surface as an 8-bit RGB PNG. The file appears complete or not
 * at all (written beside it, then renamed). A 0x0 (blanked) surface is an
 * error. Returns 0, or -1 with err naming the file. */
int png_write_surface(const char *path, const struct display_surface *s, struct cw_error *err);

/* Reads any PNG libpng understands into *pixels (malloc'ed, 0x00RRGGBB,
 * row-major, stride = width; alpha is composited onto black). Returns 0,
 * or -1 with err naming the file. */
int png_read_rgb(const char *path, uint32_t **pixels, int *width, int *height,
                 struct cw_error *err);

#endif
