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
#   LINUX_BOOT_MINUTES   wall-clock limit of the boot (default 20): past it
#                        the test fails, "not reached within N minutes"
#   LINUX_KEEP=DIR       keep lang.png and QEMU's screendump in DIR
# Skipped (77) when the ISO cannot be built or SeaBIOS is missing; without
# QEMU only the run and its own pixel waits are checked (it says so).
NAME=linux_screen
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/data/boot-common.sh
. tests/e2e/data/linux-common.sh
boot_setup
linux_enabled "this one boots the text installer to its first screen: about 8 minutes of host time"
need_firmware
need_iso
minutes=$(linux_minutes 20)

# --- the issue's command, in a fresh clone ---------------------------------------------
where=$(pwd)
if git rev-parse --git-dir >/dev/null 2>&1 && git clone -q "$(pwd)" "$tmp/clone" 2>"$tmp/git.log"; then
    where=$tmp/clone
    echo "$NAME: runs in a fresh clone of HEAD"
fi
# The config names the ISO make-iso.sh builds in the default cache; another
# cache (CLOCKWORK_CACHE) needs --cdrom, as a user's own ISO does.
cdrom=
[ "$ISO" = "$HOME/.cache/clockwork/debian-13-clockwork.iso" ] || cdrom="--cdrom $ISO"
(cd "$where" && "$CLOCKWORK" run configs/netinst.yaml --headless --screenshot "$tmp/lang.png" \
    $cdrom --timeout "wall:${minutes}m" >"$tmp/run.out" 2>"$tmp/run.err")
rc=$?
linux_report "$tmp/run.err"
[ $rc -eq 0 ] || linux_run_failed $rc "$tmp/run.err" '"Select a language"' "$minutes"
grep -q '^stopped: *script stop' "$tmp/run.err" || fail "the run did not stop at the script's stop"
[ "$last" = language-screen ] || fail "the last milestone is $last, not language-screen"
[ -s "$tmp/lang.png" ] || fail "no lang.png"
head -c 24 "$tmp/lang.png" | od -An -tx1 | tr -d ' \n' | grep -q '0000040000000300$' ||
    fail "lang.png is not 1024x768"
linux_phase_summary "$tmp/run.err"
echo "$NAME: clockwork run configs/netinst.yaml --headless --screenshot lang.png${cdrom:+ $cdrom}: exit 0," \
    "stopped at \"Select a language\" (title and English row), lang.png 1024x768"
[ -z "${LINUX_KEEP:-}" ] || cp "$tmp/lang.png" "$LINUX_KEEP/lang.png"

# --- QEMU's picture of the same screen ---------------------------------------------------
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
    echo "$NAME: QEMU is not installed (apt-get install qemu-system-x86): the screen is checked by the config's pixel waits only"
    echo "$NAME: ok"
    exit 0
fi
QEMU=qemu-system-x86_64
build_imgcmp
qstart=$(date +%s)
qemu_start "$tmp/qemu.log" "$ISO" -global VGA.edid=off
qemu_wait_log "Booting from 0000:7c00" 120
qemu_settled "$tmp/qemu-menu.ppm" "" 120
qemu_cmd "sendkey down"
qemu_settled "$tmp/qemu-down.ppm" "$tmp/qemu-menu.ppm" 60
qemu_cmd "sendkey ret"
# The language screen: 1024x768 with the title where lang.png has it; then
# the same picture twice, two seconds apart (the installer waits for a key).
title=400,15,210x18
header="P6 1024 768 255 "
n=0
found=
while [ $n -lt 300 ]; do
    n=$((n + 1))
    dump=$tmp/qscreen-$((n % 3)).ppm
    qemu_cmd "screendump $dump"
    sleep 2
    [ "$(head -c ${#header} "$dump" 2>/dev/null | tr '\n' ' ')" = "$header" ] || continue
    [ "$(wc -c <"$dump")" -eq $((${#header} + 1024 * 768 * 3)) ] || continue
    if [ -z "$found" ]; then
        "$IMGCMP" --region $title "$tmp/lang.png" "$dump" >/dev/null 2>&1 && found=$dump
        continue
    fi
    if cmp -s "$dump" "$found"; then
        cp "$dump" "$tmp/qemu-lang.ppm"
        break
    fi
    found=$dump
done
qemu_stop
[ -s "$tmp/qemu-lang.ppm" ] || [ -z "${LINUX_KEEP:-}" ] || [ ! -s "$dump" ] || cp "$dump" "$LINUX_KEEP/qemu-last.ppm"
[ -s "$tmp/qemu-lang.ppm" ] ||
    fail "QEMU did not reach a settled language screen (title at $title as in lang.png) within 600 s"
echo "$NAME: QEMU (-global VGA.edid=off) reached the language screen in $(($(date +%s) - qstart)) s of host time"
[ -z "${LINUX_KEEP:-}" ] || cp "$tmp/qemu-lang.ppm" "$LINUX_KEEP/qemu-lang.ppm"
"$IMGCMP" "$tmp/lang.png" "$tmp/qemu-lang.ppm" >"$tmp/cmp" 2>&1 ||
    fail "lang.png differs from QEMU's screendump of the language screen: $(cat "$tmp/cmp"); box: $("$IMGCMP" --box "$tmp/lang.png" "$tmp/qemu-lang.ppm")"
echo "$NAME: lang.png is QEMU's screendump of the language screen, pixel for pixel (1024x768, whole screen)"
echo "$NAME: ok"
