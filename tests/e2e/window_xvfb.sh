#!/bin/sh
# The SDL window under Xvfb: boots the test ISO on the PC to the ISOLINUX
# menu in a window, presses Down through X (xdotool), checks with a script's
# screen-png wait that the highlight moved to "Install" exactly as in a
# headless reference run, presses Enter and takes Ctrl+Alt+S screenshots
# until the screen shows the boot going on, then quits with Ctrl+Alt+Q:
# the run must end cleanly ("window closed", exit 0).
# Needs Debian's xvfb, xauth and xdotool, SeaBIOS and the test ISO
# (make iso); skipped (77) without them.
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
CW=${CLOCKWORK:-./clockwork}
case $CW in /*) ;; *) CW="$ROOT/$CW" ;; esac
ISO=${CLOCKWORK_ISO:-$HOME/.cache/clockwork/debian-13-clockwork.iso}
skip() { echo "skipped: $*"; exit 77; }
fail() { echo "FAIL: $*"; [ -f "$T/win.log" ] && tail -30 "$T/win.log"; exit 1; }
command -v xvfb-run >/dev/null || skip "xvfb-run is missing (Debian package xvfb)"
command -v xdotool >/dev/null || skip "xdotool is missing (Debian package xdotool)"
[ -r /usr/share/seabios/bios.bin ] || skip "SeaBIOS is missing (Debian package seabios)"
[ -r "$ISO" ] || skip "no test ISO at $ISO (build it with make iso)"
[ -x "$CW" ] || skip "no clockwork binary at $CW"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

# The menu's two entries: the highlight bar moves between them.
ENTRIES=120,180,400x40
RUN="$CW run --machine $ROOT/machines/pc-i440fx.yaml --cdrom $ISO --quiet"

# 1. Headless reference: the menu, then the menu after Down.
$RUN --headless --timeout 120s --do "wait 120s screen:installer menu" --do "sleep 500ms" --do "screenshot ref-menu.png" \
    --do "keys Down" --do "sleep 500ms" --do "screenshot ref-down.png" --do stop \
    >ref.log 2>&1 || { cat ref.log; fail "headless reference run failed"; }
cmp -s ref-menu.png ref-down.png && fail "Down did not change the menu in the headless run"
echo "headless: Down moves the menu highlight"

# 2. The window, driven through X. The script prints when the menu is up
#    and when the screen shows the highlight where the reference has it.
# SDL's software renderer: the same pixels as a GL one on Xvfb, without
# loading a GL driver.
export SDL_RENDER_DRIVER=software
# Under AddressSanitizer (make check-asan) the window run skips the leak
# check: libdbus and the X libraries SDL loads and unloads keep one-time
# allocations that are not ours to free (and that LeakSanitizer can no
# longer name). Our window code is leak-checked by test_window_sdl.
WINDOW_ASAN="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# Width x height of a PNG, from its IHDR chunk.
cat >png_size.sh <<'END'
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{ print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8 }'; }
END
. ./png_size.sh

cat >drive.sh <<EOF
. ./png_size.sh
env $WINDOW_ASAN $RUN --window --timeout 900s --do "wait 120s screen:installer menu" --do "sleep 500ms" --do "print ready" \
    --do "wait 300s screen-png:$ENTRIES=ref-down.png" --do "print moved" >win.log 2>&1 &
pid=\$!
waitfor() { i=0; while ! grep -q "\$1" win.log; do
    i=\$((i + 1)); [ \$i -gt 600 ] && return 1
    kill -0 \$pid 2>/dev/null || return 1; sleep 1; done; }
waitfor "script .*: ready" || { echo "no menu in the window"; kill \$pid; exit 3; }
id=\$(xdotool search --sync --name "^clockwork" | head -1)
[ -n "\$id" ] || { echo "no window"; kill \$pid; exit 3; }
echo "window \$id: \$(xdotool getwindowname \$id)" >title.txt
xdotool windowfocus --sync \$id
xdotool key Down
waitfor "script .*: moved" || { echo "the highlight did not move"; kill \$pid; exit 4; }
xdotool key Return
# "Install" boots Linux, which sets its own video mode (vga=788):
# screenshots (Ctrl+Alt+S) until the guest leaves the menu's 640x480; then
# the window must have followed the mode.
n=0
while [ \$n -lt 100 ]; do
    n=\$((n + 1)); sleep 2
    xdotool key ctrl+alt+s
    sleep 1
    last=\$(ls -t clockwork-*.png 2>/dev/null | head -1)
    [ -n "\$last" ] && [ "\$(png_size "\$last")" != 640x480 ] && break
done
echo "\$last" >after-enter.txt
sleep 1
xdotool getwindowgeometry \$id | sed -n 's/.*Geometry: //p' >geometry.txt
xdotool key ctrl+alt+s
sleep 1
ls -t clockwork-*.png | head -1 >final.txt
xdotool key ctrl+alt+q
wait \$pid
echo "exit \$?" >status.txt
EOF
timeout 1800 xvfb-run -a -s "-screen 0 1280x1024x24" sh drive.sh >drive.log 2>&1
rc=$?
[ $rc -eq 3 ] && fail "the window never showed the menu: $(cat drive.log)"
[ $rc -eq 4 ] && fail "Down typed into the window did not move the menu highlight"
[ $rc -eq 0 ] || fail "driving the window failed (exit $rc): $(cat drive.log)"
echo "window: Down typed through X moved the highlight ($(cat title.txt))"
shot=$(cat after-enter.txt)
[ -n "$shot" ] && [ -f "$shot" ] || fail "Ctrl+Alt+S wrote no screenshot"
size=$(png_size "$shot")
[ "$size" != 640x480 ] || fail "after Enter on Install the guest never left the 640x480 menu"
grep -q "screenshot:    $shot ($size)" win.log || fail "the screenshot was not announced"
echo "window: Enter boots Linux, which sets $size; Ctrl+Alt+S wrote $shot"
final=$(png_size "$(cat final.txt)")
[ "$(cat geometry.txt)" = "$size" ] || [ "$(cat geometry.txt)" = "$final" ] ||
    fail "the window is $(cat geometry.txt), not the guest's $size"
echo "window: resized with the guest's mode to $(cat geometry.txt)"
[ "$(cat status.txt)" = "exit 0" ] || fail "the run exited with '$(cat status.txt)' after Ctrl+Alt+Q"
grep -q "^stopped:       window closed" win.log || fail "the summary does not say the window closed"
grep -q "^--- run summary ---" win.log || fail "no summary"
echo "window: Ctrl+Alt+Q ends the run with its summary, exit 0"
