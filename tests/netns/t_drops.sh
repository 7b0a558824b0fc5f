#!/bin/bash
# A reader too slow for the traffic loses packets and says so: drops show
# in pfring_stats(), and received + dropped never exceeds what was sent.
. "$(dirname "$0")/lib.sh"
plan 3

new_ns a; new_ns b
pair a b va vb
N=200000

probe_start b slow -i vb -S 200 -I 2000 -t 60 || true
in_ns a "$BIN/pfsend" -i va -n $N -l 60 -F 32 >"$TMP/send.out" 2>&1
kill -INT "$PID_slow" 2>/dev/null
probe_wait slow
rcv=$(field slow received); drop=$(field slow dropped)
[ "${drop:-0}" -gt 0 ] && ok "slow reader: $drop drops reported" || not_ok "slow reader: no drops reported (received $rcv)"
[ "${rcv:-0}" -gt 0 ] && ok "slow reader still received $rcv" || not_ok "slow reader received nothing"
[ $((rcv + drop)) -le $N ] && ok "received + dropped <= sent ($((rcv + drop)) <= $N)" ||
	not_ok "received + dropped > sent ($((rcv + drop)) > $N)"
