# linux-common.sh: shell functions shared by the Linux boot tests
# (tests/e2e/linux_*.sh), sourced after boot-common.sh: the switch that
# turns them off, the wall-clock limit of a boot, and the report of what a
# boot reached (last milestone and the run's phase table).
#
#   LINUX_BOOT=0         skip every Linux boot test (exit 77, with the reason)
#   LINUX_BOOT_MINUTES   wall-clock limit of each boot in minutes (default:
#                        the test's own, chosen so that all of them together
#                        stay inside CI's 90 minutes on a slower machine)

# linux_enabled COST: skips when LINUX_BOOT=0; COST says what the boot costs.
linux_enabled() {
    [ "${LINUX_BOOT:-1}" != 0 ] ||
        skip "LINUX_BOOT=0 turns the Linux boot tests off ($1)"
}

# linux_minutes DEFAULT: the wall-clock limit of this boot.
linux_minutes() {
    echo "${LINUX_BOOT_MINUTES:-$1}"
}

# linux_report RUN.ERR: prints the run summary up to the statistics (phase
# table included) and sets $last to the last milestone the run reached.
linux_report() {
    sed -n '/^--- run summary/,$p' "$1" | sed -n '/^statistics/q;p'
    last=$(sed -n '/^phases/,/^statistics/p' "$1" | grep '^  ' | tail -n 1 | awk '{print $1}')
    last=${last:-none}
    echo "$NAME: reached: $last (last milestone)"
}

# linux_run_failed RC RUN.ERR GOAL MINUTES: fails with the reason the run
# ended before GOAL: the wall-clock limit, a script step that timed out, or
# another exit.
linux_run_failed() {
    if grep -q '^stopped: *wall-clock limit' "$2"; then
        fail "$3 not reached within $4 minutes of host time (reached: $last)"
    fi
    grep -E '^(stopped|script|clockwork):' "$2" | sed 's/^/    /'
    fail "the run exited with $1 before $3 (reached: $last)"
}

# linux_phase_summary RUN.ERR: one line with guest time, instructions and
# host time of the whole run, for the test's output and docs/linux.md.
linux_phase_summary() {
    g=$(sed -n 's/^guest time: *//p' "$1")
    i=$(sed -n 's/^instructions: *//p' "$1")
    w=$(sed -n 's/^wall time: *//p' "$1")
    echo "$NAME: run: guest time $g, instructions $i, host time $w"
}
