/* apic.h: the "lapic" interface a local APIC exports: the CPU's
 * IA32_APIC_BASE MSR, fixed-vector delivery from an I/O APIC, and the EOI
 * broadcast of level-triggered vectors back to the I/O APIC. */
#ifndef CW_MODELS_APIC_H
#define CW_MODELS_APIC_H

#include <stdbool.h>
#include <stdint.h>

struct lapic_iface {
    uint64_t (*base_read)(void *opaque);
    void (*base_write)(void *opaque, uint64_t value);
    /* an I/O APIC message: fixed delivery of `vector`, level or edge */
    void (*deliver)(void *opaque, unsigned vector, bool level);
    void *opaque;
    /* set by an I/O APIC: called on EOI of a level-triggered vector */
    void (*eoi_listener)(void *ctx, unsigned vector);
    void *eoi_ctx;
};

#endif
