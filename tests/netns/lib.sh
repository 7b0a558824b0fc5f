# Shared by the netns tests: namespaces joined by veth pairs, background
# capture with the probe program, and TAP output ("1..N", "ok", "not ok")
# that scripts/test.sh counts. Source it; it cleans up on exit.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${BUILD:-$ROOT/build}
BIN=$B/bin
PROGS=$B/tests/progs
TMP=$(mktemp -d /tmp/vpfr-netns.XXXXXX)
NS=vpfr$$
TESTNUM=0
PIDS=()
VNPLUGD_PIDS=()
# VIA_HOST=1: probes capture "host:IF" rather than IF, through the vPF_RING
# back-end of a vnplugd started in the probe's namespace. libvnplug's
# socket transport (VNPLUG_SOCKET) stands in for QEMU and the guest
# driver, so the host: module, vnplugd and the host's ring all run as in a
# guest, minus the PCI device. vnplugd takes one connection per VM, so
# each probe is a VM of its own: HOST_VMS sockets, used in turn.
VIA_HOST=${VIA_HOST:-0}
HOST_VMS=8
HOST_SEQ=0

cleanup() {
	local p ns
	for p in "${PIDS[@]}" "${VNPLUGD_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in $(ip netns list | awk '{print $1}' | grep "^$NS" || true); do
		ip netns del "$ns"
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

plan() { echo "1..$1"; }
ok() { TESTNUM=$((TESTNUM + 1)); echo "ok $TESTNUM - $*"; }
not_ok() { TESTNUM=$((TESTNUM + 1)); echo "not ok $TESTNUM - $*"; }

# check DESC EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then ok "$1 ($3)"; else not_ok "$1: expected $2, got $3"; fi
}

# check_cmd DESC CMD...: passes when the command succeeds
check_cmd() {
	local desc=$1
	shift
	if "$@" >"$TMP/cmd.out" 2>&1; then ok "$desc"; else
		not_ok "$desc"; sed 's/^/#   /' "$TMP/cmd.out"
	fi
}

# A namespace with IPv6 off, so that no autoconfiguration packet ever
# spoils an exact count.
new_ns() {
	ip netns add "$NS$1"
	ip netns exec "$NS$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
}

# pair A B IFA IFB [link options]: veth IFA in namespace A, IFB in B, up.
pair() {
	local a=$1 b=$2 ifa=$3 ifb=$4
	shift 4
	ip -n "$NS$a" link add "$ifa" "$@" type veth peer name "$ifb" "$@" netns "$NS$b"
	ip -n "$NS$a" link set "$ifa" up
	ip -n "$NS$b" link set "$ifb" up
}

in_ns() { local n=$1; shift; ip netns exec "$NS$n" "$@"; }

# vnplugd_ns NS: vnplugd in namespace NS with HOST_VMS VMs h1.. that may
# capture any interface; once per namespace. Its log is $TMP/vnplugd-NS.log.
vnplugd_ns() {
	local n=$1 dir=$TMP/vnp-$1 i
	[ -S "$dir/h1.sock" ] && return 0
	mkdir -p "$dir"
	printf '[global]\nsocket_dir = %s\nlog_level = info\n' "$dir" >"$dir/conf"
	for i in $(seq "$HOST_VMS"); do
		printf '\n[vm h%s]\ninterfaces = *\nmax_rings = 4\nmax_ring_memory = 256M\n' \
			"$i" >>"$dir/conf"
	done
	printf '\n[vm deny]\ninterfaces = nosuch*\n' >>"$dir/conf"
	# not through in_ns: $! must be vnplugd itself (ip netns exec execs it)
	ip netns exec "$NS$n" "$BIN/vnplugd" -c "$dir/conf" >"$TMP/vnplugd-$n.log" 2>&1 &
	VNPLUGD_PIDS+=($!)
	for i in $(seq 100); do
		[ -S "$dir/h$HOST_VMS.sock" ] && return 0
		sleep 0.05
	done
	echo "# vnplugd did not start in $n:"; sed 's/^/#   /' "$TMP/vnplugd-$n.log"
	return 1
}

# fd_count PID: the descriptors process PID holds
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# fds_back PID N: PID holds N descriptors again within 5 s
fds_back() {
	local i
	for i in $(seq 50); do [ "$(fd_count "$1")" = "$2" ] && return 0; sleep 0.1; done
	return 1
}

# pfcount_via SOCKET NS OUT ARGS...: pfcount in namespace NS as the guest
# of the VM whose vnplugd socket is SOCKET (libvnplug's socket
# transport), output in OUT. Run with & it leaves $! the pid of pfcount
# itself (ip netns exec and env exec it).
pfcount_via() {
	local sock=$1 ns=$2 out=$3
	shift 3
	exec ip netns exec "$NS$ns" env VNPLUG_SOCKET="$sock" "$BIN/pfcount" "$@" >"$out" 2>&1
}

# host_args NS ARGS...: ARGS with "-i IF" as "-i host:IF"; sets HOST_SOCK
# to the next VM's socket of NS's vnplugd.
host_args() {
	local n=$1 prev=""
	shift
	HOST_ARGS=()
	for a in "$@"; do
		if [ "$prev" = "-i" ]; then HOST_ARGS+=("host:$a"); else HOST_ARGS+=("$a"); fi
		prev=$a
	done
	HOST_SEQ=$((HOST_SEQ + 1))
	HOST_SOCK=$TMP/vnp-$n/h$(((HOST_SEQ - 1) % HOST_VMS + 1)).sock
}

# probe_start NS NAME ARGS...: capture in the background into $TMP/NAME,
# returning once the ring is enabled.
probe_start() {
	local n=$1 name=$2 i
	shift 2
	if [ "$VIA_HOST" = 1 ]; then
		vnplugd_ns "$n" || return 1
		host_args "$n" "$@"
		set -- "${HOST_ARGS[@]}"
		in_ns "$n" env VNPLUG_SOCKET="$HOST_SOCK" "$PROGS/probe" "$@" \
			>"$TMP/$name" 2>"$TMP/$name.err" &
	else
		in_ns "$n" "$PROGS/probe" "$@" >"$TMP/$name" 2>"$TMP/$name.err" &
	fi
	PIDS+=($!)
	eval "PID_$name=$!"
	for i in $(seq 1 200); do
		grep -q '^ready' "$TMP/$name" 2>/dev/null && return 0
		kill -0 "$!" 2>/dev/null || break
		sleep 0.05
	done
	echo "# probe $name did not start:"; sed 's/^/#   /' "$TMP/$name.err"
	return 1
}

probe_wait() {
	local pid
	eval "pid=\$PID_$1"
	wait "$pid"
}

# field NAME KEY: the value of KEY=... on the probe's "received=" line
field() {
	sed -n "s/.*\b$2=\([0-9]*\).*/\1/p" "$TMP/$1" | head -n 1
}

# rule_field NAME KIND ID KEY: from "rule ID match=M filtered=F" lines
rule_field() {
	awk -v k="$2" -v id="$3" -v f="$4" '$1 == k && $2 == id {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "$TMP/$1"
}

# send NS IF PCAP: replay a pcap file once with pfsend
send_pcap() {
	local n=$1 ifname=$2 file=$3
	in_ns "$n" "$BIN/pfsend" -i "$ifname" -f "$file" -n "$(cat "$file.count")" >"$TMP/send.out" 2>&1
}

# mkpcap mix|flows OUT ...: write a scenario; its packet count goes to OUT.count
mkpcap() { "$PROGS/mkpcap" "$@" >"$2.count"; }
