#!/bin/sh
# apic_machine.sh: SeaBIOS on pc-i440fx-apic (local APIC + I/O APIC).
#  - SeaBIOS sees CPUID.APIC and counts the CPU through the LAPIC ("Found 1
#    cpu(s)"), where the 8259-only machine says "No apic".
#  - Its timer ticks reach the CPU through LINT0 in ExtINT mode (the
#    virtual wire SeaBIOS programs): lapic0's extint count and the 8259's
#    irq0 count are non-zero when it starts booting from the CD.
# Exit 77 (skipped) without SeaBIOS or the test ISO.
cd "$(dirname "$0")/../.." || exit 2
NAME=apic_machine
. tests/e2e/data/boot-common.sh

boot_setup
need_firmware
need_iso

"$CLOCKWORK" run --machine machines/pc-i440fx-apic.yaml --cdrom "$ISO" --headless \
    --debugcon "$tmp/debugcon.txt" --until "debugcon:Booting from DVD/CD" --timeout 10s \
    --quiet >"$tmp/run.txt" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$tmp/run.txt"; fail "run exited with $rc"; }
grep -q "Found 1 cpu(s)" "$tmp/debugcon.txt" || fail "SeaBIOS did not find the CPU's APIC"
stat() { awk -v c="$1" -v n="$2" '$1 == c && $2 == n { print $3 }' "$tmp/run.txt"; }
extint=$(stat lapic0 extint)
irq0=$(stat pic0 irq0)
[ "${extint:-0}" -gt 0 ] || fail "no 8259 vector passed through LINT0 (lapic0 extint = ${extint:-0})"
[ "${irq0:-0}" -gt 0 ] || fail "no timer interrupt acknowledged (pic0 irq0 = ${irq0:-0})"
echo "apic_machine: SeaBIOS found the APIC; $extint ExtINT acknowledges, $irq0 of IRQ 0: ok"
