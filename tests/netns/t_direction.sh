#!/bin/bash
# Direction: on the sending side a TX-only ring sees every packet sent and
# an RX-only ring none; on the receiving side the reverse.
. "$(dirname "$0")/lib.sh"
plan 4

new_ns a; new_ns b
pair a b va vb
N=1000

probe_start a tx -i va -n $N -I 700 -e 2 || true
probe_start a rx -i va -I 700 -t 6 -e 1 || true
probe_start b brx -i vb -n $N -I 700 -e 1 || true
probe_start b btx -i vb -I 700 -t 6 -e 2 || true
in_ns a "$BIN/pfsend" -i va -n $N -F 8 >/dev/null 2>&1
for p in tx rx brx btx; do probe_wait $p; done
check "sender, TX only" $N "$(field tx received)"
check "sender, RX only" 0 "$(field rx received)"
check "receiver, RX only" $N "$(field brx received)"
check "receiver, TX only" 0 "$(field btx received)"
