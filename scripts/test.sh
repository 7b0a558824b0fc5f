#!/bin/bash
# Runs every test tier of vPF_RING and ends with one line "N passed, N failed"
# that adds them all up. Exits non-zero on any failure. Needs root (network
# namespaces, eBPF) on Debian 12; installs its own packages.
#
#   scripts/test.sh              all tiers
#   TIERS="unit netns" scripts/test.sh
#   FUZZ_RUNS=200000 (per harness), JOBS=2
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TIERS=${TIERS:-"build unit asan fuzz netns vm e2e"}
JOBS=${JOBS:-2}
LOG=$(mktemp -d /tmp/vpfr-test.XXXXXX)
PASSED=0
FAILED=0

tally() { PASSED=$((PASSED + $1)); FAILED=$((FAILED + $2)); echo "== $3: $1 passed, $2 failed"; }

tier_build() {
	if make -j"$JOBS" all >"$LOG/build.log" 2>&1; then tally 1 0 build; else
		tail -n 40 "$LOG/build.log"; tally 0 1 build; fi
}

# run_check_suites DIR NAME: every Check suite in DIR; its "Checks: N,
# Failures: F, Errors: E" line is counted. A suite that ran no check fails.
run_check_suites() {
	local dir=$1 name=$2 p=0 f=0 t out line n nf ne
	for t in "$dir"/test_*; do
		[ -x "$t" ] || continue
		out=$(CK_FORK=yes CK_DEFAULT_TIMEOUT=60 "$t" 2>&1)
		line=$(echo "$out" | grep -E '[0-9]+%: Checks: [0-9]+' | tail -n 1)
		n=$(echo "$line" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p')
		nf=$(echo "$line" | sed -n 's/.*Failures: \([0-9]*\).*/\1/p')
		ne=$(echo "$line" | sed -n 's/.*Errors: \([0-9]*\).*/\1/p')
		if [ -z "$n" ] || [ "$n" -eq 0 ]; then
			echo "$out" | tail -n 20
			echo "$(basename "$t"): ran no check"; f=$((f + 1)); continue
		fi
		echo "$(basename "$t"): $line"
		[ $((nf + ne)) -gt 0 ] && echo "$out" | grep -E ':[EF]:' | head -n 20
		p=$((p + n - nf - ne)); f=$((f + nf + ne))
	done
	[ $((p + f)) -eq 0 ] && f=1 && echo "$name: no suite found"
	tally $p $f "$name"
}

tier_unit() {
	make -j"$JOBS" tests >>"$LOG/build.log" 2>&1
	run_check_suites build/tests/unit unit
}

# The same suites under AddressSanitizer and UBSan.
tier_asan() {
	if ! make -j"$JOBS" O=build/san SAN=1 tests >"$LOG/asan-build.log" 2>&1; then
		tail -n 30 "$LOG/asan-build.log"; tally 0 1 asan; return
	fi
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		run_check_suites build/san/tests/unit asan
}

tier_fuzz() {
	local out p f
	out=$(make -C tests/fuzz run RUNS="${FUZZ_RUNS:-200000}" 2>&1)
	p=$(echo "$out" | grep -c '^fuzz ok'); f=$(echo "$out" | grep -c '^fuzz FAIL')
	echo "$out" | grep -E '^fuzz (ok|FAIL)'
	[ $((p + f)) -eq 0 ] && { echo "$out" | tail -n 20; f=1; }
	tally "$p" "$f" fuzz
}

# TAP-style tiers: count "ok" and "not ok" lines.
run_tap() {
	local name=$1 script=$2 out p f rc
	out=$(bash "$script" 2>&1); rc=$?
	echo "$out" >"$LOG/$name.log"
	echo "$out" | grep -E '^(not ok|# )' | head -n 60
	p=$(echo "$out" | grep -cE '^ok '); f=$(echo "$out" | grep -cE '^not ok')
	[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
	[ $((p + f)) -eq 0 ] && f=1
	tally "$p" "$f" "$name"
}

tier_netns() { run_tap netns tests/netns/run.sh; }
# QEMU guests (TCG without KVM): the netns suite on pf_ring.ko and the
# module's own tests. tests/vm/run.sh builds what it needs and prints one
# "ok"/"not ok" per result, one per guest, and one per short script.
tier_vm() { run_tap vm tests/vm/run.sh; }
tier_e2e() { [ -x tests/e2e/run.sh ] && run_tap e2e tests/e2e/run.sh; }

if ! scripts/deps.sh; then
	echo "0 passed, 1 failed"
	exit 1
fi
for tier in $TIERS; do
	echo "== tier $tier"
	"tier_$tier"
done
echo "logs: $LOG"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
