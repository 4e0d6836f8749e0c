/* iface.h: the interfaces between models and the host side (window,
 * headless screenshots, serial files, scripted input). A model exports one
 * with component_export(c, NAME, &iface); the host finds it by name.
 * Nothing here is PC-specific. */
#ifndef CW_IFACE_H
#define CW_IFACE_H

#include <stdio.h>

#include "types.h"

/* --- "display": a frame source (VGA) ------------------------------------- */

struct display_surface {
    const uint32_t *pixels; /* 0x00RRGGBB, row-major */
    int width, height;      /* 0x0 when the display is blanked/off */
    int stride;             /* in pixels */
    uint64_t frame;         /* increases whenever the contents may have changed */
};

struct display_iface {
    /* Brings the surface up to date with guest state and returns it. Cheap
     * when nothing changed (frame number stays the same). */
    const struct display_surface *(*update)(void *opaque);
    /* Text of the screen, if the display is in a text mode: rows joined by
     * '\n', trailing spaces kept, UTF-8 for code page 437. Returns the
     * number of bytes (0 in graphics modes). */
    size_t (*text)(void *opaque, char *buf, size_t len);
    /* Refresh rate in millihertz from the CRTC timing (0 if unknown). */
    uint32_t (*refresh_mhz)(void *opaque);
    void *opaque;
};

/* --- "keyboard" and "mouse": host input into PS/2 devices --------------------
 * Keys are PS/2 scan code set 2 make codes; extended keys have KEY_EXT set
 * (0xE0 prefix). Pause is KEY_PAUSE. The device produces make/break bytes
 * (and set-1 translation happens in the controller). */
#define KEY_EXT 0x100
#define KEY_PAUSE 0x200

struct keyboard_iface {
    void (*key)(void *opaque, uint16_t code, bool down);
    void *opaque;
};

struct mouse_iface {
    /* Relative motion (dy positive = down on screen) and button mask
     * (bit 0 left, 1 right, 2 middle). */
    void (*motion)(void *opaque, int dx, int dy, int dz, unsigned buttons);
    void *opaque;
};

/* --- "chardev": byte streams (UART, firmware debug console) ------------------- */

typedef void (*chardev_out_fn)(void *ctx, const uint8_t *buf, size_t len);

struct chardev_iface {
    /* Adds a listener for bytes the guest writes. Several may be added. */
    void (*add_listener)(void *opaque, chardev_out_fn fn, void *ctx);
    /* Queues bytes for the guest to read (may be NULL for output-only). */
    void (*input)(void *opaque, const uint8_t *buf, size_t len);
    void *opaque;
};

/* --- "media": removable or fixed media the host can name -------------------------- */

struct media_iface {
    /* Inserts (path non-NULL) or ejects media. */
    int (*insert)(void *opaque, const char *path, struct cw_error *err);
    void *opaque;
};

/* --- "insn-trace": per-instruction trace of a CPU ------------------------------------ */

struct insn_trace_iface {
    /* Starts (out non-NULL) or stops writing one line per instruction. */
    void (*set_output)(void *opaque, FILE *out);
    void *opaque;
};

#endif
