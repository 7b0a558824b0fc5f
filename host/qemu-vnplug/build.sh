#!/bin/bash
# Builds qemu-system-x86_64 with the vNPlug devices, and their qtest, from
# Debian's QEMU source (apt-get source qemu, Debian's patches applied by
# dpkg-source), into a cache outside the repository:
#
#   /var/cache/vpfring/qemu/<key>/src     the unpacked source, patched with
#                                         vnplug-build.patch (build files)
#   /var/cache/vpfring/qemu/<key>/build   the build tree (ninja; incremental)
#   /var/cache/vpfring/qemu/current       -> the last good <key>
#
# <key> is the Debian source version and a hash of the patch and the
# configure arguments. The device sources (hw/, include/, tests/ here, and
# include/uapi/vnplug.h as include/hw/misc/vnplug-abi.h) are copied into the
# tree on every run, only where they changed, so ninja recompiles just
# those: a warm machine rebuilds nothing, an edited device rebuilds in
# seconds, and a new Debian QEMU or a new patch starts clean. Prints the
# path of <key>/qemu-system-x86_64-vnplug, a wrapper that runs the build
# tree's binary with Debian's firmware (the same under current/); the qtest
# is <key>/build/tests/qtest/vnplug-test, run with
# QTEST_QEMU_BINARY=<key>/qtest/qemu-system-x86_64 (the same wrapper).
# Firmware comes from Debian's seabios, ipxe-qemu and qemu-system-data; a
# binary run from its build tree looks for it only where -L says, which is
# what the wrapper adds:
#   qemu-system-x86_64 -L /usr/share/seabios -L /usr/lib/ipxe/qemu -L /usr/share/qemu
#
#   host/qemu-vnplug/build.sh [--print-path] [--jobs N]
#   --print-path   print where the wrapper is (or would be) and exit
#   --jobs N       parallel compile jobs (default: the number of CPUs)
#   VPFR_CACHE=/var/cache/vpfring overrides the cache root.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${VPFR_CACHE:-/var/cache/vpfring}/qemu
JOBS=$(nproc)
PRINT_ONLY=0
BUILD_DEPS="dpkg-dev ninja-build meson pkg-config python3 python3-venv
	libglib2.0-dev libpixman-1-dev libfdt-dev flex bison seabios ipxe-qemu qemu-system-data"
FIRMWARE=/usr/share/seabios:/usr/lib/ipxe/qemu:/usr/share/qemu
CONFIGURE_ARGS=(--target-list=x86_64-softmmu --disable-install-blobs
	--without-default-features --enable-kvm --disable-werror --disable-docs
	"--firmwarepath=$FIRMWARE")

die() {
	echo "qemu-vnplug/build.sh: $*" >&2
	exit 1
}

usage() {
	sed -n '2,22s/^# \{0,1\}//p' "$0"
}

parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		-h | --help) usage; exit 0 ;;
		--print-path) PRINT_ONLY=1 ;;
		--jobs) [ $# -ge 2 ] || die "--jobs needs a number"; JOBS=$2; shift ;;
		*) die "unknown option $1 (see --help)" ;;
		esac
		shift
	done
	[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "--jobs: not a positive number: $JOBS"
}

# Debian's deb822 sources carry "Types: deb"; apt-get source needs deb-src.
enable_deb_src() {
	local f=/etc/apt/sources.list.d/debian.sources
	if apt-get source --print-uris qemu >/dev/null 2>&1; then
		return 0
	fi
	if [ -f "$f" ] && grep -q '^Types: deb$' "$f"; then
		sed -i 's/^Types: deb$/Types: deb deb-src/' "$f"
	else
		sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list \
			>/etc/apt/sources.list.d/vpfring-src.list
	fi
	apt-get update -qq || die "apt-get update failed"
}

source_version() {
	apt-cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1
}

# The inputs of the build besides Debian's source: the device files, the
# patch and the configure arguments.
inputs_hash() {
	{
		printf '%s\n' "${CONFIGURE_ARGS[@]}"
		find "$HERE" -maxdepth 1 -type f -name '*.patch' -print0 |
			sort -z | xargs -0r sha256sum | sed "s|$HERE/||"
	} | sha256sum | cut -c1-12
}

fetch_source() {
	local dir=$1 ver=$2 tmp
	tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
	(cd "$tmp" && apt-get source -qq "qemu=$ver" >fetch.log 2>&1) ||
		{ tail -n 20 "$tmp/fetch.log" >&2; rm -rf "$tmp"; die "apt-get source qemu=$ver failed"; }
	mv "$tmp"/qemu-*/ "$dir/src"
	rm -rf "$tmp"
}

# Applies the build-file patch (host/qemu-vnplug/*.patch) to a fresh tree.
apply_patches() {
	local src=$1 p
	for p in "$HERE"/*.patch; do
		[ -f "$p" ] || continue
		patch -d "$src" -p1 --forward --quiet <"$p" || die "$(basename "$p") does not apply"
	done
}

# install_if_changed FROM TO: copies only when the content differs, so that
# ninja sees new timestamps on changed files only.
install_if_changed() {
	cmp -s "$1" "$2" && return 0
	mkdir -p "$(dirname "$2")"
	cp "$1" "$2"
}

# Copies the device sources into the tree (see the top of this file).
sync_devices() {
	local src=$1 f rel
	while IFS= read -r -d '' f; do
		rel=${f#"$HERE"/}
		install_if_changed "$f" "$src/$rel"
	done < <(find "$HERE/hw" "$HERE/include" "$HERE/tests" -type f -print0)
	install_if_changed "$HERE/../../include/uapi/vnplug.h" "$src/include/hw/misc/vnplug-abi.h"
}

# write_wrapper FILE BIN: the command users and tests run.
write_wrapper() {
	local l args=""
	for l in ${FIRMWARE//:/ }; do args="$args -L $l"; done
	printf '#!/bin/sh\n# QEMU with the vNPlug devices (host/qemu-vnplug/build.sh)\nexec %s%s "$@"\n' \
		"$2" "$args" >"$1.tmp"
	chmod 755 "$1.tmp"
	mv "$1.tmp" "$1"
}

main() {
	local ver key dir bin
	parse_args "$@"
	[ "$(id -u)" = 0 ] || die "run as root (it installs Debian packages)"
	mkdir -p "$CACHE"
	if [ "$PRINT_ONLY" = 0 ]; then
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $BUILD_DEPS >/dev/null ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $BUILD_DEPS >/dev/null; } ||
			die "installing the build dependencies failed"
		enable_deb_src
	fi
	ver=$(source_version)
	[ -n "$ver" ] || die "no source package for qemu (is a deb-src entry there?)"
	key="${ver//[:+~]/_}-$(inputs_hash)"
	dir=$CACHE/$key
	bin=$dir/build/qemu-system-x86_64
	if [ "$PRINT_ONLY" = 1 ]; then
		echo "$dir/qemu-system-x86_64-vnplug"
		return 0
	fi
	[ -d "$dir/src" ] || {
		mkdir -p "$dir"
		echo "qemu-vnplug: fetching Debian's qemu $ver" >&2
		fetch_source "$dir" "$ver"
		apply_patches "$dir/src"
	}
	sync_devices "$dir/src"
	if [ ! -f "$dir/build/build.ninja" ]; then
		mkdir -p "$dir/build"
		echo "qemu-vnplug: configuring (${CONFIGURE_ARGS[*]})" >&2
		(cd "$dir/build" && "$dir/src/configure" "${CONFIGURE_ARGS[@]}" >configure.log 2>&1) ||
			{ tail -n 30 "$dir/build/configure.log" >&2; mv "$dir/build" "$dir/build.failed.$$"; die "configure failed"; }
	fi
	if ninja -C "$dir/build" -n qemu-system-x86_64 tests/qtest/vnplug-test 2>/dev/null |
		grep -q 'Compiling'; then
		echo "qemu-vnplug: building qemu-system-x86_64 with $JOBS jobs" >&2
	fi
	ninja -C "$dir/build" -j "$JOBS" qemu-system-x86_64 tests/qtest/vnplug-test \
		>"$dir/build/ninja.log" 2>&1 ||
		{ tail -n 30 "$dir/build/ninja.log" >&2; die "build failed (log: $dir/build/ninja.log)"; }
	"$bin" -version >/dev/null || die "$bin does not run"
	write_wrapper "$dir/qemu-system-x86_64-vnplug" "$bin"
	# libqtest takes the target from the name's last "-x86_64"
	mkdir -p "$dir/qtest"
	write_wrapper "$dir/qtest/qemu-system-x86_64" "$bin"
	ln -sfn "$key" "$CACHE/current"
	echo "$dir/qemu-system-x86_64-vnplug"
}

main "$@"
