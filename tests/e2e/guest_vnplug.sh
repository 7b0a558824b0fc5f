#!/bin/sh
# The guest half of tests/e2e/run.sh's vNPlug test: /test.sh of the guest's
# initramfs. The host runs vnplugd (with its test back-end) and the patched
# QEMU with vnplug-ctrl; this script loads vnplug.ko and drives vnplug-tool
# against the test back-end. /etc/vpfr-vm.env gives BUILD (the project's
# build tree in the guest) and VNPLUG_KO.
#
# Lines "@@E2E kill-vnplugd@@" and "@@E2E start-vnplugd@@" ask the host to
# kill vnplugd and to start it again; the guest then waits until the
# control device's configuration says so. TAP on stdout.
set -u
# shellcheck disable=SC1091
. /etc/vpfr-vm.env
TOOL=$BUILD/bin/vnplug-tool
SYS=/sys/class/misc/vnplug-ctrl
OUT=/tmp/e2e.out
N=0
PLAN=24

# shellcheck disable=SC1091
. /etc/vpfr-guest-lib.sh

# fails CMD...: CMD must fail (for checks of refused input)
fails() { ! "$@"; }



# no_leaks: nothing of the driver's is left once every process is gone.
no_leaks() {
	cat "$SYS/stats"
	[ "$(stat sessions)" = 0 ] && [ "$(stat rings)" = 0 ] &&
		[ "$(stat ring_files)" = 0 ] && [ "$(stat queued)" = 0 ]
}

# raw_msg TYPE SESSION LEN APP OP [PAD]: a control message as bytes
# (little-endian), for writing unchecked to /dev/vnplug-ctrl.
raw_msg() {
	# shellcheck disable=SC2059 # the format is the bytes
	printf "$(printf '\\%03o\\%03o\\000\\000' 1 "$1")"
	le32 "$2"
	le32 "$3"
	le32 "$4"
	le32 "$5"
	le32 1
	le32 0
	[ -n "${6:-}" ] && head -c "$6" /dev/zero
	return 0
}

le32() {
	# shellcheck disable=SC2059 # the format is the bytes
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $((($1 >> 8) & 255)) \
		$((($1 >> 16) & 255)) $((($1 >> 24) & 255)))"
}

# raw_reply EXPECT CMD: feeds CMD's bytes to "vnplug-tool raw" and looks
# for EXPECT in what it prints (the errno or the reply).
raw_reply() {
	want=$1
	shift
	"$@" >/tmp/raw.bin
	"$TOOL" raw </tmp/raw.bin >/tmp/raw.out 2>&1
	cat /tmp/raw.out
	grep -q -- "$want" /tmp/raw.out
}

# hold_start, hold_zeros: a process holds a mapped region while vnplugd
# dies. Its device goes away and the mapping is revoked: reads then give
# zeros (vnplug.ko maps a zeroed page; no SIGBUS), and vnplug-tool hold
# exits 4 with "hold: region N reads zeros after its device went away".
hold_start() {
	"$TOOL" hold 65536 120 >/tmp/hold.out 2>&1 &
	HOLD=$!
	i=0
	while [ $i -lt 300 ] && ! grep -q 'holding region' /tmp/hold.out; do
		sleep 0.1
		i=$((i + 1))
	done
	cat /tmp/hold.out
	grep -q 'holding region' /tmp/hold.out
}

hold_zeros() {
	i=0
	while [ $i -lt 300 ] && kill -0 "$HOLD" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	cat /tmp/hold.out
	if kill -0 "$HOLD" 2>/dev/null; then
		kill "$HOLD"
		echo "still running 30 s after vnplugd died"
		return 1
	fi
	wait "$HOLD"
	rc=$?
	echo "exit status $rc"
	[ "$rc" -eq 4 ] &&
		grep -q '^hold: region [0-9]* reads zeros after its device went away$' \
			/tmp/hold.out
}

reconnected_maps() {
	backend_is connected 30 && "$TOOL" pattern 65536
}

main() {
	echo "1..$PLAN"
	check "vnplug.ko loads" insmod "$VNPLUG_KO"
	check "vnplugd is connected" backend_is connected 30
	check "/dev/vnplug-ctrl exists" test -c /dev/vnplug-ctrl
	check "control messages round-trip (ping)" "$TOOL" ping -c 50 -s 256
	check "the host's pattern is seen over a whole 1 MiB region" "$TOOL" pattern 1048576
	check "guest writes are seen by the host" "$TOOL" write 1048576
	check "doorbell writes wake the host (exact count)" "$TOOL" doorbell 65536 20
	check "host signals wake a guest read() (exact count)" "$TOOL" signal 65536 20
	check "100 hotplug/unplug cycles leak nothing on either side" \
		"$TOOL" cycles 100 65536
	check "the driver refuses an oversized message" \
		raw_reply "Message too long" raw_msg 1 0 5000 1 1 4984
	check "the driver refuses a non-application message from user space" \
		raw_reply "Invalid argument" raw_msg 4 0 16 1 1
	check "vnplugd refuses an unknown application" \
		raw_reply "ERROR status=-ENOENT" raw_msg 1 0 16 77 1
	check "the test back-end refuses an unknown operation" \
		raw_reply "reply .* status=-95 " raw_msg 1 0 16 1 77
	check "the test back-end refuses a short request" \
		raw_reply "reply .* status=-22 " raw_msg 1 0 16 1 2
	echo 1 >/sys/module/vnplug/parameters/unchecked_writes
	check "QEMU refuses a message longer than VNPLUG_MSG_MAX" \
		raw_reply "ERROR status=-EMSGSIZE" raw_msg 1 0 5000 1 1 4984
	check "QEMU refuses a message whose length field lies" \
		raw_reply "ERROR status=-EINVAL" raw_msg 1 0 999 1 1
	check "QEMU refuses a framework message a guest may not send" \
		raw_reply "ERROR status=-EINVAL" raw_msg 4 0 16 1 1
	echo 0 >/sys/module/vnplug/parameters/unchecked_writes
	check "vnplugd and QEMU still serve after bad input" "$TOOL" ping -c 5
	check "a process holds a mapped region" hold_start
	echo "@@E2E kill-vnplugd@@"
	check "the guest sees vnplugd go away" backend_is disconnected 30
	check "the holder reads zeros once its device is gone, and the VM keeps running" \
		hold_zeros
	check "a new session is refused while vnplugd is away" \
		fails "$TOOL" ping -c 1
	echo "@@E2E start-vnplugd@@"
	check "QEMU reconnects to the restarted vnplugd; a region maps again" \
		reconnected_maps
	check "nothing of vnplug.ko is left behind" no_leaks
}

main
