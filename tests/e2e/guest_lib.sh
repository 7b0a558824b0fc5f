#!/bin/sh
# Shared by the e2e guest scripts (guest_vnplug.sh, guest_vpfring.sh), which
# source it from /etc/vpfr-guest-lib.sh in their initramfs: TAP checks and
# the state of vnplug.ko's control device. Uses N (results so far), OUT (a
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
