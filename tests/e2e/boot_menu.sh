#!/bin/sh
# boot_menu.sh: the PC boots the Debian 13 test ISO through Debian's SeaBIOS
# to the ISOLINUX vesamenu menu, and the keys work there, as QEMU (Debian's
# qemu-system-x86, the reference PC) shows with the same firmware and ISO:
#  (a) SeaBIOS's log on port 0x402 has its banner, the RAM, the ATAPI drive
#      and "Booting from DVD/CD", and agrees with its log under QEMU line for
#      line except for the differences data/boot-common.sh explains (devices
#      one PC has and the other lacks); no timeout or error QEMU lacks;
#  (b) the headless run's PNG of the menu is QEMU's screendump, pixel for
#      pixel (the whole 640x480 screen, so the menu region too);
#  (c) the trace database has the markers reset, option-rom-init,
#      boot-sector and boot-menu, in order, at the debug console bytes that
#      announce them;
#  (d) the command of issue 4 works from a clone of the repository (exit 0);
#  (e) keys as a user presses them: Down moves the highlight to "Install"
#      (only the two entry rows change), Tab opens the command line editor
#      with "... vga=788 initrd=/install.amd/initrd.gz --- quiet", both
#      screens equal to QEMU's after the same keys; Enter boots that command
#      line (the kernel's setup code sets VBE mode 0x114 for vga=788).
# BOOT_MENU_REBUILD=1 also builds clockwork in the clone for (d).
# Exit 77 (skipped) without the ISO (no Debian mirror), SeaBIOS or QEMU.
cd "$(dirname "$0")/../.." || exit 2
NAME=boot_menu
. tests/e2e/data/boot-common.sh

boot_setup
need_firmware
need_iso
need_qemu
build_imgcmp
TITLE="Debian GNU/Linux installer menu (BIOS mode)"
CMDLINE="> /install.amd/vmlinuz vga=788 initrd=/install.amd/initrd.gz --- quiet"

# --- QEMU: the menu, Down, Tab, Enter ----------------------------------------------
qemu_start "$tmp/qemu.log" "$ISO"
qemu_wait_log "Booting from 0000:7c00" 120
qemu_settled "$tmp/qemu-menu.ppm" "" 120
cp "$tmp/qemu.log" "$tmp/qemu-menu.log"
qemu_cmd "sendkey down"
qemu_settled "$tmp/qemu-down.ppm" "$tmp/qemu-menu.ppm" 60
qemu_cmd "sendkey tab"
qemu_settled "$tmp/qemu-tab.ppm" "$tmp/qemu-down.ppm" 60
qemu_cmd "sendkey ret"
qemu_wait_log "VBE mode set: 4114" 300
qemu_stop
echo "QEMU: menu, Down and Tab screens taken; Enter set VBE mode 0x114"

# --- (d) the issue's command, from a clone ------------------------------------------
where=$(pwd)
if git rev-parse --git-dir >/dev/null 2>&1 && git clone -q "$(pwd)" "$tmp/clone" 2>"$tmp/git.log"; then
    where=$tmp/clone
    if [ "${BOOT_MENU_REBUILD:-0}" = 1 ]; then
        make -C "$where" -j2 >"$tmp/make.log" 2>&1 || { tail -20 "$tmp/make.log"; fail "make in a fresh clone"; }
        CLOCKWORK=$where/clockwork
    fi
    echo "(d) runs in a fresh clone of HEAD ($where)"
else
    echo "(d) runs in this tree (not a git checkout)"
fi
(cd "$where" && "$CLOCKWORK" run --machine machines/pc-i440fx.yaml --cdrom "$ISO" --headless \
    --debugcon - --until guest-time:30s --screenshot "$tmp/menu.png") >"$tmp/a.log" 2>"$tmp/a.err"
rc=$?
[ $rc -eq 0 ] || { tail -20 "$tmp/a.err"; fail "(d) the run exited with $rc"; }
grep -q '^stopped: *guest-time limit' "$tmp/a.err" || fail "(d) the run did not reach guest-time 30s"
[ -s "$tmp/menu.png" ] || fail "(d) no screenshot"
for phase in reset option-rom-init boot-sector; do
    grep -q "^  $phase  " "$tmp/a.err" || fail "(d) the machine did not mark the phase $phase"
done
echo "(d) clockwork run --machine machines/pc-i440fx.yaml --cdrom ISO --headless --debugcon - --until guest-time:30s --screenshot menu.png: exit 0"

# --- (a) SeaBIOS's log ----------------------------------------------------------------
head -1 "$tmp/a.log" | grep -q '^SeaBIOS (version 1\.' || fail "(a) stdout does not start with the SeaBIOS banner"
for line in 'qemu/e820: addr 0x0000000000000000 len 0x0000000040000000 \[RAM\]' \
            '  3: 0000000000100000 - 000000003fffe000 = 1 RAM' \
            'DVD/CD \[ata1-0: .* ATAPI-[0-9]* DVD/CD\]' \
            'Booting from DVD/CD\.\.\.' 'Booting from 0000:7c00'; do
    grep -q -x -- "$line" "$tmp/a.log" || fail "(a) no line '$line' in SeaBIOS's log"
done
seabios_compare "$tmp/a.log" "$tmp/qemu-menu.log"
echo "(a) SeaBIOS: $(head -1 "$tmp/a.log"); 1 GiB; $(grep '^DVD/CD' "$tmp/a.log"); Booting from DVD/CD;" \
    "$(wc -l <"$tmp/a.log") lines, the same as under QEMU but for the explained ones"

# --- (b) the menu as QEMU shows it ---------------------------------------------------------
"$IMGCMP" "$tmp/menu.png" "$tmp/qemu-menu.ppm" || fail "(b) the menu differs from QEMU's screendump"
"$IMGCMP" --region 128,152,392x64 "$tmp/menu.png" "$tmp/qemu-menu.ppm" >/dev/null ||
    fail "(b) the menu region differs"
echo "(b) the menu (title and entries at 128,152 392x64, and the whole screen) is QEMU's, pixel for pixel"

# --- (c) and (e): markers in the trace, then keys ---------------------------------------------
"$CLOCKWORK" run tests/e2e/data/menu-markers.yaml --cdrom "$ISO" --quiet \
    --trace "$tmp/b.db" --trace-components debugcon --trace-ranges 0x402 --trace-kinds io-write \
    --debugcon "$tmp/b.log" \
    --do "wait marker:boot-sector" \
    --do "wait screen:$TITLE" --do "marker boot-menu" \
    --do "wait 10s screen:Install" --do "sleep 1s" --do "screenshot $tmp/b-menu.png" \
    --do "keys Down" --do "sleep 1s" --do "screenshot $tmp/b-down.png" \
    --do "keys Tab" --do "wait 10s screen:$CMDLINE" --do "sleep 1s" --do "screenshot $tmp/b-tab.png" \
    --do "keys Enter" --do "wait 60s debugcon:VBE mode set: 4114" --do "marker kernel-vbe-mode" \
    --do stop >"$tmp/b.out" 2>&1
rc=$?
[ $rc -eq 0 ] || { tail -30 "$tmp/b.out"; fail "the markers and keys run exited with $rc"; }

"$CLOCKWORK" trace query "$tmp/b.db" "SELECT name, time FROM marker ORDER BY time, id" >"$tmp/markers" ||
    fail "(c) cannot read the trace's markers"
names=$(sed 1d "$tmp/markers" | cut -f1 | tr '\n' ' ')
[ "$names" = "reset option-rom-init boot-sector boot-menu kernel-vbe-mode " ] ||
    fail "(c) markers in the trace: '$names'"
sed 1d "$tmp/markers" | cut -f2 | sort -n -c 2>/dev/null || fail "(c) marker times out of order"
# Each marker is where the debug console says it should be: the bytes
# written to port 0x402 before option-rom-init end with SeaBIOS's line
# announcing the VGA BIOS call; before boot-sector, with that line and its
# newline.
marker_bytes() {
    "$CLOCKWORK" trace query "$tmp/b.db" \
        "SELECT count(*) FROM tx WHERE time <= (SELECT time FROM marker WHERE name = '$1')" | sed -n 2p
}
text_end() {
    at=$(grep -b -o -F -- "$1" "$tmp/b.log" | head -1 | cut -d: -f1)
    [ -n "$at" ] || fail "(c) '$1' not in the debug log"
    echo $((at + ${#1}))
}
[ "$(marker_bytes option-rom-init)" = "$(($(text_end 'Running option rom at c000:0003') + 1))" ] ||
    fail "(c) option-rom-init is not at 'Running option rom at c000:0003'"
[ "$(marker_bytes boot-sector)" = "$(($(text_end 'Booting from 0000:7c00') + 1))" ] ||
    fail "(c) boot-sector is not right after the line 'Booting from 0000:7c00'"
echo "(c) trace markers: $(sed 1d "$tmp/markers" | awk '{printf "%s %.6fs; ", $1, $2 / 1e12}')"

for shot in menu down tab; do
    "$IMGCMP" "$tmp/b-$shot.png" "$tmp/qemu-$shot.ppm" >"$tmp/cmp" ||
        fail "(e) the $shot screen differs from QEMU's: $(cat "$tmp/cmp")"
done
# Down: only the rows of the two entries (text rows 11 and 12 of vesamenu's
# grid, which starts at y = 8: y 184..215) change, and the shadow one dot
# below them.
set -- $("$IMGCMP" --box "$tmp/b-menu.png" "$tmp/b-down.png")
[ $# -eq 4 ] || fail "(e) Down changed nothing on the screen"
[ "$2" -ge 184 ] && [ $(($2 + $4)) -le 217 ] ||
    fail "(e) Down changed rows $2..$(($2 + $4 - 1)), not only the entries' (184..215, shadow 216)"
echo "(e) Down: rows $2..$(($2 + $4 - 1)) change (the highlight moves to Install); Tab: '$CMDLINE';" \
    "both screens are QEMU's"
sed '/^VBE mode set: 4114$/q' "$tmp/b.log" >"$tmp/b-enter.log"
sed '/^VBE mode set: 4114$/q' "$tmp/qemu.log" >"$tmp/qemu-enter.log"
seabios_compare "$tmp/b-enter.log" "$tmp/qemu-enter.log"
echo "(e) Enter: SeaBIOS's log to the kernel's VBE mode set (0x114, vga=788) is QEMU's but for the explained lines"
echo "boot_menu: ok"
