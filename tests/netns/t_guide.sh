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
# The configuration examples (```ini blocks), one file each
awk -v dir="$TMP" '/^```ini$/ { n++; f = dir "/guide-" n ".conf"; on = 1; next }
	on && /^```$/ { on = 0; next } on { print > f }' "$GUIDE"
confs=("$TMP"/guide-*.conf)
[ -e "${confs[0]}" ] || confs=()
# One result per command checked, one for the checker's own verdict, one
# per configuration example.
plan $(($(grep -cE '^(not )?ok ' <<<"$out") + 1 + ${#confs[@]}))
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

# vnplugd takes each configuration example as it is, but for its paths
# (this test's own) and, on a host without Debian's libvirt-qemu user
# (libvirt not installed yet), the socket's owner.
for c in "${confs[@]}"; do
	sed -i -e "s|^socket_dir = .*|socket_dir = $TMP/sock|" \
		-e "s|^include_dir = .*|include_dir = $TMP/include|" "$c"
	if ! id libvirt-qemu >/dev/null 2>&1; then
		sed -i -e 's/^socket_user = libvirt-qemu$/socket_user = root/' \
			-e 's/^socket_group = libvirt-qemu$/socket_group = root/' "$c"
	fi
	if "$BIN/vnplugd" --check-config -c "$c" >"$TMP/check.out" 2>&1; then
		ok "vnplugd --check-config takes the guide's example ${c##*/}"
	else
		not_ok "vnplugd --check-config refuses the guide's example ${c##*/}"
		sed 's/^/#   /' "$TMP/check.out"
	fi
done
