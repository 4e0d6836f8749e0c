/* timing_pc.h: the "pc" timing table of the x86 pipeline model: an
 * in-order reading of a Core 2 class x86-64 CPU (the part the x86-cpu
 * CPUID reports) for the PC machines. docs/timing-pc.md gives every number
 * with its source. */
#ifndef CW_X86_TIMING_PC_H
#define CW_X86_TIMING_PC_H

#include "models/cpu/x86/timing.h"

/* Fills t with the PC table; returns true. */
bool x86_timing_table_pc(struct x86_timing_table *t);

#endif
