#!/bin/bash
# pcap: replay yields the file's packets exactly, through the same filters
# (applied by the library). Here VLAN tags stay in the frames.
. "$(dirname "$0")/lib.sh"
plan 9

mkpcap mix "$TMP/mix.pcap"
P="pcap:$TMP/mix.pcap"

"$BIN/pfcount" -i "$P" -q >"$TMP/pc.out" 2>&1
check "pfcount replays every packet" 480 \
	"$(sed -n 's/^pfcount: .*received=\([0-9]*\).*/\1/p' "$TMP/pc.out")"

pcase() {
	local desc=$1 expect=$2
	shift 2
	"$PROGS/probe" -i "$P" -R "$@" >"$TMP/p" 2>"$TMP/p.err"
	check "$desc" "$expect" "$(field p received)"
}
pcase "bpf udp (tagged VLAN frames are not plain udp)" 140 -f udp
pcase "bpf vlan 10 and udp" 30 -f "vlan 10 and udp"
pcase "rule vlan=10" 30 -P drop -r id=1,action=forward,vlan=10
pcase "hash rule both directions" 260 -P drop -H "id=1,action=forward,proto=6,a=10.0.0.1:2000,b=10.0.0.2:80"
check "hash rule counters" 260 "$(rule_field p hashrule 1 match)"
pcase "sampling 1 in 10" 48 -s 10

"$PROGS/probe" -i "pcap:$TMP/nonexistent.pcap" >"$TMP/bad" 2>&1
check "a missing file is an error" 1 "$?"
"$PROGS/probe" -i "$P" -r id=1,action=reflect,reflector=lo >"$TMP/bad" 2>&1
check "reflect on a file is refused" 1 "$?"
