#!/bin/bash
# vm_capture.sh - the pf_ring.ko benchmark: pf_ring.ko vs AF_PACKET
# TPACKET_V3, both through libpfring, side by side in one QEMU guest.
#
# Builds the project, pf_ring.ko and one initramfs, boots ONE guest (TCG
# where there is no KVM, -smp 2) that loads pf_ring.ko, joins two network
# namespaces by a veth pair (bench_lib.sh, as capture.sh does) and runs
#  (a) for each frame size x offered rate, the same pfsend burst captured by
#      cap_pfring on "pfring:cap0" (pf_ring.ko) and on "packet:cap0"
#      (AF_PACKET TPACKET_V3), each path its own identical burst;
#  (b) reader wake-ups per 1,000 packets on pf_ring.ko with poll watermark
#      1 and 128 at a low fixed rate and at pfsend's maximum, and the
#      per-packet latency (receipt minus the kernel's capture timestamp).
# The guest prints CSV lines on the console; this script collects them into
# tests/bench/results/vm_capture.csv and prints the tables and ratios. See
# tests/bench/README.md. A benchmark, not a test: it fails only when the
# guest cannot run it.
#
# Inside the guest (by the image's /test.sh) it runs as
# "vm_capture.sh --guest", with its settings in /etc/vmcap.env.
set -eu

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck shell=bash source=tests/bench/bench_lib.sh
. "$HERE/bench_lib.sh"

SIZES="64 128 256 512 1024 1518"
RATES="20000 50000@20000 0"
PACKETS=60000
WAKE_RATES="10000 0"
WAKE_WMS="1 128"
WAKE_SIZE=64
WAKE_PACKETS=20480 # at the fixed rate: ~2 s at 10,000 pps
WAKE_PACKETS_MAX=60000
REPEAT=3
REPEAT_SET=
WORK_NS=0
CAPLEN=1600
QUICK=0
MEM=1024
SMP=2
# The guest's kernel finds its vCPUs' TSCs "unsynchronized" under TCG (the
# check races with vCPU scheduling; TCG's TSC is the host's, shared by all
# vCPUs) and falls back to the HPET, whose every read is a system call and
# an emulated MMIO access: clock_gettime() would then cost pfsend's pacing
# and the latency measurement several microseconds. tsc=reliable keeps the
# TSC (vDSO clock reads); lat_neg in the CSV would show a skew between CPUs.
APPEND="tsc=reliable"
TIMEOUT=
KEEP=0
CSV=$ROOT/tests/bench/results/vm_capture.csv
MARK="@@VMCAP@@"
G_SRC=/vpfr/src
G_BUILD=/vpfr/build
WORK=
RUN_PID=

usage() {
	cat <<EOF
Usage: tests/bench/vm_capture.sh [options]      (root; builds what it needs)
The pf_ring.ko benchmark, in one QEMU guest (TCG without KVM, -smp $SMP):
  (a) per frame size x offered rate, the same pfsend burst captured through
      libpfring by pf_ring.ko ("pfring:cap0") and by AF_PACKET TPACKET_V3
      ("packet:cap0"): captured and dropped, packets/s, ratios;
  (b) reader wake-ups per 1,000 packets on pf_ring.ko at poll watermark
      1 and 128, at a low fixed rate and at pfsend's maximum, with the
      per-packet latency (mean, p99).
Writes tests/bench/results/vm_capture.csv; prints the tables, the ratios
and which side (generator or capture) limited each point.

  --quick            short run: sizes 64 1518, rates 50000@20000 and max, 20000
                     packets; wake-ups with 10240 / 20000 packets; one run
                     each (unless --repeat)
  --sizes "LIST"     frame sizes with CRC (default "$SIZES")
  --rates "LIST"     offered rates for (a), packets/s, 0 = pfsend's maximum;
                     RATE@NS adds NS ns of analysis per packet to the capture
                     at that rate, as capture.sh's --work-ns (default "$RATES")
  --packets N        packets per run of (a) (default $PACKETS)
  --wake-rates "L"   offered rates for (b) (default "$WAKE_RATES")
  --wake-wms "L"     poll watermarks for (b) (default "$WAKE_WMS")
  --wake-size N      frame size for (b) (default $WAKE_SIZE)
  --wake-packets N   packets per run of (b) at a fixed rate (default $WAKE_PACKETS)
  --wake-packets-max N  ... at the maximum rate (default $WAKE_PACKETS_MAX)
  --caplen N         capture length of (a) (default $CAPLEN, cap_pfring's); a
                     pf_ring.ko slot holds 32 + N bytes whatever the packet's
                     size, an AF_PACKET frame only the packet
  --work-ns NS       extra analysis per packet in (a) where a rate has no
                     @NS (default $WORK_NS)
  --repeat N         every point N times, the two paths taking turns; the
                     ratios use the medians (default $REPEAT)
  --mem MB           guest memory (default $MEM)
  --append "ARGS"    guest kernel command line (default "$APPEND")
  --timeout S        kill the guest after S seconds (default: from the plan)
  --csv FILE         CSV output (default tests/bench/results/vm_capture.csv)
  --build DIR        build directory (default \$BUILD or build/); pf_ring.ko
                     goes to DIR/kmod
  --keep             keep the work directory (initramfs, console log)
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
		--wake-rates) WAKE_RATES=${2:?}; shift ;;
		--wake-wms) WAKE_WMS=${2:?}; shift ;;
		--wake-size) WAKE_SIZE=${2:?}; shift ;;
		--wake-packets) WAKE_PACKETS=${2:?}; shift ;;
		--wake-packets-max) WAKE_PACKETS_MAX=${2:?}; shift ;;
		--repeat) REPEAT_SET=${2:?}; shift ;;
		--work-ns) WORK_NS=${2:?}; shift ;;
		--caplen) CAPLEN=${2:?}; shift ;;
		--mem) MEM=${2:?}; shift ;;
		--append) APPEND=$2; shift ;;
		--timeout) TIMEOUT=${2:?}; shift ;;
		--csv) CSV=${2:?}; shift ;;
		--build) B=${2:?}; shift ;;
		--keep) KEEP=1 ;;
		-h | --help) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
	done
	if [ "$QUICK" = 1 ]; then
		SIZES="64 1518"
		RATES="50000@20000 0"
		PACKETS=20000
		WAKE_PACKETS=10240
		WAKE_PACKETS_MAX=20000
		REPEAT=1
	fi
	REPEAT=${REPEAT_SET:-$REPEAT}
	B=$(realpath -m "$B")
	CSV=$(realpath -m "$CSV")
}

# ===========================================================================
# Guest side: runs inside the VM, prints "$MARK CSV-LINE" on the console.

CSV_HEADER="test,size,offered_pps,work_ns,achieved_pps,sent,path,watermark,poll_ms,captured,dropped,loss_pct,captured_pps,lost_pps,span_s,cpu_s,gen_cpu_s,if_drops,wakeups,wakeups_per_1000,sleeps,sleeps_per_1000,kinsert,klost,lat_mean_us,lat_p99_us,lat_max_us,lat_neg,saturated,end,rep"

# run_cap TEST SIZE RATE WORK_NS PATH PACKETS WM REP [cap_pfring options]:
# one row.
run_cap() {
	local test=$1 size=$2 rate=$3 work=$4 path=$5 n=$6 wm=$7 rep=$8 d0 sent ach
	local cap span wk kins per lost_pps pms sl slper
	shift 8
	case $path in
	pf_ring.ko) CAP_DEV_PREFIX=pfring: ;;
	af_packet) CAP_DEV_PREFIX=packet: ;;
	esac
	d0=$(if_drops)
	start_capture 20 "$B/tests/bench/cap_pfring" -c "$n" -W "$work" "$@"
	send_burst "$size" "$rate" "$n"
	wait_capture
	sent=$(gen_sent)
	ach=$(gen_pps)
	cap=$(res captured)
	span=$(res span_s)
	wk=$(res wakeups)
	kins=$(res kinsert)
	per=$(awk -v w="$wk" -v c="$cap" 'BEGIN {
		if (w == "n/a" || c == 0) print "n/a"; else printf "%.2f", 1000 * w / c }')
	sl=$(res nvcsw)
	slper=$(awk -v w="$sl" -v c="$cap" 'BEGIN {
		if (c == 0) print "n/a"; else printf "%.2f", 1000 * w / c }')
	lost_pps=$(awk -v s="$sent" -v c="$cap" -v t="$span" \
		'BEGIN { printf "%.0f", (t > 0 ? (s - c) / t : 0) }')
	pms=$(res ring | sed -n 's/.*poll_ms=\([0-9]*\).*/\1/p')
	echo "$MARK $test,$size,$(rate_name "$rate"),$work,$ach,$sent,$path,$wm,${pms:-500}," \
		"$cap,$(res dropped),$(loss_pct "$sent" "$cap"),$(res pps),$lost_pps," \
		"$span,$(res cpu_s),$(gen_cpu),$(($(if_drops) - d0)),$wk,$per,$sl,$slper," \
		"$kins,$(res klost),$(res lat_mean_us),$(res lat_p99_us),$(res lat_max_us)," \
		"$(res lat_neg),$(saturation "$rate" "$ach" "$sent" "$cap"),$(res end),$rep" | tr -d ' ' |
		sed "s/^$MARK/$MARK /"
}

# The guest's one line of facts for the record.
guest_facts() {
	echo "# guest: $(nproc) CPUs, kernel $(uname -r), clocksource" \
		"$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null ||
			echo '?'), $(sed -n 's/^MemTotal: *//p' /proc/meminfo) memory," \
		"pfsend on CPU $GEN_CPU, capture on CPU $CAP_CPU"
	sed 's/^/# pf_ring: /' /proc/net/pf_ring/info | sed -n '1,8p'
}

guest_main() {
	local size tok rate work rep path paths n=0 wm wms np t0
	# shellcheck disable=SC1091
	. /etc/vmcap.env
	# ip netns needs a real /run (see tests/vm/guest.sh)
	mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /run/netns
	insmod "$PF_RING_KO" || die "insmod $PF_RING_KO failed"
	[ -d /proc/net/pf_ring ] || die "no /proc/net/pf_ring after insmod"
	bench_setup
	guest_facts
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo "$MARK $CSV_HEADER"
	for size in $SIZES; do
		for tok in $RATES; do
			rate=${tok%@*}
			work=$WORK_NS
			[ "$tok" = "$rate" ] || work=${tok#*@}
			for rep in $(seq 1 "$REPEAT"); do
				# the two paths take turns going first
				if [ $((n % 2)) = 0 ]; then paths="pf_ring.ko af_packet"; else paths="af_packet pf_ring.ko"; fi
				n=$((n + 1))
				for path in $paths; do
					run_cap capture "$size" "$rate" "$work" "$path" "$PACKETS" 128 "$rep" -s "$CAPLEN"
				done
			done
		done
	done
	echo "# (a) took $(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", b - a }') s"
	t0=$(cut -d' ' -f1 /proc/uptime)
	for rate in $WAKE_RATES; do
		np=$WAKE_PACKETS
		[ "$rate" = 0 ] && np=$WAKE_PACKETS_MAX
		for rep in $(seq 1 "$REPEAT"); do
			wms=$WAKE_WMS # the watermarks take turns going first
			[ $((rep % 2)) = 1 ] || wms=$(echo "$WAKE_WMS" | tr ' ' '\n' | tac | tr '\n' ' ')
			for wm in $wms; do
				run_cap wakeup "$WAKE_SIZE" "$rate" 0 pf_ring.ko "$np" "$wm" "$rep" -m "$wm" -L
			done
		done
	done
	echo "# (b) took $(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", b - a }') s"
	sed 's/^/# pf_ring: /' /proc/net/pf_ring/info | sed -n '/Module objects/,$p'
}

# ===========================================================================
# Host side

host_cleanup() {
	if [ -n "$RUN_PID" ]; then kill "$RUN_PID" 2>/dev/null || true; fi
	if [ -n "$WORK" ] && [ "$KEEP" != 1 ]; then rm -rf "$WORK"; fi
	return 0
}

step() { echo "vm_capture: $*" >&2; }

build_all() {
	EXTRA_PKGS="busybox-static qemu-system-x86 dash" "$ROOT/scripts/deps.sh" >&2 ||
		die "scripts/deps.sh failed"
	step "building the project into $B"
	make -s -C "$ROOT" O="$B" lib tools "$B/tests/bench/cap_pfring" >"$WORK/make.log" 2>&1 || {
		tail -n 20 "$WORK/make.log" >&2
		die "make failed"
	}
	eval "$("$ROOT/scripts/vm/kernel.sh")"
	export KVER MODDIR KERNEL KDIR
	step "building pf_ring.ko against $KVER into $B/kmod"
	if ! make -C "$ROOT/host/kmod" KDIR="$KDIR" KMOD_OUT="$B/kmod" \
		>"$WORK/kmod.log" 2>&1 || [ ! -f "$B/kmod/pf_ring.ko" ]; then
		grep -E 'error|Error' "$WORK/kmod.log" | head -n 20 >&2
		die "pf_ring.ko does not build"
	fi
}

make_image() {
	local adds=() f mods=veth
	cat >"$WORK/vmcap.env" <<EOF
SIZES="$SIZES"
RATES="$RATES"
PACKETS=$PACKETS
WAKE_RATES="$WAKE_RATES"
WAKE_WMS="$WAKE_WMS"
WAKE_SIZE=$WAKE_SIZE
WAKE_PACKETS=$WAKE_PACKETS
WAKE_PACKETS_MAX=$WAKE_PACKETS_MAX
REPEAT=$REPEAT
WORK_NS=$WORK_NS
CAPLEN=$CAPLEN
PF_RING_KO=/lib/vpfr/pf_ring.ko
EOF
	cat >"$WORK/test.sh" <<EOF
#!/bin/sh
BUILD=$G_BUILD exec bash $G_SRC/tests/bench/vm_capture.sh --guest
EOF
	adds+=(--add "/bin/bash:/bin/bash")
	adds+=(--add "$B/lib/libpfring.so.1:$G_BUILD/lib/libpfring.so.1")
	adds+=(--add "$B/bin/pfsend:$G_BUILD/bin/pfsend")
	adds+=(--add "$B/tests/bench/cap_pfring:$G_BUILD/tests/bench/cap_pfring")
	for f in vm_capture.sh bench_lib.sh; do
		adds+=(--add "$HERE/$f:$G_SRC/tests/bench/$f")
	done
	adds+=(--add "$B/kmod/pf_ring.ko:/lib/vpfr/pf_ring.ko")
	adds+=(--add "$WORK/vmcap.env:/etc/vmcap.env")
	mods="$mods $(modinfo -F depends "$B/kmod/pf_ring.ko" 2>/dev/null | tr ',' ' ')"
	step "building the initramfs"
	"$ROOT/scripts/vm/initramfs.sh" "$WORK/vm.cpio.gz" --modules "$mods" \
		--script "$WORK/test.sh" "${adds[@]}" >"$WORK/initramfs.log" 2>&1 || {
		tail -n 20 "$WORK/initramfs.log" >&2
		die "initramfs.sh failed"
	}
}

# A generous limit: each run's burst, plus per-run overhead (start-up, the
# last block's retire timeout, the idle timeout after a loss) under TCG.
plan_timeout() {
	local runs wake
	runs=$(($(echo "$SIZES" | wc -w) * $(echo "$RATES" | wc -w) * 2 * REPEAT))
	wake=$(($(echo "$WAKE_RATES" | wc -w) * $(echo "$WAKE_WMS" | wc -w) * REPEAT))
	[ -n "$TIMEOUT" ] ||
		TIMEOUT=$((240 + (runs + wake) * 12 + runs * PACKETS / 15000 + wake * WAKE_PACKETS / 5000))
	TOTAL_RUNS=$((runs + wake))
}

# progress TOTAL: while the guest runs, how many of its TOTAL runs are done,
# every 30 s (on stderr).
progress() {
	local n last=-1 t=0
	while kill -0 "$RUN_PID" 2>/dev/null; do
		sleep 2
		t=$((t + 2))
		[ $((t % 30)) = 0 ] || continue
		n=$(grep -c "^$MARK [a-z]*,[0-9]" "$WORK/console.log" || true)
		[ "$n" != "$last" ] || continue
		last=$n
		step "$n of $1 runs done ($t s)"
	done
}

boot_guest() {
	local rc=0 accel=TCG
	[ -w /dev/kvm ] && accel=KVM
	step "booting one guest ($accel, -smp $SMP, $MEM MB, '$APPEND', limit $TIMEOUT s); uptime:$(uptime | sed 's/.*load average/ load average/')"
	LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
	SECONDS=0
	: >"$WORK/console.log"
	"$ROOT/scripts/vm/run.sh" --initrd "$WORK/vm.cpio.gz" --mem "$MEM" \
		--timeout "$TIMEOUT" --log "$WORK/console.log" ${APPEND:+--append "$APPEND"} \
		-- -smp "$SMP" \
		>"$WORK/run.out" 2>&1 &
	RUN_PID=$!
	progress "$1"
	wait "$RUN_PID" || rc=$?
	RUN_PID=
	GUEST_S=$SECONDS
	LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
	sed -n 's/^vm: //p' "$WORK/run.out" | sed 's/^/vm_capture: guest: /' >&2
	if [ "$rc" != 0 ]; then
		sed -n '/^== /,$p' "$WORK/run.out" | head -n 80 >&2
		echo "vm_capture: console log: $WORK/console.log" >&2
		KEEP=1
	fi
	return "$rc"
}

# The guest's CSV lines into $CSV.
collect() {
	mkdir -p "$(dirname "$CSV")"
	sed -n "s/^$MARK //p" "$WORK/console.log" | tr -d '\r' >"$CSV"
	[ "$(wc -l <"$CSV")" -gt 1 ] || die "the guest printed no results (console: $WORK/console.log)"
}

# ---------------------------------------------------------------------------
# Tables (medians over repetitions)

# shellcheck disable=SC2016 # awk code
AWK_LIB='
function median(list,    v, n, i, j, t) {
	n = split(list, v, " ")
	if (n == 0) return ""
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function ratio(a, b) { return (b > 0 && a != "") ? sprintf("%.2f", a / b) : "n/a" }
function add(arr, k, v) { arr[k] = arr[k] " " v }
# the offered rate, with the extra work per packet when there is some
function offered() {
	return $c["offered_pps"] (("work_ns" in c) && $c["work_ns"] > 0 ? "+" $c["work_ns"] / 1000 "us" : "")
}
'

# Column numbers of $CSV_HEADER, for awk: c["name"].
AWK_COLS='BEGIN { n = split(hdr, h, ","); for (i = 1; i <= n; i++) c[h[i]] = i }'

print_capture_table() {
	awk -F, -v hdr="$CSV_HEADER" "$AWK_LIB $AWK_COLS"'
	NR > 1 && $c["test"] == "capture" {
		k = $c["size"] SUBSEP offered()
		if (!(k in seen)) { seen[k] = 1; keys[nk++] = k }
		p = $c["path"]
		add(ach, k SUBSEP p, $c["achieved_pps"]); add(cap, k SUBSEP p, $c["captured"])
		add(snt, k SUBSEP p, $c["sent"]); add(drp, k SUBSEP p, $c["dropped"])
		add(pps, k SUBSEP p, $c["captured_pps"]); add(lps, k SUBSEP p, $c["lost_pps"])
		add(wpk, k SUBSEP p, $c["wakeups_per_1000"]); add(spk, k SUBSEP p, $c["sleeps_per_1000"])
		nsat[k SUBSEP p SUBSEP $c["saturated"]]++
	}
	END {
		printf "(a) captured through libpfring, pf_ring.ko (pfring:) vs AF_PACKET TPACKET_V3 (packet:); medians\n"
		printf "%5s %10s | %8s %7s %6s %7s %7s %6s %5s | %8s %7s %6s %7s %7s %5s | %5s\n",
			"size", "offered", "sent_pps", "capturd", "lost", "cap_pps", "lostpps", "wk/1k", "sl/1k",
			"sent_pps", "capturd", "lost", "cap_pps", "lostpps", "sl/1k", "ratio"
		printf "%5s %10s | %-56s | %-49s | %5s\n", "", "", "pf_ring.ko", "AF_PACKET", "pps"
		for (i = 0; i < nk; i++) {
			k = keys[i]; split(k, kk, SUBSEP)
			line = sprintf("%5s %10s", kk[1], kk[2])
			for (j = 0; j < 2; j++) {
				p = j ? "af_packet" : "pf_ring.ko"
				s = median(snt[k SUBSEP p]); cp = median(cap[k SUBSEP p])
				line = line sprintf(" | %8.0f %7s %6s %7.0f %7.0f", median(ach[k SUBSEP p]),
					cp, s - cp, median(pps[k SUBSEP p]), median(lps[k SUBSEP p]))
				if (!j) line = line sprintf(" %6.0f", median(wpk[k SUBSEP p]))
				line = line sprintf(" %5.1f", median(spk[k SUBSEP p]))
			}
			line = line sprintf(" | %5s", ratio(median(pps[k SUBSEP "pf_ring.ko"]), median(pps[k SUBSEP "af_packet"])))
			print line
		}
		print ""
		print "Which side limited each point (generator: pfsend fell short of the offered"
		print "rate, or offered max with nothing lost; capture: packets were lost):"
		ns = split("none generator capture generator+capture", sn, " ")
		for (i = 0; i < nk; i++) {
			k = keys[i]; split(k, kk, SUBSEP)
			line = sprintf("  %4s B @ %-10s", kk[1], kk[2])
			for (j = 0; j < 2; j++) {
				p = j ? "af_packet" : "pf_ring.ko"
				t = ""
				for (m = 1; m <= ns; m++)
					if (nsat[k SUBSEP p SUBSEP sn[m]])
						t = t (t == "" ? "" : ", ") sn[m] " x" nsat[k SUBSEP p SUBSEP sn[m]]
				line = line sprintf(" %s: %-26s", j ? "AF_PACKET" : "pf_ring.ko", t)
			}
			sub(/ +$/, "", line)
			print line
		}
	}' "$CSV"
}

# The worst pf_ring.ko/AF_PACKET captured-pps ratio per size, and the
# points that lost packets.
print_capture_summary() {
	awk -F, -v hdr="$CSV_HEADER" "$AWK_LIB $AWK_COLS"'
	NR > 1 && $c["test"] == "capture" {
		k = $c["size"] SUBSEP offered()
		if (!(k in seen)) { seen[k] = 1; keys[nk++] = k }
		add(pps, k SUBSEP $c["path"], $c["captured_pps"])
		if ($c["captured"] < $c["sent"]) {
			lossy++
			printf "  lost: %s B @ %s pps, %s, run %s: %d of %d (API dropped %s, veth %s, end %s)\n",
				$c["size"], offered(), $c["path"], $c["rep"],
				$c["sent"] - $c["captured"], $c["sent"], $c["dropped"], $c["if_drops"], $c["end"] > "/dev/stderr"
		}
		if ($c["path"] == "pf_ring.ko" && $c["kinsert"] != "n/a" &&
		    $c["kinsert"] + $c["klost"] + $c["if_drops"] != $c["sent"])
			printf "  COUNT MISMATCH: %s B @ %s pps run %s: /proc Tot Insert %s + Tot Pkt Lost %s + veth %s != sent %s\n",
				$c["size"], offered(), $c["rep"], $c["kinsert"], $c["klost"], $c["if_drops"], $c["sent"] > "/dev/stderr"
	}
	END {
		met = 0
		for (i = 0; i < nk; i++) {
			k = keys[i]; split(k, kk, SUBSEP)
			r = ratio(median(pps[k SUBSEP "pf_ring.ko"]), median(pps[k SUBSEP "af_packet"]))
			if (r != "n/a" && r + 0 >= 1.0) met++
			if (!(kk[1] in worst) || (r != "n/a" && r + 0 < worst[kk[1]] + 0)) worst[kk[1]] = r
			if (!(kk[1] in sz)) { sz[kk[1]] = 1; sizes[ns++] = kk[1] }
		}
		printf "Target pf_ring.ko >= 1.0x AF_PACKET (captured pps): met at %d of %d points; lowest ratio per size:", met, nk
		for (i = 0; i < ns; i++) printf " %s:%s", sizes[i], worst[sizes[i]]
		printf "\n"
		printf "Runs that lost packets: %d (listed on stderr)\n", lossy + 0
	}' "$CSV"
}

print_wakeup_table() {
	awk -F, -v hdr="$CSV_HEADER" "$AWK_LIB $AWK_COLS"'
	NR > 1 && $c["test"] == "wakeup" {
		r = $c["offered_pps"]; w = $c["watermark"]; k = r SUBSEP w
		if (!(r in rs)) { rs[r] = 1; rates[nr++] = r }
		if (!(w in ws)) { ws[w] = 1; wms[nw++] = w }
		add(ach, k, $c["achieved_pps"]); add(snt, k, $c["sent"]); add(cap, k, $c["captured"])
		add(wk, k, $c["wakeups"]); add(per, k, $c["wakeups_per_1000"]); add(slp, k, $c["sleeps_per_1000"])
		add(lm, k, $c["lat_mean_us"]); add(lp, k, $c["lat_p99_us"]); add(pps, k, $c["captured_pps"])
		pms[k] = $c["poll_ms"]; sz = $c["size"]
	}
	END {
		if (!nr) exit
		printf "(b) pf_ring.ko reader wake-ups and latency, %s-byte frames, poll duration %s ms; medians\n", sz, pms[rates[0] SUBSEP wms[0]]
		printf "%7s %5s %9s %8s %6s %8s %9s %9s %10s %10s\n", "offered", "wm", "sent_pps",
			"captured", "lost", "wakeups", "wk/1000", "sleep/1000", "lat_mean", "lat_p99"
		for (i = 0; i < nr; i++) for (j = 0; j < nw; j++) {
			k = rates[i] SUBSEP wms[j]
			s = median(snt[k]); cp = median(cap[k])
			printf "%7s %5s %9.0f %8s %6s %8s %9s %9s %8.1fus %8sus\n", rates[i], wms[j],
				median(ach[k]), cp, s - cp, median(wk[k]), median(per[k]), median(slp[k]), median(lm[k]), median(lp[k])
		}
		lo = wms[0]; hi = wms[nw - 1]
		for (i = 0; i < nr; i++) {
			a = rates[i] SUBSEP lo; b = rates[i] SUBSEP hi
			printf "  @ %s pps: wake-ups per 1000 packets wm%s/wm%s = %s (reader sleeps: %s); captured wm%s %s vs wm%s %s; latency mean %.1f -> %.1f us, p99 %s -> %s us\n",
				rates[i], lo, hi, ratio(median(per[a]), median(per[b])), ratio(median(slp[a]), median(slp[b])), hi, median(cap[b]), lo, median(cap[a]),
				median(lm[a]), median(lm[b]), median(lp[a]), median(lp[b])
			if (rates[i] == "max") {
				rr = ratio(median(per[a]), median(per[b]))
				rsl = ratio(median(slp[a]), median(slp[b]))
				printf "Target >= 50x fewer wake-ups at wm%s at max: %s (%sx by /proc Reader Wake-ups; %sx by reader sleeps), captured %s\n", hi,
					(rr != "n/a" && rr + 0 >= 50) ? "met" : "missed", rr, rsl,
					(median(cap[b]) + 0 >= median(cap[a]) + 0) ? "no fewer (met)" : "fewer (missed)"
			}
		}
	}' "$CSV"
}

host_main() {
	local failed=0
	parse_args "$@"
	[ "$(id -u)" = 0 ] || die "needs root (kernel headers, QEMU)"
	WORK=$(mktemp -d /tmp/vmb-vmcap.XXXXXX)
	trap host_cleanup EXIT
	trap 'exit 130' INT TERM
	build_all
	make_image
	plan_timeout
	boot_guest "$TOTAL_RUNS" || failed=1
	collect
	echo "vm_capture.sh: sizes $SIZES; rates $RATES (0 = max, @NS: ns of work per packet), $PACKETS packets/run;" \
		"wake-ups at $WAKE_RATES pps, watermarks $WAKE_WMS, $WAKE_PACKETS / $WAKE_PACKETS_MAX packets;" \
		"$REPEAT run(s) each"
	echo "host: $(nproc) CPUs ($(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -n 1)), QEMU $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p'), load average $LOAD0 before the guest, $LOAD1 after"
	sed -n 's/^# \(guest\|pf_ring\|(a)\|(b)\)/\1/p' "$WORK/console.log" | grep -v '^pf_ring: *$' || true
	echo
	print_capture_table
	echo
	print_capture_summary
	echo
	print_wakeup_table
	echo
	echo "guest ran $GUEST_S s; CSV: $CSV"
	[ "$failed" = 0 ] || die "the guest failed (see above); the results are partial"
}

if [ "${1:-}" = --guest ]; then
	guest_main
else
	host_main "$@"
fi
