#!/bin/bash
# pfsend sends exactly N packets and pfcount / the probe receive exactly N,
# in zero-copy, copy and active-wait modes.
. "$(dirname "$0")/lib.sh"
plan 9

new_ns a; new_ns b
pair a b va vb

N=5000
in_ns b "$BIN/pfcount" -i vb -n $N -d 20 -q >"$TMP/pfcount.out" 2>&1 &
PIDS+=($!); pc=$!
sleep 1
in_ns a "$BIN/pfsend" -i va -n $N -l 60 -F 16 >"$TMP/send.out" 2>&1
check "pfsend reports $N sent" "$N" "$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' "$TMP/send.out")"
wait $pc
check "pfcount receives exactly $N" "$N" \
	"$(sed -n 's/^pfcount: .*received=\([0-9]*\).*/\1/p' "$TMP/pfcount.out")"

# Copy mode, active wait, and the two ends of the watermark / poll
# duration range (one wake-up per packet; large blocks that only the
# poll duration hands over).
for mode in "" "-b" "-a" "-w 1 -d 10" "-w 4096 -d 300"; do
	probe_start b p -i vb -n $N $mode || true
	in_ns a "$BIN/pfsend" -i va -n $N -l 128 -F 4 >/dev/null 2>&1
	probe_wait p
	check "probe ${mode:-zero-copy} receives exactly $N" "$N" "$(field p received)"
done

probe_start b p -i vb -n 3 -I 500 || true
in_ns a "$BIN/pfsend" -i va -n 3 -l 1514 >/dev/null 2>&1
probe_wait p
check "full-size frames arrive whole" 3 "$(field p received)"

# Without traffic pfcount ends at -d with nothing counted.
in_ns b "$BIN/pfcount" -i vb -d 1 -q >"$TMP/idle.out" 2>&1
check "no traffic, no packets" 0 "$(sed -n 's/^pfcount: .*received=\([0-9]*\).*/\1/p' "$TMP/idle.out")"
