#!/bin/bash
# Runs every VM test: QEMU guests (TCG where there is no KVM) boot the Debian
# kernel of scripts/vm/kernel.sh with one initramfs of scripts/vm/initramfs.sh
# (bash, the build's library, tools and test programs, the test scripts,
# pf_ring.ko) and are judged by scripts/vm/run.sh, one guest at a time:
#
#   netns-on-pf_ring   tests/netns/run.sh, unchanged, with pf_ring.ko loaded
#                      (named netns-on-af_packet while there is no module)
#   module             tests/vm/t_*.sh (POSIX sh or bash, TAP with a plan),
#                      pf_ring.ko loaded before each one
#
# Until host/kmod/pf_ring_main.c exists the tier is the netns guest on
# AF_PACKET; from then on, a pf_ring.ko that does not build is a failure.
# Every guest adds one result of its own to its scripts' (it ran to its end
# with exit 0, and no panic, Oops, BUG or WARNING on the console); a script
# that printed fewer results than its plan says adds a "not ok ... missing"
# line, as tests/netns/run.sh does. Prints TAP lines, which
# scripts/test.sh's vm tier counts, and "# " comments (timings per script);
# exits non-zero on any failure. Builds what it needs: the project (make
# O=$BUILD), pf_ring.ko (host/kmod, O=$BUILD/kmod), the kernel.
#
#   tests/vm/run.sh
#   BUILD=build (as tests/netns)  VM_MEM=1536 (MB)  VM_TIMEOUT=600 (s, each guest)
#   VM_KEEP=1 keeps the initramfs next to the console logs
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$(realpath -m "${BUILD:-$ROOT/build}")
VM=$ROOT/scripts/vm
MEM=${VM_MEM:-1536}
TIMEOUT=${VM_TIMEOUT:-600}
KO_SRC=$ROOT/host/kmod/pf_ring_main.c
G_ROOT=/vpfr/src
G_BUILD=/vpfr/build
KO=""
WORK=""
PASSED=0
FAILED=0

# tests/netns scripts that stay on the host:
#   t_install.sh  checks `make install` and builds an application with cc and
#                 pkg-config from the source tree: user space only, nothing
#                 of the kernel in it, and the guest has no toolchain.
#   t_guide.sh    reads the operator's guide and the scripts (python3)
#   t_virt.sh     vnplug-virt and libvirt's XML (xmllint): nothing of the
#                 kernel either
NETNS_SKIP="t_install.sh t_guide.sh t_virt.sh"

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
comment() { sed 's/^/# /'; }

# plan_of SCRIPT: how many results SCRIPT plans: its "plan N" (tests/netns)
# or 'echo "1..N"' line, else the "1..N\n" that the one test program it
# runs that prints a plan does (tests/*/progs/NAME.c; t_api.sh's apicheck),
# or, for a script that execs another t_*.sh (t_host_*.sh), that one's.
plan_of() {
	local s=$1 n p c found=() other
	other=$(sed -n 's/^.*exec bash .*\/\(t_[A-Za-z0-9_]*\.sh\)".*$/\1/p' "$s" | head -n 1)
	[ -n "$other" ] && [ -f "$(dirname "$s")/$other" ] && s=$(dirname "$s")/$other
	n=$(sed -n 's/^[[:space:]]*plan \([0-9][0-9]*\)[[:space:]]*$/\1/p
		s/^[[:space:]]*echo "1\.\.\([0-9][0-9]*\)"[[:space:]]*$/\1/p' "$s" | head -n 1)
	if [ -z "$n" ]; then
		for p in $(grep -o '\$PROGS/[A-Za-z0-9_]*' "$s" | sort -u); do
			for c in "$ROOT"/tests/{netns,vm}/progs/"${p#\$PROGS/}".c; do
				[ -f "$c" ] || continue
				n=$(sed -n 's/.*"1\.\.\([0-9][0-9]*\)\\n".*/\1/p' "$c" | head -n 1)
				[ -n "$n" ] && found+=("$n")
			done
		done
		[ ${#found[@]} -eq 1 ] || return 1
		n=${found[0]}
	fi
	case "$n" in '' | *[!0-9]*) return 1 ;; esac
	echo "$n"
}

# plans DIR [SKIP]: "t_NAME.sh=N ..." for DIR/t_*.sh but SKIP
plans() {
	local t n list=""
	for t in "$1"/t_*.sh; do
		[ -f "$t" ] || continue
		case " ${2:-} " in *" ${t##*/} "*) continue ;; esac
		n=$(plan_of "$t") || { echo "${t#"$ROOT"/}" >>"$WORK/noplan"; n=0; }
		list="$list ${t##*/}=$n"
	done
	echo "${list# }"
}

sum_plans() {
	local p s=0
	for p in $1; do s=$((s + ${p#*=})); done
	echo "$s"
}

# missing NAME PLANS WHY: the results of a guest that did not run
missing() {
	local name=$1 p
	for p in $2; do
		not_ok "[$name] ${p%=*}: ${p#*=} of ${p#*=} results missing"
	done
	not_ok "[$name] guest not booted: $3"
}

# progs: the test programs, tests/{netns,vm}/progs/NAME.c, which the
# Makefile builds as $B/tests/progs/NAME
progs() {
	local p
	for p in "$ROOT"/tests/netns/progs/*.c "$ROOT"/tests/vm/progs/*.c; do
		[ -f "$p" ] || continue
		p=${p##*/}
		echo "tests/progs/${p%.c}"
	done
}

build_project() {
	local targets=() p
	for p in $(progs); do targets+=("$B/$p"); done
	make -s -C "$ROOT" O="$B" lib tools "$B/bin/vnplugd" "${targets[@]}" >"$WORK/make.log" 2>&1 && return 0
	tail -n 20 "$WORK/make.log" | comment
	return 1
}

kernel() {
	local env
	env=$("$VM/kernel.sh" 2>"$WORK/kernel.log") && eval "$env" && return 0
	tail -n 20 "$WORK/kernel.log" | comment
	return 1
}

# build_ko: pf_ring.ko for $KVER, built and installed by DKMS as the
# operator's guide does it (tests/vm/dkms.sh); the guests load that file.
# Sets KO.
build_ko() {
	if KO=$("$ROOT/tests/vm/dkms.sh" "$KVER" 2>"$WORK/kmod.log") && [ -f "$KO" ]; then
		ok "pf_ring.ko builds and installs through DKMS for $KVER ($KO)"
	else
		KO=""
		not_ok "pf_ring.ko: DKMS did not build and install it for $KVER"
		grep -E 'error|Error|dkms.sh' "$WORK/kmod.log" | head -n 20 | comment
	fi
}

# make_initrd NETNS-PLANS MODULE-PLANS: one image for both guests: the
# scripts under /vpfr/src/tests, the build in /vpfr/build (lib.sh takes
# BUILD from the environment), pf_ring.ko as /lib/vpfr/pf_ring.ko.
make_initrd() {
	local adds=() f p mods=veth
	adds+=(--add "/bin/bash:/bin/bash")
	adds+=(--add "$B/lib/libpfring.so.1:$G_BUILD/lib/libpfring.so.1")
	for f in "$B"/bin/*; do adds+=(--add "$f:$G_BUILD/bin/${f##*/}"); done
	for f in $(progs); do adds+=(--add "$B/$f:$G_BUILD/$f"); done
	for f in run.sh lib.sh; do
		adds+=(--add "$ROOT/tests/netns/$f:$G_ROOT/tests/netns/$f")
	done
	for p in $1; do
		adds+=(--add "$ROOT/tests/netns/${p%=*}:$G_ROOT/tests/netns/${p%=*}")
	done
	for p in $2; do
		adds+=(--add "$ROOT/tests/vm/${p%=*}:$G_ROOT/tests/vm/${p%=*}")
	done
	for f in "$ROOT"/tests/vm/*.sh; do # their helpers (lib.sh)
		case "${f##*/}" in t_*.sh | run.sh | guest.sh) continue ;; esac
		adds+=(--add "$f:$G_ROOT/tests/vm/${f##*/}")
	done
	printf "ROOT=%s\nBUILD=%s\nPF_RING_KO=%s\n" "$G_ROOT" "$G_BUILD" \
		"${KO:+/lib/vpfr/pf_ring.ko}" >"$WORK/vm.env"
	adds+=(--add "$WORK/vm.env:/etc/vpfr-vm.env")
	if [ -n "$KO" ]; then
		adds+=(--add "$KO:/lib/vpfr/pf_ring.ko")
		mods="$mods $(modinfo -F depends "$KO" 2>/dev/null | tr ',' ' ')"
	fi
	"$VM/initramfs.sh" "$WORK/vm.cpio.gz" --modules "$mods" \
		--script "$ROOT/tests/vm/guest.sh" "${adds[@]}" >"$WORK/initramfs.log" 2>&1 &&
		return 0
	tail -n 20 "$WORK/initramfs.log" | comment
	return 1
}

# results NAME PLANS LOG: the guest's TAP lines, each named after its guest
# and script, then a "missing" result for each script that printed fewer
# than it planned, and the time each script took. Writes "PASSED FAILED" to
# LOG.count.
results() {
	awk -v vm="$1" -v plans="$2" -v count="$3.count" '
	BEGIN {
		n = split(plans, a, " ")
		for (i = 1; i <= n; i++) {
			split(a[i], kv, "=")
			name[i] = kv[1]; plan[kv[1]] = kv[2]
		}
	}
	/^@@VPFR-DMESG-BEGIN@@/ { dmesg = 1 }
	/^@@VPFR-DMESG-END@@/ { dmesg = 0; next }
	dmesg { next }
	/^# uptime [0-9.]+$/ {
		if (cur != "" && !(cur in took)) took[cur] = $3 - since
		since = $3; next
	}
	/^# t_[A-Za-z0-9_-]+\.sh$/ { cur = $2; print; next }
	/^(not )?ok [0-9]+/ {
		match($0, /^(not )?ok [0-9]+( -)? */)
		head = substr($0, 1, RLENGTH); sub(/( -)? *$/, "", head)
		print head " - [" vm "] " (cur == "" ? "?" : cur) ": " substr($0, RLENGTH + 1)
		got[cur]++
		if ($1 == "not") failed++; else passed++
		next
	}
	/^# / { print }
	END {
		for (i = 1; i <= n; i++) {
			s = name[i]; g = got[s] + 0
			if (g < plan[s]) {
				print "not ok - [" vm "] " s ": " plan[s] - g " of " plan[s] " results missing"
				failed++
			}
			if (g > plan[s]) {
				print "not ok - [" vm "] " s ": " g " results, " plan[s] " planned"
				failed++
			}
			if (s in took) t = t sprintf("%s%s %.1f s", t == "" ? "" : ", ", s, took[s])
		}
		for (s in got) if (!(s in plan)) {
			print "not ok - [" vm "] " (s == "" ? "results outside any script" : s ": not planned")
			failed++
		}
		if (t != "") print "# [" vm "] guest time per script: " t
		print passed + 0, failed + 0 >count
	}' "$3"
}

# boot NAME SUITE PLANS: one guest, its results and its verdict.
boot() {
	local name=$1 suite=$2 plans=$3 log=$WORK/$1.console out=$WORK/$1.out
	local rc=0 p f reasons timing
	"$VM/run.sh" --initrd "$WORK/vm.cpio.gz" --mem "$MEM" --timeout "$TIMEOUT" \
		--expect "$(sum_plans "$plans")" --log "$log" \
		--append "vpfr_suite=$suite" >"$out" 2>&1 || rc=$?
	touch "$log"
	results "$name" "$plans" "$log"
	read -r p f <"$log.count"
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	timing=$(sed -n 's/^vm: \([a-z]*, booted .*\)/\1/p' "$out")
	# the results are counted above; what is left is the guest's own verdict
	reasons=$(sed -n 's/^vm: FAILED: //p' "$out" | sed 's/; /\n/g' |
		grep -vE '^[0-9]+ result\(s\)( not ok|, [0-9]+ expected)$')
	# the suites exit 1 on a failed result; any other way out is the guest's
	[ "$f" -gt 0 ] && reasons=$(printf '%s\n' "$reasons" | grep -vx 'test script exited 1')
	reasons=$(sed -n 's/^# guest setup failed: //p' "$log"; printf '%s\n' "$reasons")
	reasons=$(printf '%s\n' "$reasons" | grep -v '^$')
	[ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && reasons="scripts/vm/run.sh exited $rc: $(tail -n 1 "$out")"
	if [ -z "$reasons" ]; then
		ok "[$name] guest ran to its end, console clean (${timing:-no timing})"
		return
	fi
	not_ok "[$name] guest: $(printf '%s\n' "$reasons" | paste -sd ';' | sed 's/;/; /g')${timing:+ ($timing)}"
	sed -n '/^== /,$p' "$out" | comment
}

main() {
	local netns module name
	case "${1:-}" in
	-h | --help) sed -n '2,24s/^# \{0,1\}//p' "$0"; exit 0 ;;
	"") ;;
	*) echo "usage: $0 (see --help)" >&2; exit 2 ;;
	esac
	WORK=$(mktemp -d /tmp/vpfr-vmtests.XXXXXX)
	EXTRA_PKGS="busybox-static qemu-system-x86" "$ROOT/scripts/deps.sh" >"$WORK/deps.log" 2>&1 ||
		{ tail -n 20 "$WORK/deps.log" | comment; }
	netns=$(plans "$ROOT/tests/netns" "$NETNS_SKIP")
	module=$(plans "$ROOT/tests/vm")
	while read -r name; do
		not_ok "$name: cannot tell how many results it plans"
	done < <(cat "$WORK/noplan" 2>/dev/null)
	echo "# netns guest: ${netns//=/ x}"
	[ -f "$KO_SRC" ] && echo "# module guest: ${module//=/ x}"
	if ! build_project; then
		missing netns-on-pf_ring "$netns" "make failed"
		[ -f "$KO_SRC" ] && not_ok "pf_ring.ko missing: make failed" &&
			missing module "$module" "make failed"
	elif ! kernel; then
		missing netns-on-pf_ring "$netns" "no kernel (scripts/vm/kernel.sh failed)"
		[ -f "$KO_SRC" ] && not_ok "pf_ring.ko missing: no kernel headers" &&
			missing module "$module" "no kernel"
	else
		export KVER MODDIR KERNEL KDIR
		if [ -f "$KO_SRC" ]; then
			build_ko
		else
			echo "# host/kmod/pf_ring_main.c does not exist yet: netns guest on AF_PACKET only"
		fi
		name="netns-on-pf_ring"
		[ -n "$KO" ] || name="netns-on-af_packet"
		if ! make_initrd "$netns" "$module"; then
			missing "$name" "$netns" "initramfs.sh failed"
			[ -f "$KO_SRC" ] && missing module "$module" "initramfs.sh failed"
		else
			boot "$name" netns "$netns"
			if [ -n "$KO" ]; then
				boot module module "$module"
			elif [ -f "$KO_SRC" ]; then
				missing module "$module" "no pf_ring.ko"
			fi
		fi
	fi
	[ "${VM_KEEP:-0}" = 1 ] || rm -f "$WORK/vm.cpio.gz"
	echo "# vm: $PASSED passed, $FAILED failed; console logs in $WORK"
	[ "$FAILED" -eq 0 ]
}

main "$@"
