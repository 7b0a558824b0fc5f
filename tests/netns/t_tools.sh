#!/bin/bash
# The tools: --help, bad flags, missing interfaces and bad filters give a
# clear message and a non-zero exit; pfdump writes exactly what it caught.
. "$(dirname "$0")/lib.sh"
plan 15

new_ns a; new_ns b
pair a b va vb

# expect_exit DESC CODE PATTERN CMD...: exit code and a message matching PATTERN
expect_exit() {
	local desc=$1 code=$2 pat=$3 rc
	shift 3
	"$@" >"$TMP/out" 2>&1; rc=$?
	if [ $rc -eq "$code" ] && grep -qiE -- "$pat" "$TMP/out"; then ok "$desc"; else
		not_ok "$desc (exit $rc)"; sed 's/^/#   /' "$TMP/out" | head -5
	fi
}

for t in pfcount pfsend pfdump; do
	expect_exit "$t --help" 0 "usage" "$BIN/$t" --help
	expect_exit "$t bad flag" 2 "invalid|unknown|unrecognized" "$BIN/$t" --no-such-flag
done
expect_exit "pfcount missing interface" 1 "nosuchdev0" in_ns b "$BIN/pfcount" -i nosuchdev0 -d 1
expect_exit "pfsend missing interface" 1 "nosuchdev0" in_ns a "$BIN/pfsend" -i nosuchdev0 -n 1
expect_exit "pfdump missing interface" 1 "nosuchdev0" in_ns b "$BIN/pfdump" -i nosuchdev0 -w "$TMP/x.pcap" -d 1
expect_exit "pfcount bad filter" 1 "filter" in_ns b "$BIN/pfcount" -i vb -f "udp port" -d 1
expect_exit "pfcount bad number" 2 "number|integer|invalid" "$BIN/pfcount" -i vb -n 12x
expect_exit "pfsend bad length" 2 "length|invalid|range" "$BIN/pfsend" -i va -l 5
expect_exit "pfcount missing -i" 2 "-i|device|interface" "$BIN/pfcount"

in_ns b "$BIN/pfdump" -i vb -w "$TMP/dump.pcap" -n 700 -d 20 >"$TMP/dump.out" 2>&1 &
PIDS+=($!); pd=$!
sleep 1
in_ns a "$BIN/pfsend" -i va -n 700 -l 100 -F 3 >/dev/null 2>&1
wait $pd
"$BIN/pfcount" -i "pcap:$TMP/dump.pcap" -q >"$TMP/re.out" 2>&1
check "pfdump wrote exactly the packets" 700 \
	"$(sed -n 's/^pfcount: .*received=\([0-9]*\).*/\1/p' "$TMP/re.out")"
"$BIN/pfcount" -i "pcap:$TMP/dump.pcap" -q -f "len = 100" >"$TMP/re.out" 2>&1
check "pfdump kept frame lengths" 700 \
	"$(sed -n 's/^pfcount: .*received=\([0-9]*\).*/\1/p' "$TMP/re.out")"
