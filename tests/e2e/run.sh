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
#   vpfring  tests/e2e/guest_vpfring.sh: pfcount and the probe in a guest
#            capture host:vpe0, a veth of this host fed from a namespace,
#            with exact counts: filters pushed to the host kernel (and a
#            scan of the whole mapped ring), two captures at once, a capture
#            killed, vnplugd killed and restarted, the VM powered off
#            mid-capture (vnplugd's descriptors return to their count)
#   cluster  two guests at once on host:vpe0: each gets every packet, and a
#            cluster spanning both splits the traffic per flow with nothing
#            lost or duplicated
#   libvirt  tests/e2e/libvirt.sh: Debian's libvirtd (started here, in a
#            mount namespace of its own) runs a domain whose XML
#            vnplug-virt made; its hook has vnplugd create and remove the
#            domain's socket; pfcount and pfdump on host:vpe0 in the guest
#            with exact counts; virsh destroy under a capture, and vnplugd
#            lets go of everything
#
# Prints TAP lines ("ok" / "not ok"), which scripts/test.sh's e2e tier
# counts, and "# " comments; exits non-zero on any failure. Builds what it
# needs: the project (make O=$BUILD), QEMU (host/qemu-vnplug/build.sh),
# vnplug.ko (guest/vnplug-ko, into $BUILD/vnplug-ko), the kernel.
#
#   tests/e2e/run.sh
#   BUILD=build  E2E_TIMEOUT=900 (s, the guest)  E2E_KEEP=1 keeps the logs
#   E2E_PHASES="qtest vnplug vpfring libvirt" (the default: all; vpfring
#   includes the two-VM cluster)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$(realpath -m "${BUILD:-$ROOT/build}")
VM=$ROOT/scripts/vm
TIMEOUT=${E2E_TIMEOUT:-900}
G_BUILD=/vpfr/build
GUEST_PLAN=$(sed -n 's/^PLAN=\([0-9]*\)$/\1/p' "$ROOT/tests/e2e/guest_vnplug.sh")
VPF_PLAN=$(sed -n 's/^PLAN=\([0-9]*\)$/\1/p' "$ROOT/tests/e2e/guest_vpfring.sh")
CLUSTER_PLAN=$(sed -n 's/^CLUSTER_PLAN=\([0-9]*\)$/\1/p' "$ROOT/tests/e2e/guest_vpfring.sh")
GEN_NS=vpfr-e2e-gen$$
# The host's scenarios (tests/netns/progs/mkpcap.c's "mix": 480 packets,
# 100 DNS, 260 TCP, 48 kept by 1-in-10 sampling; "flows": 64 x 40).
PLAIN_N=1000 MIX_N=480 MIX_DNS=100 MIX_TCP=260 MIX_SAMPLED=48
FLOWS=64 PER=40 FLOWS_N=2560
QTEST_PLAN=$(grep -c 'qtest_add_func(' "$ROOT/host/qemu-vnplug/tests/qtest/vnplug-test.c")
WORK=$(mktemp -d /tmp/vpfr-e2e.XXXXXX)
PHASES=${E2E_PHASES:-qtest vnplug vpfring libvirt}
PASSED=0
FAILED=0
VNPLUGD_PID=""
QEMU_BIN=""

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
comment() { sed 's/^/# /'; }

cleanup() {
	[ -n "$VNPLUGD_PID" ] && kill -KILL "$VNPLUGD_PID" 2>/dev/null
	lv_cleanup
	ip netns del "$GEN_NS" 2>/dev/null
	ip link del vpe0 2>/dev/null
	if [ "${E2E_KEEP:-0}" = 1 ] || [ "$FAILED" -gt 0 ]; then
		echo "# logs kept in $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
# shellcheck source=tests/e2e/libvirt.sh
. "$ROOT/tests/e2e/libvirt.sh"

# ---- building ---------------------------------------------------------

build_project() {
	make -s -C "$ROOT" O="$B" lib tools "$B/bin/vnplugd" "$B/bin/vnplug-tool" "$B/bin/vnplug-virt" \
		"$B/tests/progs/probe" "$B/tests/progs/mkpcap" "$B/tests/progs/vpfscan" \
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
	interfaces = vpe0
	max_rings = 4
	max_ring_memory = 64M

	[vm e2ec1]
	interfaces = vpe0
	max_rings = 4
	max_ring_memory = 64M

	[vm e2ec2]
	interfaces = vpe0
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
		--add "$ROOT/tests/e2e/guest_lib.sh:/etc/vpfr-guest-lib.sh" \
		--add "$B/vnplug-ko/vnplug.ko:/lib/vpfr/vnplug.ko" \
		--add "$B/bin/vnplug-tool:$G_BUILD/bin/vnplug-tool" \
		>"$WORK/initramfs.log" 2>&1 && return 0
	tail -n 20 "$WORK/initramfs.log" | comment
	return 1
}

# make_vpf_initrd OUT ROLE: a guest for guest_vpfring.sh (ROLE main or
# cluster) with libpfring, pfcount, the probe and vpfscan.
make_vpf_initrd() {
	local env=$WORK/vpf-$2.env
	{
		printf "BUILD=%s\nVNPLUG_KO=/lib/vpfr/vnplug.ko\nROLE=%s\n" "$G_BUILD" "$2"
		printf "PLAIN_N=%s\nMIX_DNS=%s\nMIX_TCP=%s\nMIX_SAMPLED=%s\nFLOWS_N=%s\n" \
			$PLAIN_N $MIX_DNS $MIX_TCP $MIX_SAMPLED $FLOWS_N
	} >"$env"
	"$VM/initramfs.sh" "$1" --modules "virtio_pci" \
		--script "$ROOT/tests/e2e/guest_vpfring.sh" \
		--add "$env:/etc/vpfr-vm.env" \
		--add "$ROOT/tests/e2e/guest_lib.sh:/etc/vpfr-guest-lib.sh" \
		--add "$B/vnplug-ko/vnplug.ko:/lib/vpfr/vnplug.ko" \
		--add "$B/lib/libpfring.so.1:$G_BUILD/lib/libpfring.so.1" \
		--add "$B/bin/pfcount:$G_BUILD/bin/pfcount" \
		--add "$B/tests/progs/probe:$G_BUILD/tests/progs/probe" \
		--add "$B/tests/progs/vpfscan:$G_BUILD/tests/progs/vpfscan" \
		>>"$WORK/initramfs.log" 2>&1 && return 0
	tail -n 20 "$WORK/initramfs.log" | comment
	return 1
}

# The host interface the vPF_RING guests capture: vpe0 here, its peer in
# a namespace that sends the scenarios. IPv6 off: exact counts.
traffic_setup() {
	ip netns add "$GEN_NS" || return 1
	ip netns exec "$GEN_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip link add vpe0 type veth peer name vpe1 netns "$GEN_NS" || return 1
	sysctl -qw net.ipv6.conf.vpe0.disable_ipv6=1
	ip link set vpe0 up && ip -n "$GEN_NS" link set vpe1 up || return 1
	"$B/tests/progs/mkpcap" mix "$WORK/mix.pcap" >"$WORK/mix.count" &&
		"$B/tests/progs/mkpcap" flows "$WORK/flows.pcap" $FLOWS $PER >"$WORK/flows.count" &&
		[ "$(cat "$WORK/mix.count")" = $MIX_N ] && [ "$(cat "$WORK/flows.count")" = $FLOWS_N ]
}

# send NAME: one of the scenarios into vpe0
send() {
	local gen=(ip netns exec "$GEN_NS" "$B/bin/pfsend" -i vpe1 -q)
	case "$1" in
	plain) "${gen[@]}" -n $PLAIN_N -F 16 ;;
	mix) "${gen[@]}" -f "$WORK/mix.pcap" -n $MIX_N ;;
	flows) "${gen[@]}" -f "$WORK/flows.pcap" -n $FLOWS_N ;;
	*) echo "# the guest asked for an unknown scenario '$1'"; return 1 ;;
	esac >>"$WORK/send.log" 2>&1
}

# act_on_markers PID LOG: while the guest runs, does what its console asks
# for, each request once and in order.
act_on_markers() {
	local qpid=$1 log=$2 done_n=0 n line
	while kill -0 "$qpid" 2>/dev/null; do
		n=$(grep -c '@@E2E \(send\|kill-vnplugd\|start-vnplugd\)' "$log" 2>/dev/null)
		while [ "${n:-0}" -gt "$done_n" ]; do
			done_n=$((done_n + 1))
			line=$(grep '@@E2E \(send\|kill-vnplugd\|start-vnplugd\)' "$log" |
				sed -n "${done_n}p")
			case "$line" in
			*"@@E2E send "*)
				line=${line#*@@E2E send }
				send "${line%%@@*}" || not_ok "sending scenario ${line%%@@*}"
				;;
			*kill-vnplugd*)
				kill -KILL "$VNPLUGD_PID"
				wait "$VNPLUGD_PID" 2>/dev/null
				echo "# vnplugd killed (SIGKILL) at the guest's request"
				;;
			*start-vnplugd*)
				start_vnplugd || not_ok "vnplugd restarts"
				FDS_RESTART=$(fd_count "$VNPLUGD_PID")
				echo "# vnplugd restarted ($FDS_RESTART descriptors before QEMU reconnects)"
				;;
			esac
		done
		sleep 0.2
	done
}

# guest_results NAME OUT: counts the TAP lines of a guest run's output
guest_results() {
	local name=$1 out=$2
	grep -E '^(not )?ok ' <<<"$out" | sed -E "s/^(not )?ok [0-9]+( -)? */\1ok - [$name] /"
	PASSED=$((PASSED + $(grep -cE '^ok ' <<<"$out")))
	FAILED=$((FAILED + $(grep -cE '^not ok ' <<<"$out")))
	grep -vE '^(not )?ok ' <<<"$out" | grep -E '^(# |vm:|==|run.sh)' | head -n 80 | comment
}

# boot_guest INITRD PLAN LOG SOCK: the patched QEMU on vnplugd's socket
boot_guest() {
	QEMU=$QEMU_BIN "$VM/run.sh" --initrd "$1" --timeout "$TIMEOUT" \
		--mem 768 --expect "$2" --log "$3" -- \
		-machine pc -chardev "socket,id=vnp,path=$4,reconnect=1" \
		-device vnplug-ctrl,chardev=vnp
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
	boot_guest "$WORK/e2e.cpio.gz" "$GUEST_PLAN" "$WORK/console.log" "$WORK/e2e.sock" \
		>"$WORK/run.out" 2>&1 &
	local run=$!
	act_on_markers "$run" "$WORK/console.log"
	wait "$run"
	rc=$?
	# its results, without the console dump that follows a failure
	out=$(awk '/^== last [0-9]+ console lines/ { exit } { print }' "$WORK/run.out")
	guest_results vnplug "$out"
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
	# QEMU's exit reaches vnplugd at once
	fds_back_to "$FDS_RESTART" "the VM"
}

# fds_back_to N WHAT [PID]: vnplugd (PID, else $VNPLUGD_PID) holds N
# descriptors again within 5 s
fds_back_to() {
	local i now pid=${3:-$VNPLUGD_PID}
	for i in $(seq 50); do
		now=$(fd_count "$pid")
		[ "$now" = "$1" ] && break
		sleep 0.1
	done
	if [ "$now" = "$1" ]; then
		ok "vnplugd holds $now descriptors after $2, as before"
	else
		not_ok "vnplugd holds $now descriptors after $2, $1 before"
		find "/proc/$pid/fd" -mindepth 1 -printf "%f -> %l\n" | comment
	fi
}

stop_vnplugd() {
	local i
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

# The vPF_RING guest: captures of host:vpe0, then powered off with one
# running; vnplugd (restarted by the guest's request mid-run) must end up
# with the descriptors it had before QEMU reconnected.
run_vpfring() {
	local out rc run
	[ -f "$WORK/vnplugd.conf" ] || write_conf
	if ! start_vnplugd; then
		not_ok "vnplugd starts for the vPF_RING guest"
		return 1
	fi
	FDS_RESTART=""
	boot_guest "$WORK/vpf.cpio.gz" "$VPF_PLAN" "$WORK/vpf-console.log" "$WORK/e2e.sock" \
		>"$WORK/vpf-run.out" 2>&1 &
	run=$!
	act_on_markers "$run" "$WORK/vpf-console.log"
	wait "$run"
	rc=$?
	out=$(awk '/^== last [0-9]+ console lines/ { exit } { print }' "$WORK/vpf-run.out")
	guest_results vpfring "$out"
	[ "$rc" -eq 0 ] || sed -n '/^== last [0-9]* console lines/,$p' "$WORK/vpf-run.out" | comment
	[ "$rc" -eq 0 ] || [ "$(grep -cE '^not ok ' <<<"$out")" -gt 0 ] ||
		not_ok "[vpfring] guest run failed (status $rc)"
	if [ -n "$FDS_RESTART" ]; then
		fds_back_to "$FDS_RESTART" "the VM powered off mid-capture"
	else
		not_ok "vnplugd was restarted during the vPF_RING guest run"
	fi
	if grep -q 'vpe0 open' "$WORK/vnplugd.log"; then
		ok "vnplugd logged the guest's rings of vpe0"
	else
		not_ok "vnplugd logged the guest's rings of vpe0"
	fi
	return 0
}

# marker_value LOG KEY: N of a "@@E2E KEY received=N@@" console line
marker_value() {
	sed -n "s/.*@@E2E $2 received=\([0-9]*\)@@.*/\1/p" "$1" | tail -n 1
}

# Two guests at once on host:vpe0: each captures every packet, and their
# members of cluster 7 (5-tuple) split the flows between the VMs.
run_cluster() {
	local fds0 r1 r2 i rc1 rc2 m1 m2 split
	fds0=$(fd_count "$VNPLUGD_PID")
	boot_guest "$WORK/vpfc.cpio.gz" "$CLUSTER_PLAN" "$WORK/c1.log" "$WORK/e2ec1.sock" \
		>"$WORK/c1.out" 2>&1 &
	r1=$!
	boot_guest "$WORK/vpfc.cpio.gz" "$CLUSTER_PLAN" "$WORK/c2.log" "$WORK/e2ec2.sock" \
		>"$WORK/c2.out" 2>&1 &
	r2=$!
	for i in $(seq $((TIMEOUT * 5))); do
		grep -q '@@E2E ready@@' "$WORK/c1.log" 2>/dev/null &&
			grep -q '@@E2E ready@@' "$WORK/c2.log" 2>/dev/null && break
		kill -0 $r1 2>/dev/null && kill -0 $r2 2>/dev/null || break
		sleep 0.2
	done
	if grep -q '@@E2E ready@@' "$WORK/c1.log" && grep -q '@@E2E ready@@' "$WORK/c2.log"; then
		send flows || not_ok "[cluster] sending the flows"
	else
		not_ok "[cluster] both VMs capturing"
	fi
	wait $r1; rc1=$?
	wait $r2; rc2=$?
	guest_results cluster-vm1 "$(awk '/^== last [0-9]+ console lines/ { exit } { print }' "$WORK/c1.out")"
	guest_results cluster-vm2 "$(awk '/^== last [0-9]+ console lines/ { exit } { print }' "$WORK/c2.out")"
	[ $rc1 -eq 0 ] || sed -n '/^== last [0-9]* console lines/,$p' "$WORK/c1.out" | tail -n 40 | comment
	[ $rc2 -eq 0 ] || sed -n '/^== last [0-9]* console lines/,$p' "$WORK/c2.out" | tail -n 40 | comment
	m1=$(marker_value "$WORK/c1.log" member)
	m2=$(marker_value "$WORK/c2.log" member)
	if [ "$((${m1:-0} + ${m2:-0}))" = $FLOWS_N ] && [ "${m1:-0}" -gt 0 ] && [ "${m2:-0}" -gt 0 ]; then
		ok "cluster across two VMs: $m1 + $m2 = $FLOWS_N packets, none lost or duplicated"
	else
		not_ok "cluster across two VMs: ${m1:-none} + ${m2:-none}, expected $FLOWS_N in all, both > 0"
	fi
	# every flow whole, in one VM only
	split=$(cat "$WORK/c1.log" "$WORK/c2.log" | tr -d '\r' |
		sed -n 's/.*@@E2E flow flow \(.*\)@@.*/\1/p' |
		awk '{ k = $1" "$2" "$3; n[k]++; c[k] += $4 }
		     END { bad = 0; t = 0; for (f in n) { t++; if (n[f] > 1 || c[f] != '$PER') bad++ }
			   print t" "bad }')
	if [ "$split" = "$FLOWS 0" ]; then
		ok "cluster across two VMs: each of the $FLOWS flows whole in one VM"
	else
		not_ok "cluster across two VMs: flows seen, flows split or short: $split"
	fi
	fds_back_to "$fds0" "two VMs captured and powered off"
}

main() {
	[ "$(id -u)" = 0 ] || { not_ok "tests/e2e/run.sh must run as root"; exit 1; }
	EXTRA_PKGS="busybox-static" "$ROOT/scripts/deps.sh" >"$WORK/deps.log" 2>&1 ||
		{ tail -n 20 "$WORK/deps.log" | comment; not_ok "Debian packages"; exit 1; }
	build_project || exit 1
	build_qemu || exit 1
	[[ " $PHASES " == *" qtest "* ]] && run_qtest
	kernel || exit 1
	build_ko || exit 1
	if [[ " $PHASES " != *" vnplug "* ]]; then
		:
	elif make_initrd; then
		run_guest
		host_checks
		stop_vnplugd
	else
		not_ok "the guest's initramfs"
	fi
	if [[ " $PHASES " == *" vpfring "* || " $PHASES " == *" libvirt "* ]] &&
		! traffic_setup; then
		not_ok "the host's traffic (veth vpe0, scenarios)"
		PHASES=""
	fi
	if [[ " $PHASES " != *" vpfring "* ]]; then
		:
	elif make_vpf_initrd "$WORK/vpf.cpio.gz" main &&
		make_vpf_initrd "$WORK/vpfc.cpio.gz" cluster; then
		run_vpfring && run_cluster
		[ -n "$VNPLUGD_PID" ] && stop_vnplugd
	else
		not_ok "the vPF_RING guests' initramfs"
	fi
	[[ " $PHASES " == *" libvirt "* ]] && run_libvirt
	echo "# e2e: $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

main
