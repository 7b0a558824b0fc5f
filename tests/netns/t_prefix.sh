#!/bin/bash
# Back-end selection by device-name prefix: "packet:" is AF_PACKET,
# "pfring:" is pf_ring.ko, and no prefix is pf_ring.ko when
# /proc/net/pf_ring exists (in the capturing namespace), AF_PACKET
# otherwise. Without pf_ring.ko, "pfring:" fails with a clear message;
# with it (the VM tier), "pfring:" captures like the others.
. "$(dirname "$0")/lib.sh"
plan 7

new_ns a; new_ns b
pair a b va vb

# expect_exit DESC CODE PATTERN CMD...: exit code and a message matching PATTERN
expect_exit() {
	local desc=$1 code=$2 pat=$3 rc
	shift 3
	"$@" >"$TMP/out" 2>&1; rc=$?
	if [ $rc -eq "$code" ] && grep -qiE -- "$pat" "$TMP/out"; then ok "$desc"; else
		not_ok "$desc (exit $rc)"; sed 's/^/#   /' "$TMP/out" | head -5
	fi
}

# capture DEV: pfcount on DEV in b while pfsend sends N frames from a;
# prints how many pfcount received.
N=300
capture() {
	local pc
	in_ns b "$BIN/pfcount" -i "$1" -n $N -d 10 -q >"$TMP/pfcount.out" 2>&1 &
	PIDS+=($!); pc=$!
	sleep 1
	in_ns a "$BIN/pfsend" -i va -n $N -l 60 >/dev/null 2>&1
	wait $pc
	sed -n 's/^pfcount: .*received=\([0-9]*\).*/\1/p' "$TMP/pfcount.out"
}

if in_ns b test -e /proc/net/pf_ring; then
	echo "# pf_ring.ko is loaded: no prefix means pf_ring.ko"
	check "pfring:vb captures every frame" $N "$(capture pfring:vb)"
	expect_exit "pfring: missing interface" 1 "no such interface: nosuchdev0" \
		in_ns b "$BIN/pfcount" -i pfring:nosuchdev0 -d 1
else
	echo "# pf_ring.ko is not loaded: no prefix means AF_PACKET"
	expect_exit "pfring:vb without pf_ring.ko" 1 "pf_ring.ko is not loaded" \
		in_ns b "$BIN/pfcount" -i pfring:vb -d 1
	expect_exit "pfring:any without pf_ring.ko" 1 "pf_ring.ko is not loaded" \
		in_ns b "$BIN/pfcount" -i pfring:any -d 1
fi
check "no prefix captures every frame" $N "$(capture vb)"
check "packet:vb captures every frame" $N "$(capture packet:vb)"
check "packet:vb@0 captures every frame" $N "$(capture packet:vb@0)"
expect_exit "packet: missing interface" 1 "no such interface: nosuchdev0" \
	in_ns b "$BIN/pfcount" -i packet:nosuchdev0 -d 1
# A prefix inside multi: picks the back-end of each member.
check "multi:packet:vb captures every frame" $N "$(capture "multi:packet:vb")"
