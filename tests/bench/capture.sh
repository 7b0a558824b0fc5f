#!/bin/bash
# capture.sh - capture benchmark: libpfring (AF_PACKET back-end) vs libpcap
# vs a bare TPACKET_V3 loop, side by side on the same traffic.
#
# One veth pair joins two network namespaces: pfsend sends a fixed number of
# packets in one, a capture program receives them in the other. For every
# frame size and offered rate, each capture path gets its own, identical
# pfsend burst. See tests/bench/README.md for the method and the columns.
set -eu

# shellcheck source=tests/bench/bench_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

SIZES="64 128 256 512 1024 1518"
RATES="50000 200000 0"
PACKETS=200000
PATHS="libpfring libpcap tpacket"
CSV=$ROOT/tests/bench/results/capture.csv
REPEAT=1
WORK_NS=0
QUICK=0

usage() {
	cat <<EOF
Usage: tests/bench/capture.sh [options]
Capture benchmark (run as root): pfsend -> veth -> capture program, in two
network namespaces, for each frame size x offered rate x capture path:
  libpfring  build/tests/bench/cap_pfring   pfring_open + blocking pfring_recv
  libpcap    build/tests/bench/cap_pcap     pcap_loop, libpcap's default buffer
  tpacket    build/tests/bench/cap_tpacket  bare AF_PACKET TPACKET_V3 ring
Prints a table and writes a CSV; ends with the libpfring/libpcap and
libpfring/bare ratios at the highest rate.

  --quick            short run: sizes 64 1518, rates 200000 and max,
                     50000 packets
  --sizes "LIST"     frame sizes with CRC, bytes (default "$SIZES");
                     pfsend sends size - 4 bytes (no CRC)
  --rates "LIST"     offered rates, packets/s; 0 = as fast as pfsend can
                     (default "$RATES")
  --packets N        packets per run (default $PACKETS)
  --paths "LIST"     capture paths (default "$PATHS")
  --repeat N         run every point N times, the paths taking turns
                     (default $REPEAT); the ratios use the medians
  --flows N          pfsend flows (default $FLOWS)
  --idle-ms MS       a capture ends after MS without a packet (default $IDLE_MS)
  --work-ns NS       extra analysis time per captured packet, the same for
                     every path (default $WORK_NS): shows where each path
                     starts losing packets to a slow consumer
  --gen-cpu N        CPU for pfsend (default $GEN_CPU)
  --cap-cpu N        CPU for the capture program (default $CAP_CPU); with one
                     CPU online nothing is pinned
  --csv FILE         CSV output (default tests/bench/results/capture.csv)
  --build DIR        build directory (default \$BUILD or build/)
  -h, --help         print this help
EOF
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--quick) QUICK=1 ;;
		--sizes) SIZES=${2:?}; shift ;;
		--rates) RATES=${2:?}; shift ;;
		--packets) PACKETS=${2:?}; shift ;;
		--paths) PATHS=${2:?}; shift ;;
		--repeat) REPEAT=${2:?}; shift ;;
		--flows) FLOWS=${2:?}; shift ;;
		--idle-ms) IDLE_MS=${2:?}; shift ;;
		--work-ns) WORK_NS=${2:?}; shift ;;
		--gen-cpu) GEN_CPU=${2:?}; shift ;;
		--cap-cpu) CAP_CPU=${2:?}; shift ;;
		--csv) CSV=${2:?}; shift ;;
		--build) B=${2:?}; shift ;;
		-h | --help) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
	done
	if [ "$QUICK" = 1 ]; then
		SIZES="64 1518"
		RATES="200000 0"
		PACKETS=50000
	fi
}

# ---------------------------------------------------------------------------
# One run

cap_cmd() {
	case $1 in
	libpfring) echo "$B/tests/bench/cap_pfring" ;;
	libpcap) echo "$B/tests/bench/cap_pcap" ;;
	tpacket) echo "$B/tests/bench/cap_tpacket" ;;
	*) die "unknown path '$1'" ;;
	esac
}

# saturation RATE ACHIEVED SENT CAPTURED: bench_lib.sh

# run_point SIZE RATE PATH REP: one CSV row.
run_point() {
	local size=$1 rate=$2 path=$3 rep=$4 d0 sent ach cap
	d0=$(if_drops)
	start_capture 10 "$(cap_cmd "$path")" -c "$PACKETS" -W "$WORK_NS"
	send_burst "$size" "$rate" "$PACKETS"
	wait_capture
	sent=$(gen_sent)
	ach=$(gen_pps)
	cap=$(res captured)
	echo "$size,$(rate_name "$rate"),$ach,$sent,$path,$cap,$(res dropped)," \
		"$(loss_pct "$sent" "$cap"),$(res pps),$(res cpu_s)," \
		"$(saturation "$rate" "$ach" "$sent" "$cap"),$(res user_s)," \
		"$(res sys_s),$(gen_cpu),$(($(if_drops) - d0)),$GEN_CPU," \
		"$CAP_CPU,$(res end),$(res ring),$rep" | tr -d ' '
}

# ---------------------------------------------------------------------------
# Output

CSV_HEADER="size,offered_pps,achieved_pps,sent,path,captured,dropped,loss_pct,captured_pps,cpu_s,saturated,user_s,sys_s,gen_cpu_s,if_drops,gen_cpu,cap_cpu,end,ring,rep"

print_table() {
	awk -F, 'NR == 1 { next } {
		if (!hdr++)
			printf "%5s %8s %9s %-10s %8s %7s %7s %9s %6s %8s %-17s %s\n",
				"size", "offered", "achieved", "path", "captured",
				"dropped", "loss%", "cap_pps", "cpu_s", "gen_cpu",
				"saturated", "run"
		printf "%5s %8s %9.0f %-10s %8s %7s %7.2f %9s %6s %8s %-17s %s\n",
			$1, $2, $3, $5, $6, $7, $8, $9, $10, $14, $11, $20 }' "$1"
}

# The runs that lost packets, for the record.
print_losses() {
	echo
	awk -F, 'NR > 1 && $6 < $4 {
		if (!n++) print "Runs that lost packets:"
		printf "  %s B @ %s pps, %s, run %s: lost %d of %d (ring dropped %s, veth %s)\n",
			$1, $2, $5, $20, $4 - $6, $4, $7, $15 }
	END { if (!n) print "No run lost a packet." }' "$1"
}

# The highest rate of $RATES, as the CSV names it ("max" for 0).
top_rate() {
	local r top=
	for r in $RATES; do
		if [ "$r" = 0 ]; then
			echo max
			return
		fi
		if [ -z "$top" ] || [ "$r" -gt "$top" ]; then top=$r; fi
	done
	echo "$top"
}

# Per size, at the highest rate: libpfring over libpcap and over bare, for
# captured packets/s (higher is better) and CPU per captured packet (lower
# is better), each the median over the repetitions.
print_ratios() {
	local top
	top=$(top_rate)
	echo
	echo "Ratios at the highest rate ($top pps), medians of $REPEAT run(s):"
	awk -F, -v top="$top" '
	function median(list,    v, n, i, j, t) {
		n = split(list, v, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	function r(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "n/a" }
	NR > 1 && $2 == top {
		pps[$1, $5] = pps[$1, $5] " " $9
		cpp[$1, $5] = cpp[$1, $5] " " ($6 > 0 ? $10 / $6 : 0)
		if (!seen[$1]++) sizes[n++] = $1 }
	END {
		printf "%5s %16s %16s %20s %20s\n", "size", "pps pfring/pcap",
			"pps pfring/bare", "cpu/pkt pfring/pcap", "cpu/pkt pfring/bare"
		for (i = 0; i < n; i++) {
			s = sizes[i]
			f = median(pps[s, "libpfring"]); c = median(cpp[s, "libpfring"])
			printf "%5s %16s %16s %20s %20s\n", s,
				r(f, median(pps[s, "libpcap"])),
				r(f, median(pps[s, "tpacket"])),
				r(c, median(cpp[s, "libpcap"])),
				r(c, median(cpp[s, "tpacket"]))
		} }' "$CSV"
}

# The run just done, on stderr while the benchmark goes on.
progress() {
	tail -n 1 "$1" | awk -F, '{ printf "  %s B @ %s pps: %-9s captured %s of %s\n",
		$1, $2, $5, $6, $4 }' >&2
}

print_env() {
	echo "capture.sh: $PACKETS packets/run, $FLOWS flows, sizes: $SIZES," \
		"rates: $RATES (0 = max), paths: $PATHS, $REPEAT run(s) each," \
		"extra work $WORK_NS ns/packet"
	machine_line
	echo
}

# ---------------------------------------------------------------------------

check_prereqs() {
	local p
	for p in $PATHS; do
		[ -x "$(cap_cmd "$p")" ] || die "$(cap_cmd "$p") missing: make tests"
	done
}

main() {
	local size rate path rep
	parse_args "$@"
	check_prereqs
	bench_setup
	mkdir -p "$(dirname "$CSV")"
	echo "$CSV_HEADER" >"$CSV"
	print_env
	for size in $SIZES; do
		for rate in $RATES; do
			for rep in $(seq 1 "$REPEAT"); do
				for path in $PATHS; do
					run_point "$size" "$rate" "$path" "$rep" >>"$CSV"
					progress "$CSV"
				done
			done
		done
	done
	echo >&2
	print_table "$CSV"
	print_losses "$CSV"
	print_ratios
	echo
	echo "CSV: $CSV"
}

main "$@"
