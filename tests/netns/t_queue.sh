#!/bin/bash
# dev@queue on a veth with four queues: rings bound to single queues share
# the device's traffic between them, nothing twice, each flow on one queue.
# (veth hands the sender's TX queue index over as the packet's recorded
# queue, so with rx queue = recorded - 1, queue 3 stays empty.)
. "$(dirname "$0")/lib.sh"
plan 4

new_ns a; new_ns b
pair a b va vb numtxqueues 4 numrxqueues 4
FLOWS=64 PER=20
N=$((FLOWS * PER))
mkpcap flows "$TMP/flows.pcap" $FLOWS $PER

for q in 0 1 2 3; do probe_start b q$q -i vb@$q -F -I 1000 -t 20 || true; done
probe_start b all -i vb -n $N -I 1000 || true
send_pcap a va "$TMP/flows.pcap"
total=0 used=0
for q in 0 1 2 3; do
	probe_wait q$q
	r=$(field q$q received); total=$((total + ${r:-0}))
	[ "${r:-0}" -gt 0 ] && used=$((used + 1))
done
probe_wait all
check "whole device sees every packet" $N "$(field all received)"
check "queues add up to the device" $N $total
[ $used -ge 2 ] && ok "traffic spread over $used queues" || not_ok "only $used queue(s) saw traffic"
split=$(cat "$TMP"/q[0-3] | awk '$1 == "flow" { n[$2" "$3" "$4]++ } END { b = 0; for (f in n) if (n[f] > 1) b++; print b }')
check "no flow on two queues" 0 "$split"
