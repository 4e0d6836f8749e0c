/* imgcmp.c: compares two screenshots pixel for pixel, for the end-to-end
 * tests that hold the simulator's PNG against QEMU's screendump (PPM).
 * It reads images with libpng's own reader and a PPM parser of its own,
 * not with the simulator's code, so the oracle shares nothing with what it
 * checks.
 *
 * usage: imgcmp [--region X,Y,WxH] [--box] [--dac6] A B
 *   A, B          PNG or binary PPM (P6, maxval 255) files
 *   --region      compare only that rectangle (it must lie in both)
 *   --box         print the bounding box of the differences as
 *                 "X Y W H" (or "none") instead of the report
 *   --dac6        compare the top 6 bits of each channel: the colours of
 *                 the VGA DAC, which has 6 bits per channel, widened to 8
 *                 bits differently by different renderers (QEMU shifts,
 *                 42 -> 168; scaling gives 170)
 * Exit status: 0 identical, 1 different, 2 usage or file error. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct image {
    int width, height;
    unsigned char *rgb; /* 3 bytes per pixel, row-major */
};

static int imgcmp_fail(const char *path, const char *what)
{
    fprintf(stderr, "imgcmp: %s: %s\n", path, what);
    return -1;
}

static int imgcmp_read_ppm(const char *path, FILE *f, struct image *img)
{
    int maxval;
    if (fscanf(f, "P6 %d %d %d", &img->width, &img->height, &maxval) != 3 || maxval != 255 ||
        img->width <= 0 || img->height <= 0 || img->width > 16384 || img->height > 16384)
        return imgcmp_fail(path, "not a binary PPM with maxval 255");
    fgetc(f); /* the single white space after maxval */
    size_t n = (size_t)img->width * (size_t)img->height * 3;
    img->rgb = malloc(n);
    if (!img->rgb || fread(img->rgb, 1, n, f) != n)
        return imgcmp_fail(path, "PPM data is short");
    return 0;
}

static int imgcmp_read_png(const char *path, struct image *img)
{
    png_image png;
    memset(&png, 0, sizeof png);
    png.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&png, path))
        return imgcmp_fail(path, png.message);
    png.format = PNG_FORMAT_RGB;
    img->width = (int)png.width;
    img->height = (int)png.height;
    img->rgb = malloc(PNG_IMAGE_SIZE(png));
    if (!img->rgb || !png_image_finish_read(&png, NULL, img->rgb, 0, NULL))
        return imgcmp_fail(path, png.message);
    return 0;
}

static int imgcmp_read(const char *path, struct image *img)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return imgcmp_fail(path, "cannot open");
    char magic[2] = {0, 0};
    size_t got = fread(magic, 1, 2, f);
    int rc;
    if (got == 2 && magic[0] == 'P' && magic[1] == '6') {
        rewind(f);
        rc = imgcmp_read_ppm(path, f, img);
    } else {
        rc = imgcmp_read_png(path, img);
    }
    fclose(f);
    return rc;
}

static const unsigned char *imgcmp_pixel(const struct image *img, int x, int y)
{
    return img->rgb + ((size_t)y * (size_t)img->width + (size_t)x) * 3;
}

static int imgcmp_same(const unsigned char *a, const unsigned char *b, unsigned mask)
{
    return (a[0] & mask) == (b[0] & mask) && (a[1] & mask) == (b[1] & mask) &&
           (a[2] & mask) == (b[2] & mask);
}

int main(int argc, char **argv)
{
    int rx = 0, ry = 0, rw = -1, rh = -1;
    int box = 0, argi = 1;
    unsigned mask = 0xFF;
    for (; argi < argc && argv[argi][0] == '-'; argi++) {
        if (!strcmp(argv[argi], "--box")) {
            box = 1;
        } else if (!strcmp(argv[argi], "--dac6")) {
            mask = 0xFC;
        } else if (!strcmp(argv[argi], "--region") && argi + 1 < argc &&
                   sscanf(argv[argi + 1], "%d,%d,%dx%d", &rx, &ry, &rw, &rh) == 4 && rx >= 0 &&
                   ry >= 0 && rw > 0 && rh > 0) {
            argi++;
        } else {
            fprintf(stderr, "usage: imgcmp [--region X,Y,WxH] [--box] [--dac6] A B\n");
            return 2;
        }
    }
    if (argc - argi != 2) {
        fprintf(stderr, "usage: imgcmp [--region X,Y,WxH] [--box] [--dac6] A B\n");
        return 2;
    }
    struct image a, b;
    if (imgcmp_read(argv[argi], &a) || imgcmp_read(argv[argi + 1], &b))
        return 2;
    if (rw < 0) {
        if (a.width != b.width || a.height != b.height) {
            printf("sizes differ: %dx%d and %dx%d\n", a.width, a.height, b.width, b.height);
            return 1;
        }
        rw = a.width;
        rh = a.height;
    }
    if (rx + rw > a.width || ry + rh > a.height || rx + rw > b.width || ry + rh > b.height) {
        fprintf(stderr, "imgcmp: region %d,%d,%dx%d lies outside %dx%d or %dx%d\n", rx, ry, rw,
                rh, a.width, a.height, b.width, b.height);
        return 2;
    }
    long differ = 0;
    int x0 = rx + rw, y0 = ry + rh, x1 = -1, y1 = -1, fx = -1, fy = -1;
    for (int y = ry; y < ry + rh; y++)
        for (int x = rx; x < rx + rw; x++) {
            if (imgcmp_same(imgcmp_pixel(&a, x, y), imgcmp_pixel(&b, x, y), mask))
                continue;
            if (!differ++) {
                fx = x;
                fy = y;
            }
            x0 = x < x0 ? x : x0;
            x1 = x > x1 ? x : x1;
            y0 = y < y0 ? y : y0;
            y1 = y > y1 ? y : y1;
        }
    if (box) {
        if (differ)
            printf("%d %d %d %d\n", x0, y0, x1 - x0 + 1, y1 - y0 + 1);
        else
            printf("none\n");
        return differ ? 1 : 0;
    }
    if (!differ) {
        printf("identical: %dx%d pixels at %d,%d\n", rw, rh, rx, ry);
        return 0;
    }
    const unsigned char *pa = imgcmp_pixel(&a, fx, fy), *pb = imgcmp_pixel(&b, fx, fy);
    printf("%ld of %ld pixels differ, within %d,%d %dx%d; first at %d,%d: #%02x%02x%02x and "
           "#%02x%02x%02x\n",
           differ, (long)rw * rh, x0, y0, x1 - x0 + 1, y1 - y0 + 1, fx, fy, pa[0], pa[1], pa[2],
           pb[0], pb[1], pb[2]);
    return 1;
}
