#!/bin/bash
# Self-test of the VM harness. Builds a hello-world module against the
# Debian headers (scripts/vm/kernel.sh), then boots guests under
# scripts/vm/run.sh:
#   pass     veth pair made and seen, the module loaded and unloaded: 3 results
#   hang     a script that never ends: must fail on the time limit
#   fewer    1 result where 3 are expected: must fail
#   panic    echo c > /proc/sysrq-trigger: must fail
#   warning  the module loaded with warn=1 (WARN_ON in dmesg): must fail
# Prints one TAP line per case and "N passed, N failed"; exits non-zero on
# any failure. Needs root; installs what kernel.sh and run.sh need.
#
#   scripts/vm/selftest.sh [--quick]     --quick: the pass case only
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=""
N=0
PASSED=0
FAILED=0

usage() {
	sed -n '2,14s/^# \{0,1\}//p' "$0"
}

die() {
	echo "selftest.sh: $*" >&2
	exit 1
}

cleanup() {
	[ -n "$WORK" ] && rm -rf "$WORK"
	return 0
}
trap cleanup EXIT

# build_module: builds vpfr_hello.ko (param warn=1 fires a WARN_ON) in $WORK.
build_module() {
	mkdir -p "$WORK/mod"
	cat >"$WORK/mod/hello.c" <<'C'
#include <linux/module.h>

static int warn;
module_param(warn, int, 0444);
MODULE_PARM_DESC(warn, "fire a WARN_ON at load time");

static int __init vpfr_hello_init(void)
{
	pr_info("vpfr_hello: loaded\n");
	WARN_ON(warn);
	return 0;
}

static void __exit vpfr_hello_exit(void)
{
	pr_info("vpfr_hello: unloaded\n");
}

module_init(vpfr_hello_init);
module_exit(vpfr_hello_exit);
MODULE_LICENSE("GPL");
C
	printf 'obj-m := vpfr_hello.o\nvpfr_hello-y := hello.o\n' >"$WORK/mod/Kbuild"
	make -C "$KDIR" M="$WORK/mod" modules >"$WORK/mod/build.log" 2>&1 ||
		{ tail -n 30 "$WORK/mod/build.log"; die "module build failed"; }
}

script_pass() {
	cat <<'SH'
echo "1..3"
if ip link add vpa type veth peer name vpb && ip link set vpa up &&
	ip link set vpb up && ip -o link show vpb | grep -q 'vpb@vpa'; then
	echo "ok 1 - veth pair created and visible"
else
	echo "not ok 1 - veth pair created and visible"
fi
if ip link del vpa && ! ip link show vpb 2>/dev/null; then
	echo "ok 2 - veth pair deleted"
else
	echo "not ok 2 - veth pair deleted"
fi
if insmod /lib/test/vpfr_hello.ko && grep -q '^vpfr_hello ' /proc/modules &&
	rmmod vpfr_hello && ! grep -q '^vpfr_hello ' /proc/modules &&
	dmesg | grep -q 'vpfr_hello: unloaded'; then
	echo "ok 3 - out-of-tree module loaded and unloaded"
else
	echo "not ok 3 - out-of-tree module loaded and unloaded"
fi
SH
}

script_hang() {
	echo 'echo "ok 1 - about to hang"; while :; do sleep 1; done'
}

script_fewer() {
	echo 'echo "1..3"; echo "ok 1 - the only one"'
}

script_panic() {
	echo 'echo "ok 1 - about to panic"; echo c >/proc/sysrq-trigger'
}

script_warning() {
	echo 'insmod /lib/test/vpfr_hello.ko warn=1; echo "ok 1 - warned"'
}

report() {
	N=$((N + 1))
	if [ "$1" -eq 0 ]; then
		PASSED=$((PASSED + 1))
		echo "ok $N - $2"
	else
		FAILED=$((FAILED + 1))
		echo "not ok $N - $2"
	fi
}

# case NAME EXPECT TIMEOUT WANT: boots the guest of script_NAME; WANT is
# "pass" or a pattern that run.sh's output must show when it fails.
case_run() {
	local name=$1 expect=$2 timeout=$3 want=$4 rc=0 out=$WORK/$1.out
	script_"$name" >"$WORK/$name.sh"
	"$HERE/initramfs.sh" "$WORK/$name.cpio.gz" --modules veth \
		--add "$WORK/mod/vpfr_hello.ko:/lib/test/vpfr_hello.ko" \
		--script "$WORK/$name.sh" || die "initramfs for $name failed"
	"$HERE/run.sh" --initrd "$WORK/$name.cpio.gz" --expect "$expect" \
		--timeout "$timeout" >"$out" 2>&1 || rc=$?
	sed '/^== /,$d; s/^/# /' "$out" | grep -E '^# (vm:|ok|not ok)' || true
	if [ "$want" = pass ]; then
		[ "$rc" -eq 0 ]
		report $? "$name: guest passes"
	else
		[ "$rc" -eq 1 ] && grep -qE "$want" "$out"
		local r=$?
		[ "$r" -eq 0 ] || sed 's/^/# /' "$out" | tail -n 40
		report "$r" "$name: guest fails ($want)"
	fi
}

main() {
	local quick=0
	case "${1:-}" in
	-h | --help) usage; exit 0 ;;
	--quick) quick=1 ;;
	"") ;;
	*) usage >&2; exit 2 ;;
	esac
	[ "$(id -u)" -eq 0 ] || die "needs root"
	eval "$("$HERE/kernel.sh")"
	export KVER MODDIR KERNEL KDIR
	WORK=$(mktemp -d /tmp/vpfr-selftest.XXXXXX)
	build_module
	set +e
	case_run pass 3 120 pass
	if [ "$quick" -eq 0 ]; then
		case_run hang 1 25 'timed out after 25 s'
		case_run fewer 3 120 '1 result\(s\), 3 expected'
		case_run panic 1 120 'Kernel panic'
		case_run warning 1 120 'WARNING:'
	fi
	set -e
	echo "1..$N"
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

main "$@"
