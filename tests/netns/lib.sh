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

cleanup() {
	local p ns
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
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

# probe_start NS NAME ARGS...: capture in the background into $TMP/NAME,
# returning once the ring is enabled.
probe_start() {
	local n=$1 name=$2 i
	shift 2
	in_ns "$n" "$PROGS/probe" "$@" >"$TMP/$name" 2>"$TMP/$name.err" &
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
