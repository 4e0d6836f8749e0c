#!/bin/sh
# boot_qemu.sh: times the boot milestones of the reference guest on QEMU TCG,
# the yardstick for clockwork's boot times (tests/run-bench.sh).
#
# Usage: sh tests/bench/boot_qemu.sh ISO WORKDIR [MEMORY_MIB]
#
# QEMU runs the same guest as clockwork's PC machine: an i440FX PC with
# Debian's SeaBIOS bios.bin, the standard VGA, no network card, the ISO on
# the secondary IDE master, MEMORY_MIB of RAM (default 1024). Milestones:
#   banner    "SeaBIOS (version" on the debug console (port 0x402)
#   booting   "Booting from DVD/CD" on the debug console
#   menu      the ISOLINUX menu is on the screen: screendumps (monitor) are
#             taken every 100 ms once the BIOS boots from the CD; the menu
#             is the first of a run of identical, non-trivial screens that
#             stays unchanged for 2 s (vesamenu waits for a key forever)
#   init      "Starting system log daemon" on the serial port (the
#             installer's init; the kernel itself is quiet)
#   language  "Choose the language" on the serial port (the text installer's
#             first screen, "Select a language")
# After the menu, Down and Enter choose the text installer ("Install"),
# whose console is the serial port on the serial ISO. Times for init and
# language are menu time + (time seen - time of the Enter key), so the 2 s
# spent confirming the menu is not counted.
#
# Prints one line per milestone: "NAME<TAB>SECONDS" (wall seconds since QEMU
# was started, 3 decimals) or "NAME<TAB>not reached". Bounded: at most
# 90 s to the menu and 300 s from the menu to the language screen.
# Exit status 0 when QEMU ran (whatever it reached), 1 when it could not run.
set -u

ISO=${1:?usage: boot_qemu.sh ISO WORKDIR [MEMORY_MIB]}
WORK=${2:?usage: boot_qemu.sh ISO WORKDIR [MEMORY_MIB]}
MEMORY=${3:-1024}
BIOS=${BENCH_BIOS:-/usr/share/seabios/bios.bin}
QEMU=${BENCH_QEMU:-qemu-system-x86_64}
MENU_LIMIT_MS=90000
LANGUAGE_LIMIT_MS=300000
MENU_STABLE_MS=2000
MENU_MIN_BYTES=16000   # a PNG of the menu is ~60 KB; text screens are ~3 KB

say() {
    echo "boot_qemu: $*" >&2
}

# Milliseconds of wall-clock time (GNU date, else perl).
if [ "$(date +%N)" != N ] && [ -n "$(date +%N)" ]; then
    now_ms() { date +%s%N | cut -c1-13; }
else
    now_ms() { perl -MTime::HiRes=time -e 'printf "%d\n", time * 1000'; }
fi

command -v "$QEMU" >/dev/null 2>&1 || { say "no $QEMU"; exit 1; }
[ -r "$BIOS" ] || { say "no SeaBIOS at $BIOS"; exit 1; }
[ -r "$ISO" ] || { say "no ISO at $ISO"; exit 1; }

mkdir -p "$WORK" || exit 1
rm -f "$WORK"/qemu-* "$WORK"/shot-*
DEBUGCON=$WORK/qemu-debugcon.txt
SERIAL=$WORK/qemu-serial.txt
MON=$WORK/qemu-mon
mkfifo "$MON.in" "$MON.out" || exit 1
: > "$DEBUGCON"
: > "$SERIAL"

qpid=
readerpid=
finish() {
    if [ -n "$qpid" ]; then
        echo quit >&3 2>/dev/null
        i=0
        while kill -0 "$qpid" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill "$qpid" 2>/dev/null
        wait "$qpid" 2>/dev/null
        qpid=
    fi
    exec 3>&- 2>/dev/null
    [ -n "$readerpid" ] && kill "$readerpid" 2>/dev/null
    readerpid=
}
trap 'finish; exit 130' INT TERM

t0=$(now_ms)
"$QEMU" -accel tcg -machine pc -m "$MEMORY" -bios "$BIOS" -vga std -display none -nic none \
    -chardev file,id=debugcon,path="$DEBUGCON" -device isa-debugcon,iobase=0x402,chardev=debugcon \
    -serial file:"$SERIAL" -monitor pipe:"$MON" -cdrom "$ISO" -boot d \
    >"$WORK/qemu-log.txt" 2>&1 &
qpid=$!
# QEMU opens both FIFOs read-write, so neither open below blocks for long.
cat "$MON.out" > "$WORK/qemu-monitor.txt" &
readerpid=$!
exec 3<>"$MON.in"   # read-write: never blocks, even if QEMU died

seen() { # FILE TEXT
    grep -a -F -q -- "$2" "$1" 2>/dev/null
}

alive() {
    kill -0 "$qpid" 2>/dev/null
}

elapsed() { # since t0, in seconds with 3 decimals
    awk -v ms="$(($1 - t0))" 'BEGIN { printf "%.3f", ms / 1000 }'
}

t_banner= t_booting= t_menu= t_keys= t_init= t_language=

# Firmware milestones: poll every 20 ms.
while alive; do
    now=$(now_ms)
    [ -z "$t_banner" ] && seen "$DEBUGCON" "SeaBIOS (version" && t_banner=$now
    [ -z "$t_booting" ] && seen "$DEBUGCON" "Booting from DVD/CD" && t_booting=$now
    [ -n "$t_booting" ] && break
    [ $((now - t0)) -ge $MENU_LIMIT_MS ] && break
    sleep 0.02
done

# The menu: screendumps every 100 ms; the newest one is read one round
# later, when QEMU has certainly finished writing it.
n=0 prev_sum= stable_since= stable_sum=
while [ -n "$t_booting" ] && alive; do
    now=$(now_ms)
    [ $((now - t0)) -ge $MENU_LIMIT_MS ] && break
    n=$((n + 1))
    echo "screendump $WORK/shot-$n.png -f png" >&3
    echo "$now" > "$WORK/shot-$n.time"
    if [ $n -gt 1 ] && [ -s "$WORK/shot-$((n - 1)).png" ]; then
        p=$((n - 1))
        size=$(wc -c < "$WORK/shot-$p.png")
        sum=$(cksum < "$WORK/shot-$p.png")
        taken=$(cat "$WORK/shot-$p.time")
        if [ "$size" -ge $MENU_MIN_BYTES ] && [ "$sum" = "$prev_sum" ]; then
            if [ "$sum" != "$stable_sum" ]; then
                stable_sum=$sum
                stable_since=$prev_taken
            fi
            if [ $((taken - stable_since)) -ge $MENU_STABLE_MS ]; then
                t_menu=$stable_since
                cp "$WORK/shot-$p.png" "$WORK/qemu-menu.png"
                break
            fi
        else
            stable_sum=
        fi
        prev_sum=$sum
        prev_taken=$taken
        [ $p -gt 2 ] && rm -f "$WORK/shot-$((p - 2)).png" "$WORK/shot-$((p - 2)).time"
    fi
    sleep 0.1
done
rm -f "$WORK"/shot-*

# The text installer, then the Linux milestones on the serial port.
if [ -n "$t_menu" ] && alive; then
    echo "sendkey down" >&3
    sleep 0.3
    echo "sendkey ret" >&3
    t_keys=$(now_ms)
    while alive; do
        now=$(now_ms)
        [ -z "$t_init" ] && seen "$SERIAL" "Starting system log daemon" && t_init=$now
        [ -z "$t_language" ] && seen "$SERIAL" "Choose the language" && t_language=$now
        [ -n "$t_language" ] && break
        [ $((now - t_keys)) -ge $LANGUAGE_LIMIT_MS ] && break
        sleep 0.1
    done
fi
finish

report() { # NAME TIME_MS
    if [ -z "$2" ]; then
        printf '%s\tnot reached\n' "$1"
    else
        printf '%s\t%s\n' "$1" "$(elapsed "$2")"
    fi
}
report banner "$t_banner"
report booting "$t_booting"
report menu "$t_menu"
# After the menu: the time from the Enter key, added to the menu time.
[ -n "$t_init" ] && t_init=$((t_menu + t_init - t_keys))
[ -n "$t_language" ] && t_language=$((t_menu + t_language - t_keys))
report init "$t_init"
report language "$t_language"
exit 0
