#!/bin/sh
# linux_screen.sh: the one full Linux boot of `make test`. Boots the test
# ISO's "Install" entry (text installer, vga=788) headless with
# tests/e2e/data/linux-boot.yaml, which Tab-edits the command line to add
# "console=ttyS0,115200 console=tty0 loglevel=7": the kernel log goes to
# COM1 too, the installer stays on the screen (the last console= is the
# installer's). The run stops by itself when the screen shows "Select a
# language" and writes its PNG. Then:
#   1. the screen as text (--print-screen, read from the framebuffer by
#      matching the console font) has the title, the question and items of
#      the language list;
#   2. the kernel log on COM1 passes tests/e2e/linux_serial.sh --check-log
#      (no oops, WARNING, call trace, unchecked MSR access, firmware/BIOS
#      bug, unstable clocksource, APIC ID mismatch: each is printed);
#   3. with QEMU installed (and LINUX_QEMU=1, since it costs one more boot
#      under TCG): QEMU boots the same ISO with the same keys and its
#      screendump of the language screen is compared with ours pixel for
#      pixel. Both kernels set the same VBE mode (0x114, 800x600, 16 bits)
#      from vga=788 through the same VGA BIOS and draw with the same
#      built-in font, so the pictures can be equal; the cursor cell blinks
#      and is left out.
# The last milestone (boot-phase marker) and the phase table (guest time
# and instructions per phase) are printed either way.
#   LINUX_BOOT_MINUTES  wall-clock limit of the boot (default 45 minutes):
#                       past it the test fails, "not reached within N
#                       minutes", with the last milestone
# Skipped (77) when the ISO cannot be built or SeaBIOS is missing.
NAME=linux_screen
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/data/boot-common.sh
boot_setup
need_firmware
need_iso
minutes=${LINUX_BOOT_MINUTES:-45}

(cd "$tmp" && "$CLOCKWORK" run "$OLDPWD/tests/e2e/data/linux-boot.yaml" --cdrom "$ISO" \
    --serial "$tmp/serial.log" --debugcon "$tmp/debugcon.log" --quiet --print-screen \
    --timeout "wall:${minutes}m" >"$tmp/run.out" 2>"$tmp/run.err")
rc=$?
sed -n '/^--- run summary/,$p' "$tmp/run.err" | sed -n '/^statistics/q;p'
last=$(sed -n '/^phases/,/^statistics/p' "$tmp/run.err" | grep '^  ' | tail -n 1 | awk '{print $1}')
echo "$NAME: last milestone: ${last:-none}"
if [ $rc -ne 0 ]; then
    tail -n 15 "$tmp/serial.log" 2>/dev/null | tr -d '\r' | sed 's/^/    serial: /'
    sed 's/^/    screen: /' "$tmp/run.out" | tail -n 40
    if grep -q '^stopped: *wall-clock limit' "$tmp/run.err"; then
        fail "\"Select a language\" not reached within $minutes minutes (last milestone: ${last:-none})"
    fi
    grep -E '^(stopped|script):' "$tmp/run.err"
    fail "the run exited with $rc before \"Select a language\" (last milestone: ${last:-none})"
fi
[ -s "$tmp/language.png" ] || fail "the script's screenshot language.png is missing"

# 1. The screen as text.
for text in 'Select a language' \
        'Choose the language to be used for the installation process' \
        'English' 'Language:' '<Go Back>'; do
    grep -q -F -- "$text" "$tmp/run.out" || {
        sed 's/^/    screen: /' "$tmp/run.out"
        fail "the screen lacks \"$text\""
    }
done
echo "$NAME: the screen reads \"Select a language\" with the language list"
logfail=0
sh tests/e2e/linux_serial.sh --check-log "$tmp/serial.log" $NAME || logfail=1

# 3. QEMU's picture of the same screen.
if [ "${LINUX_QEMU:-0}" = 1 ]; then
    need_qemu
    build_imgcmp
    qemu_start "$tmp/qemu.log" "$ISO" -m 1024 -serial "file:$tmp/qserial.log"
    qemu_settled "$tmp/qemu-menu.ppm" "" 120
    qemu_cmd "sendkey down"
    qemu_settled "$tmp/qemu-down.ppm" "$tmp/qemu-menu.ppm" 60
    qemu_cmd "sendkey tab"
    qemu_settled "$tmp/qemu-tab.ppm" "$tmp/qemu-down.ppm" 60
    # " console=ttyS0,115200 console=tty0 loglevel=7", then Enter
    for k in spc c o n s o l e equal t t y shift-s 0 comma 1 1 5 2 0 0 spc \
            c o n s o l e equal t t y 0 spc l o g l e v e l equal 7 ret; do
        qemu_cmd "sendkey $k"
        sleep 0.1
    done
    i=0
    while ! grep -q 'Choose the language' "$tmp/qserial.log" 2>/dev/null &&
            ! grep -q 'Run /init' "$tmp/qserial.log" 2>/dev/null; do
        [ $i -lt 600 ] || fail "QEMU did not start init within 300 s"
        sleep 0.5
        i=$((i + 1))
    done
    qemu_settled "$tmp/qemu-lang.ppm" "$tmp/qemu-tab.ppm" 300 800 600 0,0,800x560
    qemu_stop
    if "$IMGCMP" --region 0,0,800x560 "$tmp/language.png" "$tmp/qemu-lang.ppm"; then
        echo "$NAME: the language screen equals QEMU's (800x600, cursor rows left out)"
    else
        echo "$NAME: differences from QEMU's screen at $("$IMGCMP" --box "$tmp/language.png" "$tmp/qemu-lang.ppm")"
        fail "the language screen differs from QEMU's"
    fi
fi
[ $logfail -eq 0 ] || fail "the kernel log shows bugs (lines above)"
echo "$NAME: ok"
