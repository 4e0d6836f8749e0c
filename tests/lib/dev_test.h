/* dev_test.h: building small device rigs in unit tests: a component from a
 * YAML snippet and a wire between two signals, failing the test (cmocka)
 * with the loader's message when either is refused; reading a statistic. */
#ifndef CW_DEV_TEST_H
#define CW_DEV_TEST_H

#include "kernel/component.h"
#include "kernel/sim.h"
#include "kernel/ytree.h"

/* Creates component `name` of `type` from `yaml`; the parsed tree goes to
 * *keep (the component refers to it; the caller frees it with ytree_free). */
struct component *dev_test_component(struct sim *sim, const char *name, const char *type,
                                     const char *yaml, struct ynode **keep);
/* Connects signal `from` to input `to` ("comp.signal" names). */
void dev_test_wire(struct sim *sim, const char *from, const char *to);
/* The value of component c's statistic `name`; fails the test if c has none. */
uint64_t dev_test_stat(struct component *c, const char *name);

#endif
