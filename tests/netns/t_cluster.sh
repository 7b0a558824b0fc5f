#!/bin/bash
# Clusters: members of one cluster split the traffic with nothing lost or
# duplicated; per-flow clusters keep every flow on one member.
. "$(dirname "$0")/lib.sh"
plan 11

new_ns a; new_ns b
pair a b va vb
FLOWS=64 PER=40
N=$((FLOWS * PER))
mkpcap flows "$TMP/flows.pcap" $FLOWS $PER

# cluster_case TYPE MEMBERS
cluster_case() {
	local type=$1 members=$2 i total=0 nonempty=0 r
	for i in $(seq 1 "$members"); do
		probe_start b m$i -i vb -I 1000 -t 20 -F -c 7 -C "$type" || true
	done
	send_pcap a va "$TMP/flows.pcap"
	for i in $(seq 1 "$members"); do
		probe_wait m$i
		r=$(field m$i received)
		total=$((total + ${r:-0}))
		[ "${r:-0}" -gt 0 ] && nonempty=$((nonempty + 1))
	done
	check "cluster $type x$members: packets add up" $N $total
	check "cluster $type x$members: every member gets a share" "$members" $nonempty
}

# A flow seen by two members is split; the flow lines are per member.
flows_whole() {
	local members=$1
	cat $(for i in $(seq 1 "$members"); do echo "$TMP/m$i"; done) |
		awk '$1 == "flow" { n[$2" "$3" "$4]++; c[$2" "$3" "$4] += $5 }
		     END { bad = 0; for (f in n) if (n[f] > 1 || c[f] != '"$PER"') bad++;
			   print bad }'
}

cluster_case 5 3
check "5-tuple: each flow whole on one member" 0 "$(flows_whole 3)"
cluster_case 2 2
check "2-tuple: each flow whole on one member" 0 "$(flows_whole 2)"
cluster_case 6 2
check "6-tuple: each flow whole on one member" 0 "$(flows_whole 2)"
cluster_case rr 2
