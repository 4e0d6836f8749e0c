#!/bin/sh
# boot_clockwork.sh: times the boot milestones of the reference guest on
# clockwork's PC machine (tests/run-bench.sh puts them beside QEMU's, from
# tests/bench/boot_qemu.sh; the milestones are the same).
#
# Usage: sh tests/bench/boot_clockwork.sh CLOCKWORK ISO WORKDIR [MEMORY]
#
#   banner    "SeaBIOS (version" on the debug console (port 0x402)
#   booting   "Booting from DVD/CD" on the debug console
#   menu      the ISOLINUX menu's title on the screen ("installer menu")
#   init      "Starting system log daemon" on the serial port
#   language  "Choose the language" on the serial port
#
# When clockwork has scripted input (`run --do`), one run does it all: the
# script waits for each milestone and records a marker there, presses Down
# and Enter at the menu (the text installer, whose console is the serial
# port on the serial ISO), and the phase table of the run summary gives each
# marker's guest time and host time. Without scripted input, one run per
# firmware milestone stops there (--until), and the Linux milestones are
# not reached. Every run is bounded by --timeout wall:10m, and a guest
# kernel panic on the serial port ends it.
#
# Prints "NAME<TAB>WALL<TAB>GUEST<TAB>INSTRUCTIONS" per milestone: wall
# seconds since the process started, guest seconds since reset and
# instructions retired before it (one-run mode), or "not reached" and a
# reason.
# Markers the machine records itself are printed as "marker:NAME" lines,
# and the whole run's speed as "mips<TAB>VALUE". Exit status 0 when clockwork
# ran, 1 when it could not.
set -u

CLOCKWORK=${1:?usage: boot_clockwork.sh CLOCKWORK ISO WORKDIR [MEMORY]}
ISO=${2:?usage: boot_clockwork.sh CLOCKWORK ISO WORKDIR [MEMORY]}
WORK=${3:?usage: boot_clockwork.sh CLOCKWORK ISO WORKDIR [MEMORY]}
MEMORY=${4:-1GiB}
MACHINE=${BENCH_MACHINE:-machines/pc-i440fx-apic.yaml}
CONFIG=tests/bench/pc-boot.yaml   # the machine plus the CPU's boot-phase markers
WALL_LIMIT=${BENCH_WALL_LIMIT:-wall:10m}

MENU_TEXT="installer menu"

say() {
    echo "boot_clockwork: $*" >&2
}

if [ "$(date +%N)" != N ] && [ -n "$(date +%N)" ]; then
    now_ms() { date +%s%N | cut -c1-13; }
else
    now_ms() { perl -MTime::HiRes=time -e 'printf "%d\n", time * 1000'; }
fi

[ -x "$CLOCKWORK" ] || { say "no clockwork at $CLOCKWORK"; exit 1; }
[ -r "$MACHINE" ] || { say "no machine $MACHINE"; exit 1; }
[ -r "$ISO" ] || { say "no ISO at $ISO"; exit 1; }
mkdir -p "$WORK" || exit 1

# The bench config when this clockwork accepts it (and no other machine was
# asked for); else the bare machine, without the CPU's markers.
if [ -z "${BENCH_MACHINE:-}" ] && "$CLOCKWORK" check "$CONFIG" >"$WORK/check.txt" 2>&1; then
    SOURCE=$CONFIG
else
    SOURCE="--machine $MACHINE"
fi

# Runs clockwork with the common options plus "$@"; the summary (stderr)
# goes to $WORK/cw-NAME.summary, output to $WORK/cw-NAME.out, and
# cw_total holds the wall seconds from process start to exit.
cw_run() { # NAME ARGS...
    name=$1
    shift
    t_start=$(now_ms)
    # $SOURCE is one word or "--machine FILE": split on purpose.
    # shellcheck disable=SC2086
    "$CLOCKWORK" run $SOURCE --cdrom "$ISO" --memory "$MEMORY" --headless --quiet \
        --timeout "$WALL_LIMIT" "$@" >"$WORK/cw-$name.out" 2>"$WORK/cw-$name.summary"
    cw_status=$?
    t_end=$(now_ms)
    cw_total=$(awk -v ms="$((t_end - t_start))" 'BEGIN { printf "%.3f", ms / 1000 }')
}

# summary_field FILE LABEL: the first word after "LABEL:" in the summary.
summary_field() {
    sed -n "s/^$2:[[:space:]]*\\([^[:space:]]*\\).*/\\1/p" "$1" | head -n 1 | sed 's/s$//'
}

# The seconds between process start and the simulation's start (loading
# the machine and the firmware): the summary's wall time excludes them.
startup_seconds() { # SUMMARY
    awk -v total="$cw_total" -v run="$(summary_field "$1" "wall time")" \
        'BEGIN { d = total - run; if (d < 0) d = 0; printf "%.3f", d }'
}

# The phase table as "NAME<TAB>WALL-SINCE-START<TAB>GUEST-START<TAB>
# INSTRUCTIONS-BEFORE" lines: the wall and instruction columns hold each
# phase's own share, so the start of a phase is the sum of the ones before
# it (plus the start-up time for the wall clock).
phase_starts() { # SUMMARY STARTUP
    awk -v startup="$2" '
        /^phases/ { inside = 1; getline; next }
        inside && !/^  / { inside = 0 }
        inside {
            guest = $2; sub(/s$/, "", guest)
            wall = $NF; sub(/s$/, "", wall)
            printf "%s\t%.2f\t%s\t%.0f\n", $1, startup + sum, guest, insns
            sum += wall
            insns += $4
        }' "$1"
}

if "$CLOCKWORK" run --help 2>&1 | grep -q -- '--do'; then
    cw_run boot \
        --do "wait debugcon:SeaBIOS (version" --do "marker bench-banner" \
        --do "wait debugcon:Booting from DVD/CD" --do "marker bench-booting" \
        --do "wait screen:$MENU_TEXT" --do "marker bench-menu" \
        --do "keys Down Enter" \
        --do "wait serial:Starting system log daemon" --do "marker bench-init" \
        --do "wait serial:Choose the language" --do "marker bench-language" \
        --do "stop" --until "serial:---[ end Kernel panic" \
        --serial "$WORK/cw-serial.txt" --debugcon "$WORK/cw-debugcon.txt"
    summary=$WORK/cw-boot.summary
    if ! grep -q '^--- run summary' "$summary"; then
        say "clockwork failed (exit $cw_status): $(head -n 3 "$summary")"
        exit 1
    fi
    phases=$(phase_starts "$summary" "$(startup_seconds "$summary")")
    why=$(sed -n 's/^stopped:[[:space:]]*//p' "$summary")
    # A guest kernel panic ends the run at once (--until): say so.
    panic=$(grep -a -o 'Kernel panic - not syncing[^]]*' "$WORK/cw-serial.txt" 2>/dev/null |
        head -n 1 | tr -d '\r' | sed 's/ *$//')
    [ -n "$panic" ] && why="guest $panic"
    for m in banner booting menu init language; do
        line=$(printf '%s\n' "$phases" | awk -F '\t' -v n="bench-$m" '$1 == n { print; exit }')
        if [ -n "$line" ]; then
            printf '%s\t%s\n' "$m" "$(echo "$line" | cut -f 2-4)"
        else
            printf '%s\tnot reached\t%s\n' "$m" "run ended: $why after ${cw_total}s"
        fi
    done
    printf '%s\n' "$phases" | awk -F '\t' '$1 != "reset" && $1 !~ /^bench-/ {
        printf "marker:%s\t%s\t%s\t%s\n", $1, $2, $3, $4 }'
    printf 'mips\t%s\n' "$(sed -n 's/^instructions:.*(\([0-9.]*\) MIPS).*/\1/p' "$summary")"
    exit 0
fi

# No scripted input: one run per firmware milestone.
mips=
ran=0
for m in banner booting menu; do
    case $m in
        banner) until="debugcon:SeaBIOS (version" ;;
        booting) until="debugcon:Booting from DVD/CD" ;;
        menu) until="screen:$MENU_TEXT" ;;
    esac
    cw_run "$m" --until "$until"
    summary=$WORK/cw-$m.summary
    if ! grep -q '^--- run summary' "$summary"; then
        say "clockwork failed (exit $cw_status): $(head -n 3 "$summary")"
        printf '%s\tnot reached\t%s\n' "$m" "clockwork failed (exit $cw_status)"
        continue
    fi
    ran=1
    if grep -q '^stopped:[[:space:]]*condition met' "$summary"; then
        printf '%s\t%s\t%s\n' "$m" "$cw_total" "$(summary_field "$summary" "guest time")"
    else
        printf '%s\tnot reached\t%s\n' "$m" \
            "run ended: $(sed -n 's/^stopped:[[:space:]]*//p' "$summary") after ${cw_total}s"
    fi
    mips=$(sed -n 's/^instructions:.*(\([0-9.]*\) MIPS).*/\1/p' "$summary")
    if [ $m = menu ]; then
        phase_starts "$summary" "$(startup_seconds "$summary")" | awk -F '\t' \
            '$1 != "reset" { printf "marker:%s\t%s\t%s\n", $1, $2, $3 }'
    fi
done
printf 'init\tnot reached\tclockwork has no scripted input (run --do) to choose the menu entry\n'
printf 'language\tnot reached\tclockwork has no scripted input (run --do) to choose the menu entry\n'
[ -n "$mips" ] && printf 'mips\t%s\n' "$mips"
[ $ran = 1 ]
