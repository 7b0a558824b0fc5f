#!/bin/bash
# End-to-end tests: this machine is the host, running vnplugd and the
# patched QEMU of host/qemu-vnplug; a guest (TCG where there is no KVM)
# boots the Debian kernel of scripts/vm/kernel.sh with vnplug.ko.
#
#   qtest    QEMU's own test of vnplug-ring and vnplug-ctrl
#            (tests/qtest/vnplug-test, built in the cached QEMU tree)
#   vnplug   tests/e2e/guest_vnplug.sh in a guest against vnplugd's test
#            back-end: regions, doorbells, interrupts, 100 hotplug cycles,
#            bad messages, vnplugd killed and restarted mid-run; then the
#            host's side: vnplugd logged the rejections, kept serving, and
#            holds no more descriptors than before QEMU connected
#
# Prints TAP lines ("ok" / "not ok"), which scripts/test.sh's e2e tier
# counts, and "# " comments; exits non-zero on any failure. Builds what it
# needs: the project (make O=$BUILD), QEMU (host/qemu-vnplug/build.sh),
# vnplug.ko (guest/vnplug-ko, into $BUILD/vnplug-ko), the kernel.
#
#   tests/e2e/run.sh
#   BUILD=build  E2E_TIMEOUT=900 (s, the guest)  E2E_KEEP=1 keeps the logs
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$(realpath -m "${BUILD:-$ROOT/build}")
VM=$ROOT/scripts/vm
TIMEOUT=${E2E_TIMEOUT:-900}
G_BUILD=/vpfr/build
GUEST_PLAN=$(sed -n 's/^PLAN=\([0-9]*\)$/\1/p' "$ROOT/tests/e2e/guest_vnplug.sh")
QTEST_PLAN=$(grep -c 'qtest_add_func(' "$ROOT/host/qemu-vnplug/tests/qtest/vnplug-test.c")
WORK=$(mktemp -d /tmp/vpfr-e2e.XXXXXX)
PASSED=0
FAILED=0
VNPLUGD_PID=""
QEMU_BIN=""

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
comment() { sed 's/^/# /'; }

cleanup() {
	[ -n "$VNPLUGD_PID" ] && kill -KILL "$VNPLUGD_PID" 2>/dev/null
	if [ "${E2E_KEEP:-0}" = 1 ] || [ "$FAILED" -gt 0 ]; then
		echo "# logs kept in $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

# ---- building ---------------------------------------------------------

build_project() {
	make -s -C "$ROOT" O="$B" lib tools "$B/bin/vnplugd" "$B/bin/vnplug-tool" \
		>"$WORK/make.log" 2>&1 && ok "vnplugd and vnplug-tool build" && return 0
	tail -n 20 "$WORK/make.log" | comment
	not_ok "vnplugd and vnplug-tool build"
	return 1
}

build_qemu() {
	QEMU_BIN=$("$ROOT/host/qemu-vnplug/build.sh" 2>"$WORK/qemu-build.log") &&
		ok "QEMU with the vNPlug devices builds" && return 0
	tail -n 20 "$WORK/qemu-build.log" | comment
	not_ok "QEMU with the vNPlug devices builds"
	return 1
}

kernel() {
	local env
	env=$("$VM/kernel.sh" 2>"$WORK/kernel.log") && eval "$env" && return 0
	tail -n 20 "$WORK/kernel.log" | comment
	not_ok "the Debian kernel for the guest"
	return 1
}

build_ko() {
	make -C "$ROOT/guest/vnplug-ko" KDIR="$KDIR" KMOD_OUT="$B/vnplug-ko" \
		>"$WORK/kmod.log" 2>&1 && [ -f "$B/vnplug-ko/vnplug.ko" ] &&
		ok "vnplug.ko builds against $KVER" && return 0
	grep -E 'error|warning' "$WORK/kmod.log" | head -n 20 | comment
	not_ok "vnplug.ko builds against $KVER"
	return 1
}

# ---- qtest --------------------------------------------------------------

run_qtest() {
	local qtest out n
	qtest=$(dirname "$QEMU_BIN")/build/tests/qtest/vnplug-test
	# libqtest wants a binary whose name ends in the target: the same
	# wrapper under qtest/
	out=$(QTEST_QEMU_BINARY=$(dirname "$QEMU_BIN")/qtest/qemu-system-x86_64 \
		timeout 300 "$qtest" --tap 2>"$WORK/qtest.err")
	echo "$out" >"$WORK/qtest.log"
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "[qtest] ${line#ok [0-9]* }" ;;
		"not ok "*) not_ok "[qtest] ${line#not ok [0-9]* }" ;;
		esac
	done <<<"$out"
	n=$(grep -cE '^(not )?ok ' <<<"$out")
	if [ "$n" -lt "$QTEST_PLAN" ]; then
		not_ok "[qtest] $((QTEST_PLAN - n)) of $QTEST_PLAN cases missing"
		tail -n 20 "$WORK/qtest.err" | comment
	fi
}

# ---- vnplugd ------------------------------------------------------------

write_conf() {
	cat >"$WORK/vnplugd.conf" <<-EOF
	[global]
	socket_dir = $WORK
	ping_interval = 2
	guest_timeout = 60
	log_level = debug

	[vm e2e]
	interfaces = veth*
	max_rings = 4
	max_ring_memory = 64M
	EOF
}

fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# start_vnplugd: starts it and waits for its socket; sets VNPLUGD_PID.
start_vnplugd() {
	local i
	rm -f "$WORK/e2e.sock"
	"$B/bin/vnplugd" -c "$WORK/vnplugd.conf" >>"$WORK/vnplugd.log" 2>&1 &
	VNPLUGD_PID=$!
	for i in $(seq 100); do
		[ -S "$WORK/e2e.sock" ] && return 0
		kill -0 "$VNPLUGD_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$WORK/vnplugd.log" | comment
	return 1
}

# ---- the guest ----------------------------------------------------------

make_initrd() {
	printf "BUILD=%s\nVNPLUG_KO=/lib/vpfr/vnplug.ko\n" "$G_BUILD" >"$WORK/vm.env"
	"$VM/initramfs.sh" "$WORK/e2e.cpio.gz" --modules "virtio_pci" \
		--script "$ROOT/tests/e2e/guest_vnplug.sh" \
		--add "$WORK/vm.env:/etc/vpfr-vm.env" \
		--add "$B/vnplug-ko/vnplug.ko:/lib/vpfr/vnplug.ko" \
		--add "$B/bin/vnplug-tool:$G_BUILD/bin/vnplug-tool" \
		>"$WORK/initramfs.log" 2>&1 && return 0
	tail -n 20 "$WORK/initramfs.log" | comment
	return 1
}

# act_on_markers PID: while the guest runs, does what it asks for.
act_on_markers() {
	local qpid=$1 killed=0 started=0
	while kill -0 "$qpid" 2>/dev/null; do
		if [ $killed = 0 ] && grep -q '@@E2E kill-vnplugd@@' "$WORK/console.log" 2>/dev/null; then
			kill -KILL "$VNPLUGD_PID"
			wait "$VNPLUGD_PID" 2>/dev/null
			echo "# vnplugd killed (SIGKILL) at the guest's request"
			killed=1
		fi
		if [ $started = 0 ] && grep -q '@@E2E start-vnplugd@@' "$WORK/console.log" 2>/dev/null; then
			start_vnplugd || not_ok "vnplugd restarts"
			FDS_RESTART=$(fd_count "$VNPLUGD_PID")
			echo "# vnplugd restarted ($FDS_RESTART descriptors before QEMU reconnects)"
			started=1
		fi
		sleep 0.2
	done
}

run_guest() {
	local out rc
	write_conf
	if ! start_vnplugd; then
		not_ok "vnplugd starts"
		return 1
	fi
	ok "vnplugd starts with a socket for the VM"
	FDS_RESTART=""
	QEMU=$QEMU_BIN "$VM/run.sh" --initrd "$WORK/e2e.cpio.gz" --timeout "$TIMEOUT" \
		--mem 768 --expect "$GUEST_PLAN" --log "$WORK/console.log" -- \
		-machine pc -chardev "socket,id=vnp,path=$WORK/e2e.sock,reconnect=1" \
		-device vnplug-ctrl,chardev=vnp >"$WORK/run.out" 2>&1 &
	local run=$!
	act_on_markers "$run"
	wait "$run"
	rc=$?
	# its results, without the console dump that follows a failure
	out=$(awk '/^== last [0-9]+ console lines/ { exit } { print }' "$WORK/run.out")
	grep -E '^(not )?ok ' <<<"$out" | sed -E 's/^(not )?ok [0-9]+( -)? */\1ok - [vnplug] /'
	PASSED=$((PASSED + $(grep -cE '^ok ' <<<"$out")))
	FAILED=$((FAILED + $(grep -cE '^not ok ' <<<"$out")))
	grep -vE '^(not )?ok ' <<<"$out" | grep -E '^(# |vm:|==|run.sh)' | head -n 80 | comment
	[ "$rc" -eq 0 ] || sed -n '/^== last [0-9]* console lines/,$p' "$WORK/run.out" | comment
	[ "$rc" -eq 0 ] || [ "$(grep -cE '^not ok ' <<<"$out")" -gt 0 ] ||
		not_ok "[vnplug] guest run failed (status $rc)"
}

# After the guest: what vnplugd saw, and what it still holds.
host_checks() {
	if grep -q 'unknown application' "$WORK/vnplugd.log"; then
		ok "vnplugd logged the guest's message for an unknown application"
	else
		not_ok "vnplugd logged the guest's message for an unknown application"
	fi
	if [ -z "$FDS_RESTART" ]; then
		not_ok "vnplugd was restarted during the guest run"
		return
	fi
	local i now
	for i in $(seq 50); do # QEMU's exit reaches vnplugd at once; give it 5 s
		now=$(fd_count "$VNPLUGD_PID")
		[ "$now" = "$FDS_RESTART" ] && break
		sleep 0.1
	done
	if [ "$now" = "$FDS_RESTART" ]; then
		ok "vnplugd holds $now descriptors after the VM, as before it connected"
	else
		not_ok "vnplugd holds $now descriptors after the VM, $FDS_RESTART before it connected"
		find "/proc/$VNPLUGD_PID/fd" -mindepth 1 -printf "%f -> %l\n" | comment
	fi
	kill -TERM "$VNPLUGD_PID"
	wait "$VNPLUGD_PID"
	i=$?
	if [ "$i" -eq 0 ] && [ ! -e "$WORK/e2e.sock" ]; then
		ok "vnplugd exits 0 on SIGTERM and removes its socket"
	else
		not_ok "vnplugd exits 0 on SIGTERM and removes its socket (status $i)"
	fi
	VNPLUGD_PID=""
}

main() {
	[ "$(id -u)" = 0 ] || { not_ok "tests/e2e/run.sh must run as root"; exit 1; }
	build_project || exit 1
	build_qemu || exit 1
	run_qtest
	kernel || exit 1
	build_ko || exit 1
	if make_initrd; then
		run_guest
		host_checks
	else
		not_ok "the guest's initramfs"
	fi
	echo "# e2e: $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

main
