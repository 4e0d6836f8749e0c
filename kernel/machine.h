/* machine.h: building a simulated machine from YAML.
 *
 * A machine file (machines/NAME.yaml) has these top-level keys:
 *
 *   machine:     {name: STR, description: STR}
 *   include:     [FILE...]          optional; merged first, this file wins
 *   clocks:      {NAME: FREQ, ...}  "100MHz", "1.193182MHz"
 *   spaces:      {NAME: {kind: memory|io|pci-config|other, bits: N}}
 *   components:  {INSTANCE: {type: TYPE, PARAM: VALUE...}}
 *   wires:       ["comp.pin -> comp.pin", ...]
 *   aliases:     {OPTION: PATH}     host options mapped to parameter paths,
 *                                   e.g. cdrom: components.ide0.cdrom; or
 *                {OPTION: [PATH...]} several parameters that get one value
 *
 * Components are created in file order, then realized in file order, then
 * wired, then reset. Every error names file:line:column and what was
 * expected. */
#ifndef CW_MACHINE_H
#define CW_MACHINE_H

#include "types.h"

/* Validates a machine tree (after includes and overrides are applied) and
 * builds a sim from it. Returns NULL with err filled on the first error. */
struct sim *machine_build(const struct ynode *machine, struct cw_error *err);

/* Loads a machine file with its includes resolved (paths relative to the
 * including file). Returns the merged tree or NULL. */
struct ynode *machine_load_file(const char *path, struct cw_error *err);

/* Applies "a.b.c=VALUE" to the tree (creating nothing but the leaf; the
 * parent maps must exist unless `create` is set). `origin` names where the
 * override came from for error messages ("--set", "configs/x.yaml:4:3"). */
int machine_set_path(struct ynode *tree, const char *path, const char *value,
                     const char *origin, struct cw_error *err);

/* Resolves an alias (see `aliases:`) to its (first) parameter path, or NULL. */
const char *machine_alias(const struct ynode *tree, const char *option);
/* The i-th parameter path of an alias, or NULL past the last. */
const char *machine_alias_path(const struct ynode *tree, const char *option, size_t i);

#endif
