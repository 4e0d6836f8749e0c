#!/bin/sh
# make-iso.sh: builds the reference guest, a Debian 13 (trixie) installer
# CD laid out like the official netinst, from Debian packages:
#   debian-installer-13-netboot-amd64  kernel, text and gtk initrds, boot screens
#   isolinux, syslinux-common          one SYSLINUX build: isolinux.bin, *.c32, isohdpfx.bin
# and a variant whose default entry also logs to the serial port.
#
# The packages come from the Debian mirror this machine's apt already uses,
# through a private apt configuration (nothing outside the cache directory
# is changed); apt checks every package against the signed Release file.
#
# Usage: scripts/make-iso.sh [--refresh] [--cache DIR]
#   --refresh   ask the mirror for newer packages even if the ISOs exist
#   --cache DIR cache directory (default: $CLOCKWORK_CACHE, else
#               ${XDG_CACHE_HOME:-$HOME/.cache}/clockwork)
# Prints the paths of the two ISO images on success.
set -eu

SUITE=trixie
PACKAGES="debian-installer-13-netboot-amd64 isolinux syslinux-common"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
ISO_NAME=debian-13-clockwork.iso
SERIAL_ISO_NAME=debian-13-clockwork-serial.iso
VOLUME_ID="Debian 13 amd64 n"   # the netinst's volume id is "Debian 13.x.y amd64 n"

die() {
    echo "make-iso: $*" >&2
    exit 1
}

say() {
    echo "make-iso: $*" >&2
}

refresh=0
CACHE=${CLOCKWORK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clockwork}
while [ $# -gt 0 ]; do
    case $1 in
        --refresh) refresh=1 ;;
        --cache) [ $# -ge 2 ] || die "--cache needs a directory"; CACHE=$2; shift ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1' (try --help)" ;;
    esac
    shift
done

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
SCRIPT="$SCRIPT_DIR/$(basename "$0")"
ISO="$CACHE/$ISO_NAME"
SERIAL_ISO="$CACHE/$SERIAL_ISO_NAME"
APTDIR="$CACHE/apt"
DEBDIR="$CACHE/debs"
STAMP="$CACHE/iso.stamp"

# --- tools ---------------------------------------------------------------------

need_tool() {
    tool=$1 package=$2
    command -v "$tool" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing $package (for $tool)"
        apt-get install -y -q "$package" >&2 || die "could not install $package"
        command -v "$tool" >/dev/null 2>&1 && return 0
    fi
    die "'$tool' is missing: install the '$package' package (as root: apt-get install $package)"
}

need_tool apt-get apt
need_tool dpkg-deb dpkg
need_tool xorriso xorriso
need_tool sha256sum coreutils

# --- up to date? -----------------------------------------------------------------

# The stamp names the script and the exact packages the ISOs were built from.
stamp_text() {
    sha256sum "$SCRIPT" | cut -d' ' -f1
    [ -f "$DEBDIR/SHA256SUMS" ] && cat "$DEBDIR/SHA256SUMS"
    return 0
}

if [ $refresh = 0 ] && [ -s "$ISO" ] && [ -s "$SERIAL_ISO" ] && [ -f "$STAMP" ] &&
   [ "$(stamp_text)" = "$(cat "$STAMP")" ]; then
    say "up to date (use --refresh to check the mirror for newer packages)"
    echo "$ISO"
    echo "$SERIAL_ISO"
    exit 0
fi

# --- the mirror ------------------------------------------------------------------------

# First Debian archive URI of this machine's apt sources (deb822 or one-line
# format), skipping the security archive, which has no installer packages.
find_mirror() {
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        # deb [options] URI suite components
        sed -n 's/^[[:space:]]*deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]\{1,\}\).*/\2/p' "$f"
    done
}
MIRROR=$(find_mirror | grep -v -- '-security' | grep -E '^(https?|ftp|file):' | head -n 1 || true)
[ -n "$MIRROR" ] || die "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/"
MIRROR=${MIRROR%/}

# --- keyring: trixie's archive key must be in it ----------------------------------------

keyring_has_trixie() {
    [ -f "$1" ] || return 1
    if command -v gpg >/dev/null 2>&1; then
        gpg --show-keys --with-colons "$1" 2>/dev/null | grep -q '^uid:.*(13/trixie)'
    else
        # Without gpg: the user ids are stored in clear text in the key file.
        grep -a -q '(13/trixie)' "$1"
    fi
}

mkdir -p "$APTDIR/state/lists/partial" "$APTDIR/cache/archives/partial" \
         "$APTDIR/etc/apt.conf.d" "$APTDIR/etc/preferences.d" "$APTDIR/etc/trusted.gpg.d"
: > "$APTDIR/state/status"

apt_private() {
    set -- \
        -o Dir::State="$APTDIR/state" \
        -o Dir::State::status="$APTDIR/state/status" \
        -o Dir::Cache="$APTDIR/cache" \
        -o Dir::Etc::SourceList="$APTDIR/etc/sources.list" \
        -o Dir::Etc::SourceParts="$APTDIR/etc/sources.list.d" \
        -o Dir::Etc::Parts="$APTDIR/etc/apt.conf.d" \
        -o Dir::Etc::PreferencesParts="$APTDIR/etc/preferences.d" \
        -o Dir::Etc::Preferences="$APTDIR/etc/preferences" \
        -o Dir::Etc::TrustedParts="$APTDIR/etc/trusted.gpg.d" \
        -o APT::Architecture=amd64 \
        -o APT::Architectures::=amd64 \
        -o Acquire::Languages=none \
        -o Debug::NoLocking=1 \
        "$@"
    # As root apt would hand downloads to the _apt user, who cannot write
    # into a private cache under a home directory.
    if [ "$(id -u)" = 0 ]; then
        set -- -o APT::Sandbox::User=root "$@"
    fi
    apt-get "$@"
}
mkdir -p "$APTDIR/etc/sources.list.d"

write_sources() {
    echo "deb [signed-by=$1] $MIRROR $SUITE main" > "$APTDIR/etc/sources.list"
}

# Fetches the trixie index; fails when it was not fetched or not verified.
update_index() {
    rm -f "$APTDIR"/state/lists/*_Packages* "$APTDIR"/state/lists/*Release*
    apt_private -q update >&2 || return 1
    # apt-get update may only warn when the mirror is unreachable.
    ls "$APTDIR"/state/lists/*"${SUITE}"*_Packages* >/dev/null 2>&1
}

# Unpacks a debian-archive-keyring package and points KEYRING at its keyring.
use_keyring_package() {
    rm -rf "$APTDIR/keyring/root"
    dpkg-deb -x "$1" "$APTDIR/keyring/root" || return 1
    KEYRING="$APTDIR/keyring/root/usr/share/keyrings/debian-archive-keyring.gpg"
    keyring_has_trixie "$KEYRING"
}

KEYRING=${CLOCKWORK_KEYRING:-$KEYRING}
if ! keyring_has_trixie "$KEYRING"; then
    say "$KEYRING lacks the Debian 13 key; fetching debian-archive-keyring"
    rm -rf "$APTDIR/keyring"
    mkdir -p "$APTDIR/keyring"
    got=0
    # trixie's Release is also signed with the previous release's archive
    # key, so an older keyring can verify trixie's own debian-archive-keyring.
    write_sources "$KEYRING"
    if update_index &&
       (cd "$APTDIR/keyring" && apt_private -q download debian-archive-keyring >&2) &&
       use_keyring_package "$APTDIR"/keyring/debian-archive-keyring_*.deb; then
        got=1
        say "using debian-archive-keyring from $SUITE"
    else
        # Else the host's own apt sources (verified by the host's keys).
        rm -f "$APTDIR"/keyring/*.deb
        if (cd "$APTDIR/keyring" && apt-get download -q debian-archive-keyring >&2) &&
           use_keyring_package "$APTDIR"/keyring/debian-archive-keyring_*.deb; then
            got=1
            say "using the host's debian-archive-keyring package"
        fi
    fi
    [ $got = 1 ] ||
        die "no Debian 13 (trixie) archive key available; install debian-archive-keyring >= 2023.3+deb12u1"
fi
write_sources "$KEYRING"

say "mirror $MIRROR, suite $SUITE"
update_index ||
    die "apt-get update against $MIRROR ($SUITE) failed: no verified package index was fetched"

# apt-get download verifies each .deb against the signed Packages index.
# Into a fresh directory first, so a failed download keeps the old cache.
rm -rf "$DEBDIR.new"
mkdir -p "$DEBDIR.new"
# shellcheck disable=SC2086 # the package list is meant to split
(cd "$DEBDIR.new" && apt_private -q download $PACKAGES >&2) ||
    die "apt-get download of $PACKAGES failed"
(cd "$DEBDIR.new" && sha256sum ./*.deb | sed 's| \./| |' > SHA256SUMS)
rm -rf "$DEBDIR"
mv "$DEBDIR.new" "$DEBDIR"
say "packages: $(cd "$DEBDIR" && ls ./*.deb | sed 's|^\./||' | tr '\n' ' ')"

if [ -s "$ISO" ] && [ -s "$SERIAL_ISO" ] && [ -f "$STAMP" ] &&
   [ "$(stamp_text)" = "$(cat "$STAMP")" ]; then
    say "up to date"
    echo "$ISO"
    echo "$SERIAL_ISO"
    exit 0
fi

# --- extract -------------------------------------------------------------------------------

WORK="$CACHE/work"
rm -rf "$WORK"
mkdir -p "$WORK/root"
for deb in "$DEBDIR"/*.deb; do
    dpkg-deb -x "$deb" "$WORK/root"
done
ROOT="$WORK/root"

# Finds exactly one file under $ROOT matching a path pattern.
find_one() {
    what=$1
    shift
    found=$(find "$ROOT" "$@" -type f | sort | head -n 1)
    [ -n "$found" ] || die "$what not found in the extracted packages"
    echo "$found"
}

NETBOOT_TGZ=$(find "$ROOT" -name netboot.tar.gz -type f | head -n 1)
NB="$ROOT"
if [ -n "$NETBOOT_TGZ" ]; then
    mkdir -p "$WORK/netboot"
    tar -xzf "$NETBOOT_TGZ" -C "$WORK/netboot"
    NB="$WORK/netboot"
fi
ROOT_SAVE=$ROOT
ROOT=$NB
KERNEL=$(find_one "the kernel (linux)" -path '*amd64/linux' ! -path '*/gtk/*')
INITRD=$(find_one "the text initrd" -path '*amd64/initrd.gz' ! -path '*/gtk/*')
GTK_INITRD=$(find_one "the gtk initrd" -path '*gtk*amd64/initrd.gz')
SPLASH=$(find_one "splash.png" -path '*amd64/boot-screens/splash.png' ! -path '*/gtk/*')
ROOT=$ROOT_SAVE
ISOLINUX_BIN=$(find_one "isolinux.bin" -path '*/ISOLINUX/isolinux.bin')
ISOHDPFX=$(find_one "isohdpfx.bin" -path '*/ISOLINUX/isohdpfx.bin')
BIOS_MODULES=$(dirname "$(find_one "ldlinux.c32" -path '*/modules/bios/ldlinux.c32')")
say "kernel $KERNEL"

# --- the netinst tree ---------------------------------------------------------------------------

TREE="$WORK/tree"
mkdir -p "$TREE/install.amd/gtk" "$TREE/isolinux"
cp "$KERNEL" "$TREE/install.amd/vmlinuz"
cp "$INITRD" "$TREE/install.amd/initrd.gz"
cp "$GTK_INITRD" "$TREE/install.amd/gtk/initrd.gz"
cp "$ISOLINUX_BIN" "$TREE/isolinux/isolinux.bin"
for m in ldlinux.c32 vesamenu.c32 libcom32.c32 libutil.c32; do
    [ -f "$BIOS_MODULES/$m" ] || die "$m missing from syslinux-common"
    cp "$BIOS_MODULES/$m" "$TREE/isolinux/$m"
done
cp "$SPLASH" "$TREE/isolinux/splash.png"

# Writes the menu files; $1 is the tree, $2 extra kernel arguments of the
# default entry ("" or the serial console).
write_menus() {
    dir=$1/isolinux extra=$2
    cat > "$dir/isolinux.cfg" <<EOF
# D-I config version 2.0
# search path for the c32 support libraries (libcom32, libutil etc.)
path
include menu.cfg
default vesamenu.c32
prompt 0
timeout 0
EOF
    cat > "$dir/menu.cfg" <<EOF
menu hshift 4
menu width 70

menu title Debian GNU/Linux installer menu (BIOS mode)
include stdmenu.cfg
include gtk.cfg
include txt.cfg
EOF
    cat > "$dir/stdmenu.cfg" <<EOF
menu background splash.png
menu color title	* #FFFFFFFF *
menu color border	* #00000000 #00000000 none
menu color sel		* #ffffffff #76a1d0ff *
menu color hotsel	1;7;37;40 #ffffffff #76a1d0ff *
menu color tabmsg	* #ffffffff #00000000 *
menu color help		37;40 #ffdddd00 #00000000 none
# XXX When adjusting vshift, take care that rows is set to a small
# enough value so any possible menu will fit on the screen,
# rather than falling off the bottom.
menu vshift 8
menu rows 12
# The help line must be at least one line from the bottom.
menu helpmsgrow 14
# The command line must be at least one line from the help line.
menu cmdlinerow 16
menu timeoutrow 16
menu tabmsgrow 18
menu tabmsg Press ENTER to boot or TAB to edit a menu entry
EOF
    cat > "$dir/gtk.cfg" <<EOF
default installgui
label installgui
	menu label ^Graphical install
	menu default
	kernel /install.amd/vmlinuz
	append vga=788 initrd=/install.amd/gtk/initrd.gz --- quiet${extra}
EOF
    cat > "$dir/txt.cfg" <<EOF
label install
	menu label ^Install
	kernel /install.amd/vmlinuz
	append vga=788 initrd=/install.amd/initrd.gz --- quiet${extra}
EOF
}

# Builds one ISO from the tree (El Torito no-emulation, isohybrid MBR).
build_iso() {
    out=$1 tree=$2
    tmp="$out.tmp"
    rm -f "$tmp"
    xorriso -as mkisofs \
        -r -J -joliet-long \
        -V "$VOLUME_ID" \
        -o "$tmp" \
        -isohybrid-mbr "$ISOHDPFX" \
        -b isolinux/isolinux.bin \
        -c isolinux/boot.cat \
        -no-emul-boot -boot-load-size 4 -boot-info-table \
        "$tree" >"$WORK/xorriso.log" 2>&1 || {
            tail -n 20 "$WORK/xorriso.log" >&2
            die "xorriso failed building $out"
        }
    mv "$tmp" "$out"
}

write_menus "$TREE" ""
build_iso "$ISO" "$TREE"

# The serial variant: same tree, the default (graphical) entry and the
# text entry also log to the first UART for headless runs.
SERIAL_TREE="$WORK/tree-serial"
cp -a "$TREE" "$SERIAL_TREE"
write_menus "$SERIAL_TREE" " console=ttyS0,115200"
build_iso "$SERIAL_ISO" "$SERIAL_TREE"

stamp_text > "$STAMP"
rm -rf "$WORK"
say "built"
echo "$ISO"
echo "$SERIAL_ISO"
