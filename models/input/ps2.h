/* ps2.h: the wire between a PS/2 controller (i8042) and a PS/2 device
 * (ps2kbd, ps2mouse). Follows the IBM PS/2 Hardware Interface Technical
 * Reference, "Keyboard/Auxiliary Device Controller".
 *
 * A device exports this under the interface name "ps2-device"; the
 * controller finds it from its `keyboard:` / `mouse:` parameter in
 * realize() and calls set_notify. Bytes flow one at a time:
 * - controller -> device: write() delivers a command or parameter byte;
 * - device -> controller: the device queues bytes and calls notify when it
 *   has some; the controller pulls them with read() whenever its output
 *   buffer is free and the port's clock is not inhibited. The transfer time
 *   on the wire is the controller's business. */
#ifndef CW_PS2_H
#define CW_PS2_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*ps2_notify_fn)(void *ctx);

struct ps2_device_iface {
    void (*write)(void *opaque, uint8_t byte);
    /* Next byte for the controller, or -1 if none is waiting. */
    int (*read)(void *opaque);
    /* True if read() would return a byte. */
    bool (*pending)(void *opaque);
    void (*set_notify)(void *opaque, ps2_notify_fn fn, void *ctx);
    void *opaque;
};

/* A small byte queue shared by the devices. */
#define PS2_QUEUE_SIZE 64

struct ps2_queue {
    uint8_t data[PS2_QUEUE_SIZE];
    unsigned head, count;
};

static inline void ps2_queue_clear(struct ps2_queue *q)
{
    q->head = 0;
    q->count = 0;
}

static inline unsigned ps2_queue_room(const struct ps2_queue *q)
{
    return PS2_QUEUE_SIZE - q->count;
}

/* Returns false (and drops the byte) when full. */
static inline bool ps2_queue_put(struct ps2_queue *q, uint8_t b)
{
    if (q->count == PS2_QUEUE_SIZE)
        return false;
    q->data[(q->head + q->count) % PS2_QUEUE_SIZE] = b;
    q->count++;
    return true;
}

static inline int ps2_queue_get(struct ps2_queue *q)
{
    if (!q->count)
        return -1;
    uint8_t b = q->data[q->head];
    q->head = (q->head + 1) % PS2_QUEUE_SIZE;
    q->count--;
    return b;
}

/* Scan code set 2 -> set 1, the table of the 8042's translation mode (also
 * how a keyboard in set 1 encodes a key). Defined in i8042.c. */
uint8_t i8042_translate_set2(uint8_t code);

#endif
