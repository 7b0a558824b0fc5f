#!/bin/bash
# vPF_RING without a VM: the unmodified pfcount captures "host:IF" through
# vnplugd's back-end, with libvnplug's socket transport (VNPLUG_SOCKET)
# standing in for QEMU and the guest driver. Exact counts; refusals with
# clear errors; a capture killed, or vnplugd killed under a capture, leaves
# nothing behind.
. "$(dirname "$0")/lib.sh"
plan 15
VIA_HOST=1

new_ns a; new_ns b
pair a b va vb
N=2000
vnplugd_ns b || exit 1
VNPD=${VNPLUGD_PIDS[0]}
fds() { fd_count "$VNPD"; }
FDS0=$(fds)

# pfcount_host VM ARGS...: pfcount on host: names as VM VM, output in $TMP/pc
pfcount_host() { local vm=$1; shift; pfcount_via "$TMP/vnp-b/$vm.sock" b "$TMP/pc" "$@"; }
wait_fds() { fds_back "$VNPD" "$1"; }

# appl_names: the application names of vb's rings in b's /proc/net/pf_ring
appl_names() { in_ns b sh -c 'grep -h "Appl. Name" /proc/net/pf_ring/*-vb.*'; }

# 1-4: the same pfcount binary as on a host, on a host: name
(pfcount_host h1 -i host:vb -n $N -q -d 30) &
pc=$!
sleep 1.5
# The host ring is the kernel's default: with pf_ring.ko loaded (the vm
# tier) the module's, which /proc/net/pf_ring names after the VM and the
# guest's application; else AF_PACKET's, as vnplugd says.
if [ -d /proc/net/pf_ring ]; then
	check "/proc/net/pf_ring names the host ring after the VM and the guest's application" \
		"Appl. Name         : h1:pfcount" \
		"$(appl_names)"
else
	check "without pf_ring.ko the host ring is AF_PACKET's" 1 \
		"$(grep -c 'vm h1 session [0-9]*: vb open (AF_PACKET TPACKET_V3 ring' "$TMP/vnplugd-b.log")"
fi
in_ns a "$BIN/pfsend" -i va -n $N -F 16 -q >/dev/null 2>&1
wait $pc
check "pfcount -i host:vb exits 0" 0 $?
check "pfcount -i host:vb received every packet" $N \
	"$(sed -n 's/^pfcount: received=\([0-9]*\).*/\1/p' "$TMP/pc")"
check "pfcount -i host:vb dropped none" 0 \
	"$(sed -n 's/^pfcount: .*dropped=\([0-9]*\).*/\1/p' "$TMP/pc")"

# 5-7: refusals
(pfcount_host deny -i host:vb -d 1)
check "a VM may not capture an interface its configuration does not list" \
	1 "$(grep -c 'may not capture' "$TMP/pc")"
(pfcount_host h2 -i host:nosuch0 -d 1)
check "a missing host interface is a clear error" 1 "$(grep -ci 'nosuch0' "$TMP/pc" | head -c1)"
(pfcount_host nosuchvm -i host:vb -d 1)
check "a VM without a socket: the error names VNPLUG_SOCKET's path" 1 \
	"$(grep -c 'no vPF_RING session through VNPLUG_SOCKET=.*/nosuchvm.sock: no such socket' "$TMP/pc")"

# 8-9: a capture SIGKILLed mid-run: vnplugd closes the ring and its fds
wait_fds "$FDS0"
(pfcount_host h3 -i host:vb -q) &
pc=$!
sleep 1.5
in_ns a "$BIN/pfsend" -i va -n 500 -q >/dev/null 2>&1
grep -q 'vb open' "$TMP/vnplugd-b.log"
check "vnplugd logged the ring it opened for the capture" 0 $?
kill -KILL $pc; wait $pc 2>/dev/null
if wait_fds "$FDS0"; then ok "after SIGKILL vnplugd holds $FDS0 descriptors, as before"
else not_ok "after SIGKILL vnplugd holds $(fds) descriptors, $FDS0 before"; fi

# 10: the host ring is gone from vnplugd's view too
check "vnplugd logged the closing of the killed capture's ring" 1 \
	"$(grep -c 'closed' "$TMP/vnplugd-b.log" | awk '{print ($1 > 0)}')"

# 11-12: two consumers at once each get every packet
probe_start b c1 -i vb -n $N -I 1000 -t 30 || true
probe_start b c2 -i vb -n $N -I 1000 -t 30 || true
in_ns a "$BIN/pfsend" -i va -n $N -F 16 -q >/dev/null 2>&1
probe_wait c1; probe_wait c2
check "two captures of host:vb: the first got every packet" $N "$(field c1 received)"
check "two captures of host:vb: the second got every packet" $N "$(field c2 received)"

# 13-15: vnplugd killed under a capture: the application gets a clear
# error and stops; nothing of vnplugd's is left
(pfcount_host h4 -i host:vb -q) &
pc=$!
sleep 1.5
kill -KILL "$VNPD"; wait "$VNPD" 2>/dev/null
for i in $(seq 100); do kill -0 $pc 2>/dev/null || break; sleep 0.1; done
if kill -0 $pc 2>/dev/null; then
	not_ok "pfcount stops when vnplugd dies"; kill -KILL $pc
else
	ok "pfcount stops when vnplugd dies"
fi
wait $pc
check "pfcount exits non-zero when vnplugd dies" 1 $(( $? != 0 ))
check "pfcount says vnplugd is gone" 1 "$(grep -c 'vnplugd is gone' "$TMP/pc" | awk '{print ($1 > 0)}')"
