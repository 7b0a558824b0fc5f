#!/bin/sh
# pf_ring.ko's module parameters: transparent_mode other than 0 is refused
# with a clear message, min_num_slots sizes rings, enable_tx_capture=0 stops
# TX capture, quick_mode=1 allows one ring per device, enable_ip_defrag=1
# hands reassembled IPv4 datagrams to rings. Exact packet counts; static
# neighbours, so that no ARP packet spoils them.
set -u
. "$ROOT/tests/vm/lib.sh"

echo "1..13"
ip netns add pn
ip link add vpa type veth peer name vpb
ip link set vpb netns pn
sysctl -qw net.ipv6.conf.vpa.disable_ipv6=1
ip addr add 10.9.0.1/24 dev vpa
ip link set vpa up
ip netns exec pn sh -c 'sysctl -qw net.ipv6.conf.vpb.disable_ipv6=1;
	ip addr add 10.9.0.2/24 dev vpb; ip link set vpb up; ip link set lo up'
MAC_A=$(cat /sys/class/net/vpa/address)
MAC_B=$(ip netns exec pn cat /sys/class/net/vpb/address)
ip neigh replace 10.9.0.2 lladdr "$MAC_B" dev vpa nud permanent
ip netns exec pn ip neigh replace 10.9.0.1 lladdr "$MAC_A" dev vpb nud permanent

refused() {
	unload
	dmesg -c >/dev/null
	! insmod "$PF_RING_KO" transparent_mode=1 &&
		dmesg | grep 'transparent_mode=1 needs PF_RING-aware drivers'
}
check "transparent_mode=1 refused with a message naming the reason" refused
check "transparent_mode=0 loads" reload transparent_mode=0

# count_while SECS CMD...: ringtool counts on vpa for SECS while CMD runs
count_while() {
	secs=$1
	shift
	"$RINGTOOL" count vpa "$secs" >/tmp/count.out 2>&1 &
	cpid=$!
	sleep 1
	"$@" >/dev/null 2>&1
	wait $cpid
	sed -n 's/^packets \([0-9]*\) .*/\1/p' /tmp/count.out
}

slots() {
	"$RINGTOOL" hold vpa 2 >/dev/null 2>&1 &
	hpid=$!
	sleep 1
	f=$(ls /proc/net/pf_ring/*-vpa.* | head -n 1)
	n=$(ring_field "$f" "Num Slots")
	wait $hpid
	echo "Num Slots: $n"
	[ "$n" = "$1" ]
}
check "min_num_slots=1000 loads" reload min_num_slots=1000
check "a ring then has 1024 slots (the next power of two)" slots 1024
check "min_num_slots=1 refused" sh -c ". $ROOT/tests/vm/lib.sh; unload; ! insmod $PF_RING_KO min_num_slots=1"

tx_count() {
	n=$(count_while 3 "$PFSEND" -i packet:vpa -n 200 -q)
	echo "captured $n, expected $1"
	[ "$n" = "$1" ]
}
check "enable_tx_capture=0 loads" reload enable_tx_capture=0
check "no TX packet captured with enable_tx_capture=0" tx_count 0
reload
check "all 200 TX packets captured by default" tx_count 200

quick() {
	"$RINGTOOL" hold vpa 3 >/dev/null 2>&1 &
	hpid=$!
	sleep 1
	"$RINGTOOL" count vpa 0.1
	rc=$?
	wait $hpid
	[ $rc -ne 0 ]
}
check "quick_mode=1 loads" reload quick_mode=1
check "quick_mode=1 refuses a second ring on the device" quick

# 5 echo requests of 3000 bytes: 3 fragments each on a 1500-byte MTU
frag_count() {
	export RT_DIRECTION=1
	n=$(count_while 4 ip netns exec pn ping -c 5 -i 0.2 -s 3000 10.9.0.1)
	unset RT_DIRECTION
	echo "captured $n RX packets, expected $1"
	[ "$n" = "$1" ]
}
reload
check "15 RX fragments captured without enable_ip_defrag" frag_count 15
check "enable_ip_defrag=1 loads" reload enable_ip_defrag=1
check "5 reassembled RX datagrams captured with enable_ip_defrag=1" frag_count 5
reload
ip link del vpa
ip netns del pn
exit 0
