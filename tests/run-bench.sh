#!/bin/sh
# run-bench.sh: the performance table of `make bench`.
#
# Usage: CLOCKWORK=path/to/clockwork sh tests/run-bench.sh BENCH_PROGRAM...
#
# 1. Runs each benchmark program (built from tests/bench/bench_*.c; each
#    prints "name<TAB>value<TAB>unit" lines): kernel events and bus
#    transactions per second, trace rows per second and bytes per row,
#    CPU instructions per second per timing model.
# 2. Boots the reference guest (scripts/make-iso.sh, the serial variant) on
#    clockwork's PC machine and on QEMU TCG with the same firmware, one
#    after the other, and times the same milestones on both
#    (tests/bench/boot_clockwork.sh, tests/bench/boot_qemu.sh). A milestone
#    that is not reached is reported as such; it never fails the bench.
# 3. Prints one table with aligned columns, the targets beside the measured
#    values (never asserted), and writes it as TSV to BUILD/bench.tsv
#    (BUILD is the directory the programs were built in: build/bench.tsv
#    for a plain `make bench`).
#
# Environment: BENCH_BOOT=0 skips the boot comparison; BENCH_QEMU=0 skips
# QEMU only; BENCH_ISO=FILE boots FILE instead of the built serial ISO;
# BENCH_MEMORY_MIB (default 1024: with 512 MiB the installer enters its
# low-memory mode and skips the language screen). Wall time is bounded:
# each program 5 minutes, clockwork's boot 10 minutes, QEMU's 90 s to the
# menu plus 5 minutes to the language screen (about 25 minutes at worst).
# Exit status: 1 if a benchmark program failed (crashed or exited non-zero),
# else 0.
set -u
cd "$(dirname "$0")/.." || exit 2

CLOCKWORK=${CLOCKWORK:-./clockwork}
BENCH_BOOT=${BENCH_BOOT:-1}
BENCH_QEMU=${BENCH_QEMU:-1}
MEMORY_MIB=${BENCH_MEMORY_MIB:-1024}
PROGRAM_LIMIT=300

first=${1:-build/bench/none}
BUILD_DIR=$(dirname "$(dirname "$first")")
TSV=${BENCH_TSV:-$BUILD_DIR/bench.tsv}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/clockwork-bench.XXXXXX") || exit 2
ROWS=$WORK/rows.tsv
: > "$ROWS"
trap 'rm -rf "$WORK"' EXIT
trap 'rm -rf "$WORK"; exit 130' INT TERM

say() {
    echo "bench: $*" >&2
}

# Runs a command with a wall-clock bound when timeout(1) exists.
bounded() { # SECONDS COMMAND...
    limit=$1
    shift
    if command -v timeout >/dev/null 2>&1; then
        timeout "$limit" "$@"
    else
        "$@"
    fi
}

# --- targets (printed, never asserted) ----------------------------------------

# "OP NUMBER TEXT" for a measurement with a target, nothing otherwise.
target_for() {
    case $1 in
        "kernel events/s (8 PC devices)") echo "ge 20000000 >= 20 M" ;;
        "trace rows/s") echo "ge 2000000 >= 2 M" ;;
        "bytes per tx row"|"bytes per trace row") echo "le 24 <= 24" ;;
        *functional*"insns/s") echo "ge 100000000 >= 100 M" ;;
        *pipeline*"insns/s") echo "ge 10000000 >= 10 M" ;;
    esac
}

# met OP LIMIT VALUE -> yes/no ("-" when the value is not a number)
met() {
    awk -v op="$1" -v lim="$2" -v v="$3" 'BEGIN {
        if (v !~ /^[0-9.]*[0-9][0-9.]*([eE][+-]?[0-9]+)?$/) { print "-"; exit }
        ok = op == "ge" ? v + 0 >= lim + 0 : v + 0 <= lim + 0
        print ok ? "yes" : "no" }'
}

# add_row MEASUREMENT CLOCKWORK QEMU UNIT TARGET MET NOTE
add_row() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" >> "$ROWS"
}

load_now() {
    uptime 2>/dev/null | sed -n 's/.*load average[s]*: *\([0-9.]*\).*/\1/p'
}
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null)
load_start=$(load_now)
if [ -n "$load_start" ] && [ -n "$ncpu" ] &&
        awk -v l="$load_start" -v n="$ncpu" 'BEGIN { exit !(l > n) }'; then
    say "the host is busy (load average $load_start on $ncpu CPUs): expect low numbers"
fi

# --- 1. benchmark programs ------------------------------------------------------

failed=0
for prog in "$@"; do
    name=$(basename "$prog")
    say "running $name"
    out=$(bounded $PROGRAM_LIMIT "$prog" 2>"$WORK/$name.err")
    rc=$?
    printf '%s\n' "$out" | while IFS='	' read -r m value unit; do
        [ -n "$m" ] || continue
        t=$(target_for "$m")
        if [ -n "$t" ]; then
            set -- $t
            op=$1 lim=$2
            shift 2
            add_row "$m" "$value" "-" "$unit" "$*" "$(met "$op" "$lim" "$value")" "$name"
        else
            add_row "$m" "$value" "-" "$unit" "-" "-" "$name"
        fi
    done
    if [ $rc -ne 0 ]; then
        failed=1
        say "$name failed (exit $rc):"
        tail -n 5 "$WORK/$name.err" >&2
        add_row "$name" "failed (exit $rc)" "-" "-" "-" "-" "$(tail -n 1 "$WORK/$name.err")"
    fi
done

# --- 2. boot milestones: clockwork and QEMU TCG ------------------------------------

MILESTONES="banner booting menu init language"

milestone_title() {
    case $1 in
        banner) echo "boot: SeaBIOS banner (debugcon)" ;;
        booting) echo "boot: \"Booting from DVD/CD\" (debugcon)" ;;
        menu) echo "boot: ISOLINUX menu on screen" ;;
        init) echo "boot: installer init (serial)" ;;
        language) echo "boot: language screen (serial)" ;;
    esac
}

# Value of NAME's column 2 (or column FIELD) in a milestone file.
milestone() { # FILE NAME [FIELD]
    awk -F '\t' -v n="$2" -v f="${3:-2}" '$1 == n { print $f; exit }' "$1" 2>/dev/null
}

is_number() {
    case $1 in ''|*[!0-9.]*) return 1 ;; esac
    return 0
}

# "1.23 G insns" (or M) for an instruction count.
insns_text() { # COUNT
    awk -v n="$1" 'BEGIN { if (n >= 1e9) printf "%.2f G insns", n / 1e9
                           else printf "%.1f M insns", n / 1e6 }'
}

# Makes sure qemu-system-x86_64 exists: Debian's package when root.
ensure_qemu() {
    command -v qemu-system-x86_64 >/dev/null 2>&1 && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        qemu_missing="qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"
        return 1
    fi
    say "installing qemu-system-x86 (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    if ! bounded 600 apt-get install -y qemu-system-x86 >"$WORK/apt.log" 2>&1; then
        bounded 300 apt-get update >>"$WORK/apt.log" 2>&1
        bounded 600 apt-get install -y qemu-system-x86 >>"$WORK/apt.log" 2>&1
    fi
    command -v qemu-system-x86_64 >/dev/null 2>&1 && return 0
    qemu_missing="apt-get install qemu-system-x86 failed: $(tail -n 1 "$WORK/apt.log")"
    return 1
}

boot_skip=
if [ "$BENCH_BOOT" = 0 ]; then
    boot_skip="skipped (BENCH_BOOT=0)"
elif [ ! -r machines/pc-i440fx.yaml ]; then
    boot_skip="no machines/pc-i440fx.yaml yet"
elif [ ! -x "$CLOCKWORK" ]; then
    boot_skip="no clockwork binary at $CLOCKWORK"
fi

ISO=
if [ -z "$boot_skip" ]; then
    if [ -n "${BENCH_ISO:-}" ]; then
        ISO=$BENCH_ISO
    else
        say "building the reference ISO (scripts/make-iso.sh)"
        isos=$(bounded 900 sh scripts/make-iso.sh 2>"$WORK/make-iso.log")
        ISO=$(printf '%s\n' "$isos" | sed -n 2p)
    fi
    if [ -z "$ISO" ] || [ ! -r "$ISO" ]; then
        boot_skip="no ISO: scripts/make-iso.sh failed ($(tail -n 1 "$WORK/make-iso.log" 2>/dev/null))"
    fi
fi

if [ -z "$boot_skip" ]; then
    : > "$WORK/qemu.tsv"
    qemu_note=
    if [ "$BENCH_QEMU" = 0 ]; then
        qemu_note="QEMU skipped (BENCH_QEMU=0)"
    elif ensure_qemu; then
        say "booting on QEMU TCG (up to 6.5 minutes)"
        sh tests/bench/boot_qemu.sh "$ISO" "$WORK/qemu" "$MEMORY_MIB" > "$WORK/qemu.tsv" \
            2>"$WORK/qemu.err" || qemu_note="QEMU did not run: $(tail -n 1 "$WORK/qemu.err")"
    else
        qemu_note=$qemu_missing
    fi
    say "booting on clockwork (up to 10 minutes)"
    sh tests/bench/boot_clockwork.sh "$CLOCKWORK" "$ISO" "$WORK/clockwork" "${MEMORY_MIB}MiB" \
        > "$WORK/clockwork.tsv" 2>"$WORK/clockwork.err"
    cw_rc=$?
    for m in $MILESTONES; do
        cw=$(milestone "$WORK/clockwork.tsv" "$m")
        cw_extra=$(milestone "$WORK/clockwork.tsv" "$m" 3)
        cw_insns=$(milestone "$WORK/clockwork.tsv" "$m" 4)
        q=$(milestone "$WORK/qemu.tsv" "$m")
        [ -n "$cw" ] || cw="not reached"
        [ -n "$q" ] || q="-"
        note=
        if is_number "$cw"; then
            note="guest ${cw_extra}s"
            is_number "$cw_insns" && note="$note, $(insns_text "$cw_insns")"
        elif [ -n "$cw_extra" ]; then
            note=$cw_extra
        elif [ $cw_rc -ne 0 ]; then
            note="clockwork: $(tail -n 1 "$WORK/clockwork.err")"
        fi
        if is_number "$cw" && is_number "$q"; then
            note="$note; $(awk -v a="$cw" -v b="$q" 'BEGIN { printf("%.1fx QEMU", (b > 0) ? a / b : 0) }')"
        fi
        if [ $m = language ]; then
            ratio=-
            is_number "$cw" && is_number "$q" && ratio=$(awk -v a="$cw" -v b="$q" \
                'BEGIN { printf("%.2f", (b > 0) ? a / b : 0) }')
            add_row "$(milestone_title $m)" "$cw" "$q" "s" "-" "-" "$note"
            add_row "boot to language screen, clockwork/QEMU" "$ratio" "-" "x" "<= 5" \
                "$(met le 5 "$ratio")" "same guest, same host, one after the other"
        else
            add_row "$(milestone_title $m)" "$cw" "$q" "s" "-" "-" "$note"
        fi
    done
    awk -F '\t' -v OFS='\t' '$1 ~ /^marker:/ { sub(/^marker:/, "", $1); print }' \
        "$WORK/clockwork.tsv" |
        while IFS='	' read -r name wall guest insns; do
            note="guest ${guest}s"
            is_number "$insns" && note="$note, $(insns_text "$insns")"
            add_row "boot: marker $name" "$wall" "-" "s" "-" "-" "$note"
        done
    mips=$(milestone "$WORK/clockwork.tsv" mips)
    [ -n "$mips" ] && add_row "clockwork boot run insns/s (whole run)" \
        "$(awk -v m="$mips" 'BEGIN { printf "%.0f", m * 1e6 }')" "-" "insns/s" "-" "-" \
        "functional model, PC machine"
    [ -n "$qemu_note" ] && add_row "boot: QEMU TCG" "-" "-" "-" "-" "-" "$qemu_note"
    add_row "boot: ISO" "$(basename "$ISO")" "-" "-" "-" "-" "RAM ${MEMORY_MIB} MiB on both"
else
    add_row "boot milestones" "-" "-" "-" "-" "-" "$boot_skip"
fi

# --- 3. the table -------------------------------------------------------------------

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(sysctl -n machdep.cpu.brand_string 2>/dev/null)
add_row "host" "$(uname -sm)" "-" "-" "-" "-" \
    "${cpu:-unknown CPU}, ${ncpu:-?} CPUs, 1-minute load average ${load_start:-?} at the start, $(load_now) at the end"
add_row "date" "$(date -u +%Y-%m-%dT%H:%MZ)" "-" "-" "-" "-" "$(git rev-parse --short HEAD 2>/dev/null)"

mkdir -p "$(dirname "$TSV")"
{
    printf 'measurement\tclockwork\tqemu_tcg\tunit\ttarget\tmet\tnote\n'
    cat "$ROWS"
} > "$TSV"

# Aligned columns; large rates in M (millions) or k.
awk -F '\t' '
    function human(v, unit) {
        if (v !~ /^[0-9.]+$/ || unit !~ /\/s$/) return v
        if (v >= 1e6) return sprintf("%.1f M", v / 1e6)
        if (v >= 1e4) return sprintf("%.1f k", v / 1e3)
        return v
    }
    NR == 1 { for (i = 1; i <= NF; i++) cell[NR, i] = $i }
    NR > 1 {
        cell[NR, 1] = $1; cell[NR, 2] = human($2, $4); cell[NR, 3] = human($3, $4)
        for (i = 4; i <= NF; i++) cell[NR, i] = $i
    }
    {
        rows = NR
        for (i = 1; i <= 6; i++) if (length(cell[NR, i]) > w[i]) w[i] = length(cell[NR, i])
    }
    END {
        cell[1, 3] = "QEMU TCG"
        for (r = 1; r <= rows; r++) {
            line = sprintf("%-" w[1] "s  %" w[2] "s  %" w[3] "s  %-" w[4] "s  %-" w[5] "s  %-" w[6] "s  %s",
                           cell[r, 1], cell[r, 2], cell[r, 3], cell[r, 4], cell[r, 5], cell[r, 6], cell[r, 7])
            sub(/ +$/, "", line)
            print line
        }
    }' "$TSV"
echo "(table also in $TSV)"
exit $failed
