#!/bin/bash
# Early filtering on AF_PACKET: BPF, wildcard and hash rules, the default
# policy and sampling pass exactly the expected packets of a known mix (see
# tests/netns/progs/mkpcap.c: 100 DNS, 200 HTTP requests, 50 pings, 30 UDP
# in VLAN 10, 40 IPv6 UDP, 60 HTTP replies = 480 packets).
#
# veth receive strips VLAN tags into packet metadata, so a BPF expression
# sees VLAN 10's packets as plain IPv4 UDP, while rules see their vlan_id.
. "$(dirname "$0")/lib.sh"
plan 34

new_ns a; new_ns b
pair a b va vb
mkpcap mix "$TMP/mix.pcap"

# case DESC EXPECTED PROBE-ARGS...: capture the mix once through the filters
case_run() {
	local desc=$1 expect=$2
	shift 2
	if ! probe_start b p -i vb -n "$expect" -I 700 -R "$@"; then
		not_ok "$desc: probe failed"; return
	fi
	send_pcap a va "$TMP/mix.pcap"
	probe_wait p
	check "$desc" "$expect" "$(field p received)"
}

case_run "no filter" 480
case_run "bpf udp port 53" 100 -f "udp port 53"
case_run "bpf tcp" 260 -f "tcp"
case_run "bpf icmp" 50 -f "icmp"
case_run "bpf ip6" 40 -f "ip6"
case_run "bpf udp (VLAN untagged by veth)" 170 -f "udp"
case_run "bpf src host" 300 -f "src host 10.0.0.1"
case_run "bpf tcp flags" 200 -f "tcp[tcpflags] & tcp-push != 0"

case_run "rule proto=17, policy drop" 170 -P drop -r id=1,action=forward,proto=17
case_run "rule dport=53" 100 -P drop -r id=1,action=forward,dport=53
case_run "rule dport range 50-80" 300 -P drop -r id=1,action=forward,dport=50-80
case_run "rule shost /24" 410 -P drop -r "id=1,action=forward,shost=10.0.0.0/24"
case_run "rule shost IPv6 /32" 40 -P drop -r "id=1,action=forward,shost=2001:db8::/32"
case_run "rule vlan=10" 30 -P drop -r id=1,action=forward,vlan=10
case_run "rule smac" 480 -P drop -r id=1,action=forward,smac=02:00:00:00:00:01
case_run "rule 5-tuple one way" 200 -P drop \
	-r "id=1,action=forward,proto=6,shost=10.0.0.1,sport=2000,dhost=10.0.0.2,dport=80"
case_run "rule 5-tuple bidirectional" 260 -P drop \
	-r "id=1,action=forward,proto=6,shost=10.0.0.1,sport=2000,dhost=10.0.0.2,dport=80,bidir=1"
case_run "rule payload pattern" 200 -P drop -r "id=1,action=forward,pattern=GET /"
case_run "rules in id order" 220 -r id=5,action=forward,proto=6 -r id=1,action=drop,proto=6
check "rule 1 counted every TCP packet" 260 "$(rule_field p rule 1 match)"
check "rule 1 filtered them" 260 "$(rule_field p rule 1 filtered)"
check "rule 5 never reached" 0 "$(rule_field p rule 5 match)"
case_run "execute-and-continue" 100 -P drop -r id=1,action=exec_cont,proto=17 \
	-r id=2,action=forward,dport=53
check "exec_cont rule counted all UDP" 170 "$(rule_field p rule 1 match)"

case_run "hash rule, both directions" 260 -P drop -U \
	-H "id=1,action=forward,proto=6,a=10.0.0.1:2000,b=10.0.0.2:80" \
	-r id=9,action=forward,proto=2 -r id=8,action=forward,proto=2,locked=1
check "hash rule counted both directions" 260 "$(rule_field p hashrule 1 match)"
check "idle purge: the unlocked wildcard rules go" 1 "$(sed -n 's/^purged wc=\([0-9-]*\).*/\1/p' "$TMP/p")"
check "idle purge: the hash rule goes" 1 "$(sed -n 's/^purged .*hash=\([0-9-]*\).*/\1/p' "$TMP/p")"
case_run "hash rule drop" 380 -H "id=2,action=drop,proto=17,a=10.0.0.2:53,b=10.0.0.1:1000"
case_run "hash rule IPv6" 40 -P drop \
	-H "id=3,action=forward,proto=17,a=[2001:db8::1]:3000,b=[2001:db8::2]:4000"
case_run "add-rule action follows the flow" 260 -P drop -r id=1,action=add,proto=6,dport=80

case_run "sampling 1 in 10" 48 -s 10
case_run "bpf then sampling" 26 -f tcp -s 10
case_run "bpf and rules together" 130 -f ip -P drop -r id=1,action=forward,proto=17
