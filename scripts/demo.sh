#!/bin/bash
# The main job, host-only for now: builds vPF_RING, makes two network
# namespaces joined by a veth pair, and captures with pfcount on one side
# what pfsend sends from the other; then the same with an early filter that
# runs in the kernel. Needs root on Debian 12; installs its own packages.
#
#   scripts/demo.sh [PACKETS] [RATE_PPS]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-500000}
RATE=${2:-100000}
NS=vpfr-demo$$

cleanup() {
	ip netns del ${NS}a 2>/dev/null || true
	ip netns del ${NS}b 2>/dev/null || true
}
trap cleanup EXIT

"$ROOT/scripts/deps.sh"
make -C "$ROOT" -j2 lib tools >/dev/null
BIN=$ROOT/build/bin

for n in a b; do
	ip netns add $NS$n
	ip netns exec $NS$n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done
ip -n ${NS}a link add veth0 type veth peer name veth1 netns ${NS}b
ip -n ${NS}a link set veth0 up
ip -n ${NS}b link set veth1 up

run() {
	local title=$1
	shift
	echo
	echo "### $title"
	ip netns exec ${NS}b "$BIN/pfcount" -i veth1 -d $((N / RATE + 3)) "$@" &
	local pc=$!
	sleep 1
	ip netns exec ${NS}a "$BIN/pfsend" -i veth0 -n "$N" -p "$RATE" -l 64 -F 64 -q
	wait $pc
}

run "pfcount -i veth1 (pfsend: $N packets of 64 bytes at $RATE pps, 64 flows)"
run "pfcount -i veth1 -s 100 (1 in 100 sampled in the kernel)" -s 100
