/* dram.h: the interface the DRAM model exports as "dram", for timing models
 * that read memory through DMI (the CPU's pipeline model, the MMU's page
 * walker) and still want each access to cost what the DRAM says.
 *
 * A timing model finds it in realize():
 *
 *     struct dram_iface *di = component_interface(params_component(p, "memory"), "dram");
 *     ...
 *     sim_time_t lat = di->access(di->opaque, &tx);   // tx.addr, tx.time, tx.kind, tx.size
 *
 * The access updates the bank state as of tx->time (row opened, bank busy
 * until ...), so calls must carry the time the access really starts. */
#ifndef CW_DRAM_H
#define CW_DRAM_H

#include "kernel/bus.h"
#include "kernel/types.h"

struct dram;

struct dram_iface {
    /* Latency (ps) of one access starting at tx->time to physical address
     * tx->addr; a write when bus_kind_is_write(tx->kind). */
    sim_time_t (*access)(void *opaque, const struct bus_tx *tx);
    void *opaque; /* the struct dram */
    /* The caller times the memory accesses of `initiator` itself, through
     * access() (on), or no longer (off). While on, that initiator's bus
     * transactions of the CPU kinds (fetch, read, write, walks) still move
     * data and are observed, but the region's timing hook leaves the banks
     * alone and reports no latency: a CPU whose timing model asks the DRAM
     * per access and whose functional core (or the model's own fetch
     * transactions) also crosses the bus is charged once per access.
     * Returns -1 if too many initiators are claimed (DRAM_MAX_CLAIMS). */
    int (*claim)(void *opaque, uint16_t initiator, bool on);
};
#define DRAM_MAX_CLAIMS 16

/* Where an address lands in the DRAM array. */
struct dram_location {
    unsigned channel, rank, bank;
    uint64_t row, column;
};

/* What the row buffer of the addressed bank held when the access came. */
enum dram_row_outcome {
    DRAM_ROW_HIT,      /* the row was open: column command only */
    DRAM_ROW_MISS,     /* the bank was precharged (closed): activate first */
    DRAM_ROW_CONFLICT, /* another row was open: precharge, activate */
};

struct dram_result {
    sim_time_t latency;      /* ps from tx->time to the end of the data burst */
    sim_time_t refresh_wait; /* part of the latency spent waiting for a refresh */
    enum dram_row_outcome outcome;
    struct dram_location loc;
};

/* The effective timing: the preset with the YAML overrides applied. Cycle
 * counts are in DRAM command-clock cycles (800 MHz for DDR3-1600). */
struct dram_timing {
    uint64_t hz_num, hz_den;   /* command clock (num/den Hz) */
    unsigned data_rate;        /* beats per clock: 2 for DDR, 1 for SDR */
    unsigned burst_length;     /* beats per burst */
    unsigned cl, cwl;          /* read and write latency (column command to data) */
    unsigned trcd, trp, tras, trc, twr, trtp, tccd;
    sim_time_t trefi, trfc;    /* ps; trefi 0 = no refresh */
};

/* Latency of one access; updates the bank and bus state and statistics. */
sim_time_t dram_access(struct dram *d, const struct bus_tx *tx);
/* The same, and says what happened. */
void dram_access_result(struct dram *d, const struct bus_tx *tx, struct dram_result *out);
/* Decodes a physical address (in the DRAM's space) into its location. */
void dram_decode(const struct dram *d, uint64_t addr, struct dram_location *out);
const struct dram_timing *dram_get_timing(const struct dram *d);

#endif
