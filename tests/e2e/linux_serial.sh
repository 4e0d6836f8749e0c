#!/bin/sh
# linux_serial.sh: boots the serial-console test ISO's "Install" entry
# headless (tests/e2e/data/linux-serial.yaml: Tab-edits loglevel=7 onto its
# command line, which already ends in console=ttyS0,115200) until the
# installer asks "Choose the language to be used for the installation
# process" on COM1, then checks the kernel log read from the serial output:
# no oops, BUG, WARNING, call trace, "unchecked MSR access", "Firmware Bug",
# "BIOS bug", unstable clocksource/TSC/clock or "APIC ID mismatch" line. Every
# offending line is printed; any one fails the test. Prints the last
# milestone (boot-phase marker) reached and the run's phase table.
#
# Runs in `make test` by default (tests/e2e/data/linux-common.sh):
#   LINUX_BOOT=0         skip it (exit 77, with the reason)
#   LINUX_BOOT_MINUTES   wall-clock limit (default 20): past it the test
#                        fails with "not reached within N minutes (reached:
#                        MILESTONE)"
#   sh tests/e2e/linux_serial.sh --check-log SERIAL.LOG
#                        only the kernel log check, on a saved serial log
NAME=linux_serial

# check_kernel_log FILE: prints the kernel's lines ("[ seconds] ...") that
# match a sign of a bug; returns 1 when there is any.
check_kernel_log() {
    tr -d '\r' <"$1" | grep -E '^\[ *[0-9]+\.[0-9]+\]' >"$1.kernel" || true
    nkernel=$(wc -l <"$1.kernel")
    if [ "$nkernel" -eq 0 ]; then
        echo "$NAME: FAIL: no kernel log lines (\"[ seconds] ...\") in $1"
        return 1
    fi
    # "oops" as a word: with a PM timer the kernel says "PIT calibration
    # matches PMTIMER. 1 loops", which is no oops.
    grep -E -n \
        -e '(^|[^[:alpha:]])[Oo]ops' -e 'BUG:' -e 'WARNING' -e 'Call Trace' -e 'Kernel panic' \
        -e 'general protection fault' -e 'unchecked MSR access' \
        -e 'Firmware Bug' -e 'BIOS bug' -e 'clocksource .* unstable' \
        -e 'TSC unstable' -e 'Unstable clock' -e 'APIC ID mismatch' \
        "$1.kernel" >"$1.bad" || true
    nbad=$(wc -l <"$1.bad")
    if [ "$nbad" -gt 0 ]; then
        echo "$NAME: $nbad of $nkernel kernel log lines show a bug:"
        sed 's/^/    /' "$1.bad"
        return 1
    fi
    echo "$NAME: kernel log: $nkernel lines, none with oops/BUG/WARNING/call trace/MSR/firmware/clocksource/APIC complaints"
    return 0
}

if [ "${1:-}" = --check-log ]; then
    [ -r "${2:-}" ] || { echo "usage: $0 --check-log SERIAL.LOG"; exit 2; }
    NAME=${3:-$NAME}
    check_kernel_log "$2"
    exit $?
fi

cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/data/boot-common.sh
. tests/e2e/data/linux-common.sh
boot_setup
linux_enabled "this one boots the serial installer: 6-9 minutes of host time"
need_firmware
need_iso
[ -s "$SERIAL_ISO" ] || fail "make-iso.sh printed no serial ISO path"
minutes=$(linux_minutes 20)

"$CLOCKWORK" run tests/e2e/data/linux-serial.yaml --cdrom "$SERIAL_ISO" \
    --serial "$tmp/serial.log" --debugcon "$tmp/debugcon.log" --quiet \
    --timeout "wall:${minutes}m" >"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
linux_report "$tmp/run.err"
if [ $rc -ne 0 ]; then
    tr -d '\r' <"$tmp/serial.log" 2>/dev/null | sed 's/\x1b[][()][0-9;?]*[a-zA-Z0-9]\{0,1\}//g' |
        tail -n 20 | sed 's/^/    serial: /'
    linux_run_failed $rc "$tmp/run.err" '"Choose the language"' "$minutes"
fi
grep -q 'Choose the language to be used for the installation process' "$tmp/serial.log" ||
    fail "the run stopped but the serial log lacks the language question"
linux_phase_summary "$tmp/run.err"
echo "$NAME: the installer asked for the language on COM1"
check_kernel_log "$tmp/serial.log" || exit 1
echo "$NAME: ok"
