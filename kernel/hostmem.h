/* hostmem.h: large, zero-filled host allocations for simulated memories and
 * per-page tables (guest RAM, a CPU's decoded-instruction cache).
 * They come straight from the host's virtual memory, so untouched pages cost
 * nothing, and are aligned to 2 MiB with a hint for huge pages where the host
 * has them: the simulator walks them at random and a 4 KiB host TLB entry per
 * page would miss on nearly every access. */
#ifndef CW_HOSTMEM_H
#define CW_HOSTMEM_H

#include <stddef.h>

/* Returns size bytes of zeroed memory, or NULL when the host has none. */
void *hostmem_alloc(size_t size);

/* Releases memory from hostmem_alloc; size is the size it was asked for.
 * NULL is ignored. */
void hostmem_free(void *p, size_t size);

#endif
