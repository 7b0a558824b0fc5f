#!/bin/bash
# Boots the cached Debian kernel (scripts/vm/kernel.sh) with an initramfs made
# by scripts/vm/initramfs.sh under QEMU (KVM when /dev/kvm exists, TCG
# otherwise), reads the serial console and judges the run. It fails when the
# guest does not reach its end marker within the time limit, when the console
# or the guest's dmesg shows a panic, Oops, BUG:, WARNING: or Call Trace (the
# taint line of an unsigned out-of-tree module is expected), when the test
# script exits non-zero, prints "not ok", or prints fewer TAP results than
# --expect. Prints the TAP lines, the boot time, "vm: N passed, N failed",
# and on failure the kernel problems and the last 60 console lines.
#
#   scripts/vm/run.sh --initrd FILE [--timeout S] [--mem MB] [--expect N]
#                     [--log FILE] [--append ARGS] [-- extra qemu args]
#   --timeout S   kill the guest after S seconds (default 300)
#   --mem MB      guest memory (default 512)
#   --expect N    number of TAP results the guest must print (default 0)
#   --log FILE    keep the whole console log there
#   --append ARGS more kernel command-line arguments
# Uses $KERNEL when set (as printed by kernel.sh), else runs kernel.sh, and
# $QEMU when set (the vNPlug build of host/qemu-vnplug/build.sh), else
# Debian's qemu-system-x86_64.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
INITRD=""
TIMEOUT=300
MEM=512
EXPECT=0
LOG=""
APPEND=""
QEMU_EXTRA=()
QPID=""
TMPLOG=""
END_MARK="@@VPFR-END@@"
BOOT_MARK="@@VPFR-BOOTED@@"
BAD='Kernel panic|Oops|BUG:|WARNING:|Call Trace'
EXPECTED_TAINT='taints kernel|module verification failed'

usage() {
	sed -n '2,20s/^# \{0,1\}//p' "$0"
}

die() {
	echo "run.sh: $*" >&2
	exit 2
}

cleanup() {
	if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
		kill -KILL "$QPID" 2>/dev/null || true
	fi
	[ -n "$TMPLOG" ] && rm -f "$TMPLOG"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

is_uint() {
	case "$1" in '' | *[!0-9]*) return 1 ;; esac
}

parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		-h | --help) usage; exit 0 ;;
		--initrd) INITRD=${2:?--initrd needs a file}; shift ;;
		--timeout) TIMEOUT=${2:?--timeout needs seconds}; shift ;;
		--mem) MEM=${2:?--mem needs MB}; shift ;;
		--expect) EXPECT=${2:?--expect needs a number}; shift ;;
		--log) LOG=${2:?--log needs a file}; shift ;;
		--append) APPEND=${2:?--append needs arguments}; shift ;;
		--) shift; QEMU_EXTRA=("$@"); break ;;
		*) die "unknown argument $1 (see --help)" ;;
		esac
		shift
	done
	[ -n "$INITRD" ] || { usage >&2; exit 2; }
	[ -f "$INITRD" ] || die "no initramfs $INITRD"
	is_uint "$TIMEOUT" && is_uint "$MEM" && is_uint "$EXPECT" ||
		die "--timeout, --mem and --expect take whole numbers"
}

need_qemu() {
	if [ -n "${QEMU:-}" ]; then
		[ -x "$QEMU" ] || die "QEMU=$QEMU is not executable"
		return 0
	fi
	QEMU=qemu-system-x86_64
	command -v qemu-system-x86_64 >/dev/null && return 0
	[ "$(id -u)" -eq 0 ] || die "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
	echo "run.sh: installing qemu-system-x86" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends qemu-system-x86 >&2 ||
		die "cannot install qemu-system-x86"
}

now_ms() {
	date +%s%3N
}

# boot: runs QEMU into $LOG, killing it after $TIMEOUT s. Sets TIMED_OUT
# and BOOT_MS (host time from start to the guest's shell, -1 if never).
boot() {
	local accel=tcg start deadline t
	[ -w /dev/kvm ] && accel=kvm
	: >"$LOG"
	start=$(now_ms)
	deadline=$((start + TIMEOUT * 1000))
	"$QEMU" -accel "$accel" -m "$MEM" -nodefaults -display none \
		-monitor none -serial "file:$LOG" -no-reboot \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 quiet $APPEND" \
		${QEMU_EXTRA[@]+"${QEMU_EXTRA[@]}"} </dev/null &
	QPID=$!
	TIMED_OUT=0
	BOOT_MS=-1
	ACCEL=$accel
	while kill -0 "$QPID" 2>/dev/null; do
		t=$(now_ms)
		if [ "$BOOT_MS" -lt 0 ] && grep -q "$BOOT_MARK" "$LOG"; then
			BOOT_MS=$((t - start))
		fi
		if [ "$t" -ge "$deadline" ]; then
			TIMED_OUT=1
			kill -TERM "$QPID" 2>/dev/null || true
			sleep 1
			kill -KILL "$QPID" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	wait "$QPID" 2>/dev/null || true
	QPID=""
	TOTAL_MS=$(($(now_ms) - start))
	if [ "$BOOT_MS" -lt 0 ] && grep -q "$BOOT_MARK" "$LOG"; then
		BOOT_MS=$TOTAL_MS
	fi
	sed -i 's/\r$//' "$LOG"
}

secs() {
	printf '%d.%01d' $(($1 / 1000)) $(($1 % 1000 / 100))
}

# judge: prints the verdict; returns non-zero on failure.
judge() {
	local reasons="" tap ok notok total rc problems missing failed
	tap=$(grep -E '^(not )?ok [0-9]+' "$LOG" || true)
	ok=$(printf '%s\n' "$tap" | grep -cE '^ok [0-9]+' || true)
	notok=$(printf '%s\n' "$tap" | grep -cE '^not ok [0-9]+' || true)
	total=$((ok + notok))
	rc=$(sed -n "s/^$END_MARK rc=\([0-9]*\).*/\1/p" "$LOG" | tail -n 1)
	problems=$(grep -E "$BAD" "$LOG" | grep -vE "$EXPECTED_TAINT" || true)
	[ -n "$tap" ] && printf '%s\n' "$tap"
	if [ "$BOOT_MS" -ge 0 ]; then
		echo "vm: $ACCEL, booted to the shell in $(secs "$BOOT_MS") s, ran $(secs "$TOTAL_MS") s in all"
	fi
	[ "$TIMED_OUT" -eq 1 ] && reasons="$reasons; timed out after $TIMEOUT s"
	[ -z "$rc" ] && reasons="$reasons; no end marker (hang, crash or timeout)"
	[ -n "$rc" ] && [ "$rc" -ne 0 ] && reasons="$reasons; test script exited $rc"
	[ -n "$problems" ] && reasons="$reasons; kernel problem on the console"
	[ "$notok" -gt 0 ] && reasons="$reasons; $notok result(s) not ok"
	missing=0
	if [ "$total" -lt "$EXPECT" ]; then
		missing=$((EXPECT - total))
		reasons="$reasons; $total result(s), $EXPECT expected"
	fi
	failed=$((notok + missing))
	[ -n "$reasons" ] && [ "$failed" -eq 0 ] && failed=1
	echo "vm: $ok passed, $failed failed"
	[ -z "$reasons" ] && return 0
	echo "vm: FAILED: ${reasons#; }"
	if [ -n "$problems" ]; then
		echo "== kernel problems:"
		printf '%s\n' "$problems" | head -n 20
	fi
	echo "== last 60 console lines:"
	sed '/@@VPFR-DMESG-BEGIN@@/,/@@VPFR-DMESG-END@@/d' "$LOG" | tail -n 60
	return 1
}

main() {
	parse_args "$@"
	need_qemu
	if [ -z "${KERNEL:-}" ] || [ ! -f "$KERNEL" ]; then
		eval "$("$HERE/kernel.sh")"
	fi
	if [ -z "$LOG" ]; then
		TMPLOG=$(mktemp /tmp/vpfr-vm.XXXXXX.log)
		LOG=$TMPLOG
	fi
	boot
	judge
}

main "$@"
