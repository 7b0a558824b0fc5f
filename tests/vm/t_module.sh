#!/bin/sh
# pf_ring.ko loads, describes itself in /proc/net/pf_ring/info with its
# version ("PF_RING Version : X.Y.Z", as PF_RING's info file always has), and
# unloads when no socket is open. Runs in the tests/vm module guest, which
# loads $PF_RING_KO before every script; this one leaves it loaded again.
set -u
. "$ROOT/tests/vm/lib.sh"

loaded() { grep -q '^pf_ring ' /proc/modules; }
unloaded() { ! loaded && [ ! -e /proc/net/pf_ring ]; }
version() {
	cat /proc/net/pf_ring/info &&
		grep -Eq '^PF_RING Version[[:space:]]*:[[:space:]]*[0-9]+\.[0-9]+\.[0-9]+' \
			/proc/net/pf_ring/info
}

echo "1..7"
check "pf_ring.ko is loaded" loaded
check "/proc/net/pf_ring/info exists" test -r /proc/net/pf_ring/info
check "info shows the version" version
sed -n 's/^\(PF_RING Version.*\)/#   \1/p' /proc/net/pf_ring/info 2>/dev/null
check "rmmod pf_ring with no socket open" rmmod pf_ring
check "unloaded: gone from /proc/modules and /proc/net" unloaded
check "loads again after rmmod" insmod "$PF_RING_KO"
check "info is back with the version" version
