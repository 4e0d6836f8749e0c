#!/bin/sh
# iso_build.sh: builds the reference ISOs with scripts/make-iso.sh and checks
# their layout: the netinst tree, El Torito no-emulation boot with a boot
# info table, the isohybrid MBR, the boot record SeaBIOS reads at sector
# 0x11, the menu entries, one SYSLINUX build for isolinux.bin and the
# modules, the serial variant, and that a second run is a no-op.
# Exit 77 (skipped) when the Debian packages cannot be fetched.
cd "$(dirname "$0")/../.." || exit 2

fail() {
    echo "iso_build: FAIL: $*"
    exit 1
}

if ! command -v xorriso >/dev/null 2>&1 && [ "$(id -u)" != 0 ]; then
    echo "skipped: xorriso is not installed (apt-get install xorriso)"
    exit 77
fi

log=$(mktemp)
tmp=$(mktemp -d)
trap 'rm -rf "$log" "$tmp"' EXIT

out=$(sh scripts/make-iso.sh 2>"$log")
rc=$?
if [ $rc -ne 0 ]; then
    if grep -q -e 'apt-get update against' -e 'apt-get download of' -e 'no Debian mirror' \
            -e 'could not install' "$log"; then
        tail -n 5 "$log"
        echo "skipped: the Debian 13 packages could not be fetched ($(tail -n 1 "$log"))"
        exit 77
    fi
    cat "$log"
    fail "make-iso.sh exited with $rc"
fi
ISO=$(echo "$out" | sed -n 1p)
SERIAL_ISO=$(echo "$out" | sed -n 2p)
[ -s "$ISO" ] || fail "no ISO at '$ISO'"
[ -s "$SERIAL_ISO" ] || fail "no serial ISO at '$SERIAL_ISO'"
echo "built $ISO and $SERIAL_ISO"

# --- the tree ---------------------------------------------------------------------
xorriso -indev "$ISO" -find / 2>/dev/null | tr -d "'" > "$tmp/files"
for f in /install.amd/vmlinuz /install.amd/initrd.gz /install.amd/gtk/initrd.gz \
         /isolinux/isolinux.bin /isolinux/boot.cat /isolinux/ldlinux.c32 \
         /isolinux/vesamenu.c32 /isolinux/libcom32.c32 /isolinux/libutil.c32 \
         /isolinux/isolinux.cfg /isolinux/menu.cfg /isolinux/stdmenu.cfg \
         /isolinux/gtk.cfg /isolinux/txt.cfg /isolinux/splash.png; do
    grep -q -x "$f" "$tmp/files" || fail "$f missing from the ISO"
done
echo "tree: $(wc -l < "$tmp/files") nodes, netinst layout present"

extract() {
    xorriso -osirrox on -indev "$1" -extract "$2" "$3" >/dev/null 2>&1 || fail "cannot extract $2"
}
for f in isolinux.cfg menu.cfg stdmenu.cfg gtk.cfg txt.cfg isolinux.bin ldlinux.c32 vesamenu.c32; do
    extract "$ISO" "/isolinux/$f" "$tmp/$f"
done
extract "$ISO" /install.amd/vmlinuz "$tmp/vmlinuz"
extract "$SERIAL_ISO" /isolinux/gtk.cfg "$tmp/serial-gtk.cfg"
extract "$SERIAL_ISO" /isolinux/txt.cfg "$tmp/serial-txt.cfg"

# Linux boot protocol header ("HdrS" at 0x202).
[ "$(dd if="$tmp/vmlinuz" bs=1 skip=514 count=4 2>/dev/null)" = HdrS ] ||
    fail "install.amd/vmlinuz is not a Linux bzImage"
for f in /install.amd/initrd.gz /install.amd/gtk/initrd.gz; do
    extract "$ISO" "$f" "$tmp/initrd"
    [ "$(od -An -tx1 -N2 "$tmp/initrd" | tr -d ' ')" = 1f8b ] || fail "$f is not gzip data"
done
echo "kernel and initrds: bzImage and gzip"

# --- El Torito and the hybrid MBR ------------------------------------------------------
xorriso -indev "$ISO" -report_el_torito plain 2>/dev/null > "$tmp/eltorito"
grep -q 'El Torito img path :   1  /isolinux/isolinux.bin' "$tmp/eltorito" || fail "boot image is not isolinux.bin"
grep -E -q 'El Torito boot img :   1  BIOS  y   none  0x0000  0x00      4 ' "$tmp/eltorito" ||
    fail "boot image is not BIOS, no-emulation, load size 4: $(grep 'boot img' "$tmp/eltorito")"
grep -q 'boot-info-table' "$tmp/eltorito" || fail "no boot info table"
grep -q 'El Torito cat path : /isolinux/boot.cat' "$tmp/eltorito" || fail "boot catalog not at /isolinux/boot.cat"
xorriso -indev "$ISO" -toc 2>&1 | grep -q 'MBR isohybrid' || fail "no isohybrid MBR"
[ "$(od -An -tx1 -j510 -N2 "$ISO" | tr -d ' ')" = 55aa ] || fail "MBR signature missing"
vol=$(xorriso -indev "$ISO" -pvd_info 2>/dev/null | sed -n "s/^Volume Id *: //p")
case $vol in "Debian 13"*) ;; *) fail "volume id '$vol' does not name Debian 13" ;; esac
echo "El Torito: no-emulation, load size 4, boot info table; isohybrid MBR; volume '$vol'"

# What SeaBIOS checks at sector 0x11: the boot record volume descriptor.
brvd=$(dd if="$ISO" bs=2048 skip=17 count=1 2>/dev/null | dd bs=1 skip=1 count=29 2>/dev/null)
[ "$brvd" = "$(printf 'CD001\001EL TORITO SPECIFICATION')" ] || fail "sector 0x11 is not an El Torito boot record"
[ "$(dd if="$ISO" bs=2048 skip=17 count=1 2>/dev/null | od -An -tx1 -N1 | tr -d ' ')" = 00 ] ||
    fail "boot record type is not 0"
pvd=$(dd if="$ISO" bs=2048 skip=16 count=1 2>/dev/null | dd bs=1 skip=1 count=5 2>/dev/null)
[ "$pvd" = CD001 ] || fail "no primary volume descriptor at sector 16"
# The boot info table (isolinux.bin bytes 8-11): the PVD is at LBA 16.
[ "$(od -An -tu4 -j8 -N4 "$tmp/isolinux.bin" | tr -d ' ')" = 16 ] || fail "boot info table does not point at the PVD"
echo "sector 16: PVD; sector 0x11: El Torito boot record; boot info table filled"

# --- one SYSLINUX build ------------------------------------------------------------------
CACHE=$(dirname "$ISO")
for pkg in "$CACHE"/debs/isolinux_*.deb "$CACHE"/debs/syslinux-common_*.deb; do
    [ -f "$pkg" ] || fail "package cache missing $(basename "$pkg")"
done
dpkg-deb -x "$CACHE"/debs/isolinux_*.deb "$tmp/pkg"
dpkg-deb -x "$CACHE"/debs/syslinux-common_*.deb "$tmp/pkg"
for m in ldlinux.c32 vesamenu.c32; do
    cmp -s "$tmp/$m" "$tmp/pkg/usr/lib/syslinux/modules/bios/$m" || fail "$m is not syslinux-common's"
done
# isolinux.bin is the package's except the 56-byte boot info table at 8..63.
dd if="$tmp/isolinux.bin" bs=64 skip=1 2>/dev/null > "$tmp/a"
dd if="$tmp/pkg/usr/lib/ISOLINUX/isolinux.bin" bs=64 skip=1 2>/dev/null > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || fail "isolinux.bin differs from the isolinux package's"
v1=$(dpkg-deb -f "$CACHE"/debs/isolinux_*.deb Version)
v2=$(dpkg-deb -f "$CACHE"/debs/syslinux-common_*.deb Version)
[ "$v1" = "$v2" ] || fail "isolinux $v1 and syslinux-common $v2 are different builds"
echo "SYSLINUX: isolinux.bin and modules from one build ($v1)"

# --- menus -------------------------------------------------------------------------------
grep -q '^default vesamenu.c32' "$tmp/isolinux.cfg" || fail "isolinux.cfg does not start vesamenu.c32"
grep -q '^include menu.cfg' "$tmp/isolinux.cfg" || fail "isolinux.cfg does not include menu.cfg"
grep -q '^menu title Debian GNU/Linux installer menu (BIOS mode)$' "$tmp/menu.cfg" || fail "menu title"
grep -q '^menu background splash.png' "$tmp/stdmenu.cfg" || fail "splash background"
# Entry order: gtk.cfg (Graphical install) is included before txt.cfg (Install).
[ "$(grep '^include' "$tmp/menu.cfg" | sed -n 2,3p | tr '\n' ' ')" = "include gtk.cfg include txt.cfg " ] ||
    fail "menu entries are not Graphical install, then Install"
grep -q 'menu label ^Graphical install' "$tmp/gtk.cfg" || fail "no Graphical install entry"
grep -q 'menu default' "$tmp/gtk.cfg" || fail "Graphical install is not the default"
grep -q 'append vga=788 initrd=/install.amd/gtk/initrd.gz --- quiet$' "$tmp/gtk.cfg" || fail "gtk append line"
grep -q 'menu label ^Install' "$tmp/txt.cfg" || fail "no Install entry"
grep -q 'append vga=788 initrd=/install.amd/initrd.gz --- quiet$' "$tmp/txt.cfg" || fail "txt append line"
grep -q 'kernel /install.amd/vmlinuz' "$tmp/txt.cfg" || fail "kernel path"
grep -q 'console=ttyS0,115200' "$tmp/gtk.cfg" && fail "the plain ISO has a serial console"
grep -q 'append vga=788 initrd=/install.amd/gtk/initrd.gz --- quiet console=ttyS0,115200$' \
    "$tmp/serial-gtk.cfg" || fail "serial variant's default entry lacks console=ttyS0,115200"
grep -q 'console=ttyS0,115200' "$tmp/serial-txt.cfg" || fail "serial variant's Install entry"
echo "menus: Graphical install (default), Install; serial variant adds console=ttyS0,115200"

# --- idempotent ------------------------------------------------------------------------------
before=$(ls -l --time-style=+%s.%N "$ISO" | awk '{print $6}')
again=$(sh scripts/make-iso.sh 2>"$log") || fail "second run failed"
[ "$again" = "$out" ] || fail "second run printed other paths"
grep -q 'up to date' "$log" || fail "second run did not report 'up to date'"
after=$(ls -l --time-style=+%s.%N "$ISO" | awk '{print $6}')
[ "$before" = "$after" ] || fail "second run rewrote the ISO"
echo "second run: up to date, nothing rebuilt"
echo "iso_build: ok"
