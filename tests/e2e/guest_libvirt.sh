#!/bin/sh
# The guest half of tests/e2e/run.sh's libvirt phase: /test.sh of the
# initramfs of a domain that libvirt started from the XML vnplug-virt
# wrote. Runs the commands of docs/operators-guide.md's guest section on
# host:vpe0, a veth of the host fed from a namespace when this script asks
# ("@@E2E send NAME@@"), with exact counts. Then it leaves a capture
# running and says "@@E2E capturing@@": the host destroys the domain under
# it (virsh destroy) and checks that vnplugd let go of everything.
#
# /etc/vpfr-vm.env gives BUILD, VNPLUG_KO and the scenarios' counts. TAP on
# stdout.
set -u
# shellcheck disable=SC1091
. /etc/vpfr-vm.env
BIN=$BUILD/bin
SYS=/sys/class/misc/vnplug-ctrl
OUT=/tmp/lv.out
N=0
PLAN=8

# shellcheck disable=SC1091
. /etc/vpfr-guest-lib.sh

received() { sed -n 's/^pfcount: received=\([0-9]*\).*/\1/p' "$1"; }

echo "1..$PLAN"
check "vnplug.ko loads" insmod "$VNPLUG_KO"
check "vnplugd answers through the domain's vnplug-ctrl device" backend_is connected 60

"$BIN/pfcount" -i host:vpe0 -n "$PLAIN_N" -q -d 300 >/tmp/pc 2>&1 &
pc=$!
ring_mapped && send plain
wait $pc
eq "pfcount -i host:vpe0 exits 0" 0 $?
eq "pfcount -i host:vpe0 received every packet" "$PLAIN_N" "$(received /tmp/pc)"

"$BIN/pfcount" -i host:vpe0 -f "udp port 53" -n "$MIX_DNS" -q -d 300 >/tmp/pf 2>&1 &
pf=$!
ring_mapped && send mix
wait $pf
eq "pfcount -f 'udp port 53' (set in the host kernel): exactly the DNS packets" \
	"$MIX_DNS" "$(received /tmp/pf)"

"$BIN/pfdump" -i host:vpe0 -w /tmp/lv.pcap -n "$PLAIN_N" -d 300 >/tmp/pd 2>&1 &
pd=$!
ring_mapped && send plain
wait $pd
"$BIN/pfcount" -i pcap:/tmp/lv.pcap -q >/tmp/pr 2>&1
eq "pfdump -i host:vpe0 wrote every packet to a pcap file" "$PLAIN_N" "$(received /tmp/pr)"

check "every capture closed, every ring unplugged" no_leaks

# Left running: the host destroys the domain under it.
"$BIN/pfcount" -i host:vpe0 -q >/dev/null 2>&1 &
ring_mapped
check "a capture is running for the host to destroy the domain under" \
	test "$(stat rings)" = 1
echo "@@E2E capturing@@"
while :; do sleep 60; done
