/* hostmem.c: large zero-filled allocations, mapped from the host's virtual
 * memory, 2 MiB aligned, with the huge-page hint where the host has it. */
#include "kernel/hostmem.h"

#include <stdint.h>
#include <sys/mman.h>

#define HOSTMEM_ALIGN ((size_t)2 << 20)

/* whole alignment units; an empty allocation takes one, so it is unique */
static size_t hostmem_round(size_t size)
{
    return size ? (size + HOSTMEM_ALIGN - 1) & ~(HOSTMEM_ALIGN - 1) : HOSTMEM_ALIGN;
}

void *hostmem_alloc(size_t size)
{
    if (size > SIZE_MAX / 2)
        return NULL;
    size_t len = hostmem_round(size);
    /* map one alignment unit more than needed and trim both ends */
    uint8_t *raw = mmap(NULL, len + HOSTMEM_ALIGN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                        -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    uintptr_t start = ((uintptr_t)raw + HOSTMEM_ALIGN - 1) & ~(uintptr_t)(HOSTMEM_ALIGN - 1);
    uint8_t *p = (uint8_t *)start;
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    size_t tail = (size_t)(raw + len + HOSTMEM_ALIGN - (p + len));
    if (tail)
        munmap(p + len, tail);
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE); /* a hint: without it the memory still works */
#endif
    return p;
}

void hostmem_free(void *p, size_t size)
{
    if (p)
        munmap(p, hostmem_round(size));
}
