#!/bin/sh
# linux_screen.sh: the issue's command, `clockwork run configs/netinst.yaml
# --headless --screenshot lang.png`, in a fresh clone of the repository:
# the test ISO's "Install" entry (text installer, vga=788) is chosen at the
# menu (Down, Enter) and the run stops by itself when the screen shows
# "Select a language" (the config waits for the pixels of its title and of
# the highlighted "English" row); it must exit 0 and write lang.png at
# 1024x768. Then the screen's content is checked against QEMU (Debian's
# qemu-system-x86, the reference PC) booting the same ISO with the same
# SeaBIOS and the same keys, its VGA without EDID (-global VGA.edid=off) so
# that bochs-drm picks 1024x768 there too: QEMU's screendump of the
# language screen must equal lang.png pixel for pixel, the whole screen.
# The installer draws through bterm with GNU Unifont, which the text reader
# cannot read, so pixels are the check (docs/linux.md).
#
# Prints what the boot reached (last milestone) and its phase table either
# way. Runs in `make test` by default (tests/e2e/data/linux-common.sh):
#   LINUX_BOOT=0         skip it (exit 77, with the reason)
#   LINUX_BOOT_MINUTES   wall-clock limit of the boot (default 15): past it
#                        the test fails, "not reached within N minutes";
#                        QEMU gets 300 s
#   LINUX_KEEP=DIR       keep lang.png and QEMU's screendump in DIR
# Skipped (77) when the ISO cannot be built or SeaBIOS is missing; without
# QEMU only the run and its own pixel waits are checked (it says so).
NAME=linux_screen
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/data/boot-common.sh
. tests/e2e/data/linux-common.sh
boot_setup
linux_enabled "this one boots the text installer to its first screen: 6-9 minutes of host time"
need_firmware
need_iso
minutes=$(linux_minutes 15)

# --- the issue's command, in a fresh clone ---------------------------------------------
linux_config_run configs/netinst.yaml "$tmp/lang.png" "$minutes"
[ -z "${LINUX_KEEP:-}" ] || cp "$tmp/lang.png" "$LINUX_KEEP/lang.png"

# --- QEMU's picture of the same screen ---------------------------------------------------
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
    echo "$NAME: QEMU is not installed (apt-get install qemu-system-x86): the screen is checked by the config's pixel waits only"
    echo "$NAME: ok"
    exit 0
fi
QEMU=qemu-system-x86_64
build_imgcmp
linux_qemu_screen "down ret" "$tmp/lang.png" 400,15,210x18 "$tmp/qemu-lang.ppm" 300
[ -z "${LINUX_KEEP:-}" ] || cp "$tmp/qemu-lang.ppm" "$LINUX_KEEP/qemu-lang.ppm"
"$IMGCMP" "$tmp/lang.png" "$tmp/qemu-lang.ppm" >"$tmp/cmp" 2>&1 ||
    fail "lang.png differs from QEMU's screendump of the language screen: $(cat "$tmp/cmp"); box: $("$IMGCMP" --box "$tmp/lang.png" "$tmp/qemu-lang.ppm")"
echo "$NAME: lang.png is QEMU's screendump of the language screen, pixel for pixel (1024x768, whole screen)"
echo "$NAME: ok"
