#!/bin/sh
# deps.sh: makes sure the Debian packages the build, the tests and the
# reference boot need are installed; installs the missing ones with apt-get
# (as root, or through sudo) and otherwise says which to install.
# Used by `make run`, `make test` and .ci/run. Quick when nothing is missing.
#   sh scripts/deps.sh          install what is missing
#   sh scripts/deps.sh --list   print the package list
set -e

PACKAGES="build-essential clang pkg-config libyaml-dev libsqlite3-dev sqlite3
libpng-dev zlib1g-dev libsdl2-dev libcmocka-dev nasm seabios
xorriso isolinux syslinux-common debian-archive-keyring
qemu-system-x86 xvfb xauth xdotool ca-certificates openssl
unifont console-setup-linux"
# seabios: the firmware (bios.bin, vgabios-stdvga.bin)
# xorriso, isolinux, syslinux-common, debian-archive-keyring: the test ISO
# qemu-system-x86: the reference machine the boot tests compare against
# xvfb, xauth, xdotool: the window test; unifont, console-setup-linux: the
# fonts screen text reads the installer and the Linux console with

if [ "${1:-}" = --list ]; then
    echo $PACKAGES
    exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps: not a Debian system; make sure these (Debian names) are installed: $(echo $PACKAGES)" >&2
    exit 0
fi

missing=
for p in $PACKAGES; do
    case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" in
    *" installed") ;;
    *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    run=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    run=sudo
else
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: install them as root: apt-get install$missing" >&2
    exit 2
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$run apt-get update -q
# shellcheck disable=SC2086
$run apt-get install -y -q --no-install-recommends $missing
