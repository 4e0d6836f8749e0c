#!/bin/sh
# linux_screen.sh: boots the test ISO's "Install" entry (text installer,
# vga=788) headless as a user would (tests/e2e/data/linux-boot.yaml: Down,
# Enter at the menu) until the screen shows "Select a language"; the run
# stops by itself there and writes its PNG. The screen is checked by
# pixels: the title "[!!] Select a language" and the highlighted
# "English - English" row (tests/e2e/data/linux-lang-*.png, crops of this
# simulator's screenshot), since the installer draws through bterm with GNU
# Unifont, which the text reader cannot read. It prints the last milestone
# (boot-phase marker) and the
# phase table either way.
#
# Runs with LINUX_SCREEN=1 only (else skipped, exit 77): `make test` has
# room for one Linux boot, tests/e2e/linux_serial.sh, which checks the
# kernel log. One boot cannot do both: with console=ttyS0 added,
# debian-installer runs on the serial port and the screen keeps the kernel
# log.
#
# Not compared with QEMU's screenshot: under QEMU 7.2 the std VGA offers
# an EDID whose preferred mode is 1280x800, so bochs-drm (built into the
# kernel, it replaces vesafb before init) sets 1280x800; this VGA has no
# EDID and bochs-drm falls back to 1024x768 (console 128x48). The two
# kernels choose different modes, so the pictures differ legitimately.
# (QEMU's -device VGA,edid=off would be the matching reference.)
#   LINUX_BOOT_MINUTES  wall-clock limit of the boot (default 45 minutes):
#                       past it the test fails, "not reached within N
#                       minutes", with the last milestone
# Skipped (77) when the ISO cannot be built or SeaBIOS is missing.
NAME=linux_screen
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/data/boot-common.sh
boot_setup
[ "${LINUX_SCREEN:-0}" = 1 ] ||
    skip "one Linux boot per make test (linux_serial); LINUX_SCREEN=1 runs this one"
need_firmware
need_iso
minutes=${LINUX_BOOT_MINUTES:-45}

(cd "$tmp" && "$CLOCKWORK" run "$OLDPWD/tests/e2e/data/linux-boot.yaml" --cdrom "$ISO" \
    --debugcon "$tmp/debugcon.log" --quiet --print-screen \
    --timeout "wall:${minutes}m" >"$tmp/run.out" 2>"$tmp/run.err")
rc=$?
sed -n '/^--- run summary/,$p' "$tmp/run.err" | sed -n '/^statistics/q;p'
last=$(sed -n '/^phases/,/^statistics/p' "$tmp/run.err" | grep '^  ' | tail -n 1 | awk '{print $1}')
echo "$NAME: last milestone: ${last:-none}"
if [ $rc -ne 0 ]; then
    sed 's/^/    screen: /' "$tmp/run.out" | tail -n 40
    if grep -q '^stopped: *wall-clock limit' "$tmp/run.err"; then
        fail "\"Select a language\" not reached within $minutes minutes (last milestone: ${last:-none})"
    fi
    grep -E '^(stopped|script):' "$tmp/run.err"
    fail "the run exited with $rc before \"Select a language\" (last milestone: ${last:-none})"
fi
[ -s "$tmp/language.png" ] || fail "the script's screenshot language.png is missing"

# The script's waits checked the title and the "English" row pixel for
# pixel (the installer's Unifont text does not read as text); the picture
# must also be the 1024x768 bochs-drm mode.
head -c 24 "$tmp/language.png" | od -An -tx1 | tr -d ' \n' | grep -q '0000040000000300$' ||
    fail "language.png is not 1024x768"
echo "$NAME: the screen shows \"Select a language\" with \"English\" highlighted"
echo "$NAME: ok"
