#!/bin/bash
# The guest half of tests/bench/vpfring_bench.sh, run by bash from the
# initramfs's /test.sh. The host (vnplugd behind vnplug-ctrl, a tap behind
# this guest's virtio-net NIC, both fed by the same bridge) drives the run
# through a virtio-serial port named $PORT_NAME, one command a line:
#
#   cap ID PATH N   start pfcount for path PATH with -n N:
#                   vpfring  pfcount -i host:$HOST_IF (vPF_RING)
#                   virtio   pfcount -i eth0 (this guest's virtio-net NIC)
#                   answers "@@VPB@@ ready ID" once the ring is open
#   sent ID MAX     the host's burst is over: wait for pfcount to end
#                   (every packet, or its count still for $IDLE s, or MAX s
#                   passed) and
#                   answer "@@VPB@@ result ID received=.. dropped=.. end=..
#                   rx=.. rx_dropped=.. irqs=.." (rx, rx_dropped: eth0's
#                   counters over the run; irqs: eth0's virtio input
#                   interrupts over the run)
#   quit            exit 0
#
# Everything else it prints is "@@VPB@@ # ..." facts for the record.
# /etc/vpfr-vm.env gives BUILD, SRC, VNPLUG_KO, PORT_NAME, HOST_IF, IDLE and
# PFC_OPTS (more pfcount options: the poll watermark).
set -u
# shellcheck disable=SC1091
. /etc/vpfr-vm.env
# shellcheck source=tests/bench/bench_lib.sh
. "$SRC/tests/bench/bench_lib.sh"
PFCOUNT=$BUILD/bin/pfcount
SYS=/sys/class/misc/vnplug-ctrl
MARK="@@VPB@@"
NIC=eth0
PORT=
PFC_PID=

say() { echo "$MARK $*"; }

fail() {
	say "FAILED: $*"
	exit 1
}

# shellcheck disable=SC2317 # called through wait_for
connected() { [ "$(cat "$SYS/backend" 2>/dev/null)" = connected ]; }

# shellcheck disable=SC2317 # called through wait_for
find_port() {
	local d
	for d in /sys/class/virtio-ports/*; do
		[ -f "$d/name" ] || continue
		if [ "$(cat "$d/name")" = "$PORT_NAME" ] && [ -c "/dev/${d##*/}" ]; then
			PORT=/dev/${d##*/}
			return 0
		fi
	done
	return 1
}

# wait_for SECONDS CMD...: until CMD succeeds, at most SECONDS.
wait_for() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

nic_stat() { cat "/sys/class/net/$NIC/statistics/$1"; }

# The NIC's virtio receive interrupts (all its input queues, all CPUs).
nic_irqs() {
	awk -v d="$NIC_VIRTIO-input" 'index($NF, d) == 1 {
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }' /proc/interrupts
}

setup() {
	insmod "$VNPLUG_KO" || fail "insmod $VNPLUG_KO"
	wait_for 60 connected || fail "vnplugd not connected"
	wait_for 30 find_port || fail "no virtio-serial port named $PORT_NAME"
	[ -d "/sys/class/net/$NIC" ] || fail "no $NIC (virtio-net)"
	NIC_VIRTIO=$(basename "$(readlink -f "/sys/class/net/$NIC/device")")
	# Nothing of the guest's own on the wire: no IPv6, no address.
	sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
		"net.ipv6.conf.$NIC.disable_ipv6=1" 2>/dev/null || true
	ip link set "$NIC" up || fail "ip link set $NIC up"
	say "# guest: $(nproc) vCPU(s), kernel $(uname -r), clocksource" \
		"$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)," \
		"$(sed -n 's/^MemTotal: *//p' /proc/meminfo) memory; $NIC ($NIC_VIRTIO," \
		"$(cat "/sys/class/net/$NIC/address")); command port $PORT;" \
		"IPv6 $([ -d /proc/sys/net/ipv6 ] && echo off || echo absent)"
}

# cap ID PATH N
cmd_cap() {
	local dev
	case $2 in
	vpfring) dev=host:$HOST_IF ;;
	virtio) dev=$NIC ;;
	*) say "ready $1 FAILED: unknown path $2"; return ;;
	esac
	CUR_ID=$1
	RX0=$(nic_stat rx_packets)
	RXD0=$(nic_stat rx_dropped)
	IRQ0=$(nic_irqs)
	# both directions, pfcount's default: a direction would need an eBPF
	# filter; nothing is sent on either interface (the host checks)
	# shellcheck disable=SC2086 # PFC_OPTS: options, split
	"$PFCOUNT" -i "$dev" -n "$3" -t "$PFC_TICK" ${PFC_OPTS:-} >/tmp/pc.out 2>/tmp/pc.err &
	PFC_PID=$!
	if wait_line /tmp/pc.out '^Capturing from' 60 "$PFC_PID"; then
		say "ready $1"
	else
		say "ready $1 FAILED: pfcount -i $dev: $(tr '\n' ' ' </tmp/pc.err | cut -c1-200)"
		kill -KILL "$PFC_PID" 2>/dev/null
		wait "$PFC_PID" 2>/dev/null
		PFC_PID=
	fi
}

# sent ID MAX_S
cmd_sent() {
	local end
	if [ -z "$PFC_PID" ] || [ "$1" != "$CUR_ID" ]; then
		say "result $1 FAILED: no capture running"
		return
	fi
	end=$(pfcount_finish "$PFC_PID" /tmp/pc.out "$IDLE" "${2:-600}")
	wait "$PFC_PID" 2>/dev/null
	PFC_PID=
	say "result $1 received=$(pfcount_field /tmp/pc.out received)" \
		"dropped=$(pfcount_field /tmp/pc.out dropped) end=$end" \
		"rx=$(($(nic_stat rx_packets) - RX0)) rx_dropped=$(($(nic_stat rx_dropped) - RXD0))" \
		"irqs=$(($(nic_irqs) - IRQ0))"
	grep -v '^pfcount:\|^ *$' /tmp/pc.err | head -n 3 | sed "s/^/$MARK # pfcount: /"
}

main() {
	local cmd id rest
	setup
	exec 3<"$PORT"
	say "hello"
	while read -r cmd id rest <&3; do
		case $cmd in
		cap) cmd_cap "$id" $rest ;;
		sent) cmd_sent "$id" $rest ;;
		quit) say "bye"; exit 0 ;;
		*) say "# unknown command '$cmd'" ;;
		esac
	done
	fail "the command port closed"
}

main
