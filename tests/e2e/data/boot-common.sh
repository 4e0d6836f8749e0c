# boot-common.sh: shell functions shared by tests/e2e/boot_menu.sh and
# tests/e2e/boot_errors.sh (sourced, not run): the test ISO, Debian's
# SeaBIOS, QEMU as the reference PC (driven through its monitor on a pair
# of FIFOs), the screenshot comparison tool, and the rules that line up
# SeaBIOS's debug log under QEMU with its log under clockwork.
#
# The sourcing script sets NAME (its name, for messages) and runs from the
# repository's root; boot_setup makes $tmp and removes it (and stops QEMU)
# on exit.

SEABIOS=/usr/share/seabios/bios.bin
VGABIOS=/usr/share/seabios/vgabios-stdvga.bin

fail() {
    echo "$NAME: FAIL: $*"
    exit 1
}

skip() {
    echo "skipped: $*"
    exit 77
}

boot_cleanup() {
    [ -n "${qpid:-}" ] && kill "$qpid" 2>/dev/null
    [ -n "${qcat:-}" ] && kill "$qcat" 2>/dev/null
    rm -rf "$tmp"
}

boot_setup() {
    CLOCKWORK=${CLOCKWORK:-$(pwd)/clockwork}
    [ -x "$CLOCKWORK" ] || fail "no clockwork binary at $CLOCKWORK (make, or set CLOCKWORK)"
    tmp=$(mktemp -d)
    qpid=
    qcat=
    trap boot_cleanup EXIT
    trap 'exit 130' INT TERM
}

need_firmware() {
    for f in "$SEABIOS" "$VGABIOS"; do
        [ -r "$f" ] || skip "$f is missing (apt-get install seabios)"
    done
}

# Sets ISO (and SERIAL_ISO) from scripts/make-iso.sh; skips when the Debian
# packages cannot be fetched.
need_iso() {
    if ! command -v xorriso >/dev/null 2>&1 && [ "$(id -u)" != 0 ]; then
        skip "xorriso is not installed (apt-get install xorriso), so the test ISO cannot be built"
    fi
    out=$(sh scripts/make-iso.sh 2>"$tmp/make-iso.log")
    rc=$?
    if [ $rc -ne 0 ]; then
        if grep -q -e 'apt-get update against' -e 'apt-get download of' -e 'no Debian mirror' \
                -e 'could not install' "$tmp/make-iso.log"; then
            skip "the Debian 13 packages could not be fetched ($(tail -n 1 "$tmp/make-iso.log"))"
        fi
        cat "$tmp/make-iso.log"
        fail "scripts/make-iso.sh exited with $rc"
    fi
    ISO=$(echo "$out" | sed -n 1p)
    SERIAL_ISO=$(echo "$out" | sed -n 2p)
    [ -s "$ISO" ] || fail "make-iso.sh printed no ISO path"
}

# Debian's qemu-system-x86; installed when missing if this runs as root
# with apt, else the test is skipped.
need_qemu() {
    QEMU=qemu-system-x86_64
    if ! command -v $QEMU >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "installing qemu-system-x86 (the reference PC)"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                qemu-system-x86 >"$tmp/apt.log" 2>&1 || true
        fi
        command -v $QEMU >/dev/null 2>&1 ||
            skip "QEMU is not installed (apt-get install qemu-system-x86)"
    fi
}

# The screenshot comparison tool (tests/tools/imgcmp.c), built here: it
# reads images with libpng itself, not with clockwork's PNG code.
build_imgcmp() {
    IMGCMP=$tmp/imgcmp
    ${CC:-cc} -std=c11 -O2 -o "$IMGCMP" tests/tools/imgcmp.c \
        $(pkg-config --cflags --libs libpng 2>/dev/null || echo -lpng) ||
        fail "cannot build tests/tools/imgcmp.c"
}

# --- QEMU ----------------------------------------------------------------------
# The same PC as machines/pc-i440fx.yaml as far as the guest can tell:
# i440FX/PIIX3, 1 GiB, std VGA (vgabios-stdvga.bin, which QEMU also takes
# from /usr/share/seabios), CD-ROM on the secondary master. Beyond the
# command the issue gives: -bios bios.bin (QEMU's pc machine would load
# bios-256k.bin, another build of SeaBIOS), -nic none (QEMU's default e1000
# would add an iPXE option ROM this PC does not have) and -boot d (QEMU's
# CMOS would list the absent hard disk and floppy before the CD; this PC's
# MC146818 lists the CD first).

# qemu_start LOG MEDIUM [ARGS...]: starts QEMU with SeaBIOS's log in LOG.
qemu_start() {
    qlog=$1
    qmedium=$2
    shift 2
    rm -f "$tmp/qmon.in" "$tmp/qmon.out"
    mkfifo "$tmp/qmon.in" "$tmp/qmon.out" || fail "mkfifo"
    $QEMU -accel tcg -M pc -m 1024 -vga std -display none -bios "$SEABIOS" -nic none -boot d \
        -cdrom "$qmedium" -chardev "file,id=dbg,path=$qlog" \
        -device isa-debugcon,iobase=0x402,chardev=dbg \
        -monitor "pipe:$tmp/qmon" "$@" >"$tmp/qemu.out" 2>&1 &
    qpid=$!
    cat "$tmp/qmon.out" >"$tmp/qmon.log" &
    qcat=$!
    # Read-write, so opening never waits for QEMU.
    exec 3<>"$tmp/qmon.in"
}

qemu_cmd() {
    kill -0 "$qpid" 2>/dev/null || { cat "$tmp/qemu.out"; fail "QEMU exited early"; }
    echo "$1" >&3
}

qemu_stop() {
    [ -n "$qpid" ] || return 0
    echo quit >&3 2>/dev/null
    i=0
    while kill -0 "$qpid" 2>/dev/null && [ $i -lt 20 ]; do
        sleep 0.2
        i=$((i + 1))
    done
    kill "$qpid" 2>/dev/null
    wait "$qpid" 2>/dev/null
    qpid=
    exec 3>&-
}

# qemu_wait_log TEXT SECONDS: waits until LOG has the line TEXT.
qemu_wait_log() {
    i=0
    while ! grep -q -F -x -- "$1" "$qlog" 2>/dev/null; do
        [ $i -lt $(($2 * 5)) ] || fail "QEMU's SeaBIOS log did not show '$1' within $2 s"
        kill -0 "$qpid" 2>/dev/null || fail "QEMU exited before '$1'"
        sleep 0.2
        i=$((i + 1))
    done
}

# qemu_settled OUT PREVIOUS SECONDS [WIDTH HEIGHT REGION]: QEMU's screen
# (PPM) once it has the size (640x480 unless given), differs from PREVIOUS
# (a file, or "" for any screen) and stayed the same for three dumps half a
# second apart; with REGION (X,Y,WxH) only that part of the screen counts
# (a text mode's cursor blinks).
qemu_settled() {
    qw=${4:-640}
    qh=${5:-480}
    header="P6 $qw $qh 255 "
    n=0
    same=0
    last=
    while [ $n -lt $(($3 * 2)) ]; do
        n=$((n + 1))
        dump=$tmp/qdump-$n.ppm
        qemu_cmd "screendump $dump"
        sleep 0.5
        [ "$(head -c ${#header} "$dump" 2>/dev/null | tr '\n' ' ')" = "$header" ] &&
            [ "$(wc -c <"$dump")" -eq $((${#header} + qw * qh * 3)) ] || { same=0; last=; continue; }
        if [ -n "$2" ] && qemu_same "$dump" "$2" "${6:-}"; then
            same=0
            last=
            continue
        fi
        if [ -n "$last" ] && qemu_same "$dump" "$last" "${6:-}"; then
            same=$((same + 1))
        else
            same=0
        fi
        rm -f "$last"
        last=$dump
        if [ $same -ge 2 ]; then
            mv "$dump" "$1"
            return 0
        fi
    done
    fail "QEMU's screen did not settle on a new ${qw}x$qh picture within $3 s"
}

qemu_same() {
    if [ -n "$3" ]; then
        "$IMGCMP" --region "$3" "$1" "$2" >/dev/null
    else
        cmp -s "$1" "$2"
    fi
}

# --- SeaBIOS's log ---------------------------------------------------------------
# seabios_normalise LOG SIDE: LOG with the differences between QEMU's PC and
# this one taken out, each for the reason given; SIDE is qemu or clockwork.
# What remains must be the same line for line.
seabios_normalise() {
    if [ "$2" = qemu ]; then
        sed -e '
# The fw_cfg DMA interface is optional; this fw_cfg offers the I/O ports only.
/^QEMU fw_cfg DMA interface supported$/d
# QEMU loads its ACPI tables through the fw_cfg file etc/table-loader; SeaBIOS
# then moves the PM base to 0x600; this fw_cfg has no table loader, so
# SeaBIOS builds its own tables with the PM base at 0xB000 (its default).
/^Moving pm_base to 0x600$/d
s/^Using pmtimer, ioport 0x608$/Using pmtimer, ioport PMBASE+8/
# QEMU has a floppy drive without a disk; this PC has none (CMOS 0x10 = 0).
/^Searching bootorder for: \/pci@i0cf8\/isa@1\/fdc@03f0\/floppy@0$/d
# QEMU adds its kvmvapic option ROM through fw_cfg (genroms).
/^Searching bootorder for: \/rom@genroms\/kvmvapic.bin$/d
/^Running option rom at ca00:0003$/d
# The floppy drive of QEMU has no disk: the controller reports the failed read
# (boot failures only; this PC has no floppy drive to try).
/^floppy error: 40 00 00 00 00 01 02$/d
# VBE mode 0x199 is wider than 2560: QEMU reports a maximum X resolution of
# 16000, this DISPI (like Bochs) 2560, so the VGA BIOS removes the mode.
/^VBE mode info request: 199$/d
# QEMU reserves 128 KiB at the top of RAM for its ACPI tables (SeaBIOS,
# building its own, 8 KiB: see below) and lists the AMD HyperTransport hole
# below 1 TiB.
s/^  3: 0000000000100000 - 000000003ffe0000 = 1 RAM$/  3: 0000000000100000 - ACPI = 1 RAM/
s/^  4: 000000003ffe0000 - 0000000040000000 = 2 RESERVED$/  4: ACPI - 0000000040000000 = 2 RESERVED/
/^  6: 000000fd00000000 - 0000010000000000 = 2 RESERVED$/d
' "$1"
    else
        sed -e '
# SeaBIOS calibrates the TSC against the PIT and says so when there is no
# PM timer (a machine without the PIIX4 PM function); 500 MHz is the CPU
# clock in the machine file.
/^CPU Mhz=500$/d
# See pm_base above: SeaBIOS builds the ACPI tables (and its DSDT) itself,
# 8 KiB at the top of RAM, and copies the RSDP to the F segment.
/^ACPI DSDT=0x[0-9a-f]*$/d
s/^Using pmtimer, ioport 0xb008$/Using pmtimer, ioport PMBASE+8/
s/^  3: 0000000000100000 - 000000003fffe000 = 1 RAM$/  3: 0000000000100000 - ACPI = 1 RAM/
s/^  4: 000000003fffe000 - 0000000040000000 = 2 RESERVED$/  4: ACPI - 0000000040000000 = 2 RESERVED/
/^Copying ACPI RSDP from .*/d
# See VBE mode 0x199 above.
/^Removing mode 199$/d
# QEMU passes etc/boot-fail-wait = -1 in fw_cfg (its -boot reboot-timeout
# default: never retry); this fw_cfg has no such file, so SeaBIOS retries
# after its default 60 s, as on a PC without QEMU.
s/^No bootable device.  Retrying in 60 seconds.$/No bootable device./
' "$1"
    fi | sed -e '
# A machine without the PIIX4 PM function has one PCI function fewer.
s/^Found [45] PCI devices (max PCI bus is 00)$/Found N PCI devices (max PCI bus is 00)/
# The CPU under QEMU has a local APIC (SeaBIOS counts CPUs through it); this
# one reports none in CPUID. One CPU either way.
s/^Found 1 cpu(s) max supported 1 cpu(s)$/ONE CPU/
s/^No apic - only the main cpu is present.$/ONE CPU/
# The tables move with the size of what came before them (ACPI, APIC entries).
s/^Copying \([A-Z]*\) from .*/Copying \1/
# QEMU has a parallel port at 0x378.
s/^Found [01] lpt ports$/Found N lpt ports/
# The model string of the drive (IDENTIFY PACKET DEVICE words 27-46).
s/^DVD\/CD \[ata1-0: .* DVD\/CD\]$/DVD\/CD [ata1-0: MODEL DVD\/CD]/
# Upper memory and high zone left over: the kvmvapic ROM and ACPI tables.
s/^Space available for UMB: .*/Space available for UMB: .../
s/^Returned [0-9]* bytes of ZoneHigh$/Returned N bytes of ZoneHigh/
s/^e820 map has [5-7] items:$/e820 map has N items:/
# SeaBIOS initialises the keyboard and the ATA drives in parallel threads:
# which finishes first depends on device timing. Checked separately.
/^PS2 keyboard initialized$/d
'
}

# seabios_compare OURS QEMU: fails with the difference unless the two logs
# agree line for line after seabios_normalise.
seabios_compare() {
    grep -q -x 'PS2 keyboard initialized' "$1" || fail "no 'PS2 keyboard initialized' in $1"
    grep -q -x 'PS2 keyboard initialized' "$2" || fail "no 'PS2 keyboard initialized' in QEMU's log"
    seabios_normalise "$1" clockwork >"$tmp/ours.norm"
    seabios_normalise "$2" qemu >"$tmp/qemu.norm"
    if ! diff -u "$tmp/qemu.norm" "$tmp/ours.norm" >"$tmp/log.diff"; then
        head -40 "$tmp/log.diff"
        fail "SeaBIOS's log differs from QEMU's (- QEMU, + clockwork) beyond the explained lines"
    fi
    # A timeout or an error QEMU's PC does not show.
    grep -i -E 'timeout|error|fail' "$1" | sort -u >"$tmp/ours.err"
    grep -i -E 'timeout|error|fail' "$2" | sort -u >"$tmp/qemu.err"
    extra=$(comm -23 "$tmp/ours.err" "$tmp/qemu.err")
    [ -z "$extra" ] || fail "SeaBIOS reports what it does not under QEMU: $extra"
}
