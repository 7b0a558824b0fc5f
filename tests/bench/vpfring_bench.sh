#!/bin/bash
# vpfring_bench.sh - the vPF_RING benchmark (the paper's figure 11): the
# same traffic captured by pfcount
#  (a) host     on the host, on the interface (AF_PACKET: no pf_ring.ko here);
#  (b) vpfring  in ONE QEMU guest on host:IF (vPF_RING: vnplugd, the patched
#               QEMU's vnplug-ctrl, vnplug.ko; the host's capture ring is
#               mapped into the guest);
#  (c) virtio   in the SAME guest on its own virtio-net NIC, whose tap is
#               bridged on the host with the interface.
#
# Topology (bench_lib.sh's namespaces): pfsend sends in ${NS}g on gen0; its
# veth peer cap0 is in ${NS}c, a port of the bridge vpbbr0 whose other port
# is the guest's tap vpbtap0. vnplugd and QEMU run in ${NS}c. Every path
# gets its own identical pfsend burst (-n PACKETS -l SIZE-4 -F 1000 -p
# RATE) per frame size and offered rate; the tap is up only during (c)'s
# bursts, so (a) and (b) pay nothing for the guest's NIC. The paths take
# turns going first. pfsend is pinned to CPU 0; pfcount of (a), vnplugd and
# every QEMU thread to CPU 1.
#
# Per point: pfsend's achieved rate, captured and dropped (pfcount's final
# line), loss, the host CPU per million packets sent of each path ((a)
# pfcount's rusage; (b), (c) QEMU + vnplugd, /proc/PID/stat around the
# burst) and of the generator, guest/host notifications of (b) (vnplugd's
# doorbells + interrupts for the ring) per 1,000 captured packets, and which
# side saturated. Offered rates: packets/s, N% (of pfsend's maximum for
# that size, measured first on the host) or 0 (pfsend's maximum).
#
# Writes tests/bench/results/vpfring_bench.csv and vpfring_bench.png (gnuplot,
# installed through apt), prints the table and the targets. See
# tests/bench/README.md. The guest half: tests/bench/vpfring_bench_guest.sh.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/bench/bench_lib.sh
. "$HERE/bench_lib.sh"
# shellcheck source=tests/bench/vnplug_stack.sh
. "$HERE/vnplug_stack.sh"

VM=$ROOT/scripts/vm
B=${BUILD:-/tmp/bench-build}
SIZES="64 128 256 512 1024 1518"
RATES="10000 50000 50% 0"
PACKETS=200000
WATERMARK=
IDLE_HOST=3
IDLE_GUEST=4
MEM=768
SMP=1
# tsc=reliable: clock reads from the vDSO under TCG (vm_capture.sh);
# ipv6.disable=1: the guest sends nothing of its own.
APPEND="tsc=reliable ipv6.disable=1"
TIMEOUT=
KEEP=0
CSV=$ROOT/tests/bench/results/vpfring_bench.csv
PNG=
MARK="@@VPB@@"
PORT_NAME=org.vpfring.vpb
BR=vpbbr0
TAP=vpbtap0
IF=cap0
G_BUILD=/vpfr/build
G_SRC=/vpfr/src
WORK=
RUN_PID=
QEMU_PID=
VNPLUGD_PID=
CMD_FD=
QEMU_BIN=
CSV_HEADER="size,offered,offered_pps,achieved_pps,sent,path,captured,dropped,loss_pct,captured_pct,captured_pps,cap_s,host_cpu_s,host_cpu_s_per_mpkt,gen_cpu_s,gen_cpu_s_per_mpkt,doorbells,signals,notif_per_1000,virtio_irqs,virtio_irqs_per_1000,if_drops,tap_sent,tap_drops,guest_rx,guest_rx_dropped,saturated,end"

usage() {
	cat <<EOF
Usage: tests/bench/vpfring_bench.sh [options]    (root; builds what it needs)
The vPF_RING benchmark: per frame size and offered rate, the same pfsend
burst captured by pfcount (a) on the host, (b) in one QEMU guest on host:$IF
(vPF_RING) and (c) in the same guest on its virtio-net NIC (tap, bridged
with $IF). Writes tests/bench/results/vpfring_bench.csv and .png.

  --quick          sizes 64 1518, $((PACKETS / 2)) packets (options after it still apply)
  --sizes "LIST"   frame sizes with CRC (default "$SIZES")
  --rates "LIST"   offered rates: packets/s, N% of pfsend's maximum for the
                   size (measured first), 0 = pfsend's maximum
                   (default "$RATES")
  --packets N      packets per burst (default $PACKETS)
  --watermark N    pfcount -w N on all three paths (default: pfcount's, 128
                   packets): on AF_PACKET, (a), (b) and (c) alike, a TPACKET_V3
                   block of N packets of pfcount's caplen, and (b) wakes the
                   guest once per block
  --idle S         a capture that got nothing for S seconds after its burst
                   has lost the rest (default: $IDLE_HOST on the host, $IDLE_GUEST in the guest)
  --mem MB         guest memory (default $MEM)
  --timeout S      kill the guest after S seconds (default: from the plan)
  --csv FILE       CSV output (default tests/bench/results/vpfring_bench.csv)
  --png FILE       plot (default: the CSV's name with .png)
  --build DIR      build directory (default \$BUILD or /tmp/bench-build)
  --keep           keep the work directory (console, vnplugd log)
  -h, --help       print this help
EOF
}

step() { echo "vpfring_bench: $*" >&2; }

is_uint() { case $1 in '' | *[!0-9]*) return 1 ;; esac }

parse_args() {
	local r
	while [ $# -gt 0 ]; do
		case $1 in
		--sizes | --rates | --packets | --watermark | --idle | --mem | --timeout | --csv | --png | --build)
			[ $# -ge 2 ] || { usage >&2; exit 2; }
			case $1 in
			--sizes) SIZES=$2 ;;
			--rates) RATES=$2 ;;
			--packets) PACKETS=$2 ;;
			--watermark) WATERMARK=$2 ;;
			--idle) IDLE_HOST=$2 IDLE_GUEST=$2 ;;
			--mem) MEM=$2 ;;
			--timeout) TIMEOUT=$2 ;;
			--csv) CSV=$2 ;;
			--png) PNG=$2 ;;
			--build) B=$2 ;;
			esac
			shift
			;;
		--quick) SIZES="64 1518" PACKETS=$((PACKETS / 2)) ;;
		--keep) KEEP=1 ;;
		-h | --help) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
	done
	for r in $SIZES; do
		is_uint "$r" && [ "$r" -ge 64 ] && [ "$r" -le 1518 ] || die "--sizes: 64 to 1518, not '$r'"
	done
	for r in $RATES; do
		is_uint "${r%\%}" || die "--rates: packets/s, N% or 0, not '$r'"
	done
	is_uint "$PACKETS" && [ "$PACKETS" -gt 0 ] || die "--packets wants a positive number"
	is_uint "$IDLE_HOST" && [ "$IDLE_HOST" -gt 0 ] || die "--idle wants seconds"
	is_uint "$MEM" || die "--mem wants MB"
	[ -z "$WATERMARK" ] || is_uint "$WATERMARK" || die "--watermark wants packets"
	[ -z "$TIMEOUT" ] || is_uint "$TIMEOUT" || die "--timeout wants seconds"
	B=$(realpath -m "$B")
	CSV=$(realpath -m "$CSV")
	[ -n "$PNG" ] || PNG=${CSV%.csv}.png
	PNG=$(realpath -m "$PNG")
}

host_cleanup() {
	set +e
	# run.sh kills its QEMU when told to stop
	if [ -n "$RUN_PID" ]; then kill -TERM "$RUN_PID" 2>/dev/null && wait "$RUN_PID" 2>/dev/null; fi
	if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then kill -KILL "$QEMU_PID"; fi
	if [ -n "$VNPLUGD_PID" ]; then kill -TERM "$VNPLUGD_PID" 2>/dev/null && wait "$VNPLUGD_PID" 2>/dev/null; fi
	if [ -n "$CMD_FD" ]; then exec {CMD_FD}>&-; fi
	bench_cleanup # pfcount, the namespaces (the bridge, the veth, the tap)
	if [ -n "$WORK" ]; then
		if [ "$KEEP" = 1 ]; then step "logs kept in $WORK"; else rm -rf "$WORK"; fi
	fi
	return 0
}

# ---- building (as tests/e2e/run.sh) ----------------------------------------

build_all() {
	EXTRA_PKGS="busybox-static dash gnuplot-nox" "$ROOT/scripts/deps.sh" >&2 ||
		die "scripts/deps.sh failed"
	step "building libpfring, pfcount, pfsend and vnplugd into $B"
	make -s -C "$ROOT" O="$B" lib tools "$B/bin/vnplugd" >"$WORK/make.log" 2>&1 || {
		tail -n 20 "$WORK/make.log" >&2
		die "make failed"
	}
	build_vnplug_stack
}

make_image() {
	cat >"$WORK/vm.env" <<-EOF
	BUILD=$G_BUILD
	SRC=$G_SRC
	VNPLUG_KO=/lib/vpfr/vnplug.ko
	PORT_NAME=$PORT_NAME
	HOST_IF=$IF
	IDLE=$IDLE_GUEST
	PFC_OPTS="${WATERMARK:+-w $WATERMARK}"
	EOF
	printf '#!/bin/sh\nexec bash %s/tests/bench/vpfring_bench_guest.sh\n' "$G_SRC" >"$WORK/test.sh"
	step "building the initramfs"
	"$VM/initramfs.sh" "$WORK/bench.cpio.gz" --modules "virtio_pci virtio_net virtio_console" \
		--script "$WORK/test.sh" \
		--add "/bin/bash:/bin/bash" \
		--add "$WORK/vm.env:/etc/vpfr-vm.env" \
		--add "$HERE/vpfring_bench_guest.sh:$G_SRC/tests/bench/vpfring_bench_guest.sh" \
		--add "$HERE/bench_lib.sh:$G_SRC/tests/bench/bench_lib.sh" \
		--add "$B/vnplug-ko/vnplug.ko:/lib/vpfr/vnplug.ko" \
		--add "$B/lib/libpfring.so.1:$G_BUILD/lib/libpfring.so.1" \
		--add "$B/bin/pfcount:$G_BUILD/bin/pfcount" \
		>"$WORK/initramfs.log" 2>&1 || {
		tail -n 20 "$WORK/initramfs.log" >&2
		die "initramfs.sh failed"
	}
}

# ---- the host's side -------------------------------------------------------

nsc() { ip netns exec "${NS}c" "$@"; }

# DEV's counter FIELD (statistics/FIELD) in ${NS}c
ns_stat() { nsc cat "/sys/class/net/$1/statistics/$2"; }

# The bridge in ${NS}c: cap0 now, the tap once QEMU made it. No STP, no
# multicast snooping (no queries of its own), no address, IPv6 off.
setup_bridge() {
	nsc ip link add "$BR" type bridge stp_state 0 mcast_snooping 0 forward_delay 0 ||
		die "cannot make a bridge"
	nsc sysctl -qw "net.ipv6.conf.$BR.disable_ipv6=1" "net.ipv6.conf.$IF.disable_ipv6=1"
	nsc ip link set "$IF" master "$BR"
	nsc ip link set "$BR" up
}

attach_tap() {
	nsc ip link show "$TAP" >/dev/null 2>&1 || die "QEMU made no tap $TAP"
	nsc sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1"
	nsc ip link set "$TAP" master "$BR" || die "cannot bridge $TAP"
	nsc ip link set "$TAP" down
}

# tap_link up|down: the bridge forwards the burst to the guest's NIC only
# while its tap is up.
tap_link() { nsc ip link set "$TAP" "$1"; }

start_vnplugd() {
	cat >"$WORK/vnplugd.conf" <<-EOF
	[global]
	socket_dir = $WORK
	ping_interval = 5
	guest_timeout = 120
	# debug: the doorbells and signals of each ring, logged at its close
	log_level = debug

	[vm bench]
	interfaces = $IF
	max_rings = 4
	max_ring_memory = 64M
	EOF
	# not through nsc(): $! must be vnplugd itself (ip netns exec and
	# taskset exec it)
	# shellcheck disable=SC2086
	ip netns exec "${NS}c" $PIN_CAP "$B/bin/vnplugd" -c "$WORK/vnplugd.conf" \
		>"$WORK/vnplugd.log" 2>&1 &
	VNPLUGD_PID=$!
	for _ in $(seq 100); do
		[ -S "$WORK/bench.sock" ] && return 0
		kill -0 "$VNPLUGD_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$WORK/vnplugd.log" >&2
	die "vnplugd did not start"
}

# CPU ticks (user + system) of PID so far.
proc_ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'; }

vm_ticks() { echo $(($(proc_ticks "$QEMU_PID") + $(proc_ticks "$VNPLUGD_PID"))); }

ticks_s() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'; }

now() { date +%s.%N; }

secs_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# find_qemu: the QEMU process among run.sh's descendants.
find_qemu() {
	local p c todo
	for _ in $(seq 100); do
		todo=$(pgrep -P "$RUN_PID")
		while [ -n "$todo" ]; do
			# shellcheck disable=SC2086
			set -- $todo
			p=$1
			shift
			todo="$* $(pgrep -P "$p")"
			todo=${todo# }
			c=$(cat "/proc/$p/comm" 2>/dev/null)
			case $c in qemu-system*) QEMU_PID=$p; return 0 ;; esac
		done
		sleep 0.1
	done
	die "no QEMU process under run.sh"
}

# ---- the guest -------------------------------------------------------------

# generous: boot, then every burst at the slowest rate plus its overheads
plan_timeout() {
	local r t=0 n
	for r in $RATES; do
		case $r in 0 | *%) n=$((PACKETS / 20000 + 40)) ;; *) n=$((PACKETS / r + 40)) ;; esac
		t=$((t + n))
	done
	[ -n "$TIMEOUT" ] || TIMEOUT=$((600 + t * 3 * $(echo "$SIZES" | wc -w)))
}

boot_guest() {
	local accel=TCG
	[ -w /dev/kvm ] && accel=KVM
	ACCEL=$accel
	mkfifo "$WORK/cmd.in" "$WORK/cmd.out"
	# never blocks: this script holds both ends of the command FIFO open
	exec {CMD_FD}<>"$WORK/cmd.in"
	step "booting the guest ($accel, -smp $SMP, $MEM MB, limit $TIMEOUT s);$(uptime | sed 's/.*load average/ load average/')"
	: >"$WORK/console.log"
	# $! is run.sh itself (ip netns exec, taskset and env exec it)
	# shellcheck disable=SC2086
	ip netns exec "${NS}c" $PIN_CAP env QEMU="$QEMU_BIN" KERNEL="$KERNEL" "$VM/run.sh" \
		--initrd "$WORK/bench.cpio.gz" --mem "$MEM" --timeout "$TIMEOUT" \
		--log "$WORK/console.log" --append "$APPEND" -- \
		-machine pc -smp "$SMP" \
		-chardev "socket,id=vnp,path=$WORK/bench.sock,reconnect=1" \
		-device vnplug-ctrl,chardev=vnp \
		-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no" \
		-device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56 \
		-device virtio-serial-pci,id=vser \
		-chardev "pipe,id=cmd,path=$WORK/cmd" \
		-device "virtserialport,bus=vser.0,chardev=cmd,name=$PORT_NAME" \
		>"$WORK/run.out" 2>&1 &
	RUN_PID=$!
	find_qemu
	SECONDS=0
	if ! wait_line "$WORK/console.log" "^$MARK (hello|FAILED)" 600 "$RUN_PID" ||
		grep -q "^$MARK FAILED" "$WORK/console.log"; then
		guest_failed "the guest did not come up"
	fi
	step "guest up after $SECONDS s"
	attach_tap
}

guest_failed() {
	KEEP=1
	grep -a "^$MARK" "$WORK/console.log" | tail -n 5 >&2
	sed -n '/^== /,$p' "$WORK/run.out" 2>/dev/null | head -n 60 >&2
	die "$* (console: $WORK/console.log)"
}

guest_cmd() { echo "$*" >&"$CMD_FD"; }

# guest_reply WHAT ID SECONDS: the guest's answer line, or die.
guest_reply() {
	wait_line "$WORK/console.log" "^$MARK $1 $2([^0-9]|\$)" "$3" "$RUN_PID" ||
		guest_failed "no '$1 $2' from the guest within $3 s"
	grep -a "^$MARK $1 $2\b" "$WORK/console.log" | tail -n 1 | tr -d '\r'
}

# KEY=value of a line
kv() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }

# ---- one burst per path ----------------------------------------------------

# The seconds a burst of PACKETS at RATE may take, and then some.
max_wait() {
	local r=$1
	[ "$r" -gt 0 ] || r=20000
	echo $((PACKETS * 2 / r + 60))
}

# run_host SIZE RATE: (a), pfcount on cap0 on the host.
run_host() {
	local size=$1 rate=$2 sub pid c d0 t0
	# shellcheck disable=SC2086
	(
		TIMEFORMAT='capcpu %U %S'
		time nsc $PIN_CAP "$B/bin/pfcount" -i "$IF" -n "$PACKETS" -t "$PFC_TICK" ${WATERMARK:+-w "$WATERMARK"}
	) >"$TMP/pc.out" 2>"$TMP/pc.err" &
	sub=$!
	pid=
	for _ in $(seq 100); do
		for c in $(pgrep -P "$sub"); do
			[ "$(cat "/proc/$c/comm" 2>/dev/null)" = pfcount ] && pid=$c
		done
		[ -n "$pid" ] && break
		sleep 0.05
	done
	if [ -z "$pid" ] || ! wait_line "$TMP/pc.out" '^Capturing from' 20 "$pid"; then
		sed 's/^/  /' "$TMP/pc.err" >&2
		die "pfcount -i $IF did not start"
	fi
	d0=$(if_drops)
	t0=$(now)
	send_burst "$size" "$rate" "$PACKETS"
	R_END=$(pfcount_finish "$pid" "$TMP/pc.out" "$IDLE_HOST" "$(max_wait "$rate")")
	R_CAP_S=$(secs_since "$t0")
	wait "$sub"
	R_CAPTURED=$(pfcount_field "$TMP/pc.out" received)
	R_DROPPED=$(pfcount_field "$TMP/pc.out" dropped)
	R_CPU=$(awk '/^capcpu/ { printf "%.2f", $2 + $3 }' "$TMP/pc.err")
	R_IFDROPS=$(($(if_drops) - d0))
	R_DOORBELLS='' R_SIGNALS='' R_IRQS='' R_TAP_SENT='' R_TAP_DROPS='' R_RX='' R_RXD=''
}

# run_guest PATH SIZE RATE: (b) vpfring or (c) virtio, in the guest.
run_guest() {
	local path=$1 size=$2 rate=$3 id line c0 d0 t0 tp0 td0 nlog maxw
	ID=$((ID + 1))
	id=$ID
	maxw=$(max_wait "$rate")
	[ "$path" = virtio ] && tap_link up
	nlog=$(grep -c ' doorbells, [0-9]* signals' "$WORK/vnplugd.log")
	guest_cmd cap "$id" "$path" "$PACKETS"
	line=$(guest_reply ready "$id" 120)
	case $line in *FAILED*) guest_failed "$line" ;; esac
	tp0=$(ns_stat "$TAP" tx_packets)
	td0=$(ns_stat "$TAP" tx_dropped)
	d0=$(if_drops)
	c0=$(vm_ticks)
	t0=$(now)
	send_burst "$size" "$rate" "$PACKETS"
	guest_cmd sent "$id" "$maxw"
	line=$(guest_reply result "$id" $((maxw + 30)))
	R_CAP_S=$(secs_since "$t0")
	R_CPU=$(ticks_s $(($(vm_ticks) - c0)))
	R_IFDROPS=$(($(if_drops) - d0))
	case $line in *FAILED*) guest_failed "$line" ;; esac
	R_CAPTURED=$(kv received "$line")
	R_DROPPED=$(kv dropped "$line")
	R_END=$(kv end "$line")
	R_DOORBELLS='' R_SIGNALS='' R_IRQS='' R_TAP_SENT='' R_TAP_DROPS='' R_RX='' R_RXD=''
	if [ "$path" = virtio ]; then
		tap_link down
		R_TAP_SENT=$(($(ns_stat "$TAP" tx_packets) - tp0))
		R_TAP_DROPS=$(($(ns_stat "$TAP" tx_dropped) - td0))
		R_RX=$(kv rx "$line")
		R_RXD=$(kv rx_dropped "$line")
		R_IRQS=$(kv irqs "$line")
	else
		# the ring's counters, logged when the guest's pfcount closed it
		for _ in $(seq 100); do
			[ "$(grep -c ' doorbells, [0-9]* signals' "$WORK/vnplugd.log")" -gt "$nlog" ] && break
			sleep 0.1
		done
		line=$(grep ' doorbells, [0-9]* signals' "$WORK/vnplugd.log" | sed -n "$((nlog + 1))p")
		R_DOORBELLS=$(sed -n 's/.* \([0-9]*\) doorbells, .*/\1/p' <<<"$line")
		R_SIGNALS=$(sed -n 's/.* \([0-9]*\) signals.*/\1/p' <<<"$line")
	fi
}

# per1000 COUNT CAPTURED, per_mpkt SECONDS SENT
per1000() { awk -v n="$1" -v c="$2" 'BEGIN { if (n == "" || c == 0) print ""; else printf "%.3f", 1000 * n / c }'; }
per_mpkt() { awk -v s="$1" -v n="$2" 'BEGIN { if (s == "" || n == 0) print ""; else printf "%.2f", s * 1e6 / n }'; }

# run_point SIZE TOKEN RATE PATH: one burst, one CSV row.
run_point() {
	local size=$1 tok=$2 rate=$3 path=$4 sent ach cap notif gcpu
	case $path in
	host) run_host "$size" "$rate" ;;
	*) run_guest "$path" "$size" "$rate" ;;
	esac
	sent=$(gen_sent)
	ach=$(gen_pps)
	gcpu=$(gen_cpu)
	cap=${R_CAPTURED:-0}
	notif=
	[ -z "$R_DOORBELLS" ] || notif=$((R_DOORBELLS + R_SIGNALS))
	echo "$size,$(rate_name "$tok"),$rate,$ach,$sent,$path,$cap,${R_DROPPED:-},$(loss_pct "$sent" "$cap")," \
		"$(awk -v s="$sent" -v c="$cap" 'BEGIN { printf "%.2f", (s > 0 ? 100 * c / s : 0) }')," \
		"$(awk -v a="$ach" -v s="$sent" -v c="$cap" 'BEGIN { printf "%.0f", (s > 0 ? a * c / s : 0) }')," \
		"$R_CAP_S,$R_CPU,$(per_mpkt "$R_CPU" "$sent"),$gcpu,$(per_mpkt "$gcpu" "$sent")," \
		"$R_DOORBELLS,$R_SIGNALS,$(per1000 "$notif" "$cap"),$R_IRQS,$(per1000 "$R_IRQS" "$cap")," \
		"$R_IFDROPS,$R_TAP_SENT,$R_TAP_DROPS,$R_RX,$R_RXD," \
		"$(saturation "$rate" "$ach" "$sent" "$cap"),$R_END" | tr -d ' ' >>"$CSV"
	tail -n 1 "$CSV" | awk -F, '{ printf "vpfring_bench:   %5s B %7s %-8s sent %s at %s pps: captured %s (%s%%), dropped %s, host cpu %s s/Mpkt, %s\n",
		$1, $2, $6, $5, $4, $7, $10, $8, $14, $27 }' >&2
}

# pfsend's maximum per size, measured on the host with nothing capturing
# (the tap down): what N% and the notification target refer to.
calibrate() {
	local size
	declare -gA GEN_MAX
	for size in $SIZES; do
		send_burst "$size" 0 "$PACKETS"
		GEN_MAX[$size]=$(gen_pps)
		GEN_MAX[$size]=${GEN_MAX[$size]%.*}
		step "pfsend's maximum at $size bytes: ${GEN_MAX[$size]} pps (sent $(gen_sent), $(gen_cpu) s of CPU)"
		echo "# generator maximum (no capture): size $size ${GEN_MAX[$size]} pps" >>"$CSV"
	done
}

# resolve SIZE TOKEN: the offered rate in packets/s (0: pfsend's maximum)
resolve() {
	case $2 in
	*%) echo $((GEN_MAX[$1] * ${2%\%} / 100)) ;;
	*) echo "$2" ;;
	esac
}

# QEMU + vnplugd's CPU share with the guest idle, over 5 s.
idle_baseline() {
	local c0
	c0=$(vm_ticks)
	sleep 5
	IDLE_PCT=$(awk -v t="$(($(vm_ticks) - c0))" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", 100 * t / hz / 5 }')
	step "QEMU + vnplugd with the guest idle: $IDLE_PCT% of a CPU"
}

run_all() {
	local size tok rate path paths n=0 total done_n=0
	total=$(($(echo "$SIZES" | wc -w) * $(echo "$RATES" | wc -w) * 3))
	ID=0
	for size in $SIZES; do
		for tok in $RATES; do
			rate=$(resolve "$size" "$tok")
			# the paths take turns going first
			case $((n % 3)) in
			0) paths="host vpfring virtio" ;;
			1) paths="vpfring virtio host" ;;
			2) paths="virtio host vpfring" ;;
			esac
			n=$((n + 1))
			for path in $paths; do
				run_point "$size" "$tok" "$rate" "$path"
				done_n=$((done_n + 1))
			done
			step "$done_n of $total bursts done ($SECONDS s)"
		done
	done
}

# ---- results ---------------------------------------------------------------

AWK_COLS='BEGIN { n = split(hdr, h, ","); for (i = 1; i <= n; i++) c[h[i]] = i }
function v(name) { return $c[name] }'

print_table() {
	awk -F, -v hdr="$CSV_HEADER" "$AWK_COLS"'
	/^#/ || $1 == "size" { next }
	{
		k = v("size") SUBSEP v("offered")
		if (!(k in seen)) { seen[k] = 1; keys[nk++] = k }
		for (f in c) val[k, v("path"), f] = v(f)
	}
	function g(k, p, f) { return val[k, p, f] }
	END {
		printf "%5s %7s %8s %7s | %-37s | %-44s | %-37s\n", "", "", "", "",
			"(a) host pfcount (AF_PACKET)", "(b) vPF_RING pfcount in the guest", "(c) virtio-net pfcount in the guest"
		printf "%5s %7s %8s %7s |", "size", "offered", "achieved", "sent"
		for (j = 0; j < 3; j++) {
			printf " %7s %6s %6s %6s %7s", "captrd", "drop", "loss%", "cpu/M", "gen/M"
			if (j == 1) printf " %6s", "ntf/1k"
			printf " |"
		}
		printf "\n"
		split("host vpfring virtio", P, " ")
		for (i = 0; i < nk; i++) {
			k = keys[i]; split(k, kk, SUBSEP)
			printf "%5s %7s %8s %7s |", kk[1], kk[2], g(k, "host", "achieved_pps"), g(k, "host", "sent")
			for (j = 1; j <= 3; j++) {
				p = P[j]
				printf " %7s %6s %6.1f %6s %7s", g(k, p, "captured"), g(k, p, "dropped"), g(k, p, "loss_pct"),
					g(k, p, "host_cpu_s_per_mpkt"), g(k, p, "gen_cpu_s_per_mpkt")
				if (j == 2) printf " %6s", g(k, p, "notif_per_1000")
				printf " |"
			}
			printf "\n"
		}
		print ""
		print "achieved: pfsend'"'"'s rate for (a) (each path had its own burst: see the CSV); cpu/M, gen/M: host"
		print "CPU seconds per million packets sent, of the capture ((a) pfcount; (b), (c) QEMU + vnplugd)"
		print "and of pfsend (with the kernel'"'"'s receive path on its CPU); ntf/1k: vnplugd'"'"'s doorbells +"
		print "interrupts for the ring per 1,000 captured packets."
		print ""
		print "Which side saturated (generator: pfsend fell short of the offered rate; capture: packets lost):"
		for (i = 0; i < nk; i++) {
			k = keys[i]; split(k, kk, SUBSEP)
			line = sprintf("  %4s B @ %-7s", kk[1], kk[2])
			for (j = 1; j <= 3; j++) {
				p = P[j]; s = g(k, p, "saturated")
				if (p == "virtio" && g(k, p, "sent") > g(k, p, "captured"))
					s = s sprintf(" (tap dropped %s, guest NIC got %s, its ring dropped %s)",
						g(k, p, "tap_drops"), g(k, p, "guest_rx"), g(k, p, "dropped"))
				else if (p != "virtio" && g(k, p, "dropped") > 0)
					s = s " (ring dropped " g(k, p, "dropped") ")"
				line = line sprintf(" %s: %s;", substr("abc", j, 1), s)
			}
			print line
		}
	}' "$CSV"
}

# The three targets, measured, with PASS / MISS.
print_targets() {
	awk -F, -v hdr="$CSV_HEADER" -v sizes="$SIZES" "$AWK_COLS"'
	/^#/ || $1 == "size" { next }
	{ k = v("size") SUBSEP v("offered") SUBSEP v("path"); for (f in c) val[k, f] = v(f)
	  if (!(v("offered") in so)) { so[v("offered")] = 1; offs[no++] = v("offered") } }
	function g(s, o, p, f) { return val[s SUBSEP o SUBSEP p, f] }
	function pf(ok) { return ok ? "PASS" : "MISS" }
	END {
		ns = split(sizes, S, " ")
		# the highest offered rate: max when there, else the last one
		top = offs[no - 1]
		for (i = 0; i < no; i++) if (offs[i] == "max") top = "max"
		cb = g(64, top, "vpfring", "captured"); cc = g(64, top, "virtio", "captured")
		if (cb == "") printf "target 1: (b) >= 10x (c) captured at 64 bytes, %s: not measured (no 64-byte point)\n", top
		else {
			r = cc > 0 ? cb / cc : 0
			printf "target 1: (b) captures >= 10x what (c) captures at 64 bytes, %s: (b) %d of %d, (c) %d of %d: %s -> %s\n",
				top, cb, g(64, top, "vpfring", "sent"), cc, g(64, top, "virtio", "sent"),
				(cc > 0 ? sprintf("%.1fx", r) : "(c) got nothing"), pf(cc == 0 ? cb > 0 : r >= 10)
		}
		n = 0; bad = 0; list = ""
		for (i = 1; i <= ns; i++) for (j = 0; j < no; j++) {
			s = S[i]; o = offs[j]
			if (g(s, o, "virtio", "loss_pct") == "" || g(s, o, "virtio", "loss_pct") + 0 <= 50) continue
			n++
			lb = g(s, o, "vpfring", "sent") - g(s, o, "vpfring", "captured")
			if (lb > 0) { bad++; list = list sprintf(" %s B @ %s: (b) lost %d (%s%%), (c) %s%%;", s, o, lb, g(s, o, "vpfring", "loss_pct"), g(s, o, "virtio", "loss_pct")) }
		}
		if (n == 0) print "target 2: (b) loses nothing where (c) loses over half: no point where (c) lost over half"
		else printf "target 2: (b) loses nothing where (c) loses over half: (b) lost nothing at %d of %d such points -> %s%s\n",
			n - bad, n, pf(bad == 0), bad ? ";" list : ""
		worst = -1; line = ""
		for (i = 1; i <= ns; i++) {
			x = g(S[i], "max", "vpfring", "notif_per_1000")
			hf = ""
			for (j = 0; j < no; j++) if (offs[j] == "50%") hf = g(S[i], "50%", "vpfring", "notif_per_1000")
			if (x == "") continue
			if (x + 0 > worst) worst = x + 0
			line = line sprintf(" %s B: %s at max (%s + %s)%s;", S[i], x, g(S[i], "max", "vpfring", "doorbells"),
				g(S[i], "max", "vpfring", "signals"), (hf == "" ? "" : ", " hf " at 50%"))
		}
		if (worst < 0) print "target 3: <= 1 notification per 1,000 packets at the maximum: not measured (no rate 0)"
		else printf "target 3: <= 1 notification (doorbell + interrupt) per 1,000 captured packets at pfsend'"'"'s maximum: worst %.3f -> %s;%s\n",
			worst, pf(worst <= 1), line
	}' "$CSV"
}

# ---- the plot (gnuplot) ----------------------------------------------------

plot() {
	local d=$WORK/plot p top
	command -v gnuplot >/dev/null || { step "no gnuplot: no plot"; return 0; }
	mkdir -p "$d"
	top=max
	grep -q ',max,' "$CSV" || top=$(echo "$RATES" | awk '{ print $NF }')
	for p in host vpfring virtio; do
		# % captured and host CPU per Mpkt vs size at the top rate
		awk -F, -v p="$p" -v o="$top" '$6 == p && $2 == o { print $1, $10, $14 }' "$CSV" >"$d/$p.size"
		# captured pps vs achieved pps at the smallest size
		awk -F, -v p="$p" -v s="$(echo "$SIZES" | awk '{ print $1 }')" \
			'$6 == p && $1 == s { print $4, $11 }' "$CSV" | sort -n >"$d/$p.rate"
	done
	local term="pngcairo noenhanced size 1500,500 font 'sans,10'"
	gnuplot -e "set terminal pngcairo" 2>/dev/null || term="png noenhanced size 1500,500"
	gnuplot <<-EOF 2>"$WORK/gnuplot.err" || { step "gnuplot failed: $(head -n 3 "$WORK/gnuplot.err")"; return 0; }
	set terminal $term
	set output "$PNG"
	set datafile missing "?"
	set key bottom left
	set grid
	set multiplot layout 1,3 title "vPF_RING vs virtio-net vs host capture (pfcount, $PACKETS packets per burst, $ACCEL guest, $(date -u +%Y-%m-%d))"
	set title "Captured at pfsend's maximum ($top)"
	set xlabel "packet size (bytes)"
	set ylabel "% of the packets sent"
	set logscale x 2
	set xtics ($(echo "$SIZES" | sed 's/\([0-9][0-9]*\)/"\1" \1/g; s/ "/, "/g'))
	set yrange [0:105]
	plot "$d/host.size" using 1:2 with linespoints lw 2 pt 7 title "(a) native pfcount on the host", \
	     "$d/vpfring.size" using 1:2 with linespoints lw 2 pt 5 title "(b) vPF_RING in the guest", \
	     "$d/virtio.size" using 1:2 with linespoints lw 2 pt 9 title "(c) virtio-net in the guest"
	set title "Capture rate, $(echo "$SIZES" | awk '{ print $1 }')-byte packets"
	set xlabel "offered: pfsend's achieved rate (packets/s)"
	set ylabel "captured packets/s"
	set logscale xy 10
	unset xtics
	set xtics auto
	set autoscale y
	set key top left
	plot "$d/host.rate" using 1:2 with linespoints lw 2 pt 7 title "(a) host", \
	     "$d/vpfring.rate" using 1:2 with linespoints lw 2 pt 5 title "(b) vPF_RING", \
	     "$d/virtio.rate" using 1:2 with linespoints lw 2 pt 9 title "(c) virtio-net", \
	     x with lines dt 2 lc rgb "gray" title "captured = offered"
	set title "Host CPU per million packets sent, at $top"
	set xlabel "packet size (bytes)"
	set ylabel "CPU seconds / Mpkt (capture side)"
	unset logscale
	set logscale x 2
	set xtics ($(echo "$SIZES" | sed 's/\([0-9][0-9]*\)/"\1" \1/g; s/ "/, "/g'))
	set autoscale y
	set yrange [0:*]
	set key center right opaque
	plot "$d/host.size" using 1:3 with linespoints lw 2 pt 7 title "(a) pfcount", \
	     "$d/vpfring.size" using 1:3 with linespoints lw 2 pt 5 title "(b) QEMU + vnplugd", \
	     "$d/virtio.size" using 1:3 with linespoints lw 2 pt 9 title "(c) QEMU + vnplugd"
	unset multiplot
	EOF
	step "plot: $PNG"
}

main() {
	local failed=0 qemu_ver
	parse_args "$@"
	[ "$(id -u)" = 0 ] || die "needs root (namespaces, tap, QEMU cache)"
	WORK=$(mktemp -d /tmp/vpfb.XXXXXX)
	trap host_cleanup EXIT
	trap 'exit 130' INT TERM
	build_all
	bench_setup
	trap host_cleanup EXIT # bench_setup installed its own; ours calls it
	make_image
	setup_bridge
	start_vnplugd
	plan_timeout
	mkdir -p "$(dirname "$CSV")"
	qemu_ver=$("$QEMU_BIN" --version 2>/dev/null | sed -n '1s/.*version \([^ ]*\).*/\1/p')
	LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
	boot_guest
	{
		echo "# vpfring_bench.sh, $(date -u '+%Y-%m-%d %H:%M UTC'): sizes $SIZES; rates $RATES; $PACKETS packets per burst; pfcount poll watermark ${WATERMARK:-128 (its default)}"
		echo "# $(machine_line); QEMU $qemu_ver ($ACCEL, -smp $SMP, $MEM MB, $APPEND) and vnplugd pinned to CPU $CAP_CPU"
		sed -n "s/^$MARK # //p" "$WORK/console.log" | tr -d '\r' | sed 's/^/# /'
	} >"$CSV"
	idle_baseline
	echo "# QEMU + vnplugd with the guest idle: $IDLE_PCT% of a CPU; load average $LOAD0 before the guest" >>"$CSV"
	calibrate
	echo "$CSV_HEADER" >>"$CSV"
	SECONDS=0
	run_all
	RUN_S=$SECONDS
	guest_cmd quit
	wait "$RUN_PID" || failed=1
	RUN_PID=
	echo "# bursts took $RUN_S s; load average $(cut -d' ' -f1-3 /proc/loadavg) after" >>"$CSV"
	[ "$failed" = 0 ] || { KEEP=1; sed -n 's/^vm: //p' "$WORK/run.out" | sed 's/^/vpfring_bench: guest: /' >&2; }
	echo
	echo "vpfring_bench.sh: $PACKETS packets per burst; sizes $SIZES; rates $RATES (N%: of pfsend's maximum, 0: max)"
	grep '^# ' "$CSV" | sed 's/^# //'
	echo
	print_table
	echo
	print_targets
	plot
	echo
	echo "CSV: $CSV"
	[ "$failed" = 0 ] || die "the guest's run failed (see above); the results stand"
}

main "$@"
