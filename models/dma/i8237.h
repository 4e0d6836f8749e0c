/* i8237.h: the interface an 8237 DMA controller exports as "dma", for
 * devices that move data on a channel (floppy, Sound Blaster). */
#ifndef CW_I8237_H
#define CW_I8237_H

#include <stddef.h>
#include <stdint.h>

struct i8237_iface {
    /* Runs one request on `channel` (0-3 of this controller) for up to `len`
     * bytes of `buf`: a write-transfer channel copies buf to memory, a
     * read-transfer channel fills buf from memory, verify moves nothing.
     * Addresses, counts, terminal count, autoinitialise and masks behave as
     * the datasheet says. Returns the number of bytes of buf used (0 when
     * the channel is masked, the controller disabled or the cascade path is
     * not set up); fewer than len means the count ran out (TC). */
    size_t (*transfer)(void *opaque, unsigned channel, uint8_t *buf, size_t len);
    void *opaque;
};

#endif
