#!/bin/bash
# The AF_PACKET back-end's API calls on a live veth pair with 4 queues:
# device address and id, RX channels, MTU, selectable fd, next packet time,
# queued packets, zero-copy receive, send, send_last_rx_packet, a
# pfring_breakloop() that wakes a blocked loop, pfring_open_multichannel.
. "$(dirname "$0")/lib.sh"

new_ns a
ip -n "${NS}a" link add va numtxqueues 4 numrxqueues 4 type veth peer name vb \
	numtxqueues 4 numrxqueues 4
ip -n "${NS}a" link set va up
ip -n "${NS}a" link set vb up
in_ns a timeout 60 "$PROGS/apicheck" va vb
