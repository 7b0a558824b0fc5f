#!/bin/bash
# vpfring_bench.sh - the vPF_RING benchmark (the paper's figure 11): the
# same traffic captured by pfcount
#  (a) host      on the host, on the interface (AF_PACKET: no pf_ring.ko here);
#  (b) vpfring   in ONE QEMU guest on host:IF (vPF_RING: vnplugd, the patched
#                QEMU's vnplug-ctrl, vnplug.ko; the host's capture ring is
#                mapped into the guest);
#  (c) virtio    in the SAME guest on its own virtio-net NIC, whose tap is
#                bridged on the host with the interface (AF_PACKET, forced
#                with packet:);
#  (d) passthru  in the SAME guest on a NIC of its own, captured natively
#                with pf_ring.ko loaded in the guest (pfring:): the set-up
#                of PCI passthrough (seed 001 section 12). Without an IOMMU
#                or a spare NIC here, an emulated e1000 on a second tap,
#                fed by a tc redirect from the interface, stands in for it.
#
# Topology (bench_lib.sh's namespaces): pfsend sends in ${NS}g on gen0; its
# veth peer cap0 is in ${NS}c, a port of the bridge vpbbr0 whose other port
# is the guest's tap vpbtap0; the e1000's tap vpbtap1 is in no bridge.
# vnplugd and QEMU run in ${NS}c. Every path gets its own identical pfsend
# burst (-n PACKETS -l SIZE-4 -F 1000 -p RATE) per frame size and offered
# rate; vpbtap0 is up only during (c)'s bursts, and vpbtap1 and the ingress
# qdisc on cap0 that redirects every frame to it exist only during (d)'s
# (pf_ring.ko is in the guest's kernel only then too), so the other paths
# pay nothing for them. The paths take turns going first. pfsend is pinned
# to CPU 0; pfcount of (a), vnplugd and every QEMU thread to CPU 1.
#
# Per point: pfsend's achieved rate, captured and dropped (pfcount's final
# line), loss, the host CPU per million packets sent of each path ((a)
# pfcount's rusage; (b), (c) QEMU + vnplugd, (d) QEMU, /proc/PID/stat
# around the burst) and of the generator, guest/host notifications of (b)
# (vnplugd's doorbells + interrupts for the ring) per 1,000 captured
# packets, the guest NIC's counters for (c) and (d), and which side
# saturated. Offered rates: packets/s, N% (of pfsend's maximum for that
# size, measured first on the host) or 0 (pfsend's maximum). Then the host
# ports and packet copies that N VMs need to get the same traffic on each
# path, counted from the data paths (not measured).
#
# Writes tests/bench/results/vpfring_bench.csv, vpfring_bench_fanout.csv and
# vpfring_bench.png (gnuplot, installed through apt), prints the table, the
# targets, the (b)/(d) ratios and the fan-out table. See
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
PATHS="host vpfring virtio passthru"
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
FANOUT_CSV=
PNG=
MARK="@@VPB@@"
PORT_NAME=org.vpfring.vpb
BR=vpbbr0
TAP=vpbtap0
PT_TAP=vpbtap1
VIRTIO_MAC=52:54:00:12:34:56
PT_MAC=52:54:00:12:34:57
PT_NIC_MODEL=e1000
PT_TC=0
IF=cap0
G_BUILD=/vpfr/build
G_SRC=/vpfr/src
WORK=
RUN_PID=
QEMU_PID=
VNPLUGD_PID=
CMD_FD=
QEMU_BIN=
CSV_HEADER="size,offered,offered_pps,achieved_pps,sent,path,captured,dropped,loss_pct,captured_pct,captured_pps,cap_s,host_cpu_s,host_cpu_s_per_mpkt,gen_cpu_s,gen_cpu_s_per_mpkt,doorbells,signals,notif_per_1000,virtio_irqs,virtio_irqs_per_1000,if_drops,tap_sent,tap_drops,guest_rx,guest_rx_dropped,saturated,end,nic_irqs,nic_irqs_per_1000"

usage() {
	cat <<EOF
Usage: tests/bench/vpfring_bench.sh [options]    (root; builds what it needs)
The vPF_RING benchmark: per frame size and offered rate, the same pfsend
burst captured by pfcount (a) on the host, (b) in one QEMU guest on host:$IF
(vPF_RING), (c) in the same guest on its virtio-net NIC (tap, bridged
with $IF) and (d) in the same guest on a NIC it owns, with pf_ring.ko in
the guest (PCI passthrough's set-up; an emulated $PT_NIC_MODEL on its own tap
stands in for the passed-through NIC). Then the host ports and packet
copies N VMs need (counted, not measured). Writes
tests/bench/results/vpfring_bench.csv, vpfring_bench_fanout.csv and .png.

  --quick          sizes 64 1518, $((PACKETS / 2)) packets (options after it still apply)
  --paths "LIST"   the paths to run, of host vpfring virtio passthru
                   (default: all four)
  --sizes "LIST"   frame sizes with CRC (default "$SIZES")
  --rates "LIST"   offered rates: packets/s, N% of pfsend's maximum for the
                   size (measured first), 0 = pfsend's maximum
                   (default "$RATES")
  --packets N      packets per burst (default $PACKETS)
  --watermark N    pfcount -w N on every path (default: pfcount's, 128
                   packets): on AF_PACKET, (a), (b) and (c) alike, a TPACKET_V3
                   block of N packets of pfcount's caplen, and (b) wakes the
                   guest once per block; on pf_ring.ko, (d), the reader is
                   woken once N packets are queued
  --idle S         a capture that got nothing for S seconds after its burst
                   has lost the rest (default: $IDLE_HOST on the host, $IDLE_GUEST in the guest)
  --mem MB         guest memory (default $MEM)
  --timeout S      kill the guest after S seconds (default: from the plan)
  --csv FILE       CSV output (default tests/bench/results/vpfring_bench.csv;
                   the fan-out table goes next to it, NAME_fanout.csv)
  --png FILE       plot (default: the CSV's name with .png)
  --build DIR      build directory (default \$BUILD or /tmp/bench-build)
  --keep           keep the work directory (console, vnplugd log)
  -h, --help       print this help
EOF
}

step() { echo "vpfring_bench: $*" >&2; }

has_path() { case " $PATHS " in *" $1 "*) return 0 ;; esac; return 1; }

is_uint() { case $1 in '' | *[!0-9]*) return 1 ;; esac }

parse_args() {
	local r p
	while [ $# -gt 0 ]; do
		case $1 in
		--sizes | --rates | --paths | --packets | --watermark | --idle | --mem | --timeout | --csv | --png | --build)
			[ $# -ge 2 ] || { usage >&2; exit 2; }
			case $1 in
			--sizes) SIZES=$2 ;;
			--rates) RATES=$2 ;;
			--paths) PATHS=$2 ;;
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
	for r in $PATHS; do
		case $r in host | vpfring | virtio | passthru) ;; *) die "--paths: host, vpfring, virtio, passthru, not '$r'" ;; esac
	done
	# in the order of the tables, each once
	r=$PATHS
	PATHS=
	for p in host vpfring virtio passthru; do
		case " $r " in *" $p "*) PATHS="$PATHS $p" ;; esac
	done
	PATHS=${PATHS# }
	[ -n "$PATHS" ] || die "--paths: no path"
	is_uint "$PACKETS" && [ "$PACKETS" -gt 0 ] || die "--packets wants a positive number"
	is_uint "$IDLE_HOST" && [ "$IDLE_HOST" -gt 0 ] || die "--idle wants seconds"
	is_uint "$MEM" || die "--mem wants MB"
	[ -z "$WATERMARK" ] || is_uint "$WATERMARK" || die "--watermark wants packets"
	[ -z "$TIMEOUT" ] || is_uint "$TIMEOUT" || die "--timeout wants seconds"
	B=$(realpath -m "$B")
	CSV=$(realpath -m "$CSV")
	[ -n "$PNG" ] || PNG=${CSV%.csv}.png
	PNG=$(realpath -m "$PNG")
	FANOUT_CSV=${CSV%.csv}_fanout.csv
}

host_cleanup() {
	set +e
	# (d)'s redirect, if a burst was cut short; its tap goes with QEMU
	if [ "$PT_TC" = 1 ]; then pt_link down; fi
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
	has_path passthru || return 0
	# as tests/vm/run.sh builds it: against the guest's kernel
	step "pf_ring.ko against $KVER into $B/kmod (for the guest of (d))"
	if ! make -C "$ROOT/host/kmod" KDIR="$KDIR" KMOD_OUT="$B/kmod" >"$WORK/kmod-pfring.log" 2>&1 ||
		[ ! -f "$B/kmod/pf_ring.ko" ]; then
		grep -E 'error|Error' "$WORK/kmod-pfring.log" | head -n 20 >&2
		die "pf_ring.ko does not build"
	fi
}

make_image() {
	local mods="virtio_pci virtio_net virtio_console" pt=()
	if has_path passthru; then
		# the stand-in NIC's driver, loaded at boot as a real NIC's would be
		mods="$mods $PT_NIC_MODEL $(modinfo -F depends "$B/kmod/pf_ring.ko" 2>/dev/null | tr ',' ' ')"
		pt=(--add "$B/kmod/pf_ring.ko:/lib/vpfr/pf_ring.ko")
	fi
	cat >"$WORK/vm.env" <<-EOF
	BUILD=$G_BUILD
	SRC=$G_SRC
	VNPLUG_KO=/lib/vpfr/vnplug.ko
	PORT_NAME=$PORT_NAME
	HOST_IF=$IF
	IDLE=$IDLE_GUEST
	PFC_OPTS="${WATERMARK:+-w $WATERMARK}"
	VIRTIO_MAC=$VIRTIO_MAC
	EOF
	if has_path passthru; then
		printf 'PT_MAC=%s\nPF_RING_KO=/lib/vpfr/pf_ring.ko\n' "$PT_MAC" >>"$WORK/vm.env"
	fi
	printf '#!/bin/sh\nexec bash %s/tests/bench/vpfring_bench_guest.sh\n' "$G_SRC" >"$WORK/test.sh"
	step "building the initramfs"
	"$VM/initramfs.sh" "$WORK/bench.cpio.gz" --modules "$mods" \
		--script "$WORK/test.sh" \
		--add "/bin/bash:/bin/bash" \
		--add "$WORK/vm.env:/etc/vpfr-vm.env" \
		--add "$HERE/vpfring_bench_guest.sh:$G_SRC/tests/bench/vpfring_bench_guest.sh" \
		--add "$HERE/bench_lib.sh:$G_SRC/tests/bench/bench_lib.sh" \
		--add "$B/vnplug-ko/vnplug.ko:/lib/vpfr/vnplug.ko" \
		--add "$B/lib/libpfring.so.1:$G_BUILD/lib/libpfring.so.1" \
		--add "$B/bin/pfcount:$G_BUILD/bin/pfcount" \
		${pt[@]+"${pt[@]}"} \
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

# (d)'s tap, in no bridge: no IPv6, down until (d)'s bursts.
setup_pt_tap() {
	nsc ip link show "$PT_TAP" >/dev/null 2>&1 || die "QEMU made no tap $PT_TAP"
	nsc sysctl -qw "net.ipv6.conf.$PT_TAP.disable_ipv6=1"
	nsc ip link set "$PT_TAP" down
}

# pt_link up|down: during (d)'s bursts, every frame arriving on cap0 is
# redirected by an ingress qdisc to the e1000's tap (ahead of the bridge,
# which then sees nothing), as a switch's mirror port would feed a NIC
# passed through to the guest; otherwise neither the qdisc nor the tap
# is there.
pt_link() {
	if [ "$1" = up ]; then
		PT_TC=1
		if ! nsc ip link set "$PT_TAP" up || ! nsc tc qdisc add dev "$IF" ingress ||
			! nsc tc filter add dev "$IF" parent ffff: protocol all prio 1 u32 match u32 0 0 \
				action mirred egress redirect dev "$PT_TAP"; then
			die "cannot redirect $IF to $PT_TAP (tc: ingress qdisc, u32, mirred)"
		fi
	else
		nsc tc qdisc del dev "$IF" ingress 2>/dev/null
		nsc ip link set "$PT_TAP" down 2>/dev/null
		PT_TC=0
	fi
	return 0
}

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

# path_ticks PATH: the capture side's host CPU of a guest path: QEMU +
# vnplugd for (b) and (c), QEMU alone for (d) (vnplugd has no part in it)
path_ticks() {
	if [ "$1" = passthru ]; then proc_ticks "$QEMU_PID"; else vm_ticks; fi
}

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
	[ -n "$TIMEOUT" ] || TIMEOUT=$((600 + t * $(echo "$PATHS" | wc -w) * $(echo "$SIZES" | wc -w)))
}

boot_guest() {
	local accel=TCG pt=()
	[ -w /dev/kvm ] && accel=KVM
	# (d): a NIC of the guest's own on a tap of its own (vhost off, as
	# (c)'s; no option ROM: nothing boots from it)
	has_path passthru && pt=(-netdev "tap,id=pt,ifname=$PT_TAP,script=no,downscript=no,vhost=off"
		-device "$PT_NIC_MODEL,netdev=pt,mac=$PT_MAC,romfile=")
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
		-device "virtio-net-pci,netdev=n0,mac=$VIRTIO_MAC" \
		${pt[@]+"${pt[@]}"} \
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
	if has_path passthru; then setup_pt_tap; fi
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
	R_DOORBELLS='' R_SIGNALS='' R_IRQS='' R_TAP_SENT='' R_TAP_DROPS='' R_RX='' R_RXD='' R_NIC_IRQS=''
}

# run_guest PATH SIZE RATE: (b) vpfring, (c) virtio or (d) passthru, in the
# guest.
run_guest() {
	local path=$1 size=$2 rate=$3 id line c0 d0 t0 tp0 td0 nlog maxw tap=
	ID=$((ID + 1))
	id=$ID
	maxw=$(max_wait "$rate")
	case $path in
	virtio) tap=$TAP; tap_link up ;;
	passthru) tap=$PT_TAP; pt_link up ;;
	esac
	nlog=$(grep -c ' doorbells, [0-9]* signals' "$WORK/vnplugd.log")
	guest_cmd cap "$id" "$path" "$PACKETS"
	line=$(guest_reply ready "$id" 120)
	case $line in *FAILED*) guest_failed "$line" ;; esac
	if [ -n "$tap" ]; then
		tp0=$(ns_stat "$tap" tx_packets)
		td0=$(ns_stat "$tap" tx_dropped)
	fi
	d0=$(if_drops)
	c0=$(path_ticks "$path")
	t0=$(now)
	send_burst "$size" "$rate" "$PACKETS"
	guest_cmd sent "$id" "$maxw"
	line=$(guest_reply result "$id" $((maxw + 30)))
	R_CAP_S=$(secs_since "$t0")
	R_CPU=$(ticks_s $(($(path_ticks "$path") - c0)))
	R_IFDROPS=$(($(if_drops) - d0))
	case $line in *FAILED*) guest_failed "$line" ;; esac
	R_CAPTURED=$(kv received "$line")
	R_DROPPED=$(kv dropped "$line")
	R_END=$(kv end "$line")
	R_DOORBELLS='' R_SIGNALS='' R_IRQS='' R_TAP_SENT='' R_TAP_DROPS='' R_RX='' R_RXD='' R_NIC_IRQS=''
	if [ -n "$tap" ]; then
		R_TAP_SENT=$(($(ns_stat "$tap" tx_packets) - tp0))
		R_TAP_DROPS=$(($(ns_stat "$tap" tx_dropped) - td0))
		case $path in virtio) tap_link down ;; passthru) pt_link down ;; esac
		R_RX=$(kv rx "$line")
		R_RXD=$(kv rx_dropped "$line")
		if [ "$path" = virtio ]; then R_IRQS=$(kv irqs "$line"); else R_NIC_IRQS=$(kv irqs "$line"); fi
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
		"$(saturation "$rate" "$ach" "$sent" "$cap"),$R_END,$R_NIC_IRQS,$(per1000 "$R_NIC_IRQS" "$cap")" |
		tr -d ' ' >>"$CSV"
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
	local size tok rate path paths n=0 total done_n=0 np i
	# shellcheck disable=SC2206 # a list of words
	local all=($PATHS)
	np=${#all[@]}
	total=$(($(echo "$SIZES" | wc -w) * $(echo "$RATES" | wc -w) * np))
	ID=0
	for size in $SIZES; do
		for tok in $RATES; do
			rate=$(resolve "$size" "$tok")
			# the paths take turns going first: a b c d, b c d a, c d a b, ...
			paths=
			for ((i = 0; i < np; i++)); do paths="$paths ${all[(n + i) % np]}"; done
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

# Letters and titles of the paths, for awk (PL, PT).
AWK_PATHS='BEGIN {
	PL["host"] = "a"; PL["vpfring"] = "b"; PL["virtio"] = "c"; PL["passthru"] = "d"
	PT["host"] = "(a) host pfcount (AF_PACKET)"; PT["vpfring"] = "(b) vPF_RING pfcount in the guest"
	PT["virtio"] = "(c) virtio-net pfcount in the guest"; PT["passthru"] = "(d) own NIC, pf_ring.ko, in the guest"
}'

print_table() {
	awk -F, -v hdr="$CSV_HEADER" -v paths="$PATHS" -v model="$PT_NIC_MODEL" "$AWK_COLS
$AWK_PATHS"'
	/^#/ || $1 == "size" { next }
	{
		k = v("size") SUBSEP v("offered")
		if (!(k in seen)) { seen[k] = 1; keys[nk++] = k }
		for (f in c) val[k, v("path"), f] = v(f)
	}
	function g(k, p, f) { return val[k, p, f] }
	END {
		np = split(paths, P, " ")
		printf "%5s %7s %8s %7s |", "", "", "", ""
		for (j = 1; j <= np; j++) printf " %-" (P[j] == "vpfring" ? 44 : 37) "s |", PT[P[j]]
		printf "\n%5s %7s %8s %7s |", "size", "offered", "achieved", "sent"
		for (j = 1; j <= np; j++) {
			printf " %7s %6s %6s %6s %7s", "captrd", "drop", "loss%", "cpu/M", "gen/M"
			if (P[j] == "vpfring") printf " %6s", "ntf/1k"
			printf " |"
		}
		printf "\n"
		for (i = 0; i < nk; i++) {
			k = keys[i]; split(k, kk, SUBSEP)
			printf "%5s %7s %8s %7s |", kk[1], kk[2], g(k, P[1], "achieved_pps"), g(k, P[1], "sent")
			for (j = 1; j <= np; j++) {
				p = P[j]
				printf " %7s %6s %6.1f %6s %7s", g(k, p, "captured"), g(k, p, "dropped"), g(k, p, "loss_pct"),
					g(k, p, "host_cpu_s_per_mpkt"), g(k, p, "gen_cpu_s_per_mpkt")
				if (p == "vpfring") printf " %6s", g(k, p, "notif_per_1000")
				printf " |"
			}
			printf "\n"
		}
		print ""
		print "achieved, sent: pfsend'"'"'s for " PT[P[1]] " (each path had its own burst: see the CSV);"
		print "cpu/M, gen/M: host CPU seconds per million packets sent, of the capture ((a) pfcount; (b), (c)"
		print "QEMU + vnplugd; (d) QEMU) and of pfsend (with the kernel'"'"'s receive path on its CPU: the"
		print "bridge of (c), the redirect of (d)); ntf/1k: vnplugd'"'"'s doorbells + interrupts for the ring"
		print "per 1,000 captured packets."
		if (index(" " paths " ", " passthru ")) {
			print "(d) is an emulated " model " on a tap of its own standing in for a NIC passed through to"
			print "the guest: real passthrough has no QEMU in its data path."
		}
		print ""
		print "Which side saturated (generator: pfsend fell short of the offered rate; capture: packets lost):"
		for (i = 0; i < nk; i++) {
			k = keys[i]; split(k, kk, SUBSEP)
			line = sprintf("  %4s B @ %-7s", kk[1], kk[2])
			for (j = 1; j <= np; j++) {
				p = P[j]; s = g(k, p, "saturated")
				lost = g(k, p, "sent") > g(k, p, "captured")
				if (p == "virtio" && lost)
					s = s sprintf(" (tap dropped %s, guest NIC got %s, its ring dropped %s)",
						g(k, p, "tap_drops"), g(k, p, "guest_rx"), g(k, p, "dropped"))
				else if (p == "passthru" && lost)
					s = s sprintf(" (tap dropped %s, %s got %s, its driver dropped %s, pf_ring.ko dropped %s)",
						g(k, p, "tap_drops"), model, g(k, p, "guest_rx"), g(k, p, "guest_rx_dropped"),
						g(k, p, "dropped"))
				else if (g(k, p, "dropped") > 0)
					s = s " (ring dropped " g(k, p, "dropped") ")"
				line = line sprintf(" %s: %s;", PL[p], s)
			}
			print line
		}
	}' "$CSV"
}

# The three targets, measured, with PASS / MISS.
print_targets() {
	awk -F, -v hdr="$CSV_HEADER" -v sizes="$SIZES" -v paths=" $PATHS " "$AWK_COLS"'
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
		hb = index(paths, " vpfring "); hc = index(paths, " virtio ")
		cb = g(64, top, "vpfring", "captured"); cc = g(64, top, "virtio", "captured")
		if (!hb || !hc) print "target 1: (b) >= 10x (c) captured at 64 bytes: not measured (--paths)"
		else if (cb == "") printf "target 1: (b) >= 10x (c) captured at 64 bytes, %s: not measured (no 64-byte point)\n", top
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
		if (!hb || !hc) print "target 2: (b) loses nothing where (c) loses over half: not measured (--paths)"
		else if (n == 0) print "target 2: (b) loses nothing where (c) loses over half: no point where (c) lost over half"
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
		if (!hb) print "target 3: <= 1 notification per 1,000 packets at the maximum: not measured (--paths)"
		else if (worst < 0) print "target 3: <= 1 notification per 1,000 packets at the maximum: not measured (no rate 0)"
		else printf "target 3: <= 1 notification (doorbell + interrupt) per 1,000 captured packets at pfsend'"'"'s maximum: worst %.3f -> %s;%s\n",
			worst, pf(worst <= 1), line
	}' "$CSV"
}

# (b) against (d) at each size, at pfsend's maximum and at 50% of it.
print_passthru() {
	awk -F, -v hdr="$CSV_HEADER" -v sizes="$SIZES" -v model="$PT_NIC_MODEL" "$AWK_COLS"'
	/^#/ || $1 == "size" { next }
	{ k = v("size") SUBSEP v("offered") SUBSEP v("path"); for (f in c) val[k, f] = v(f) }
	function g(s, o, p, f) { return val[s SUBSEP o SUBSEP p, f] }
	function x(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
	END {
		print "(b) vPF_RING against (d) the passthrough stand-in (" model " + pf_ring.ko in the guest), per size:"
		ns = split(sizes, S, " "); n = 0
		for (i = 1; i <= ns; i++) for (j = 1; j <= 2; j++) {
			o = j == 1 ? "max" : "50%"
			if (g(S[i], o, "vpfring", "sent") == "" || g(S[i], o, "passthru", "sent") == "") continue
			n++
			cb = g(S[i], o, "vpfring", "captured"); cd = g(S[i], o, "passthru", "captured")
			ub = g(S[i], o, "vpfring", "host_cpu_s_per_mpkt"); ud = g(S[i], o, "passthru", "host_cpu_s_per_mpkt")
			printf "  %4s B @ %-3s: captured (b) %d of %d at %s pps, (d) %d of %d at %s pps: (b)/(d) %s (captured pps %s); host CPU s/Mpkt (b) %s, (d) %s: (b)/(d) %s; (d) saturated: %s\n",
				S[i], o, cb, g(S[i], o, "vpfring", "sent"), g(S[i], o, "vpfring", "achieved_pps"),
				cd, g(S[i], o, "passthru", "sent"), g(S[i], o, "passthru", "achieved_pps"), x(cb, cd),
				x(g(S[i], o, "vpfring", "captured_pps"), g(S[i], o, "passthru", "captured_pps")),
				ub, ud, x(ub, ud), g(S[i], o, "passthru", "saturated")
		}
		if (n == 0) print "  not measured: needs the paths vpfring and passthru and the rates 0 and/or 50%"
		print "  (d) runs an emulated NIC under TCG: a lower bound for a passed-through NIC, whose packets"
		print "  reach the guest by DMA with no QEMU in the way; what it shows as is: the guest kernel'"'"'s"
		print "  cost of a native pf_ring.ko capture, on top of the NIC'"'"'s emulation."
	}' "$CSV"
}

# ---- host ports and copies for N VMs (counted, not measured) ---------------

# The host NIC ports and the copies of each packet that N VMs need to get
# the same traffic on each path, counted from the data paths as this
# project implements them (and as Linux and QEMU 7.2 do), into FANOUT_CSV;
# then what this run's counters show at N = 1.
#   passthru  one NIC port per VM, each fed by a copy made outside the host
#             (a switch's mirror port or a tap); the NIC writes into the
#             VM's memory by DMA (no host CPU); each guest's pf_ring.ko
#             copies the packet into its ring.
#   virtio    one port; the bridge hands each of the N taps the packet
#             (N - 1 skb clones and the original: headers, the data is
#             shared); per VM, tun's read() copies it into QEMU and QEMU's
#             virtio-net into the guest's buffer (vhost-net: one copy,
#             from the kernel straight into the guest), and the guest's
#             AF_PACKET socket into its ring.
#   vpfring   one port; the host kernel writes one copy into each VM's ring
#             (AF_PACKET here, pf_ring.ko where loaded); the guest reads
#             the mapped ring in place.
#   vpfring_cluster  the same with the N rings in one cluster: each packet
#             is copied once, into the ring of one VM (flows kept whole),
#             so each VM sees about 1/N of the traffic, not all of it.
fanout() {
	local n
	{
		echo "# vpfring_bench.sh: host ports and copies of each packet for N VMs getting the same traffic; counted from the data paths, not measured"
		echo "vms,path,host_ports,copies_outside_host,bridge_deliveries,host_cpu_copies,host_cpu_copies_vhost,guest_cpu_copies,cpu_copies,packets_per_vm"
		for n in 1 2 4 8; do
			echo "$n,passthru,$n,$n,0,0,0,$n,$n,all"
			echo "$n,virtio,1,0,$n,$((2 * n)),$n,$n,$((3 * n)),all"
			echo "$n,vpfring,1,0,0,$n,$n,0,$n,all"
			echo "$n,vpfring_cluster,1,0,0,1,1,0,1,1/$n"
		done
	} >"$FANOUT_CSV"
	echo "Host ports and copies of each packet for N VMs to see the same traffic (counted from the data"
	echo "paths as implemented, not measured; $FANOUT_CSV):"
	awk -F, '/^#/ || $1 == "vms" { next }
	{ printf "  N=%s %-15s ports %2s  copies outside the host %2s  bridge deliveries %2s  host CPU copies %2s (vhost-net %s)  guest copies %2s  total CPU copies %2s  each VM sees %s\n",
		$1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$FANOUT_CSV"
	echo "  passthru: a switch mirror or tap per VM makes the N copies, the NICs DMA them into the VMs,"
	echo "  each guest's pf_ring.ko copies once more (a zero-copy driver in the guest, DNA, would not);"
	echo "  virtio: tun's read() into QEMU and QEMU into the guest per VM (no vhost here: TCG), then the"
	echo "  guest's AF_PACKET ring; vpfring: the host kernel's one write per ring, read in place in the"
	echo "  guest; vpfring_cluster: one ring of N gets each packet, so the VMs split the traffic."
	# what the counters of this run show at N = 1, summed over its points
	awk -F, -v hdr="$CSV_HEADER" "$AWK_COLS"'
	/^#/ || $1 == "size" { next }
	{ p = v("path"); sent[p] += v("sent"); cap[p] += v("captured"); drop[p] += v("dropped")
	  tap[p] += v("tap_sent") + v("tap_drops"); rx[p] += v("guest_rx") }
	function r(a, b) { return b > 0 ? sprintf("%.3f", a / b) : "-" }
	END {
		printf "  checked at N=1 with this run'"'"'s counters (all its points), per packet sent:"
		if ("virtio" in sent) printf " (c) bridge to tap %s (tap tx + tx drops), into the guest NIC %s;",
			r(tap["virtio"], sent["virtio"]), r(rx["virtio"], sent["virtio"])
		if ("passthru" in sent) printf " (d) redirect to its tap %s, into the guest NIC %s;",
			r(tap["passthru"], sent["passthru"]), r(rx["passthru"], sent["passthru"])
		if ("vpfring" in sent) printf " (b) host ring writes + ring drops %s;",
			r(cap["vpfring"] + drop["vpfring"], sent["vpfring"])
		printf "\n  (copies per packet themselves are not counted by any counter read here)\n"
	}' "$CSV"
}

# ---- the plot (gnuplot) ----------------------------------------------------

# plot_lines FILE-SUFFIX COLUMN "TITLE-a|TITLE-b|TITLE-c|TITLE-d": gnuplot's
# plot arguments for the paths of this run.
plot_lines() {
	local p t out='' i=0 pts=(7 5 9 11)
	for p in host vpfring virtio passthru; do
		i=$((i + 1))
		has_path "$p" || continue
		t=$(cut -d'|' -f"$i" <<<"$3")
		out="$out${out:+, }\"$WORK/plot/$p.$1\" using 1:$2 with linespoints lw 2 pt ${pts[i - 1]} title \"$t\""
	done
	echo "$out"
}

plot() {
	local d=$WORK/plot p top
	command -v gnuplot >/dev/null || { step "no gnuplot: no plot"; return 0; }
	mkdir -p "$d"
	top=max
	grep -q ',max,' "$CSV" || top=$(echo "$RATES" | awk '{ print $NF }')
	for p in $PATHS; do
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
	set multiplot layout 1,3 title "vPF_RING vs virtio-net vs a NIC of the guest's own ($PT_NIC_MODEL stand-in for passthrough) vs host capture (pfcount, $PACKETS packets per burst, $ACCEL guest, $(date -u +%Y-%m-%d))"
	set title "Captured at pfsend's maximum ($top)"
	set xlabel "packet size (bytes)"
	set ylabel "% of the packets sent"
	set logscale x 2
	set xtics ($(echo "$SIZES" | sed 's/\([0-9][0-9]*\)/"\1" \1/g; s/ "/, "/g'))
	set yrange [0:105]
	plot $(plot_lines size 2 "(a) native pfcount on the host|(b) vPF_RING in the guest|(c) virtio-net in the guest|(d) own NIC ($PT_NIC_MODEL) + pf_ring.ko in the guest")
	set title "Capture rate, $(echo "$SIZES" | awk '{ print $1 }')-byte packets"
	set xlabel "offered: pfsend's achieved rate (packets/s)"
	set ylabel "captured packets/s"
	set logscale xy 10
	unset xtics
	set xtics auto
	set autoscale y
	set key top left
	plot $(plot_lines rate 2 "(a) host|(b) vPF_RING|(c) virtio-net|(d) own NIC + pf_ring.ko"), \
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
	plot $(plot_lines size 3 "(a) pfcount|(b) QEMU + vnplugd|(c) QEMU + vnplugd|(d) QEMU")
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
		echo "# paths: $PATHS"
		if has_path passthru; then
			echo "# (d): QEMU's $PT_NIC_MODEL (mac $PT_MAC) on tap $PT_TAP, fed during (d)'s bursts only by tc on $IF (ingress qdisc, u32 match-all, mirred egress redirect); stands in for a passed-through NIC"
		fi
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
	if has_path passthru; then
		echo
		print_passthru
	fi
	echo
	fanout
	plot
	echo
	echo "CSV: $CSV, $FANOUT_CSV"
	[ "$failed" = 0 ] || die "the guest's run failed (see above); the results stand"
}

main "$@"
