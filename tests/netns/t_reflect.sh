#!/bin/bash
# Reflect and bounce rules on AF_PACKET: a reflected packet leaves on the
# reflector device, a bounced one goes back out of the device it came in
# on, and the _stop actions keep them from the ring.
#
#   a:va <-> b:vb    (mix sent from va, captured with rules on vb)
#   b:vc <-> c:vd    (vc is the reflector; vd sees what was reflected)
. "$(dirname "$0")/lib.sh"
plan 6

new_ns a; new_ns b; new_ns c
pair a b va vb
pair b c vc vd
mkpcap mix "$TMP/mix.pcap"

probe_start c refl -i vd -e 1 -I 1000 -t 20 || true
probe_start a back -i va -e 1 -I 1000 -t 20 || true
probe_start b rules -i vb -n 380 -I 1000 -R \
	-r id=1,action=reflect,proto=17,dport=53,reflector=vc \
	-r id=2,action=bounce_cont,proto=1 || true
send_pcap a va "$TMP/mix.pcap"
for p in rules refl back; do probe_wait $p; done

check "reflect-and-stop keeps DNS from the ring" 380 "$(field rules received)"
check "the 100 DNS packets leave on the reflector" 100 "$(field refl received)"
check "bounce-and-continue sends the 50 pings back out" 50 "$(field back received)"
check "reflect rule counted its packets" 100 "$(rule_field rules rule 1 match)"
check "bounce rule counted its packets" 50 "$(rule_field rules rule 2 match)"

in_ns b "$PROGS/probe" -i vb -t 1 -r id=1,action=reflect,reflector=nosuch0 >"$TMP/bad" 2>&1
check "a missing reflector device is refused" 1 "$?"
