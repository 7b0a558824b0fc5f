#!/bin/bash
# Fetches the Debian kernel that linux-headers-amd64 currently points at:
# installs linux-headers-amd64 (its build tree uses absolute paths) and
# unpacks the matching linux-image-<abi>-amd64 (not installed) into
# /var/cache/vpfring/kernel/<abi>/, reused while the package version matches.
# Prints shell assignments for other scripts to eval:
#   ABI=6.1.0-NN KVER=6.1.0-NN-amd64 KERNEL=.../vmlinuz
#   MODDIR=.../lib/modules/<kver> KDIR=/usr/src/linux-headers-<kver>
#
#   eval "$(scripts/vm/kernel.sh)"
#   VPFR_CACHE=/var/cache/vpfring (default)
set -eu
CACHE=${VPFR_CACHE:-/var/cache/vpfring}/kernel
TMP=""

usage() {
	sed -n '2,12s/^# \{0,1\}//p' "$0"
}

die() {
	echo "kernel.sh: $*" >&2
	exit 1
}

cleanup() {
	[ -n "$TMP" ] && rm -rf "$TMP"
	return 0
}
trap cleanup EXIT

need_root() {
	[ "$(id -u)" -eq 0 ] || die "needs root to $1"
}

# apt_lists: makes sure apt knows linux-headers-amd64 (runs apt-get update
# once when it has no candidate).
apt_lists() {
	if ! apt-cache policy linux-headers-amd64 2>/dev/null |
		grep -q 'Candidate: [0-9]'; then
		need_root "run apt-get update"
		apt-get update -q >&2 || die "apt-get update failed"
	fi
}

# abi: the newest ABI (e.g. 6.1.0-NN) that linux-headers-amd64 depends on.
abi() {
	apt-cache depends linux-headers-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-headers-\([0-9][^ ]*\)-amd64$/\1/p' |
		sort -V | tail -n 1
}

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# headers ABI: installs linux-headers-amd64 and the ABI's headers package.
headers() {
	installed "linux-headers-$1-amd64" && return 0
	need_root "install linux-headers-amd64"
	echo "kernel.sh: installing linux-headers-amd64 ($1)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends linux-headers-amd64 "linux-headers-$1-amd64" >&2 ||
		die "cannot install linux-headers-$1-amd64"
}

pkg_version() {
	apt-cache show --no-all-versions "$1" 2>/dev/null |
		sed -n 's/^Version: //p' | head -n 1
}

# unpack PKG VERSION DIR KVER: downloads PKG and extracts vmlinuz and its
# modules into DIR, then builds modules.dep (Debian makes it at install time).
unpack() {
	local pkg=$1 ver=$2 dir=$3 kver=$4 deb
	TMP=$(mktemp -d "$CACHE/.unpack.XXXXXX")
	# apt-get download drops to _apt; let it write there
	id _apt >/dev/null 2>&1 && chown _apt "$TMP"
	echo "kernel.sh: downloading $pkg $ver" >&2
	(cd "$TMP" && apt-get download -q "$pkg=$ver" >&2) ||
		die "apt-get download $pkg=$ver failed"
	deb=$(ls "$TMP"/*.deb)
	dpkg-deb -x "$deb" "$TMP/x" || die "dpkg-deb -x $deb failed"
	[ -f "$TMP/x/boot/vmlinuz-$kver" ] || die "$pkg has no boot/vmlinuz-$kver"
	[ -d "$TMP/x/lib/modules/$kver" ] || die "$pkg has no lib/modules/$kver"
	rm -rf "$dir"
	mkdir -p "$dir/root/lib/modules"
	mv "$TMP/x/boot/vmlinuz-$kver" "$dir/vmlinuz"
	[ -f "$TMP/x/boot/System.map-$kver" ] && mv "$TMP/x/boot/System.map-$kver" "$dir/"
	mv "$TMP/x/lib/modules/$kver" "$dir/root/lib/modules/"
	depmod -b "$dir/root" "$kver" || die "depmod failed for $kver"
	echo "$pkg $ver" >"$dir/VERSION"
}

main() {
	case "${1:-}" in
	-h | --help) usage; exit 0 ;;
	"") ;;
	*) usage >&2; exit 2 ;;
	esac
	command -v depmod >/dev/null || die "depmod missing (apt-get install kmod)"
	apt_lists
	local a kver pkg ver dir
	a=$(abi)
	[ -n "$a" ] || die "cannot find the ABI that linux-headers-amd64 depends on"
	kver=$a-amd64
	pkg=linux-image-$kver
	headers "$a"
	ver=$(pkg_version "$pkg")
	[ -n "$ver" ] || die "apt knows no $pkg"
	dir=$CACHE/$a
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	flock 9
	if [ "$(cat "$dir/VERSION" 2>/dev/null)" != "$pkg $ver" ] ||
		[ ! -f "$dir/vmlinuz" ] || [ ! -f "$dir/root/lib/modules/$kver/modules.dep" ]; then
		unpack "$pkg" "$ver" "$dir" "$kver"
	fi
	[ -f "/usr/src/linux-headers-$kver/Makefile" ] ||
		die "/usr/src/linux-headers-$kver/Makefile missing"
	echo "ABI=$a"
	echo "KVER=$kver"
	echo "KERNEL=$dir/vmlinuz"
	echo "MODDIR=$dir/root/lib/modules/$kver"
	echo "KDIR=/usr/src/linux-headers-$kver"
}

main "$@"
