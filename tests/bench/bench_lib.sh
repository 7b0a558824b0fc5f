# shellcheck shell=bash
# bench_lib.sh - shared by capture.sh, ebpf_rules.sh, vm_capture.sh and
# vpfring_bench.sh (source it): two network namespaces joined by one veth
# pair, CPU pinning, a pfsend burst timed for CPU, a capture program started
# in the background, pfcount stopped by an idle watchdog, and the parsing of
# the programs' output. Call bench_setup once; it installs the traps that
# kill the capture and delete the namespaces on any exit.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${BUILD:-$ROOT/build}
GEN_CPU=0
CAP_CPU=1
FLOWS=1000
IDLE_MS=2500
# Put before the capture device's name: "pfring:" or "packet:" picks
# libpfring's back-end (vm_capture.sh); empty, the library's default.
CAP_DEV_PREFIX=
NS=vpfrbench$$
TMP=
CAP_PID=
PIN_GEN=
PIN_CAP=

die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

bench_cleanup() {
	if [ -n "$CAP_PID" ]; then kill "$CAP_PID" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	ip netns del "${NS}g" 2>/dev/null || true
	ip netns del "${NS}c" 2>/dev/null || true
	if [ -n "$TMP" ]; then rm -rf "$TMP"; fi
}

# Two namespaces with IPv6 off (no stray packet spoils a count), joined by
# veth gen0 <-> cap0.
setup_net() {
	local n
	for n in g c; do
		ip netns add "$NS$n"
		ip netns exec "$NS$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	done
	ip -n "${NS}g" link add gen0 type veth peer name cap0 netns "${NS}c"
	ip -n "${NS}g" link set gen0 up
	ip -n "${NS}c" link set cap0 up
}

# Pinning: "taskset -c N" when two CPUs are online, nothing otherwise.
setup_pinning() {
	if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
		PIN_GEN="taskset -c $GEN_CPU"
		PIN_CAP="taskset -c $CAP_CPU"
	else
		GEN_CPU=none
		CAP_CPU=none
	fi
}

bench_setup() {
	[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
	[ -x "$B/bin/pfsend" ] || die "$B/bin/pfsend missing: make tools"
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	TMP=$(mktemp -d /tmp/vpfr-bench.XXXXXX)
	setup_net
	setup_pinning
}

# Packets the veth pair itself dropped (before any socket saw them).
if_drops() {
	local tx rx
	tx=$(ip netns exec "${NS}g" cat /sys/class/net/gen0/statistics/tx_dropped)
	rx=$(ip netns exec "${NS}c" cat /sys/class/net/cap0/statistics/rx_dropped)
	echo $((tx + rx))
}

# try_start_capture WAIT_S PROGRAM ARGS...: run a capture program on cap0
# in the background; 0 once it says "ready" (within WAIT_S seconds), 1 if
# it exited or timed out first (its stderr is in $TMP/cap.err).
try_start_capture() {
	local wait_s=$1
	shift
	# shellcheck disable=SC2086
	ip netns exec "${NS}c" $PIN_CAP "$@" -i "${CAP_DEV_PREFIX}cap0" -t "$IDLE_MS" \
		>"$TMP/cap.out" 2>"$TMP/cap.err" &
	CAP_PID=$!
	for _ in $(seq 1 $((wait_s * 20))); do
		grep -q '^ready' "$TMP/cap.out" && return 0
		kill -0 "$CAP_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill "$CAP_PID" 2>/dev/null || true
	wait "$CAP_PID" 2>/dev/null || true
	CAP_PID=
	return 1
}

# start_capture WAIT_S PROGRAM ARGS...: the same, or die.
start_capture() {
	try_start_capture "$@" && return 0
	sed 's/^/  /' "$TMP/cap.err" >&2
	die "$(basename "$2") did not start"
}

# wait_capture: until the capture program has printed its result.
wait_capture() {
	wait "$CAP_PID" || true
	CAP_PID=
	grep -q '^result' "$TMP/cap.out" && return 0
	sed 's/^/  /' "$TMP/cap.err" >&2
	die "the capture printed no result"
}

# send_burst SIZE RATE PACKETS: one pfsend burst of SIZE-byte frames (CRC
# included: pfsend sends SIZE - 4), timed for CPU into $TMP/gen.time.
send_burst() {
	local TIMEFORMAT='gencpu %U %S'
	{
		# shellcheck disable=SC2086
		time ip netns exec "${NS}g" $PIN_GEN "$B/bin/pfsend" -i gen0 \
			-n "$3" -l $(($1 - 4)) -F "$FLOWS" -p "$2" -q \
			>"$TMP/gen.out" 2>"$TMP/gen.err"
	} 2>"$TMP/gen.time" || {
		sed 's/^/  /' "$TMP/gen.err" >&2
		die "pfsend failed"
	}
}

# res KEY: KEY=value from the capture's result line
res() { sed -n "s/^result .*\b$1=\([^ ]*\).*/\1/p" "$TMP/cap.out"; }

gen_sent() { sed -n 's/^pfsend: sent=\([0-9]*\).*/\1/p' "$TMP/gen.out"; }

# pfsend's final average rate ("[average 1'234.56 pps/...")
gen_pps() {
	grep 'average' "$TMP/gen.out" | tail -n 1 |
		sed -n "s/.*\[average \([0-9'.]*\) pps.*/\1/p" | tr -d "'"
}

# pfsend's user + system CPU seconds (with the kernel's receive work on
# its CPU: veth delivers in the sender's softirq)
gen_cpu() { awk '/^gencpu/ { printf "%.3f", $2 + $3 }' "$TMP/gen.time"; }

# loss_pct SENT CAPTURED
loss_pct() {
	awk -v s="$1" -v c="$2" \
		'BEGIN { printf "%.3f", (s > 0 ? 100 * (s - c) / s : 0) }'
}

# saturation RATE ACHIEVED SENT CAPTURED: which side limited the run. At
# the maximum rate (0) the generator limits unless the capture lost packets.
saturation() {
	awk -v r="$1" -v a="$2" -v s="$3" -v c="$4" 'BEGIN {
		short = (r > 0 && a < 0.95 * r); lost = (c < s)
		if (r == 0) print (lost ? "capture" : "generator")
		else if (short && lost) print "generator+capture"
		else if (short) print "generator"
		else if (lost) print "capture"
		else print "none" }'
}

rate_name() { if [ "$1" = 0 ]; then echo max; else echo "$1"; fi; }

machine_line() {
	echo "machine: $(nproc) CPUs ($(sed -n 's/^model name\t: //p' \
		/proc/cpuinfo | head -n 1)), kernel $(uname -r);" \
		"pfsend on CPU $GEN_CPU, capture on CPU $CAP_CPU"
}

# ---- pfcount with an idle watchdog (vpfring_bench.sh: on the host and in
# its guest) ------------------------------------------------------------------
# pfcount runs with -n N (it stops by itself once every packet arrived) and
# -t $PFC_TICK (one statistics line per tick). Once the burst is over,
# pfcount_finish stops it with SIGINT if its count has not moved for IDLE
# seconds (packets were lost), so that its final line "pfcount: received=N
# bytes=B dropped=D" is there in every case.

# shellcheck disable=SC2034 # used by the scripts that source this
PFC_TICK=0.5

# pfcount_count FILE: the packets pfcount has reported so far.
pfcount_count() {
	local n
	n=$(sed -n 's/^pfcount: received=\([0-9]*\).*/\1/p' "$1" | tail -n 1)
	[ -n "$n" ] || n=$(sed -n 's/^Absolute Stats: \[\([0-9]*\) pkts rcvd\].*/\1/p' "$1" | tail -n 1)
	echo "${n:-0}"
}

# pfcount_field FILE KEY: KEY (received, bytes, dropped) of the final line.
pfcount_field() { sed -n "s/^pfcount: .*\b$2=\([0-9]*\).*/\1/p" "$1" | tail -n 1; }

# wait_line FILE REGEX SECONDS [PID]: 0 once a line of FILE matches REGEX
# (grep -E), 1 when SECONDS passed or PID is gone first.
wait_line() {
	for _ in $(seq 1 $(($3 * 10))); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then
			grep -qE "$2" "$1" 2>/dev/null
			return
		fi
		sleep 0.1
	done
	return 1
}

# pfcount_finish PID FILE IDLE_S MAX_S: after the burst, until pfcount (PID,
# its stdout in FILE; a child or not) has ended; prints why: "count" (it
# stopped at -n), "idle" (its count stood still for IDLE_S seconds: SIGINT),
# "timeout" (still counting after MAX_S seconds: SIGINT) or "killed" (no
# final line 10 s after SIGINT: SIGKILL).
pfcount_finish() {
	# a look every 0.5 s (the tick): little work for a guest's vCPU
	local pid=$1 file=$2 idle=$(($3 * 2)) max=$(($4 * 2)) last=-1 n still=0 t=0 end=count
	while kill -0 "$pid" 2>/dev/null && ! grep -q '^pfcount: received=' "$file"; do
		n=$(pfcount_count "$file")
		if [ "$n" = "$last" ]; then still=$((still + 1)); else still=0; last=$n; fi
		t=$((t + 1))
		if [ "$still" -ge "$idle" ]; then end=idle; break; fi
		if [ "$t" -ge "$max" ]; then end=timeout; break; fi
		sleep 0.5
	done
	if [ "$end" != count ]; then
		kill -INT "$pid" 2>/dev/null
		if ! wait_line "$file" '^pfcount: received=' 10 "$pid"; then
			kill -KILL "$pid" 2>/dev/null
			end=killed
		fi
	fi
	echo "$end"
}
