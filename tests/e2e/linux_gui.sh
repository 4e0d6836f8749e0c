#!/bin/sh
# linux_gui.sh: `clockwork run configs/netinst-gui.yaml --headless
# --screenshot lang-gui.png` in a fresh clone: the test ISO's "Graphical
# install" entry (Enter at the menu) boots to the installer's GTK front end
# (X on the framebuffer, 1024x768), and the run stops by itself when the
# GTK language screen is drawn (the config waits for the pixels of its
# title "Select a language" and of the highlighted "English" row); it must
# exit 0 and write lang-gui.png at 1024x768. Then QEMU (Debian's
# qemu-system-x86) boots the same entry of the same ISO with the same
# SeaBIOS, its VGA without EDID: its screendump of the language screen
# must equal lang-gui.png pixel for pixel, the whole screen (mouse pointer
# included).
#
# Prints what the boot reached and its phase table either way. Runs in
# `make test` by default (tests/e2e/data/linux-common.sh):
#   LINUX_BOOT=0         skip it (exit 77, with the reason)
#   LINUX_BOOT_MINUTES   wall-clock limit of the boot (default 25): past it
#                        the test fails, "not reached within N minutes";
#                        QEMU gets 300 s
#   LINUX_KEEP=DIR       keep lang-gui.png and QEMU's screendump in DIR
# Skipped (77) when the ISO cannot be built or SeaBIOS is missing; without
# QEMU only the run and its own pixel waits are checked (it says so).
NAME=linux_gui
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/data/boot-common.sh
. tests/e2e/data/linux-common.sh
boot_setup
linux_enabled "this one boots the graphical installer to its first screen: 12-14 minutes of host time"
need_firmware
need_iso
minutes=$(linux_minutes 25)

linux_config_run configs/netinst-gui.yaml "$tmp/lang-gui.png" "$minutes"
[ -z "${LINUX_KEEP:-}" ] || cp "$tmp/lang-gui.png" "$LINUX_KEEP/lang-gui.png"

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
    echo "$NAME: QEMU is not installed (apt-get install qemu-system-x86): the screen is checked by the config's pixel waits only"
    echo "$NAME: ok"
    exit 0
fi
QEMU=qemu-system-x86_64
build_imgcmp
linux_qemu_screen "ret" "$tmp/lang-gui.png" 14,84,140x22 "$tmp/qemu-lang-gui.ppm" 300
[ -z "${LINUX_KEEP:-}" ] || cp "$tmp/qemu-lang-gui.ppm" "$LINUX_KEEP/qemu-lang-gui.ppm"
"$IMGCMP" "$tmp/lang-gui.png" "$tmp/qemu-lang-gui.ppm" >"$tmp/cmp" 2>&1 ||
    fail "lang-gui.png differs from QEMU's screendump of the GTK language screen: $(cat "$tmp/cmp"); box: $("$IMGCMP" --box "$tmp/lang-gui.png" "$tmp/qemu-lang-gui.ppm")"
echo "$NAME: lang-gui.png is QEMU's screendump of the GTK language screen, pixel for pixel (1024x768, whole screen)"
echo "$NAME: ok"
