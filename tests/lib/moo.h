/* moo.h: reading SingleStepTests MOO files (dbalsom/moo doc/moo_format_v1.md)
 * for CPU tests: gzip'd chunk files of TEST records (NAME, BYTS, INIT/FINA
 * with REGS, RAM and QUEU, CYCL per-clock pin states, EXCP, HASH), and the
 * per-opcode status and flags-mask of metadata.json. */
#ifndef CW_TEST_MOO_H
#define CW_TEST_MOO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { MOO_AX, MOO_BX, MOO_CX, MOO_DX, MOO_CS, MOO_SS, MOO_DS, MOO_ES, MOO_SP, MOO_BP,
       MOO_SI, MOO_DI, MOO_IP, MOO_FLAGS, MOO_NREGS };

struct moo_state {
    uint16_t mask;
    uint16_t regs[MOO_NREGS];
    uint32_t nram;
    const uint8_t *ram;     /* nram entries of 5 bytes: uint32 address, uint8 value */
    uint32_t nqueue;
    const uint8_t *queue;
};

/* One CYCL entry (15 bytes in the file). */
struct moo_cycle {
    uint8_t pins0;          /* bit 0 ALE */
    uint32_t addr;
    uint8_t seg, mem_status, io_status, pins1;
    uint16_t data;
    uint8_t bus_status, t_state, queue_op, queue_byte;
};

struct moo_test {
    char name[128];
    uint32_t nbytes;
    const uint8_t *bytes;
    struct moo_state init, fina;
    uint32_t ncycles;
    const uint8_t *cycles;  /* raw CYCL entries; moo_cycle_get decodes one */
    bool has_excp;
    uint8_t excp_vec;
    char hash[41];
};

struct moo_file {
    uint8_t *buf;
    size_t len;
    size_t pos;             /* next chunk */
    char cpu[5];
};

/* Opens a .MOO or .MOO.gz file; returns 0 or -1. */
int moo_open(struct moo_file *f, const char *path);
void moo_close(struct moo_file *f);
/* Next TEST; false at the end. The test points into the file's buffer. */
bool moo_next(struct moo_file *f, struct moo_test *t);
void moo_cycle_get(const struct moo_test *t, uint32_t i, struct moo_cycle *c);

/* metadata.json: status ("normal", "alias", "undefined", "fpu", ...) and the
 * flags-mask of an opcode file key ("00", "80.3"); -1 if none. */
struct moo_meta;
struct moo_meta *moo_meta_load(const char *path);
void moo_meta_free(struct moo_meta *m);
const char *moo_meta_status(struct moo_meta *m, const char *key);
long moo_meta_flags_mask(struct moo_meta *m, const char *key);

/* Sorted list of the *.MOO.gz names in dir (free with moo_names_free). */
size_t moo_list(const char *dir, char ***names);
void moo_names_free(char **names, size_t n);

#endif
