#!/bin/bash
# ebpf_rules.sh - cost of libpfring's hash rules in the AF_PACKET back-end's
# eBPF socket filter: the same pfsend burst through a veth into a libpfring
# ring with 0 rules (policy accept), then 1,000 and 100,000 hash rules
# (action forward, policy drop) that the traffic's flows all hit.
#
# The filter runs in the kernel's receive path, which on a veth is the
# sender's softirq: its cost shows as pfsend's CPU per packet (gen_ns_pkt)
# and, at the maximum rate, as fewer packets per second. Both are noisy
# next to a filter that costs ~100 ns, so each case also times the filter
# alone in the kernel (ebpf_filter_run, BPF_PROG_TEST_RUN): filter_ns.
set -eu

# shellcheck source=tests/bench/bench_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

# rules:flows; policy drop whenever rules > 0
CASES="0:1000 1000:1000 100000:1000 100000:65536"
RATES="200000 0"
SIZE=64
PACKETS=200000
CSV=$ROOT/tests/bench/results/ebpf_rules.csv

usage() {
	cat <<EOF
Usage: tests/bench/ebpf_rules.sh [options]
Packets per second through a veth into a libpfring AF_PACKET ring
(build/tests/bench/cap_pfring) with 0, 1,000 and 100,000 hash rules in the
eBPF filter; same traffic and offered rate for each. Run as root. Prints a
table and writes a CSV.

Each case is RULES:FLOWS. RULES hash rules (forward) are loaded for pfsend's
flows 0..RULES-1 with the default policy drop (0 rules: policy accept);
pfsend sends FLOWS flows, all of them covered by rules. Default cases:
"$CASES"
(100000:65536 spreads the traffic over 65,536 of the rules, as many flows
as pfsend makes; a case whose rules fail to load records how far loading
got instead of a rate). filter_ns, the filter's own cost per packet, comes
from build/tests/bench/ebpf_filter_run, which loads the same rules.

  --cases "LIST"   RULES:FLOWS cases (default above)
  --rates "LIST"   offered rates, packets/s, 0 = max (default "$RATES")
  --size BYTES     frame size with CRC (default $SIZE)
  --packets N      packets per run (default $PACKETS)
  --idle-ms MS     a capture ends after MS without a packet (default $IDLE_MS)
  --gen-cpu N      CPU for pfsend (default $GEN_CPU)
  --cap-cpu N      CPU for the capture (default $CAP_CPU)
  --csv FILE       CSV output (default tests/bench/results/ebpf_rules.csv)
  --build DIR      build directory (default \$BUILD or build/)
  -h, --help       print this help
EOF
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--cases) CASES=${2:?}; shift ;;
		--rates) RATES=${2:?}; shift ;;
		--size) SIZE=${2:?}; shift ;;
		--packets) PACKETS=${2:?}; shift ;;
		--idle-ms) IDLE_MS=${2:?}; shift ;;
		--gen-cpu) GEN_CPU=${2:?}; shift ;;
		--cap-cpu) CAP_CPU=${2:?}; shift ;;
		--csv) CSV=${2:?}; shift ;;
		--build) B=${2:?}; shift ;;
		-h | --help) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
	done
}

CSV_HEADER="rules,policy,flows,size,offered_pps,achieved_pps,sent,captured,dropped,loss_pct,captured_pps,cpu_s,gen_cpu_s,gen_ns_pkt,filter_ns,load_s,end"

# filter_ns RULES FLOWS: the filter's own ns per packet with RULES rules,
# timed in the kernel by ebpf_filter_run (its own map, so not limited to
# what the back-end loads), over at most 1,000 frames spread over them.
filter_ns() {
	local frames=$2
	[ "$frames" -le 1000 ] || frames=1000
	# shellcheck disable=SC2086
	$PIN_CAP "$B/tests/bench/ebpf_filter_run" -R "$1" -f "$frames" \
		2>"$TMP/filter.err" |
		sed -n 's/.*ns_per_pkt=\([0-9.]*\).*/\1/p' || true
}

# The row of a case whose rules the back-end refused.
load_failed_row() {
	local loaded
	loaded=$(sed -n 's/^loadfail loaded=\([0-9]*\).*/\1/p' "$TMP/cap.out")
	sed 's/^/  /' "$TMP/cap.err" >&2
	echo "$1,drop,$2,$SIZE,$(rate_name "$3"),,,,,,,,,,$(filter_ns "$1" "$2"),,load_failed_at_${loaded:-?}"
}

# run_case RULES FLOWS RATE: one CSV row.
run_case() {
	local rules=$1 flows=$2 rate=$3 policy=accept opt='' sent cap gcpu
	if [ "$rules" -gt 0 ]; then
		policy=drop
		opt=-D
	fi
	FLOWS=$flows
	# 100,000 rules take a few seconds to load
	# shellcheck disable=SC2086
	if ! try_start_capture 120 "$B/tests/bench/cap_pfring" -c "$PACKETS" \
		-R "$rules" $opt; then
		load_failed_row "$rules" "$flows" "$rate"
		return 0
	fi
	send_burst "$SIZE" "$rate" "$PACKETS"
	wait_capture
	sent=$(gen_sent)
	cap=$(res captured)
	gcpu=$(gen_cpu)
	echo "$rules,$policy,$flows,$SIZE,$(rate_name "$rate"),$(gen_pps)," \
		"$sent,$cap,$(res dropped),$(loss_pct "$sent" "$cap"),$(res pps)," \
		"$(res cpu_s),$gcpu,$(awk -v c="$gcpu" -v s="$sent" \
		'BEGIN { printf "%.0f", (s > 0 ? c * 1e9 / s : 0) }')," \
		"$(filter_ns "$rules" "$flows")," \
		"$(sed -n 's/^loaded rules=[0-9]* s=\([0-9.]*\).*/\1/p' \
		"$TMP/cap.out"),$(res end)" | tr -d ' '
}

print_table() {
	awk -F, 'NR == 1 { next } {
		if (!hdr++)
			printf "%6s %6s %6s %7s %9s %8s %7s %6s %9s %7s %7s %7s %7s %6s %s\n",
				"rules", "policy", "flows", "offered", "achieved",
				"captured", "dropped", "loss%", "cap_pps", "cpu_s",
				"gen_cpu", "gen_ns", "filt_ns", "load_s", "end"
		printf "%6s %6s %6s %7s %9s %8s %7s %6s %9s %7s %7s %7s %7s %6s %s\n",
			$1, $2, $3, $5, $6, $8, $9, $10, $11, $12, $13, $14, $15,
			$16, $17
	}' "$1"
}

main() {
	local c rate p
	parse_args "$@"
	for p in cap_pfring ebpf_filter_run; do
		[ -x "$B/tests/bench/$p" ] ||
			die "$B/tests/bench/$p missing: make tests"
	done
	bench_setup
	mkdir -p "$(dirname "$CSV")"
	echo "$CSV_HEADER" >"$CSV"
	echo "ebpf_rules.sh: $PACKETS packets/run of $SIZE bytes, cases" \
		"(rules:flows): $CASES, rates: $RATES (0 = max)"
	machine_line
	echo
	for rate in $RATES; do
		for c in $CASES; do
			run_case "${c%%:*}" "${c##*:}" "$rate" >>"$CSV"
			tail -n 1 "$CSV" | awk -F, '{ printf "  %s rules, %s flows @ %s pps: captured %s of %s\n",
				$1, $3, $5, $8, $7 }' >&2
		done
	done
	echo >&2
	print_table "$CSV"
	echo
	echo "CSV: $CSV"
}

main "$@"
