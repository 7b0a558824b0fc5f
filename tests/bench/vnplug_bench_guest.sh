#!/bin/sh
# The guest half of tests/bench/vnplug_bench.sh: /test.sh of the guest's
# initramfs. The host runs vnplugd (its test back-end) behind vnplug-ctrl
# and tests/bench/vnplug_serial_peer behind a virtserialport; this script
# loads vnplug.ko, finds the port by its name and runs, REPEAT times with
# the two sides taking turns going first,
#   vnplug-tool bench -c COUNT -m MSG_SIZE -d DURATION -n ROUNDS -s RING_SIZE
#   vnplug-tool serial-bench -c COUNT -m MSG_SIZE -d DURATION /dev/vportNpM
# Every line they print goes to the console as "@@VNPB@@ REP SIDE LINE"
# (SIDE: vnplug or serial); "@@VNPB@@ # ..." lines are facts for the
# record. /etc/vpfr-vm.env gives BUILD, VNPLUG_KO, PORT_NAME and the
# parameters. Exits non-zero if a run failed.
set -u
# shellcheck disable=SC1091
. /etc/vpfr-vm.env
TOOL=$BUILD/bin/vnplug-tool
SYS=/sys/class/misc/vnplug-ctrl
MARK="@@VNPB@@"
RC=0

say() { echo "$MARK $*"; }

# wait_for SECONDS CMD...: until CMD succeeds, at most SECONDS.
wait_for() {
	n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# shellcheck disable=SC2317 # called through wait_for
connected() { [ "$(cat "$SYS/backend" 2>/dev/null)" = connected ]; }

# find_port: the device of the virtio-serial port named $PORT_NAME.
# shellcheck disable=SC2317 # called through wait_for
find_port() {
	for d in /sys/class/virtio-ports/*; do
		[ -f "$d/name" ] || continue
		if [ "$(cat "$d/name")" = "$PORT_NAME" ] && [ -c "/dev/${d##*/}" ]; then
			PORT=/dev/${d##*/}
			return 0
		fi
	done
	return 1
}

# run REP SIDE CMD...: CMD's output, marked.
run() {
	rep=$1
	side=$2
	shift 2
	"$@" >/tmp/run.out 2>&1
	st=$?
	sed "s/^/$MARK $rep $side /" /tmp/run.out
	if [ "$st" != 0 ]; then
		say "$rep $side FAILED: $* (status $st)"
		RC=1
	fi
}

vnplug() {
	run "$1" vnplug "$TOOL" bench -c "$COUNT" -m "$MSG_SIZE" -d "$DURATION" \
		-n "$ROUNDS" -s "$RING_SIZE"
}

serial() {
	run "$1" serial "$TOOL" serial-bench -c "$COUNT" -m "$MSG_SIZE" \
		-d "$DURATION" "$PORT"
}

main() {
	insmod "$VNPLUG_KO" || { say "FAILED: insmod $VNPLUG_KO"; exit 1; }
	wait_for 30 connected || { say "FAILED: vnplugd not connected"; exit 1; }
	wait_for 30 find_port || {
		say "FAILED: no virtio-serial port named $PORT_NAME"
		for f in /sys/class/virtio-ports/* /dev/vport*; do say "# $f"; done
		exit 1
	}
	say "# guest: $(nproc) vCPU(s), kernel $(uname -r), clocksource" \
		"$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)," \
		"$(sed -n 's/^MemTotal: *//p' /proc/meminfo) memory;" \
		"virtio-serial port $PORT ($PORT_NAME)"
	i=1
	while [ "$i" -le "$REPEAT" ]; do
		if [ $((i % 2)) = 1 ]; then
			vnplug "$i"
			serial "$i"
		else
			serial "$i"
			vnplug "$i"
		fi
		say "# run $i of $REPEAT done at uptime $(cut -d' ' -f1 /proc/uptime) s"
		i=$((i + 1))
	done
	exit "$RC"
}

main
