#!/bin/sh
# until_screen_png.sh: a stop condition screen-png:[X,Y,WxH=]FILE, in a
# config file's run.until: and on the command line (--until), stops the run
# when the screen equals the PNG: the whole screen, a region of a
# full-screen PNG; a PNG of another screen
# never stops it (the run times out with exit 1). The screens are the test
# ISO's boot menu before and after Down, taken by a first run.
# Exit 77 (skipped) without the ISO or SeaBIOS.
NAME=until_screen_png
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/data/boot-common.sh
boot_setup
need_firmware
need_iso
MACHINE=$(pwd)/machines/pc-i440fx.yaml

"$CLOCKWORK" run --machine "$MACHINE" --cdrom "$ISO" --headless --quiet \
    --do "wait screen:Debian GNU/Linux installer menu (BIOS mode)" --do "sleep 1s" \
    --do "screenshot $tmp/menu.png" --do "keys Down" --do "sleep 1s" \
    --do "screenshot $tmp/down.png" --do stop >"$tmp/a.out" 2>&1 ||
    { tail -20 "$tmp/a.out"; fail "the run that takes the menu screens failed"; }
cmp -s "$tmp/menu.png" "$tmp/down.png" && fail "Down did not change the menu"

# config NAME UNTIL: a config beside the PNGs that boots to the menu and
# stops on UNTIL (a guest-time limit of 3 s otherwise); sets rc and $out.
config() {
    cat >"$tmp/$1.yaml" <<EOF
machine: $MACHINE
media: {cdrom: $ISO}
run:
  headless: true
  timeout: 3s
  until: ["$2"]
EOF
    "$CLOCKWORK" run "$tmp/$1.yaml" --quiet >"$tmp/$1.out" 2>&1
    rc=$?
    out=$tmp/$1.out
}

config whole "screen-png:menu.png"
[ $rc -eq 0 ] || { tail -20 "$out"; fail "until: screen-png:menu.png did not stop the run (exit $rc)"; }
grep -q "^stopped: *condition met ($tmp/whole.yaml:6:" "$out" ||
    { grep '^stopped' "$out"; fail "the whole-screen run did not stop on its condition"; }
guest=$(sed -n 's/^guest time: *//p' "$out")
echo "until: [screen-png:menu.png] (beside the config): stopped at the menu, guest time $guest, exit 0"

config other "screen-png:down.png"
[ $rc -eq 1 ] || { tail -20 "$out"; fail "until: screen-png:down.png (another screen) ended with $rc, not 1"; }
grep -q '^result: *no stop condition was met' "$out" || fail "the other-screen run did not time out"
echo "until: [screen-png:down.png] (the menu after Down): never met, exit 1"

# The entry rows (y 184..215) differ between the two; the title (y 152) not.
config region "screen-png:128,152,392x16=down.png"
[ $rc -eq 0 ] || { tail -20 "$out"; fail "a region of down.png the menu shares did not stop the run"; }
config rows "screen-png:128,184,392x32=down.png"
[ $rc -eq 1 ] || fail "the entry rows of down.png stopped the run at the menu (exit $rc)"
echo "until: [screen-png:X,Y,WxH=down.png]: the title's region stops the run, the entries' does not"

# On the command line, relative to the working directory.
(cd "$tmp" && "$CLOCKWORK" run --machine "$MACHINE" --cdrom "$ISO" --headless --quiet --timeout 3s \
    --until "screen-png:menu.png" >cli.out 2>&1)
rc=$?
[ $rc -eq 0 ] || { tail -20 "$tmp/cli.out"; fail "--until screen-png:menu.png did not stop the run"; }
grep -q '^stopped: *condition met (--until)' "$tmp/cli.out" || fail "--until: not stopped by the condition"
(cd "$tmp" && "$CLOCKWORK" run --machine "$MACHINE" --cdrom "$ISO" --headless --quiet --timeout 3s \
    --until "screen-png:nothing.png" >missing.out 2>&1)
rc=$?
[ $rc -eq 2 ] && grep -q 'screen-png: .*nothing.png' "$tmp/missing.out" ||
    { cat "$tmp/missing.out"; fail "a missing PNG was not a configuration error (exit $rc)"; }
echo "--until screen-png:menu.png stops the run (exit 0); a missing PNG is exit 2: $(grep -m1 nothing.png "$tmp/missing.out")"
echo "$NAME: ok"
