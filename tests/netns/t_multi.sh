#!/bin/bash
# multi: one handle over two devices sees the traffic of both.
. "$(dirname "$0")/lib.sh"
plan 3

new_ns a; new_ns b
pair a b va1 vb1
pair a b va2 vb2
probe_start b m -i "multi:vb1;vb2" -n 1500 -I 800 || true
in_ns a "$BIN/pfsend" -i va1 -n 1000 -F 4 >/dev/null 2>&1
in_ns a "$BIN/pfsend" -i va2 -n 500 -F 4 >/dev/null 2>&1
probe_wait m
check "multi:vb1;vb2 receives both devices' packets" 1500 "$(field m received)"

probe_start b m -i "multi:vb1;vb2" -n 500 -I 800 -f "udp" -s 2 || true
in_ns a "$BIN/pfsend" -i va1 -n 500 -F 4 >/dev/null 2>&1
in_ns a "$BIN/pfsend" -i va2 -n 500 -F 4 >/dev/null 2>&1
probe_wait m
check "filters and sampling apply to every member" 500 "$(field m received)"

in_ns b "$PROGS/probe" -i "multi:vb1;nosuchdev0" -t 1 >"$TMP/bad" 2>&1
check "a missing member fails the open" 1 "$?"
