#!/bin/sh
# Install every Debian package capOS needs to build, test and boot.
#
# Idempotent: it asks dpkg which packages are missing and installs only those,
# printing nothing when everything is present. When it is not run as root it
# installs nothing and prints the exact command to run instead.
#
# Usage: tools/deps.sh [--check]   (--check: report missing packages, exit 1 if any)
set -eu

# One line per purpose, so a reader can see why each package is here.
PACKAGES="
build-essential make pkg-config
clang lld llvm
capnproto libcapnp-dev
libslirp-dev libglib2.0-dev
libcmocka-dev
libseccomp-dev
valgrind
qemu-system-x86 grub-pc-bin grub-common xorriso mtools
dpkg-dev
"

missing=""
for pkg in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
	"install ok installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "${1:-}" = "--check" ]; then
	echo "deps: missing packages:$missing" >&2
	exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run as root:  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# apt-get update only when the package lists are absent or older than a day,
# so a warm machine does not pay for it on every run.
lists=/var/lib/apt/lists
if [ -z "$(find "$lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n 1)" ]; then
	apt-get update -qq
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
