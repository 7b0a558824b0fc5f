#!/bin/sh
# Shared by the e2e guest scripts (guest_vnplug.sh, guest_vpfring.sh,
# guest_libvirt.sh), which source it from /etc/vpfr-guest-lib.sh in their
# initramfs: TAP checks, the state of vnplug.ko's control device and its
# ring devices, requests to the host. Uses N (results so far), OUT (a
# scratch file) and SYS (/sys/class/misc/vnplug-ctrl) of the script.

# check DESC CMD...: one result, ok when CMD succeeds; its output follows
# as comments (the last 3 lines, or 30 on failure).
check() {
	desc=$1
	shift
	N=$((N + 1))
	if "$@" >"$OUT" 2>&1; then
		echo "ok $N - $desc"
		sed 's/^/#   /' "$OUT" | tail -n 3
	else
		echo "not ok $N - $desc"
		sed 's/^/#   /' "$OUT" | tail -n 30
	fi
}

# backend_is STATE [SECONDS]: waits for vnplugd to be STATE.
backend_is() {
	i=0
	while [ "$i" -lt "$((${2:-30} * 10))" ]; do
		[ "$(cat "$SYS/backend" 2>/dev/null)" = "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "backend still $(cat "$SYS/backend" 2>/dev/null), not $1"
	return 1
}

# stat NAME: one value of the driver's stats
stat() { sed -n "s/^$1 //p" "$SYS/stats"; }

# eq DESC EXPECTED ACTUAL
eq() {
	N=$((N + 1))
	if [ "$2" = "$3" ]; then echo "ok $N - $1 ($3)"; else
		echo "not ok $N - $1: expected $2, got $3"; fi
}

# no_leaks: nothing of the driver's is left once every capture is gone
# (the vPF_RING guests; guest_vnplug.sh has its own, without waiting).
no_leaks() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(stat sessions)" = 0 ] && [ "$(stat rings)" = 0 ] &&
			[ "$(stat ring_files)" = 0 ] && ! ls /dev/vnplug[0-9]* >/dev/null 2>&1 &&
			return 0
		sleep 0.1
		i=$((i + 1))
	done
	cat "$SYS/stats"
	ls /dev/vnplug* 2>&1
	return 1
}

# ring_mapped [N]: waits until N (1) ring devices exist: the capture is on.
ring_mapped() {
	i=0
	while [ $i -lt 600 ]; do
		[ "$(ls -d /dev/vnplug[0-9]* 2>/dev/null | wc -l)" -ge "${1:-1}" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "no ring device after 60 s"
	return 1
}

# send NAME: asks the host (tests/e2e/run.sh) to send scenario NAME
send() { echo "@@E2E send $1@@"; }
