#!/bin/sh
# pf_ring.ko under abuse: 10,000 rings opened and closed, a reader that
# writes garbage into its page while packets flow, a device deleted under an
# open ring, unload with rings open, and the mmap-only fd. After each, the
# module's object counts, the kernel's socket count and VmallocUsed return
# exactly to where they started; run.sh fails the guest on any Oops/WARNING.
set -u
. "$ROOT/tests/vm/lib.sh"

echo "1..17"
veth_pair vra vrb || echo "# veth pair failed"
# warm up: process stacks and caches reach their steady state first
"$RINGTOOL" churn 10 vra >/dev/null
base=$(objects)
vbase=$(vmalloc_kb)
echo "# baseline: $base vmalloc=${vbase}kB"

check "open, map and close 10,000 rings" "$RINGTOOL" churn 10000 vra
check "object counts back to the baseline after 10,000 rings" settles "$base"
vm_back() {
	i=0
	while [ $i -lt 50 ]; do
		[ "$(vmalloc_kb)" -le "$vbase" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "VmallocUsed ${vbase}kB before, $(vmalloc_kb)kB after"
	return 1
}
check "VmallocUsed back to ${vbase}kB" vm_back

# garbage in the reader page while 20,000 packets arrive
"$RINGTOOL" garbage vra 4 >/tmp/garbage.out 2>&1 &
gpid=$!
sleep 1
"$PFSEND" -i packet:vrb -n 20000 -q >/dev/null 2>&1
wait $gpid
grc=$?
check "garbage reader exits cleanly" test $grc -eq 0
check "garbage reader's socket closes" grep -q '^closed' /tmp/garbage.out
every_packet_counted() {
	cat /tmp/garbage.out
	set -- $(sed -n 's/^garbage writes [0-9]* recv \([0-9]*\) drop \([0-9]*\)/\1 \2/p' /tmp/garbage.out)
	[ $# -eq 2 ] && [ $(($1 + $2)) -eq 20000 ]
}
check "each of 20,000 packets was written or counted lost" every_packet_counted
check "object counts back after the garbage reader" settles "$base"

# the mmap-only fd: maps the ring, refuses I/O, outlives the socket
"$RINGTOOL" memfd vra 3 >/tmp/memfd.out 2>&1 &
mpid=$!
sleep 1
"$PFSEND" -i packet:vrb -n 100 -q >/dev/null 2>&1
wait $mpid
check "mmap-only fd maps the ring and refuses read/write" test $? -eq 0
check "100 packets seen through the fd's mapping, readable after close" \
	grep -q 'memfd magic ok new 100 ' /tmp/memfd.out
check "object counts back after the mmap-only fd" settles "$base"

# a device deleted under an open ring
veth_pair vrc vrd
"$RINGTOOL" hold vrc 10 >/tmp/hold.out 2>&1 &
hpid=$!
sleep 1
check "ring file of the held ring in /proc/net/pf_ring" sh -c 'ls /proc/net/pf_ring/ | grep -q -- "-vrc\."'
ip link del vrc
wait $hpid
check "the ring reports ENODEV when its device goes" grep -q 'hold error No such device' /tmp/hold.out
check "its socket still closes" grep -q '^closed' /tmp/hold.out
check "dev/ entries of the deleted pair are gone" sh -c '! ls /proc/net/pf_ring/dev/vrc /proc/net/pf_ring/dev/vrd 2>/dev/null'
check "object counts back after the device went" settles "$base"

# unload with a ring open: refused while it is open, clean after
"$RINGTOOL" hold vra 4 >/tmp/hold2.out 2>&1 &
hpid=$!
sleep 1
check "rmmod refused while a ring is open" sh -c '! rmmod pf_ring'
wait $hpid
unload_reload() {
	unload && [ ! -e /proc/net/pf_ring ] && insmod "$PF_RING_KO" &&
		[ -e /proc/net/pf_ring/info ]
}
check "rmmod succeeds once the ring is closed, and the module reloads" unload_reload
ip link del vra 2>/dev/null
exit 0
