#!/bin/sh
# The guest half of tests/e2e/run.sh's vPF_RING test: /test.sh of the
# guest's initramfs. The host runs vnplugd and the patched QEMU, and a veth
# pair whose end vpe0 is the host interface captured here as host:vpe0;
# it sends traffic into vpe0 when this script asks with a line
# "@@E2E send NAME@@" (NAME: plain, mix, flows), and kills and restarts
# vnplugd on "@@E2E kill-vnplugd@@" and "@@E2E start-vnplugd@@".
#
# With ROLE=cluster in /etc/vpfr-vm.env the guest is one of two VMs that
# capture the same host interface at once (see run.sh): it prints
# "@@E2E ready@@" and the counts of its two captures, and the host checks
# them against the other VM's.
#
# /etc/vpfr-vm.env gives BUILD (the project's build tree in the guest),
# VNPLUG_KO and the packet counts of the host's scenarios. TAP on stdout.
set -u
# shellcheck disable=SC1091
. /etc/vpfr-vm.env
BIN=$BUILD/bin
PROBE=$BUILD/tests/progs/probe
SYS=/sys/class/misc/vnplug-ctrl
OUT=/tmp/e2e.out
N=0
PLAN=22
CLUSTER_PLAN=4

# shellcheck disable=SC1091
. /etc/vpfr-guest-lib.sh

# probe_bg NAME ARGS...: a probe on host:vpe0 in the background, into
# /tmp/NAME; returns once it is capturing.
probe_bg() {
	name=$1
	shift
	"$PROBE" -i host:vpe0 "$@" >"/tmp/$name" 2>"/tmp/$name.err" &
	eval "PID_$name=$!"
	i=0
	while [ $i -lt 600 ]; do
		grep -q '^ready' "/tmp/$name" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "# probe $name did not start:"
	sed 's/^/#   /' "/tmp/$name.err"
	return 1
}

probe_wait() { eval "wait \$PID_$1"; }

# field NAME KEY: KEY=... of the probe's "received=" line
field() { sed -n "s/.*\b$2=\([0-9]*\).*/\1/p" "/tmp/$1" | head -n 1; }

rule_field() {
	awk -v k="$2" -v id="$3" -v f="$4" '$1 == k && $2 == id {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "/tmp/$1"
}

cluster_role() {
	echo "1..$CLUSTER_PLAN"
	check "vnplug.ko loads" insmod "$VNPLUG_KO"
	check "vnplugd is connected" backend_is connected 60
	probe_bg all -I 3000 -t 300 -F
	probe_bg member -I 3000 -t 300 -F -c 7 -C 5
	echo "@@E2E ready@@"
	probe_wait all
	probe_wait member
	echo "@@E2E all received=$(field all received)@@"
	echo "@@E2E member received=$(field member received)@@"
	grep '^flow ' /tmp/member | sed 's/^/@@E2E flow /; s/$/@@/'
	eq "this VM's plain capture got every packet" "$FLOWS_N" "$(field all received)"
	check "every capture closed, every ring unplugged" no_leaks
}

main() {
	echo "1..$PLAN"
	check "vnplug.ko loads" insmod "$VNPLUG_KO"
	check "vnplugd is connected" backend_is connected 60

	# 3-5: a capture of the host's interface, exact
	probe_bg plain -n "$PLAIN_N" -I 5000 -t 300
	send plain
	probe_wait plain
	eq "probe on host:vpe0 received every packet" "$PLAIN_N" "$(field plain received)"
	eq "and the host dropped none" 0 "$(field plain dropped)"
	check "the ring device is unplugged after the capture" no_leaks

	# 6-7: the unmodified pfcount, built once for host and guest
	"$BIN/pfcount" -i host:vpe0 -n "$PLAIN_N" -q -d 300 >/tmp/pc 2>&1 &
	pc=$!
	ring_mapped && send plain
	wait $pc
	eq "pfcount -i host:vpe0 exits 0" 0 $?
	eq "pfcount -i host:vpe0 received every packet" "$PLAIN_N" \
		"$(sed -n 's/^pfcount: received=\([0-9]*\).*/\1/p' /tmp/pc)"

	# 8-11: filters pushed to the host kernel
	probe_bg bpf -n "$MIX_DNS" -I 5000 -t 300 -f "udp port 53"
	send mix
	probe_wait bpf
	eq "BPF 'udp port 53' set in the guest: exactly the DNS packets" "$MIX_DNS" "$(field bpf received)"
	probe_bg rules -n "$MIX_TCP" -I 5000 -t 300 -R -P drop -r id=1,action=forward,proto=6 \
		-H "id=2,action=drop,proto=17,a=10.0.0.2:53,b=10.0.0.1:1000"
	send mix
	probe_wait rules
	eq "wildcard rule and drop policy: exactly the TCP packets" "$MIX_TCP" "$(field rules received)"
	eq "the host's rule counter matched them" "$MIX_TCP" "$(rule_field rules rule 1 match)"
	probe_bg sampled -n "$MIX_SAMPLED" -I 5000 -t 300 -s 10
	send mix
	probe_wait sampled
	eq "sampling 1 in 10 on the host" "$MIX_SAMPLED" "$(field sampled received)"

	# 12: nothing the filter refused is anywhere in the guest's memory
	"$BUILD/tests/progs/vpfscan" -i host:vpe0 -f "udp port 53" -n "$MIX_DNS" -p 53 \
		>/tmp/scan 2>&1 &
	scan=$!
	ring_mapped && send mix
	wait $scan
	check "scanning the whole mapped ring finds only packets the filter passed" \
		grep -q "captured=$MIX_DNS in_ring=$MIX_DNS outside=0" /tmp/scan
	cat /tmp/scan | sed 's/^/# /'

	# 13-14: two applications in this VM each get every packet
	probe_bg c1 -n "$PLAIN_N" -I 5000 -t 300
	probe_bg c2 -n "$PLAIN_N" -I 5000 -t 300
	send plain
	probe_wait c1
	probe_wait c2
	eq "first of two captures in one VM got every packet" "$PLAIN_N" "$(field c1 received)"
	eq "second of two captures in one VM got every packet" "$PLAIN_N" "$(field c2 received)"

	# 15-16: a capture killed mid-run releases its ring
	"$BIN/pfcount" -i host:vpe0 -q >/tmp/pk 2>&1 &
	pk=$!
	ring_mapped && send plain
	sleep 1
	kill -KILL $pk
	wait $pk 2>/dev/null
	check "a SIGKILLed capture: session closed, ring unplugged" no_leaks
	eq "no ring device is left" 0 "$(ls -d /dev/vnplug[0-9]* 2>/dev/null | wc -l)"

	# 17-20: vnplugd killed under a capture, then restarted
	"$BIN/pfcount" -i host:vpe0 -q >/tmp/pr 2>&1 &
	pr=$!
	ring_mapped
	echo "@@E2E kill-vnplugd@@"
	check "the guest sees vnplugd go away" backend_is disconnected 60
	i=0
	while [ $i -lt 300 ] && kill -0 $pr 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	if kill -0 $pr 2>/dev/null; then kill -KILL $pr; fi
	wait $pr
	eq "pfcount stops with an error when vnplugd dies" 1 $(($? != 0))
	check "and says why" grep -q 'vnplugd is gone\|ring device is gone' /tmp/pr
	echo "@@E2E start-vnplugd@@"
	check "vnplugd is back" backend_is connected 60

	# 21: capture works again after the restart
	probe_bg again -n "$PLAIN_N" -I 5000 -t 300
	send plain
	probe_wait again
	eq "a capture after vnplugd's restart received every packet" "$PLAIN_N" "$(field again received)"

	# 22: the guest's own NICs still open as plain names
	check "a plain name is the guest's own interface (lo)" \
		"$BIN/pfcount" -i lo -d 1 -q

	# The VM powers off with this capture running: the host checks that
	# vnplugd frees everything.
	"$BIN/pfcount" -i host:vpe0 -q >/dev/null 2>&1 &
	ring_mapped
	echo "# powering off with a capture running"
}

if [ "${ROLE:-main}" = cluster ]; then cluster_role; else main; fi
