#!/bin/sh
# boot_errors.sh: bad media and firmware paths.
#  - A missing ISO, an ISO path that is a directory, a missing SeaBIOS or
#    VGA BIOS image: one clear message naming the file, exit status 2,
#    before the run starts (no guest output, no run summary).
#  - Media that do not boot, boot as a PC does, never crash (exit status 0
#    or 1, no sanitizer report):
#      truncated  the first 1 MiB of the test ISO: SeaBIOS loads ISOLINUX
#                 (isolinux.bin lies in that MiB), whose reads past the end
#                 fail with sense key ILLEGAL REQUEST, and it says "Failed to
#                 load ldlinux.c32";
#      random     2 MiB of random bytes: no El Torito boot record (SeaBIOS
#                 code 0004), then "No bootable device.";
#      empty      a 0-byte file: no disc (MEDIUM NOT PRESENT), code 0003.
#    With QEMU installed, each one's SeaBIOS log and text screen are also
#    compared with QEMU's on the same file (data/boot-common.sh explains the
#    lines that differ; colours at the VGA DAC's 6 bits; the cursor row
#    and below are left out, as the cursor blinks).
# Exit 77 (skipped) without SeaBIOS; the media checks need the test ISO.
cd "$(dirname "$0")/../.." || exit 2
NAME=boot_errors
. tests/e2e/data/boot-common.sh

boot_setup
need_firmware
MACHINE=machines/pc-i440fx.yaml

# --- missing files: one error before the run ---------------------------------------
: >"$tmp/empty.iso"
# expect_error WHAT PATH ARGS...: the run refuses with one line naming PATH.
expect_error() {
    what=$1
    path=$2
    shift 2
    "$CLOCKWORK" run --machine "$MACHINE" --headless --until guest-time:1s "$@" \
        >"$tmp/err.out" 2>"$tmp/err.err"
    rc=$?
    [ $rc -eq 2 ] || fail "$what: exit status $rc, expected 2"
    [ ! -s "$tmp/err.out" ] || fail "$what: the guest ran (stdout: $(head -c 200 "$tmp/err.out"))"
    [ "$(wc -l <"$tmp/err.err")" -eq 1 ] || { cat "$tmp/err.err"; fail "$what: not one line of error"; }
    grep -q -F -- "$path" "$tmp/err.err" || fail "$what: the message does not name $path: $(cat "$tmp/err.err")"
    echo "$what: exit 2, $(cat "$tmp/err.err")"
}
expect_error "missing ISO" "$tmp/no-such.iso" --cdrom "$tmp/no-such.iso"
expect_error "ISO is a directory" "'$tmp'" --cdrom "$tmp"
expect_error "missing SeaBIOS" "$tmp/no-bios.bin" --cdrom "$tmp/empty.iso" \
    --set "components.bios.file=$tmp/no-bios.bin"
expect_error "missing VGA BIOS" "$tmp/no-vgabios.bin" --cdrom "$tmp/empty.iso" \
    --set "components.vga.rom=$tmp/no-vgabios.bin"

# --- media that do not boot ------------------------------------------------------------
need_iso
head -c 1048576 "$ISO" >"$tmp/truncated.iso"
# Fixed pseudo-random bytes (an AES-CTR keystream with a fixed key, from
# openssl, which ca-certificates brings): /dev/urandom made the test depend
# on chance, since a few random sectors end SeaBIOS's El Torito checks with
# another code (0005 instead of 0004).
head -c 2097152 /dev/zero | openssl enc -aes-128-ctr -nosalt -K 00112233445566778899aabbccddeeff \
    -iv 0 2>/dev/null >"$tmp/random.iso"
[ "$(wc -c <"$tmp/random.iso")" -eq 2097152 ] || fail "could not make the random image (openssl)"
with_qemu=1
command -v qemu-system-x86_64 >/dev/null 2>&1 || with_qemu=0
[ $with_qemu = 1 ] && QEMU=qemu-system-x86_64 && build_imgcmp
[ $with_qemu = 1 ] || echo "QEMU is not installed: no comparison with QEMU"
TEXT_ROWS=0,0,720x112 # text rows 0-6 of the 720x400 text mode

# broken NAME LAST-LOG-LINE SCREEN-LINE...: boots $tmp/NAME.iso for 5 s of
# guest time; the screen must show each SCREEN-LINE.
broken() {
    name=$1
    last=$2
    shift 2
    "$CLOCKWORK" run --machine "$MACHINE" --cdrom "$tmp/$name.iso" --headless --quiet \
        --debugcon "$tmp/$name.log" --until guest-time:5s --screenshot "$tmp/$name.png" \
        --print-screen --trace "$tmp/$name.db" --trace-ranges 0x171 --trace-kinds io-read \
        >"$tmp/$name.out" 2>"$tmp/$name.err"
    rc=$?
    [ $rc -eq 0 ] || [ $rc -eq 1 ] || { tail -20 "$tmp/$name.err"; fail "$name: exit status $rc"; }
    if grep -q -E 'Sanitizer|runtime error|AddressSanitizer|LeakSanitizer' "$tmp/$name.err"; then
        grep -E -A5 'Sanitizer|runtime error' "$tmp/$name.err" | head -20
        fail "$name: sanitizer report"
    fi
    grep -q -x 'Booting from DVD/CD\.\.\.' "$tmp/$name.log" || fail "$name: SeaBIOS did not try the CD"
    grep -q -F -- "$last" "$tmp/$name.log" || fail "$name: no '$last' in SeaBIOS's log"
    for line in "$@"; do
        grep -q -F -- "$line" "$tmp/$name.out" || {
            grep -v '^ *$' "$tmp/$name.out"
            fail "$name: the screen does not show '$line'"
        }
    done
    echo "$name: exit $rc; the screen shows: $(printf '%s; ' "$@")"
    [ $with_qemu = 1 ] || return 0
    qemu_start "$tmp/$name-qemu.log" "$tmp/$name.iso"
    qemu_wait_log "$last" 120
    qemu_settled "$tmp/$name-qemu.ppm" "" 60 720 400 "$TEXT_ROWS"
    qemu_stop
    seabios_compare "$tmp/$name.log" "$tmp/$name-qemu.log"
    "$IMGCMP" --dac6 --region "$TEXT_ROWS" "$tmp/$name.png" "$tmp/$name-qemu.ppm" >"$tmp/cmp" ||
        fail "$name: the screen differs from QEMU's: $(cat "$tmp/cmp")"
    echo "$name: SeaBIOS's log and the text screen are QEMU's (but for the explained lines)"
}

broken truncated "Booting from 0000:7c00" "ISOLINUX 6.04" "Failed to load ldlinux.c32" \
    "Boot failed: press a key to retry..."
# Reads past the end of the image: CHECK CONDITION with sense key 5, ILLEGAL
# REQUEST, in the Error register's high nibble (ATA/ATAPI-6 9.10).
past_end=$("$CLOCKWORK" trace query "$tmp/truncated.db" \
    "SELECT count(*) FROM tx WHERE addr = 0x171 AND data >> 4 = 5" | sed -n 2p)
[ "${past_end:-0}" -gt 0 ] || fail "truncated: no read ended with sense key ILLEGAL REQUEST"
echo "truncated: $past_end reads past the end ended with sense key 5 (ILLEGAL REQUEST)"

broken random "No bootable device." "Boot failed: Could not read from CDROM (code 0004)" \
    "No bootable device."
broken empty "No bootable device." "Boot failed: Could not read from CDROM (code 0003)" \
    "No bootable device."
grep -q -x 'Device reports MEDIUM NOT PRESENT - 0 tries left' "$tmp/empty.log" ||
    fail "empty: SeaBIOS did not see MEDIUM NOT PRESENT"
echo "boot_errors: ok"
