#!/bin/sh
# The test script of the tests/vm guests: /test.sh of the initramfs that
# tests/vm/run.sh builds, run by /init under dash. The kernel command line
# picks the suite (vpfr_suite=netns or vpfr_suite=module); /etc/vpfr-vm.env
# (written by run.sh) gives ROOT and BUILD (the source and build trees, at the
# host's paths) and PF_RING_KO (the module's path in the guest, empty when it
# is not built).
#
#   netns   loads pf_ring.ko when it is there, then runs tests/netns/run.sh
#           unchanged (the scripts the image carries, on the build's binaries)
#   module  runs each tests/vm/t_*.sh; pf_ring.ko is loaded before each one
#
# Each script's results follow a "# t_NAME.sh" line; anything else printed
# here starts with "# ", "# guest setup failed: WHY" when the guest cannot
# run its suite. Exits non-zero when a result is "not ok" or the setup fails.
set -u
. /etc/vpfr-vm.env
export ROOT BUILD PF_RING_KO

# ip netns keeps the namespaces under /run/netns, which it bind-mounts onto
# itself as a shared mount; ip netns exec then remounts /sys in a private
# mount namespace. Both work on the initramfs once /run is a real mount.
setup() {
	mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /run/netns || return 1
	# as tests/netns/lib.sh does in every namespace it makes
	sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

load_ko() {
	grep -q '^pf_ring ' /proc/modules && return 0
	insmod "$PF_RING_KO" && grep -q '^pf_ring ' /proc/modules && return 0
	echo "# guest setup failed: insmod $PF_RING_KO"
	return 1
}

# stamped CMD...: runs CMD, passing its output on with "# uptime S" before
# each "# t_NAME.sh" line and at the end (run.sh tells from them how long
# each script took); returns CMD's status.
stamped() {
	{
		"$@"
		echo $? >/tmp/vpfr-rc
	} | while IFS= read -r line; do
		case "$line" in "# t_"*.sh) echo "# uptime $(cut -d' ' -f1 /proc/uptime)" ;; esac
		printf '%s\n' "$line"
	done
	echo "# uptime $(cut -d' ' -f1 /proc/uptime)"
	return "$(cat /tmp/vpfr-rc)"
}

suite_netns() {
	if [ -n "$PF_RING_KO" ]; then
		load_ko || return 1
		echo "# pf_ring.ko loaded: libpfring's default back-end is the module"
	else
		echo "# pf_ring.ko not built: libpfring runs on AF_PACKET"
	fi
	stamped bash "$ROOT/tests/netns/run.sh"
}

# run_one SCRIPT: by bash when its first line names bash, else by sh. Full
# paths: busybox's timeout would run its own ash for a bare "sh", and that
# ash prefers busybox's applets (its ip has no netns) to the image's tools.
run_one() {
	case "$(head -n 1 "$1")" in
	*bash*) timeout 300 /bin/bash "$1" ;;
	*) timeout 300 /bin/sh "$1" ;;
	esac
}

module_scripts() {
	local t rc=0
	for t in "$ROOT"/tests/vm/t_*.sh; do
		[ -f "$t" ] || continue
		echo "# ${t##*/}"
		load_ko || { rc=1; continue; }
		run_one "$t" 2>&1 | tee /tmp/vpfr-t.out
		grep -q '^not ok' /tmp/vpfr-t.out && rc=1
	done
	return $rc
}

suite_module() {
	[ -n "$PF_RING_KO" ] || { echo "# guest setup failed: no pf_ring.ko in the image"; return 1; }
	stamped module_scripts
}

suite=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^vpfr_suite=//p')
setup || { echo "# guest setup failed: mounting /run"; exit 1; }
case "$suite" in
netns) suite_netns ;;
module) suite_module ;;
*) echo "# guest setup failed: no vpfr_suite=netns|module on the kernel command line"; exit 1 ;;
esac
