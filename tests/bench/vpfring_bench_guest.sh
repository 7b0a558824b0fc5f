#!/bin/bash
# The guest half of tests/bench/vpfring_bench.sh, run by bash from the
# initramfs's /test.sh. The host (vnplugd behind vnplug-ctrl, a tap behind
# this guest's virtio-net NIC fed by a bridge, and, for the passthrough
# stand-in, a second tap behind an e1000 NIC fed by a tc redirect) drives
# the run through a virtio-serial port named $PORT_NAME, one command a line:
#
#   cap ID PATH N   start pfcount for path PATH with -n N:
#                   vpfring   pfcount -i host:$HOST_IF (vPF_RING)
#                   virtio    pfcount -i packet:ethY (this guest's
#                             virtio-net NIC, on AF_PACKET)
#                   passthru  pfcount -i pfring:ethX (the NIC this guest
#                             owns, an e1000, on pf_ring.ko, which is
#                             loaded for this capture and unloaded after)
#                   answers "@@VPB@@ ready ID" once the ring is open
#   sent ID MAX     the host's burst is over: wait for pfcount to end
#                   (every packet, or its count still for $IDLE s, or MAX s
#                   passed) and
#                   answer "@@VPB@@ result ID received=.. dropped=.. end=..
#                   rx=.. rx_dropped=.. irqs=.." (rx, rx_dropped: the path's
#                   NIC's counters over the run, for the e1000 with its
#                   missed packets; irqs: its receive interrupts, virtio's
#                   input queue or the e1000's line)
#   quit            exit 0
#
# The NICs are found by their MAC addresses, not by the order the kernel
# named them in. Everything else it prints is "@@VPB@@ # ..." facts for the
# record. /etc/vpfr-vm.env gives BUILD, SRC, VNPLUG_KO, PORT_NAME, HOST_IF,
# IDLE, PFC_OPTS (more pfcount options: the poll watermark), VIRTIO_MAC,
# and, when the run has the passthrough path, PT_MAC and PF_RING_KO.
set -u
# shellcheck disable=SC1091
. /etc/vpfr-vm.env
# shellcheck source=tests/bench/bench_lib.sh
. "$SRC/tests/bench/bench_lib.sh"
PFCOUNT=$BUILD/bin/pfcount
SYS=/sys/class/misc/vnplug-ctrl
MARK="@@VPB@@"
PT_MAC=${PT_MAC:-}
PF_RING_KO=${PF_RING_KO:-}
NIC=
PT_NIC=
PORT=
PFC_PID=
CUR_NIC=
CUR_PATH=

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

# nic_of MAC: the name of the interface with that address.
nic_of() {
	local d
	for d in /sys/class/net/*; do
		[ "$(cat "$d/address" 2>/dev/null)" = "$1" ] && { echo "${d##*/}"; return 0; }
	done
	return 1
}

nic_stat() { cat "/sys/class/net/$1/statistics/$2"; }

# nic_rx_dropped NIC: what the NIC's driver counted as lost on receive
# (for the e1000, its missed packets too: the model counts one when its
# receive ring was full; the driver refreshes that every 2 s)
nic_rx_dropped() {
	echo $(($(nic_stat "$1" rx_dropped) + $(nic_stat "$1" rx_missed_errors)))
}

# nic_irqs NIC: its receive interrupts (all CPUs): virtio-net's input
# queues, or the line /proc/interrupts names after the NIC (the e1000's:
# one legacy line for every cause, possibly shared: "eth1, other").
nic_irqs() {
	local v=
	[ "$1" = "$NIC" ] && v=$NIC_VIRTIO-input
	awk -v v="$v" -v n="$1" '{
		hit = (v != "" && index($NF, v) == 1)
		if (v == "") for (j = 2; j <= NF; j++) if ($j == n || $j == n ",") hit = 1
		if (hit) for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i
	} END { print s + 0 }' /proc/interrupts
}

nic_up() {
	# Nothing of the guest's own on the wire: no IPv6, no address.
	sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1" 2>/dev/null || true
	ip link set "$1" up || fail "ip link set $1 up"
}

ko_loaded() { grep -q '^pf_ring ' /proc/modules; }

load_ko() {
	ko_loaded && return 0
	insmod "$PF_RING_KO" && ko_loaded && [ -d /proc/net/pf_ring ]
}

# unload_ko: rmmod pf_ring; a ring just closed holds the module until its
# RCU grace period ends, so retry for up to 10 s.
unload_ko() {
	local i=0
	ko_loaded || return 0
	while ! rmmod pf_ring 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || return 1
		sleep 0.1
	done
}

setup() {
	local p params=
	insmod "$VNPLUG_KO" || fail "insmod $VNPLUG_KO"
	wait_for 60 connected || fail "vnplugd not connected"
	wait_for 30 find_port || fail "no virtio-serial port named $PORT_NAME"
	sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
	NIC=$(nic_of "$VIRTIO_MAC") || fail "no NIC with address $VIRTIO_MAC (virtio-net)"
	NIC_VIRTIO=$(basename "$(readlink -f "/sys/class/net/$NIC/device")")
	nic_up "$NIC"
	say "# guest: $(nproc) vCPU(s), kernel $(uname -r), clocksource" \
		"$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)," \
		"$(sed -n 's/^MemTotal: *//p' /proc/meminfo) memory; virtio-net $NIC ($NIC_VIRTIO," \
		"$VIRTIO_MAC); command port $PORT;" \
		"IPv6 $([ -d /proc/sys/net/ipv6 ] && echo off || echo absent)"
	[ -n "$PT_MAC" ] || return 0
	PT_NIC=$(nic_of "$PT_MAC") || fail "no NIC with address $PT_MAC (the passthrough stand-in)"
	nic_up "$PT_NIC"
	# Promiscuous from now on, as a NIC dedicated to capture is: QEMU's
	# e1000 ignores its tap for 1 s after every write to its receive
	# control register (RCTL), which the driver rewrites whenever the
	# promiscuous flag changes; left to pfcount, every capture would start
	# deaf for a second. With the flag already set, pfcount's request only
	# counts up (no RCTL write).
	ip link set "$PT_NIC" promisc on || fail "ip link set $PT_NIC promisc on"
	# pf_ring.ko once now, so that a module that does not load fails the
	# run at once; its parameters for the record
	load_ko || fail "insmod $PF_RING_KO"
	for p in /sys/module/pf_ring/parameters/*; do
		params="$params ${p##*/}=$(cat "$p")"
	done
	unload_ko || fail "rmmod pf_ring"
	say "# guest: passthrough stand-in $PT_NIC ($(basename "$(readlink -f "/sys/class/net/$PT_NIC/device/driver")")," \
		"$PT_MAC, $(cat "/sys/class/net/$PT_NIC/device/vendor"):$(cat "/sys/class/net/$PT_NIC/device/device")," \
		"MTU $(cat "/sys/class/net/$PT_NIC/mtu"), promiscuous from boot); pf_ring.ko loaded for each of its" \
		"captures only, parameters:$params"
}

# cap ID PATH N
cmd_cap() {
	local dev
	case $2 in
	vpfring) dev=host:$HOST_IF CUR_NIC=$NIC ;;
	virtio) dev=packet:$NIC CUR_NIC=$NIC ;;
	passthru)
		if [ -z "$PT_NIC" ]; then
			say "ready $1 FAILED: no passthrough NIC in this guest"
			return
		fi
		if ! load_ko; then
			say "ready $1 FAILED: insmod $PF_RING_KO"
			return
		fi
		dev=pfring:$PT_NIC CUR_NIC=$PT_NIC
		;;
	*) say "ready $1 FAILED: unknown path $2"; return ;;
	esac
	CUR_ID=$1
	CUR_PATH=$2
	RX0=$(nic_stat "$CUR_NIC" rx_packets)
	RXD0=$(nic_rx_dropped "$CUR_NIC")
	IRQ0=$(nic_irqs "$CUR_NIC")
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
		"rx=$(($(nic_stat "$CUR_NIC" rx_packets) - RX0))" \
		"rx_dropped=$(($(nic_rx_dropped "$CUR_NIC") - RXD0))" \
		"irqs=$(($(nic_irqs "$CUR_NIC") - IRQ0))"
	grep -v '^pfcount:\|^ *$' /tmp/pc.err | head -n 3 | sed "s/^/$MARK # pfcount: /"
	# the other paths run without pf_ring.ko's packet handler
	if [ "$CUR_PATH" = passthru ] && ! unload_ko; then
		say "# rmmod pf_ring failed after capture $1: it stays loaded"
	fi
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
