#!/bin/bash
# vnplugd follows its include_dir and reloads on SIGHUP, without a restart
# and without disturbing the VMs that stay: a file dropped in gives its VM
# a socket (no signal sent), a burst of files is one reload, a capture on
# one VM runs on while another VM comes and goes and its own limits drop
# below what it uses, removing a VM's file
# ends its capture with a clear error and removes its socket, a file with
# an error changes nothing, SIGHUP applies an edited main file, and
# vnplugd holds as many descriptors at the end as at the start, and exits
# cleanly (under SAN=1: no leak, no sanitizer report). The
# capture clients are libvnplug's socket transport (VNPLUG_SOCKET)
# standing in for QEMU, as in t_vpfring.sh.
. "$(dirname "$0")/lib.sh"
plan 28

new_ns a; new_ns b
pair a b va vb
N=1000
D=$TMP/rl
INC=$D/vnplugd.d
LOG=$TMP/vnplugd-rl.log
mkdir -p "$INC"

# main_conf IFACES: the main file, with VM m allowed IFACES
main_conf() {
	printf '[global]\nsocket_dir = %s\ninclude_dir = %s\nlog_level = info\n\n[vm m]\ninterfaces = %s\n' \
		"$D" "$INC" "$1" >"$D/main.conf"
}

# vm_file NAME [MAX_RINGS]: what a libvirt hook does: write a hidden file
# and rename it into place
vm_file() {
	printf '[vm %s]\ninterfaces = vb\nmax_rings = %s\n' "$1" "${2:-4}" >"$INC/.libvirt-$1.conf.tmp"
	mv "$INC/.libvirt-$1.conf.tmp" "$INC/libvirt-$1.conf"
}

# within SECONDS CMD...: CMD succeeds within SECONDS (tried every 50 ms)
within() {
	local t=$(($1 * 20)) i
	shift
	for i in $(seq "$t"); do "$@" && return 0; sleep 0.05; done
	"$@"
}
gone() { [ ! -e "$1" ]; }
logged() { grep -c -- "$1" "$LOG"; }
log_has() { grep -q -- "$1" "$LOG"; }
# log_more PATTERN N: more than N lines match PATTERN
log_more() { [ "$(logged "$1")" -gt "$2" ]; }

main_conf 'nosuch*'
# not through in_ns: $! must be vnplugd itself (ip netns exec execs it)
ip netns exec "${NS}b" "$BIN/vnplugd" -c "$D/main.conf" >"$LOG" 2>&1 &
VNPD=$!
VNPLUGD_PIDS+=($VNPD)
if ! within 5 test -S "$D/m.sock" || ! within 2 log_has 'watching include_dir'; then
	echo "# vnplugd did not start:"; sed 's/^/#   /' "$LOG"; exit 1
fi
# vnplugd's own check of a newly watched directory, 100 ms later
sleep 0.5
fds() { fd_count "$VNPD"; }
wait_fds() { fds_back "$VNPD" "$1"; }
FDS0=$(fds)

# pfcount_vm VM ARGS...: pfcount as VM VM's guest, output in $TMP/pc-VM
pfcount_vm() { local vm=$1; shift; pfcount_via "$D/$vm.sock" b "$TMP/pc-$vm" "$@"; }
send() { in_ns a "$BIN/pfsend" -i va -n "$1" -F 16 -q >/dev/null 2>&1; }

# 1: a file dropped in, no signal: the socket comes
vm_file vA
if within 2 test -S "$D/vA.sock"; then ok "vA's file dropped in: its socket within 2 s, no signal"
else not_ok "vA's file dropped in: no socket within 2 s"; fi
check "one line says so" 1 "$(logged 'configuration reloaded: 2 VMs (+1 -0 ~0)')"

# 3-10: a capture on vA runs on while vB comes and goes, and while vA's
# max_rings drops below the ring it uses
in_ns b env VNPLUG_SOCKET="$D/vA.sock" "$PROGS/probe" -i host:vb -n $((2 * N)) -I 4000 -t 40 \
	>"$TMP/pA" 2>"$TMP/pA.err" &
PA=$!
PIDS+=($PA)
if within 10 grep -q '^ready' "$TMP/pA"; then ok "a capture on vA is running"
else not_ok "the capture on vA did not start"; sed 's/^/#   /' "$TMP/pA.err"; fi
send $N
vm_file vB
if within 2 test -S "$D/vB.sock"; then ok "vB's file dropped in: its socket within 2 s"
else not_ok "vB's file dropped in: no socket within 2 s"; fi
rm "$INC/libvirt-vB.conf"
if within 2 gone "$D/vB.sock"; then ok "vB's file removed: its socket gone within 2 s"
else not_ok "vB's file removed: its socket still there after 2 s"; fi
check "vB's removal is one reload" 1 "$(logged 'configuration reloaded: 2 VMs (+0 -1 ~0)')"
vm_file vA 0
within 2 log_has 'configuration reloaded: 2 VMs (+0 -0 ~1)'
check "vA's max_rings = 0: one reload changes vA" 1 "$(logged 'vm vA: max_rings changed')"
check "a warning says its ring exceeds the limit and keeps running" 1 \
	"$(logged 'warning: vm vA: 1 ring exceeds the new max_rings=0 (1 in use): they keep running')"
send $N
wait $PA
check "the capture on vA exits 0" 0 $?
check "the capture on vA got every packet, before and after vB" $((2 * N)) \
	"$(sed -n 's/^received=\([0-9]*\).*/\1/p' "$TMP/pA")"

# back to 4 for what follows: a second change
vm_file vA
within 2 test "$(logged 'vm vA: max_rings changed')" = 2

# 11-13: a burst of files (a host starting its domains) is one reload, and
# so is their removal
for i in 1 2 3 4 5; do vm_file "burst$i"; done
if within 2 test -S "$D/burst5.sock"; then sleep 0.3; fi
check "five files at once: one reload adds them" 1 "$(logged 'configuration reloaded: 7 VMs (+5 -0 ~0)')"
rm "$INC"/libvirt-burst*.conf
within 2 gone "$D/burst1.sock"
sleep 0.3
check "their removal: one reload removes them" 1 "$(logged 'configuration reloaded: 2 VMs (+0 -5 ~0)')"
check "their sockets are gone" 0 "$(find "$D" -name 'burst*.sock' | wc -l)"

# 14-17: a file with an error changes nothing
printf '[vm vC]\nmax_rings = lots\n' >"$INC/libvirt-vC.conf"
if within 2 log_has 'libvirt-vC.conf:2: max_rings: bad number'; then
	ok "a file with an error: the error is logged with its file and line"
else not_ok "a file with an error: no error logged"; fi
check "it is logged at error level, the running configuration stays" 1 \
	"$(logged 'error: configuration not reloaded (include_dir changed): .*; the running one (2 VMs) stays')"
check "vA's and m's sockets stay" "yes yes" \
	"$([ -S "$D/vA.sock" ] && echo yes) $([ -S "$D/m.sock" ] && echo yes)"
kill -0 "$VNPD" 2>/dev/null
check "vnplugd keeps running" 0 $?
n=$(logged 'configuration reloaded: 2 VMs (+0 -0 ~0)')
rm "$INC/libvirt-vC.conf"
within 2 log_more 'configuration reloaded: 2 VMs (+0 -0 ~0)' "$n"

# 18-21: removing vA's file ends vA's capture and removes its socket
opened=$(logged 'vm vA session [0-9]*: vb open')
(pfcount_vm vA -i host:vb -q -d 60) &
pc=$!
within 10 log_more 'vm vA session [0-9]*: vb open' "$opened"
rm "$INC/libvirt-vA.conf"
for i in $(seq 100); do kill -0 $pc 2>/dev/null || break; sleep 0.05; done
if kill -0 $pc 2>/dev/null; then
	not_ok "vA's file removed: its capture still runs after 5 s"; kill -KILL $pc
else
	ok "vA's file removed: its capture stops"
fi
wait $pc
check "the capture exits non-zero" 1 $(($? != 0))
# (which of the two it notices first depends on the ring's format)
said=$(grep -c 'vnplugd is gone\|ring device is gone' "$TMP/pc-vA" | awk '{print ($1 > 0)}')
check "the capture says vnplugd or its ring device is gone" 1 "$said"
[ "$said" = 1 ] || sed 's/^/#   /' "$TMP/pc-vA" | tail -n 5
if within 2 gone "$D/vA.sock"; then ok "vA's socket is gone"
else not_ok "vA's socket is still there"; fi

# 22-24: SIGHUP applies an edited main file: m may now capture vb
(pfcount_vm m -i host:vb -d 1)
check "before: m may not capture vb" 1 "$(grep -c 'may not capture' "$TMP/pc-m")"
main_conf vb
kill -HUP "$VNPD"
within 2 log_has 'vm m: interfaces changed'
check "SIGHUP: m's interfaces changed, in one reload" 1 "$(logged 'configuration reloaded: 1 VM (+0 -0 ~1)')"
(pfcount_vm m -i host:vb -n $N -q -d 30) &
pc=$!
within 10 log_has 'vm m session [0-9]*: vb open'
sleep 0.5
send $N
wait $pc
check "after: m's capture of vb got every packet" $N \
	"$(sed -n 's/^pfcount: received=\([0-9]*\).*/\1/p' "$TMP/pc-m")"

# 25-28: nothing left behind
if wait_fds "$FDS0"; then ok "vnplugd holds $FDS0 descriptors, as before"
else not_ok "vnplugd holds $(fds) descriptors, $FDS0 before"; fi
check "sockets left: m's only" "m.sock" "$(cd "$D" && ls -- *.sock | tr '\n' ' ' | sed 's/ $//')"
kill -TERM "$VNPD"
wait "$VNPD"
check "vnplugd exits 0 on SIGTERM" 0 $?
check "no sanitizer report, no socket left" "0 0" \
	"$(grep -c 'Sanitizer' "$LOG") $(find "$D" -name '*.sock' | wc -l)"
