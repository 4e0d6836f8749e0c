/* i8254.h: the interface the 8254 timer exports as "i8254", for chips that
 * read a counter's OUT pin without an event per edge (the PC's port 0x61
 * reads OUT2 this way). */
#ifndef CW_I8254_H
#define CW_I8254_H

struct i8254_iface {
    /* Level of OUT0..OUT2 at the current simulated time (computed lazily). */
    int (*out_level)(void *opaque, unsigned counter);
    void *opaque;
};

#endif
