/* check.h: `clockwork check FILE...`: validates machine and config files
 * without running them. */
#ifndef CW_CHECK_H
#define CW_CHECK_H

/* argv holds only the file names (argc of them). A file whose top-level
 * `machine:` is a plain value is a config (its machine is loaded, the
 * overrides applied and the machine built); any other file is a machine
 * file (includes resolved, then built). Prints "FILE: ok" on stdout for
 * each good file and the one-line error on stderr for each bad one.
 * Returns 0 if all are good, 2 otherwise. */
int check_files(int argc, char **argv);

#endif
