#!/bin/bash
# Runs every netns test (root; network namespaces and veth pairs) and
# prints their TAP lines. Exits non-zero if any test failed or a script
# printed fewer results than it planned.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
status=0
for t in "$dir"/t_*.sh; do
	echo "# $(basename "$t")"
	out=$(timeout 300 bash "$t" 2>&1); rc=$?
	echo "$out"
	planned=$(echo "$out" | sed -n 's/^1\.\.\([0-9]*\)$/\1/p' | head -n 1)
	ran=$(echo "$out" | grep -cE '^(not )?ok [0-9]+')
	if [ -z "$planned" ] || [ "$ran" -ne "$planned" ]; then
		echo "not ok - $(basename "$t"): planned ${planned:-?} results, got $ran (exit $rc)"
		status=1
	fi
	echo "$out" | grep -q '^not ok' && status=1
done
exit $status
