# linux-common.sh: shell functions shared by the Linux boot tests
# (tests/e2e/linux_*.sh), sourced after boot-common.sh: the switch that
# turns them off, the wall-clock limit of a boot, and the report of what a
# boot reached (last milestone and the run's phase table).
#
#   LINUX_BOOT=0         skip every Linux boot test (exit 77, with the reason)
#   LINUX_BOOT_MINUTES   wall-clock limit of each boot in minutes (default:
#                        the test's own, chosen so that all of them together
#                        stay inside CI's 90 minutes on a slower machine)

# linux_enabled COST: skips when LINUX_BOOT=0; COST says what the boot costs.
linux_enabled() {
    [ "${LINUX_BOOT:-1}" != 0 ] ||
        skip "LINUX_BOOT=0 turns the Linux boot tests off ($1)"
}

# linux_minutes DEFAULT: the wall-clock limit of this boot.
linux_minutes() {
    echo "${LINUX_BOOT_MINUTES:-$1}"
}

# linux_report RUN.ERR: prints the run summary up to the statistics (phase
# table included) and sets $last to the last milestone the run reached.
linux_report() {
    sed -n '/^--- run summary/,$p' "$1" | sed -n '/^statistics/q;p'
    last=$(sed -n '/^phases/,/^statistics/p' "$1" | grep '^  ' | tail -n 1 | awk '{print $1}')
    last=${last:-none}
    echo "$NAME: reached: $last (last milestone)"
}

# linux_run_failed RC RUN.ERR GOAL MINUTES: fails with the reason the run
# ended before GOAL: the wall-clock limit, a script step that timed out, or
# another exit.
linux_run_failed() {
    if grep -q '^stopped: *wall-clock limit' "$2"; then
        fail "$3 not reached within $4 minutes of host time (reached: $last)"
    fi
    grep -E '^(stopped|script|clockwork):' "$2" | sed 's/^/    /'
    fail "the run exited with $1 before $3 (reached: $last)"
}

# linux_phase_summary RUN.ERR: one line with guest time, instructions and
# host time of the whole run, for the test's output and docs/linux.md.
linux_phase_summary() {
    g=$(sed -n 's/^guest time: *//p' "$1")
    i=$(sed -n 's/^instructions: *//p' "$1")
    w=$(sed -n 's/^wall time: *//p' "$1")
    echo "$NAME: run: guest time $g, instructions $i, host time $w"
}

# linux_qemu_screen KEY PNG REGION OUT SECONDS: boots $ISO in QEMU (the
# reference PC of boot-common.sh, its VGA without EDID so that bochs-drm
# picks 1024x768 as here), presses KEY at the menu ("down ret": Down,
# Enter), then takes screendumps two seconds apart until one is 1024x768
# with REGION (X,Y,WxH) equal to the same region of PNG (this run's
# picture) and the next one is the same picture (settled); writes it to
# OUT. Fails after SECONDS. Needs $QEMU and $IMGCMP; prints QEMU's time.
linux_qemu_screen() {
    qstart=$(date +%s)
    qemu_start "$tmp/qemu.log" "$ISO" -global VGA.edid=off
    qemu_wait_log "Booting from 0000:7c00" 120
    qemu_settled "$tmp/qemu-menu.ppm" "" 120
    qprev=$tmp/qemu-menu.ppm
    for qkey in $1; do
        qemu_cmd "sendkey $qkey"
        [ "$qkey" = ret ] && break
        qemu_settled "$tmp/qemu-$qkey.ppm" "$qprev" 60
        qprev=$tmp/qemu-$qkey.ppm
    done
    qheader="P6 1024 768 255 "
    qfound=
    qdump=
    while [ $(($(date +%s) - qstart)) -lt "$5" ]; do
        qdump=$tmp/qscreen-$(($(date +%s) % 3)).ppm
        qemu_cmd "screendump $qdump"
        sleep 2
        [ "$(head -c ${#qheader} "$qdump" 2>/dev/null | tr '\n' ' ')" = "$qheader" ] || continue
        [ "$(wc -c <"$qdump")" -eq $((${#qheader} + 1024 * 768 * 3)) ] || continue
        if [ -z "$qfound" ]; then
            "$IMGCMP" --region "$3" "$2" "$qdump" >/dev/null 2>&1 && qfound=$qdump
            continue
        fi
        if cmp -s "$qdump" "$qfound"; then
            cp "$qdump" "$4"
            break
        fi
        qfound=$qdump
    done
    qemu_stop
    if [ ! -s "$4" ]; then
        [ -z "${LINUX_KEEP:-}" ] || [ -z "$qdump" ] || [ ! -s "$qdump" ] || cp "$qdump" "$LINUX_KEEP/qemu-last.ppm"
        fail "QEMU did not show a settled screen with the region $3 of $(basename "$2") within $5 s"
    fi
    echo "$NAME: QEMU (-global VGA.edid=off) reached the screen in $(($(date +%s) - qstart)) s of host time"
}

# linux_config_run CONFIG PNG MINUTES: the issue's command for CONFIG
# (`clockwork run CONFIG --headless --screenshot PNG`) in a fresh clone of
# the repository (the committed config, as CI sees it), with a wall-clock
# limit; it must exit 0, stop at the script's stop after the marker
# language-screen and write PNG at 1024x768. Prints what the run reached
# and its phase table either way.
linux_config_run() {
    where=$(pwd)
    if git rev-parse --git-dir >/dev/null 2>&1 && [ ! -d "$tmp/clone" ] &&
        git clone -q "$(pwd)" "$tmp/clone" 2>"$tmp/git.log"; then
        echo "$NAME: runs in a fresh clone of HEAD"
    fi
    [ -d "$tmp/clone" ] && where=$tmp/clone
    # The configs name the ISO make-iso.sh builds in the default cache;
    # another cache (CLOCKWORK_CACHE) needs --cdrom, as a user's own ISO does.
    cdrom=
    [ "$ISO" = "$HOME/.cache/clockwork/debian-13-clockwork.iso" ] || cdrom="--cdrom $ISO"
    (cd "$where" && "$CLOCKWORK" run "$1" --headless --screenshot "$2" \
        $cdrom --timeout "wall:${3}m" >"$tmp/run.out" 2>"$tmp/run.err")
    rc=$?
    linux_report "$tmp/run.err"
    [ $rc -eq 0 ] || linux_run_failed $rc "$tmp/run.err" '"Select a language"' "$3"
    grep -q '^stopped: *script stop' "$tmp/run.err" || fail "the run did not stop at the script's stop"
    [ "$last" = language-screen ] || fail "the last milestone is $last, not language-screen"
    [ -s "$2" ] || fail "no $(basename "$2")"
    head -c 24 "$2" | od -An -tx1 | tr -d ' \n' | grep -q '0000040000000300$' ||
        fail "$(basename "$2") is not 1024x768"
    linux_phase_summary "$tmp/run.err"
    echo "$NAME: clockwork run $1 --headless --screenshot $(basename "$2")${cdrom:+ $cdrom}: exit 0," \
        "stopped at the language screen, $(basename "$2") 1024x768"
}
