# Helpers of the tests/vm/t_*.sh scripts (POSIX sh, sourced). The guest's
# /etc/vpfr-vm.env gives ROOT, BUILD and PF_RING_KO.
N=0
OUT=/tmp/vmt.out
RINGTOOL=$BUILD/tests/progs/ringtool
PFSEND=$BUILD/bin/pfsend

# check DESC CMD...: one TAP result; the command's output shows on failure.
check() {
	desc=$1
	shift
	N=$((N + 1))
	if "$@" >"$OUT" 2>&1; then
		echo "ok $N - $desc"
	else
		echo "not ok $N - $desc"
		sed 's/^/#   /' "$OUT" | head -n 30
	fi
}

# info_field NAME: a value of /proc/net/pf_ring/info ("Sockets", ...).
info_field() {
	sed -n "s/^$1 *: *//p" /proc/net/pf_ring/info
}

# objects: the module's own object counts and the kernel's socket count.
objects() {
	echo "socks=$(info_field Sockets) mems=$(info_field 'Ring buffers')" \
		"bytes=$(info_field 'Ring memory bytes') fds=$(info_field 'Mmap-only fds')" \
		"clusters=$(info_field Clusters)" \
		"kernel_sockets=$(sed -n 's/^sockets: used //p' /proc/net/sockstat)"
}

vmalloc_kb() { sed -n 's/^VmallocUsed: *\([0-9]*\) kB/\1/p' /proc/meminfo; }

# settles EXPECTED: waits up to 10 s (RCU frees sockets after a grace
# period) for "objects" to print EXPECTED; prints both on failure.
settles() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(objects)" = "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "expected: $1"
	echo "now:      $(objects)"
	return 1
}

# veth_pair A B: a veth pair, both ends up, IPv6 off.
veth_pair() {
	ip link add "$1" type veth peer name "$2" &&
		for d in "$1" "$2"; do
			sysctl -qw "net.ipv6.conf.$d.disable_ipv6=1"
			ip link set "$d" up
		done
}

# unload: rmmod pf_ring. Sockets are freed after an RCU grace period and
# hold the module until then, so a ring closed just before may keep it busy
# for a moment: retry for up to 5 s.
unload() {
	i=0
	grep -q '^pf_ring ' /proc/modules || return 0
	while ! rmmod pf_ring 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] || { rmmod pf_ring; return 1; }
		sleep 0.1
	done
}

# reload ARGS...: pf_ring.ko unloaded and loaded again with ARGS.
reload() {
	unload && insmod "$PF_RING_KO" "$@"
}

# field FILE NAME: a "Name : value" line of a /proc/net/pf_ring ring file.
ring_field() {
	sed -n "s/^$2 *: *//p" "$1"
}
