#!/bin/bash
# vnplug_bench.sh - vNPlug's control channel and events against a plain
# virtio-serial channel, side by side in ONE QEMU guest (TCG where there is
# no KVM).
#
# The host runs vnplugd (its test back-end) behind the guest's vnplug-ctrl
# device, as tests/e2e/run.sh does, and tests/bench/vnplug_serial_peer
# behind a virtserialport (virtio-serial-pci, chardev socket). In the guest
# (tests/bench/vnplug_bench_guest.sh) "vnplug-tool bench" and "vnplug-tool
# serial-bench" measure, each side in turn, REPEAT times:
#  1. control round trip (us, median and p99 of COUNT): vNPlug a PING of
#     the test back-end; virtio-serial a message of the same size, echoed
#     by the peer;
#  2. hotplug to usable (ms, median of ROUNDS): MAP request to the first
#     byte read through the new ring's mapping; vNPlug only;
#  3. guest->host events/s, streamed for DURATION: vNPlug doorbell stores,
#     counted by vnplugd; virtio-serial 1-byte write()s, counted by the peer;
#  4. host->guest events/s, ping-pong for DURATION (the guest asks for one
#     event and waits for it before asking again): vNPlug a SIGNAL request,
#     then the ring's interrupt; virtio-serial a 1-byte request, then the
#     peer's 1-byte answer.
# Writes tests/bench/results/vnplug_bench.csv (medians over the runs) and
# prints the table, the ratios and which side limited each rate. A
# benchmark, not a test: it fails only when the guest cannot run it.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tests/bench
# shellcheck source=tests/bench/vnplug_stack.sh
. "$HERE/vnplug_stack.sh"
VM=$ROOT/scripts/vm
B=${BUILD:-/tmp/bench-build}
COUNT=2000
MSG_SIZE=64
DURATION=3
ROUNDS=10
RING_SIZE=1M
REPEAT=3
SMP=1
MEM=768
# clock_gettime() from the vDSO: under TCG the kernel may otherwise fall
# back to the HPET, an emulated MMIO read per clock read (vm_capture.sh).
APPEND="tsc=reliable"
TIMEOUT=
KEEP=0
CSV=$ROOT/tests/bench/results/vnplug_bench.csv
PORT_NAME=org.vpfring.bench
MARK="@@VNPB@@"
G_BUILD=/vpfr/build
MSG_HDRS=28 # vNPlug's framework and application headers
WORK=
RUN_PID=
VNPLUGD_PID=
PEER_PID=
QEMU_BIN=

usage() {
	cat <<EOF
Usage: tests/bench/vnplug_bench.sh [options]     (root; builds what it needs)
vNPlug against virtio-serial in one QEMU guest (TCG without KVM): control
round trip (median, p99), hotplug to usable (vNPlug only), guest->host
events/s (streamed) and host->guest events/s (ping-pong). Writes
tests/bench/results/vnplug_bench.csv and prints the table.

  --count N        control round trips per run and side (default $COUNT)
  --msg-size B     bytes per control message, headers included: vNPlug
                   sends $MSG_HDRS bytes of headers and B-$MSG_HDRS of payload,
                   virtio-serial B bytes ($MSG_HDRS to 4096, default $MSG_SIZE)
  --duration S     seconds of each event-rate phase (default $DURATION)
  --rounds N       ring hotplugs per run (default $ROUNDS)
  --ring-size SIZE ring bytes, K or M suffix, a multiple of 4K up to 64M
                   (default $RING_SIZE)
  --repeat N       runs of each side, taking turns going first; the table
                   gives the medians (default $REPEAT)
  --quick          --count 500 --duration 1 --rounds 3 --repeat 1 (options
                   after it still apply)
  --smp N          guest vCPUs (default $SMP)
  --mem MB         guest memory (default $MEM)
  --timeout S      kill the guest after S seconds (default: from the plan)
  --csv FILE       CSV output (default tests/bench/results/vnplug_bench.csv)
  --build DIR      build directory (default \$BUILD or /tmp/bench-build)
  --keep           keep the work directory (console, vnplugd and peer logs)
  -h, --help       print this help
EOF
}

die() {
	echo "vnplug_bench.sh: $*" >&2
	exit 1
}

step() { echo "vnplug_bench: $*" >&2; }

is_uint() { case $1 in '' | *[!0-9]*) return 1 ;; esac }

parse_args() {
	local v
	while [ $# -gt 0 ]; do
		case $1 in
		--count | --msg-size | --duration | --rounds | --ring-size | --repeat | \
			--smp | --mem | --timeout | --csv | --build)
			[ $# -ge 2 ] || { usage >&2; exit 2; }
			v=$2
			case $1 in
			--count) COUNT=$v ;;
			--msg-size) MSG_SIZE=$v ;;
			--duration) DURATION=$v ;;
			--rounds) ROUNDS=$v ;;
			--ring-size) RING_SIZE=$v ;;
			--repeat) REPEAT=$v ;;
			--smp) SMP=$v ;;
			--mem) MEM=$v ;;
			--timeout) TIMEOUT=$v ;;
			--csv) CSV=$v ;;
			--build) B=$v ;;
			esac
			shift
			;;
		--quick) COUNT=500 DURATION=1 ROUNDS=3 REPEAT=1 ;;
		--keep) KEEP=1 ;;
		-h | --help) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
	done
	for v in COUNT MSG_SIZE DURATION ROUNDS REPEAT SMP MEM; do
		if ! is_uint "${!v}" || [ "${!v}" -eq 0 ]; then
			die "--$(echo "$v" | tr 'A-Z_' 'a-z-') wants a positive whole number, not '${!v}'"
		fi
	done
	[ -z "$TIMEOUT" ] || is_uint "$TIMEOUT" || die "--timeout wants seconds, not '$TIMEOUT'"
	if [ "$MSG_SIZE" -lt "$MSG_HDRS" ] || [ "$MSG_SIZE" -gt 4096 ]; then
		die "--msg-size: $MSG_HDRS to 4096 bytes"
	fi
	local n=${RING_SIZE%[kKmM]} mult=1
	case $RING_SIZE in *[kK]) mult=1024 ;; *[mM]) mult=1048576 ;; esac
	if ! is_uint "$n" || [ "$n" -eq 0 ]; then
		die "--ring-size: bytes with a K or M suffix, not '$RING_SIZE'"
	fi
	n=$((n * mult))
	if [ $((n % 4096)) != 0 ] || [ "$n" -gt $((64 << 20)) ]; then
		die "--ring-size: a multiple of 4K, up to 64M"
	fi
	B=$(realpath -m "$B")
	CSV=$(realpath -m "$CSV")
}

cleanup() {
	# run.sh kills its QEMU when it is told to stop
	if [ -n "$RUN_PID" ]; then kill -TERM "$RUN_PID" 2>/dev/null && wait "$RUN_PID" 2>/dev/null; fi
	if [ -n "$VNPLUGD_PID" ]; then kill -TERM "$VNPLUGD_PID" 2>/dev/null && wait "$VNPLUGD_PID" 2>/dev/null; fi
	if [ -n "$PEER_PID" ]; then kill -TERM "$PEER_PID" 2>/dev/null && wait "$PEER_PID" 2>/dev/null; fi
	if [ -n "$WORK" ]; then
		if [ "$KEEP" = 1 ]; then echo "vnplug_bench: logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
	fi
	return 0
}

# ---- building (as tests/e2e/run.sh) ----------------------------------------

build_all() {
	step "building vnplugd, vnplug-tool and the serial peer into $B"
	make -s -C "$ROOT" O="$B" "$B/bin/vnplugd" "$B/bin/vnplug-tool" \
		"$B/tests/bench/vnplug_serial_peer" >"$WORK/make.log" 2>&1 || {
		tail -n 20 "$WORK/make.log" >&2
		die "make failed"
	}
	build_vnplug_stack
}

# ---- the host's side -------------------------------------------------------

start_vnplugd() {
	cat >"$WORK/vnplugd.conf" <<-EOF
	[global]
	socket_dir = $WORK
	ping_interval = 5
	guest_timeout = 60
	log_level = info

	[vm bench]
	interfaces = veth*
	max_rings = 4
	max_ring_memory = 64M
	EOF
	"$B/bin/vnplugd" -c "$WORK/vnplugd.conf" >"$WORK/vnplugd.log" 2>&1 &
	VNPLUGD_PID=$!
	for _ in $(seq 100); do
		[ -S "$WORK/bench.sock" ] && return 0
		kill -0 "$VNPLUGD_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$WORK/vnplugd.log" >&2
	die "vnplugd did not start"
}

start_peer() {
	"$B/tests/bench/vnplug_serial_peer" "$WORK/serial.sock" >"$WORK/peer.log" 2>&1 &
	PEER_PID=$!
	for _ in $(seq 100); do
		[ -S "$WORK/serial.sock" ] && return 0
		kill -0 "$PEER_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/peer.log" >&2
	die "the serial peer did not start"
}

# CPU seconds a process has used so far (user + system).
proc_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null ||
		echo "?"
}

# ---- the guest -------------------------------------------------------------

make_image() {
	cat >"$WORK/vm.env" <<-EOF
	BUILD=$G_BUILD
	VNPLUG_KO=/lib/vpfr/vnplug.ko
	PORT_NAME=$PORT_NAME
	COUNT=$COUNT
	MSG_SIZE=$MSG_SIZE
	DURATION=$DURATION
	ROUNDS=$ROUNDS
	RING_SIZE=$RING_SIZE
	REPEAT=$REPEAT
	EOF
	step "building the initramfs"
	"$VM/initramfs.sh" "$WORK/bench.cpio.gz" --modules "virtio_pci virtio_console" \
		--script "$HERE/vnplug_bench_guest.sh" \
		--add "$WORK/vm.env:/etc/vpfr-vm.env" \
		--add "$B/vnplug-ko/vnplug.ko:/lib/vpfr/vnplug.ko" \
		--add "$B/bin/vnplug-tool:$G_BUILD/bin/vnplug-tool" \
		>"$WORK/initramfs.log" 2>&1 || {
		tail -n 20 "$WORK/initramfs.log" >&2
		die "initramfs.sh failed"
	}
}

# A generous limit: boot, then per run both sides' round trips (a few ms
# each at worst under TCG), the hotplugs and the four rate phases.
plan_timeout() {
	[ -n "$TIMEOUT" ] ||
		TIMEOUT=$((240 + REPEAT * (COUNT / 100 + ROUNDS * 4 + DURATION * 4 + 30)))
}

# While the guest runs: its progress, every 30 s (on stderr).
progress() {
	local t=0 n last=0
	while kill -0 "$RUN_PID" 2>/dev/null; do
		sleep 2
		t=$((t + 2))
		[ $((t % 30)) = 0 ] || continue
		n=$(grep -c "^$MARK # run [0-9]* of" "$WORK/console.log" 2>/dev/null)
		[ "$n" != "$last" ] || continue
		last=$n
		step "$n of $REPEAT runs done ($t s)"
	done
}

boot_guest() {
	local rc=0
	ACCEL=TCG
	[ -w /dev/kvm ] && ACCEL=KVM
	step "booting one guest ($ACCEL, -smp $SMP, $MEM MB, limit $TIMEOUT s);$(uptime | sed 's/.*load average/ load average/')"
	LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
	SECONDS=0
	: >"$WORK/console.log"
	QEMU=$QEMU_BIN "$VM/run.sh" --initrd "$WORK/bench.cpio.gz" --mem "$MEM" \
		--timeout "$TIMEOUT" --log "$WORK/console.log" --append "$APPEND" -- \
		-machine pc -smp "$SMP" \
		-chardev "socket,id=vnp,path=$WORK/bench.sock,reconnect=1" \
		-device vnplug-ctrl,chardev=vnp \
		-device virtio-serial-pci,id=vser \
		-chardev "socket,id=ser,path=$WORK/serial.sock" \
		-device "virtserialport,bus=vser.0,chardev=ser,name=$PORT_NAME" \
		>"$WORK/run.out" 2>&1 &
	RUN_PID=$!
	progress
	wait "$RUN_PID" || rc=$?
	RUN_PID=
	GUEST_S=$SECONDS
	LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
	VNPLUGD_CPU=$(proc_cpu "$VNPLUGD_PID")
	sed -n 's/^vm: //p' "$WORK/run.out" | sed 's/^/vnplug_bench: guest: /' >&2
	grep "^$MARK .*FAIL" "$WORK/console.log" | sed "s/^$MARK /vnplug_bench: guest: /" >&2
	if [ "$rc" != 0 ]; then
		sed -n '/^== /,$p' "$WORK/run.out" | head -n 80 >&2
		KEEP=1
	fi
	return "$rc"
}

# ---- results ---------------------------------------------------------------

# The guest's result lines as "REP SIDE METRIC VALUE", one per value.
extract() {
	sed -n "s/^$MARK \([0-9]\) /\1 /p" "$WORK/console.log" | awk '
	function after(text, key,    i, rest) {
		i = index(text, key)
		if (!i) return ""
		rest = substr(text, i + length(key))
		if (!match(rest, /^[0-9.]+/)) return ""
		return substr(rest, 1, RLENGTH)
	}
	function out(metric, v) { if (v != "") print rep, side, metric, v }
	{
		rep = $1; side = $2
		text = $0
		if (index(text, "round trip: ")) {
			out("rtt_median", after(text, " median "))
			out("rtt_p99", after(text, " p99 "))
			out("rtt_avg", after(text, "avg "))
		} else if (index(text, "hotplug to usable: ")) {
			out("hotplug_median", after(text, " median "))
			out("hotplug_min", after(text, " min "))
			out("hotplug_max", after(text, " max "))
		} else if (index(text, "guest->host events: ")) {
			out("g2h", after(text, "events: "))
			out("g2h_cpu", after(text, "guest cpu "))
			out("g2h_peer_cpu", after(text, "peer cpu "))
			out("g2h_differ", index(text, "counts differ") ? 1 : 0)
		} else if (index(text, "host->guest events: ")) {
			out("h2g", after(text, "events: "))
			out("h2g_cpu", after(text, "guest cpu "))
		}
	}' >"$WORK/values"
}

# Medians over the runs into $CSV, and the table on stdout.
report() {
	local qemu_ver guest_line
	qemu_ver=$("$QEMU_BIN" --version 2>/dev/null | sed -n '1s/.*version \([^ ]*\).*/\1/p')
	guest_line=$(sed -n "s/^$MARK # guest: //p" "$WORK/console.log" | head -n 1)
	mkdir -p "$(dirname "$CSV")"
	{
		echo "# vnplug_bench.sh: vNPlug against virtio-serial in one QEMU guest, $(date -u +%Y-%m-%d)"
		echo "# accel=$ACCEL smp=$SMP mem=${MEM}M append=$APPEND; guest: $guest_line"
		echo "# host: $(nproc) CPUs ($(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -n 1)), QEMU $qemu_ver with host/qemu-vnplug; load average $LOAD0 before the guest, $LOAD1 after; guest ran $GUEST_S s; vnplugd used $VNPLUGD_CPU s of CPU"
		echo "# round trips: $COUNT per run and side, $MSG_SIZE-byte messages (vNPlug: $MSG_HDRS bytes of headers + $((MSG_SIZE - MSG_HDRS)) of PING payload; virtio-serial: $MSG_SIZE bytes echoed)"
		echo "# hotplug: $ROUNDS rings of $RING_SIZE per run; event rates: $DURATION s per phase"
		echo "# $REPEAT run(s) per side, the sides taking turns going first; each value is the median over the runs; ratio = vnplug / virtio_serial"
	} >"$CSV"
	awk -v csv="$CSV" -v reps="$REPEAT" -v count="$COUNT" -v msg="$MSG_SIZE" \
		-v dur="$DURATION" -v rounds="$ROUNDS" -v ring="$RING_SIZE" '
	function median(list,    v, n, i, j, t) {
		n = split(list, v, " ")
		if (n == 0) return ""
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	function med(side, metric) { return median(vals[side, metric]) }
	function runs(side, metric,    s) { s = vals[side, metric]; sub(/^ /, "", s); gsub(/ /, "/", s); return s }
	function ratio(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "n/a" }
	function fmt(v, dec) { return v == "" ? "n/a" : sprintf("%." dec "f", v) }
	# who limited a streamed phase, from the sender'"'"'s CPU share
	function limit(side, name,    c, p) {
		c = med(side, "g2h_cpu")
		p = med(side, "g2h_peer_cpu")
		if (c == "") return name ": ?"
		if (c >= 90) return name ": the guest (sender at " c "% CPU)"
		return name ": the host side (the guest sender at " c "% CPU: its writes waited for the host to drain the virtqueue" \
			(p == "" ? "" : "; the peer at " p "% CPU: so QEMU'"'"'s relay") ")"
	}
	function row(metric, label, v, s, unit, dec, notes,    r) {
		r = ratio(v, s)
		gsub(/,/, ";", notes)
		printf "%s,%s,%s,%s,%s,%s\n", metric, fmt(v, dec), fmt(s, dec), r, unit, notes >> csv
		printf "%-38s %12s %14s %7s  %s\n", label, fmt(v, dec), fmt(s, dec), r, unit
		note[++nnotes] = label ": " notes
	}
	{ vals[$2, $3] = vals[$2, $3] " " $4 }
	END {
		print "metric,vnplug,virtio_serial,ratio,unit,notes" >> csv
		printf "vNPlug against virtio-serial in one guest; medians of %d run(s); ratio = vNPlug / virtio-serial\n", reps
		printf "%-38s %12s %14s %7s  %s\n", "metric", "vNPlug", "virtio-serial", "ratio", "unit"
		row("control_rtt_median", "control round trip, median",
			med("vnplug", "rtt_median"), med("serial", "rtt_median"), "us", 1,
			count " round trips of " msg "-byte messages per run (vNPlug: PING through vnplugd'"'"'s test back-end; serial: echoed by the host peer); lower is better; runs vNPlug " runs("vnplug", "rtt_median") " serial " runs("serial", "rtt_median"))
		row("control_rtt_p99", "control round trip, p99",
			med("vnplug", "rtt_p99"), med("serial", "rtt_p99"), "us", 1,
			"99th percentile of each run; lower is better; runs vNPlug " runs("vnplug", "rtt_p99") " serial " runs("serial", "rtt_p99"))
		row("hotplug_to_usable_median", "hotplug to usable (" ring " ring), median",
			med("vnplug", "hotplug_median"), "", "ms", 1,
			"MAP request to the first byte read through the mapping; " rounds " rings per run; min " fmt(med("vnplug", "hotplug_min"), 1) " max " fmt(med("vnplug", "hotplug_max"), 1) " ms (medians over runs); virtio-serial has no equivalent: it copies bytes and never maps memory into the guest")
		row("guest_to_host_events", "guest->host events (streamed)",
			med("vnplug", "g2h"), med("serial", "g2h"), "events/s", 0,
			"sent for " dur " s and counted on the host (vNPlug: doorbell stores counted by vnplugd; serial: 1-byte write()s counted by the peer); higher is better; limited by " limit("vnplug", "vNPlug") " and " limit("serial", "serial") (med("vnplug", "g2h_differ") + med("serial", "g2h_differ") > 0 ? "; COUNTS DIFFERED" : ""))
		row("host_to_guest_events", "host->guest events (ping-pong)",
			med("vnplug", "h2g"), med("serial", "h2g"), "events/s", 0,
			"for " dur " s the guest asks for one event and waits for it (vNPlug: a SIGNAL control message and its reply then the ring interrupt read from /dev/vnplugN; serial: a 1-byte request then the peer'"'"'s 1-byte answer); one event in flight so latency-bound: neither side saturates (guest CPU vNPlug " med("vnplug", "h2g_cpu") "% serial " med("serial", "h2g_cpu") "%); higher is better")
		print ""
		for (i = 1; i <= nnotes; i++) print "- " note[i]
	}' "$WORK/values"
}

main() {
	local failed=0
	parse_args "$@"
	[ "$(id -u)" = 0 ] || die "needs root (kernel headers, the QEMU cache)"
	WORK=$(mktemp -d /tmp/vnpb.XXXXXX)
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	build_all
	make_image
	start_vnplugd
	start_peer
	plan_timeout
	boot_guest || failed=1
	extract
	[ -s "$WORK/values" ] || { KEEP=1; die "the guest printed no results (console: $WORK/console.log)"; }
	echo "vnplug_bench.sh: $ACCEL, -smp $SMP; $COUNT round trips of $MSG_SIZE bytes, $ROUNDS hotplugs of $RING_SIZE," \
		"$DURATION s per event phase; $REPEAT run(s) per side"
	echo "host: $(nproc) CPUs ($(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -n 1)), load average $LOAD0 before the guest, $LOAD1 after"
	sed -n "s/^$MARK # //p" "$WORK/console.log" | grep -v '^run [0-9]* of' || true
	echo
	report
	echo
	echo "guest ran $GUEST_S s; CSV: $CSV"
	[ "$failed" = 0 ] || die "the guest failed (see above); the results are partial"
}

main "$@"
