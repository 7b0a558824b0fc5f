#!/bin/bash
# docs/operators-guide.md: every command of it is still run, with the same
# program, subcommand and options, by the test or demo script its block
# names (tests/docs/guide_commands.py). No namespace needed.
. "$(dirname "$0")/lib.sh"
GUIDE=$ROOT/docs/operators-guide.md

if ! command -v python3 >/dev/null; then
	plan 1
	not_ok "python3 is missing (scripts/deps.sh installs it)"
	exit 1
fi
out=$(python3 "$ROOT/tests/docs/guide_commands.py" "$GUIDE" "$ROOT")
rc=$?
# One result per command checked, and one for the checker's own verdict.
plan $(($(grep -cE '^(not )?ok ' <<<"$out") + 1))
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok "${line#ok [0-9]* - }" ;;
	"not ok "*) not_ok "${line#not ok [0-9]* - }" ;;
	"#"*) echo "$line" ;;
	esac
done <<<"$out"
n=$(sed -n 's/^# guide: \([0-9]*\) commands checked.*/\1/p' <<<"$out")
if [ "$rc" -eq 0 ] && [ "${n:-0}" -ge 25 ]; then
	ok "the guide's commands are all exercised ($n checked)"
else
	not_ok "the guide's check (status $rc, ${n:-no} commands checked, at least 25 expected)"
fi
