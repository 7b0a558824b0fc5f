#!/bin/sh
# /proc/net/pf_ring while pfcount captures through pf_ring.ko: the ring's
# own file names the application, device, settings and exact counters, the
# dev/ file counts the bound rings, info counts rings per namespace,
# promiscuous mode is set while the ring is open and dropped with it, and a
# ring in another network namespace shows only in that namespace's tree.
set -u
. "$ROOT/tests/vm/lib.sh"
PFCOUNT=$BUILD/bin/pfcount

echo "1..16"
veth_pair vqa vqb
"$PFCOUNT" -i vqa -e 1 -w 8 -p 200 -s 2 -c 7 -C 5 -d 6 -q >/tmp/pfcount.out 2>&1 &
cpid=$!
sleep 2
ring=$(ls /proc/net/pf_ring/ | grep -- '-vqa\.' | head -n 1)
f=/proc/net/pf_ring/$ring
check "a ring file PID-vqa.ID for pfcount" test -n "$ring" -a -r "$f"
check "its name starts with pfcount's pid" sh -c "echo '$ring' | grep -q '^$cpid-'"
field_is() {
	v=$(ring_field "$f" "$1")
	echo "$1: '$v', expected '$2'"
	[ "$v" = "$2" ]
}
check "Appl. Name is pfcount" field_is "Appl. Name" pfcount
check "Bound Device is vqa" field_is "Bound Device" vqa
check "Direction is RX only" field_is Direction "RX only"
check "Poll Watermark is 8" field_is "Poll Watermark" 8
check "Poll Duration is 200 ms" field_is "Poll Duration" "200 ms"
check "Sampling Rate is 2" field_is "Sampling Rate" 2
check "Cluster Id is 7, type 5-tuple" sh -c "grep -q '^Cluster Id *: 7 (type 4, 1 members)' $f"
check "info counts 1 ring" sh -c "grep -q '^Total rings *: 1$' /proc/net/pf_ring/info"
check "dev/vqa counts 1 bound ring" sh -c "grep -q '^# Bound Rings *: 1$' /proc/net/pf_ring/dev/vqa"
promisc() { [ $(($(cat /sys/class/net/vqa/flags) & 0x100)) -ne 0 ]; }
check "vqa is promiscuous while the ring is open" promisc
"$PFSEND" -i packet:vqb -n 300 -q >/dev/null 2>&1
sleep 1
counters() {
	cat "$f"
	[ "$(ring_field "$f" "Tot Packets")" = 300 ] &&
		[ "$(ring_field "$f" "Tot Insert")" = 150 ] &&
		[ "$(ring_field "$f" "Tot Filtered")" = 150 ]
}
check "300 seen, 150 sampled in, 150 sampled out" counters
wait $cpid
check "promiscuous mode dropped with the ring" eval '! promisc'

# another namespace: its own tree, which the initial one does not show
ip netns add pq
ip link set vqb netns pq
ip netns exec pq ip link set vqb up
ip netns exec pq "$BUILD/tests/progs/ringtool" hold vqb 3 >/dev/null 2>&1 &
hpid=$!
sleep 1
check "the namespace's tree shows its ring" sh -c "ip netns exec pq ls /proc/net/pf_ring/ | grep -q -- '-vqb\.'"
check "the initial namespace's tree does not" sh -c "! ls /proc/net/pf_ring/ | grep -q -- '-vqb\.'"
wait $hpid
ip netns del pq
ip link del vqa 2>/dev/null
exit 0
