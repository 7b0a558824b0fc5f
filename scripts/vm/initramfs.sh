#!/bin/bash
# Builds a gzip'd initramfs for a vPF_RING test VM: busybox (busybox-static),
# dash as /bin/sh, iproute2's ip, the given binaries and files with their
# shared libraries, the named kernel modules of the cached Debian kernel
# with everything they depend on (loaded at boot, dependencies first), and an
# /init that mounts proc, sys, dev and tmp, brings lo up, runs the test
# script, dumps dmesg, prints "@@VPFR-END@@ rc=N" on the console and powers
# off.
#
#   scripts/vm/initramfs.sh OUT.cpio.gz [--add SRC:DST]... [--modules "veth ..."]
#                           [--script FILE]
#   --add SRC:DST   copy SRC to DST in the guest (ELF files bring their libraries)
#   --modules LIST  kernel modules (names as in modules.dep) loaded at boot
#   --script FILE   the test, run by /bin/sh as /test.sh; its stdout goes to
#                   the serial console (TAP lines "ok N ..." / "not ok N ...")
# Takes the kernel from scripts/vm/kernel.sh (or KVER and MODDIR if set).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=""
OUT=""
ADDS=()
MODULES=""
SCRIPT=""

usage() {
	sed -n '2,17s/^# \{0,1\}//p' "$0"
}

die() {
	echo "initramfs.sh: $*" >&2
	exit 1
}

cleanup() {
	[ -n "$WORK" ] && rm -rf "$WORK"
	return 0
}
trap cleanup EXIT

parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		-h | --help) usage; exit 0 ;;
		--add) [ $# -ge 2 ] || die "--add needs SRC:DST"; ADDS+=("$2"); shift ;;
		--modules) [ $# -ge 2 ] || die "--modules needs a list"; MODULES="$MODULES $2"; shift ;;
		--script) [ $# -ge 2 ] || die "--script needs a file"; SCRIPT=$2; shift ;;
		-*) die "unknown option $1 (see --help)" ;;
		*) [ -z "$OUT" ] || die "one output file only"; OUT=$1 ;;
		esac
		shift
	done
	[ -n "$OUT" ] || { usage >&2; exit 2; }
	[ -z "$SCRIPT" ] || [ -f "$SCRIPT" ] || die "no script $SCRIPT"
}

# copy_file SRC DST: copies SRC (following links) to DST inside the root.
# An existing DST goes first: cp onto one of busybox's applet links would
# overwrite busybox itself.
copy_file() {
	mkdir -p "$WORK/root$(dirname "$2")"
	rm -f "$WORK/root$2"
	cp -L "$1" "$WORK/root$2"
}

# copy_libs BIN: copies the shared libraries BIN needs, at the same paths.
copy_libs() {
	local lib
	ldd "$1" >/dev/null 2>&1 || return 0 # static, or not an ELF file
	for lib in $(ldd "$1" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'); do
		[ -e "$WORK/root$lib" ] || copy_file "$lib" "$lib"
	done
}

add_busybox() {
	local bb=/bin/busybox app
	[ -x "$bb" ] && ! ldd "$bb" >/dev/null 2>&1 ||
		die "$bb is missing or not static (apt-get install busybox-static)"
	copy_file "$bb" /bin/busybox
	for app in $("$bb" --list); do
		case "$app" in busybox | ip | sh) continue ;; esac
		ln -sf busybox "$WORK/root/bin/$app"
	done
}

# add_sh: dash as /bin/sh. Busybox's own shell runs its applets before
# anything in PATH, which would hide iproute2's ip behind busybox's.
add_sh() {
	local sh
	sh=$(command -v dash) || die "dash not found (apt-get install dash)"
	copy_file "$sh" /bin/sh
	copy_libs "$sh"
}

add_ip() {
	local ip
	ip=$(command -v ip) || die "iproute2's ip not found (apt-get install iproute2)"
	copy_file "$ip" /bin/ip
	copy_libs "$ip"
}

add_extra() {
	local spec src dst
	for spec in ${ADDS[@]+"${ADDS[@]}"}; do
		src=${spec%%:*}
		dst=${spec#*:}
		[ "$src" != "$spec" ] && [ -n "$dst" ] || die "--add wants SRC:DST, got $spec"
		[ -f "$src" ] || die "--add: no file $src"
		case "$dst" in /*) ;; *) die "--add: DST must be absolute ($dst)" ;; esac
		copy_file "$src" "$dst"
		copy_libs "$src"
	done
}

# mod_path NAME: the modules.dep path of module NAME ('-' and '_' alike).
mod_path() {
	local n=${1//-/_}
	sed -n 's/:.*//p' "$MODDIR/modules.dep" | while read -r p; do
		local b=${p##*/}
		b=${b%%.ko*}
		[ "${b//-/_}" = "$n" ] && { echo "$p"; break; }
	done
}

builtin_mod() {
	local n=${1//-/_}
	sed 's/-/_/g' "$MODDIR/modules.builtin" 2>/dev/null | grep -q "/$n\.ko$"
}

# mod_order PATH: prints PATH after its dependencies, deepest first.
mod_order() {
	local p=$1 deps d i
	deps=$(sed -n "s|^$p: *||p" "$MODDIR/modules.dep")
	set -- $deps
	for ((i = $#; i >= 1; i--)); do
		d=${!i}
		mod_order "$d"
	done
	echo "$p"
}

# copy_module PATH: copies one .ko to /lib/modules, decompressed.
copy_module() {
	local p=$1 dst=/lib/modules/$KVER/${1%.ko*}.ko
	mkdir -p "$WORK/root$(dirname "$dst")"
	case "$p" in
	*.ko) cp "$MODDIR/$p" "$WORK/root$dst" ;;
	*.ko.xz) xz -dc "$MODDIR/$p" >"$WORK/root$dst" ;;
	*.ko.zst) zstd -qdc "$MODDIR/$p" >"$WORK/root$dst" ;;
	*.ko.gz) gzip -dc "$MODDIR/$p" >"$WORK/root$dst" ;;
	*) die "unknown module format $p" ;;
	esac
	echo "$dst" >>"$WORK/root/etc/vpfr-modules"
}

add_modules() {
	local m p seen=" "
	: >"$WORK/root/etc/vpfr-modules"
	[ -n "${MODULES// /}" ] || return 0
	[ -f "$MODDIR/modules.dep" ] || die "no $MODDIR/modules.dep"
	for m in $MODULES; do
		p=$(mod_path "$m")
		if [ -z "$p" ]; then
			builtin_mod "$m" && continue
			die "no kernel module $m in $MODDIR"
		fi
		for p in $(mod_order "$p"); do
			case "$seen" in *" $p "*) continue ;; esac
			seen="$seen$p "
			copy_module "$p"
		done
	done
}

write_init() {
	cat >"$WORK/root/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
echo "@@VPFR-BOOTED@@ uptime=$(cut -d' ' -f1 /proc/uptime)"
while read -r m; do
	insmod "$m" || echo "init: insmod $m failed"
done </etc/vpfr-modules
ip link set lo up
if [ -f /test.sh ]; then
	sh /test.sh </dev/console
	rc=$?
else
	rc=0
fi
echo "@@VPFR-DMESG-BEGIN@@"
dmesg
echo "@@VPFR-DMESG-END@@"
echo "@@VPFR-END@@ rc=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
INIT
	chmod 755 "$WORK/root/init"
}

main() {
	parse_args "$@"
	if [ -z "${KVER:-}" ] || [ -z "${MODDIR:-}" ]; then
		eval "$("$HERE/kernel.sh")"
	fi
	[ -d "$MODDIR" ] || die "no module directory $MODDIR"
	WORK=$(mktemp -d /tmp/vpfr-initramfs.XXXXXX)
	mkdir -p "$WORK"/root/{bin,sbin,etc,proc,sys,dev,tmp,root,run,lib/modules}
	add_busybox
	add_sh
	add_ip
	add_extra
	add_modules
	[ -z "$SCRIPT" ] || cp "$SCRIPT" "$WORK/root/test.sh"
	write_init
	(cd "$WORK/root" && find . | busybox cpio -o -H newc -R 0:0 2>/dev/null) |
		gzip -1 >"$WORK/out.cpio.gz"
	mv "$WORK/out.cpio.gz" "$OUT"
}

main "$@"
