#!/bin/bash
# The main job: builds vPF_RING (libpfring and its tools, vnplugd, the
# patched QEMU, vnplug.ko for Debian's kernel), starts vnplugd, boots a VM
# with the vNPlug devices (TCG where there is no KVM), sends traffic into a
# host interface from a network namespace, and runs the same pfcount binary
# on "host:vpfr-demo0" in the guest. Prints the guest's statistics next to
# the host's counters. Needs root on Debian 12; installs its own packages;
# cleans up after itself.
#
#   scripts/demo.sh [PACKETS] [RATE_PPS]      (default 200000 at 20000 pps)
#   BUILD=build  DEMO_KEEP=1 keeps the logs
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-200000}
RATE=${2:-20000}
B=$(realpath -m "${BUILD:-$ROOT/build}")
VM=$ROOT/scripts/vm
IF=vpfr-demo0
NS=vpfr-demo$$
G_BUILD=/vpfr/build
WORK=$(mktemp -d /tmp/vpfr-demo.XXXXXX)
VNPLUGD_PID=""

case "$N$RATE" in *[!0-9]*) echo "usage: scripts/demo.sh [PACKETS] [RATE_PPS]" >&2; exit 2 ;; esac

cleanup() {
	[ -n "$VNPLUGD_PID" ] && kill "$VNPLUGD_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null || true
	ip link del "$IF" 2>/dev/null || true
	if [ "${DEMO_KEEP:-0}" = 1 ]; then echo "logs: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
step() { echo "== $*"; }

step "packages"
EXTRA_PKGS="busybox-static" "$ROOT/scripts/deps.sh"
step "building libpfring, pfcount, pfsend, vnplugd"
make -s -C "$ROOT" -j2 O="$B" lib tools "$B/bin/vnplugd" >"$WORK/make.log" 2>&1 ||
	{ tail -n 30 "$WORK/make.log"; exit 1; }
step "building QEMU with the vNPlug devices (cached under /var/cache/vpfring)"
QEMU_BIN=$("$ROOT/host/qemu-vnplug/build.sh" 2>"$WORK/qemu.log") ||
	{ tail -n 30 "$WORK/qemu.log"; exit 1; }
step "the guest kernel and vnplug.ko"
eval "$("$VM/kernel.sh" 2>"$WORK/kernel.log")" || { tail -n 20 "$WORK/kernel.log"; exit 1; }
make -C "$ROOT/guest/vnplug-ko" KDIR="$KDIR" KMOD_OUT="$B/vnplug-ko" >"$WORK/ko.log" 2>&1 ||
	{ tail -n 30 "$WORK/ko.log"; exit 1; }

step "host interface $IF, fed from namespace $NS"
ip netns add "$NS"
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add "$IF" type veth peer name vpfr-demo1 netns "$NS"
sysctl -qw "net.ipv6.conf.$IF.disable_ipv6=1"
ip link set "$IF" up
ip -n "$NS" link set vpfr-demo1 up

step "vnplugd: VM 'demo' may capture $IF"
cat >"$WORK/vnplugd.conf" <<EOF
[global]
socket_dir = $WORK
log_level = info

[vm demo]
interfaces = $IF
max_rings = 2
max_ring_memory = 64M
EOF
"$B/bin/vnplugd" -c "$WORK/vnplugd.conf" >"$WORK/vnplugd.log" 2>&1 &
VNPLUGD_PID=$!
for _ in $(seq 50); do [ -S "$WORK/demo.sock" ] && break; sleep 0.1; done
[ -S "$WORK/demo.sock" ] || { cat "$WORK/vnplugd.log"; exit 1; }

# The guest: load vnplug.ko, capture host:IF with pfcount until the burst
# has passed, print pfcount's report.
cat >"$WORK/guest.sh" <<EOF
#!/bin/sh
insmod /lib/vpfr/vnplug.ko
i=0
while [ "\$(cat /sys/class/misc/vnplug-ctrl/backend)" != connected ] && [ \$i -lt 300 ]; do
	sleep 0.1; i=\$((i + 1))
done
echo "guest# pfcount -i host:$IF -n $N -d $((N / RATE + 60))"
$G_BUILD/bin/pfcount -i host:$IF -n $N -d $((N / RATE + 60)) -t 5 >/tmp/pc 2>&1 &
while ! ls /dev/vnplug[0-9]* >/dev/null 2>&1; do sleep 0.1; done
echo "@@DEMO send@@"
wait
sed 's/^/guest| /' /tmp/pc
echo "ok 1 - demo"
EOF
"$VM/initramfs.sh" "$WORK/demo.cpio.gz" --modules virtio_pci --script "$WORK/guest.sh" \
	--add "$B/vnplug-ko/vnplug.ko:/lib/vpfr/vnplug.ko" \
	--add "$B/lib/libpfring.so.1:$G_BUILD/lib/libpfring.so.1" \
	--add "$B/bin/pfcount:$G_BUILD/bin/pfcount" >"$WORK/initramfs.log" 2>&1 ||
	{ tail -n 20 "$WORK/initramfs.log"; exit 1; }

step "booting the guest (-device vnplug-ctrl on vnplugd's socket)"
QEMU=$QEMU_BIN "$VM/run.sh" --initrd "$WORK/demo.cpio.gz" --timeout $((N / RATE + 600)) \
	--mem 768 --expect 1 --log "$WORK/console.log" -- \
	-machine pc -chardev "socket,id=vnp,path=$WORK/demo.sock,reconnect=1" \
	-device vnplug-ctrl,chardev=vnp >"$WORK/run.out" 2>&1 &
RUN=$!
while kill -0 $RUN 2>/dev/null && ! grep -q '@@DEMO send@@' "$WORK/console.log" 2>/dev/null; do
	sleep 0.2
done
RX0=$(cat "/sys/class/net/$IF/statistics/rx_packets")
step "host: pfsend -n $N -p $RATE -l 64 -F 64 into $IF"
ip netns exec "$NS" "$B/bin/pfsend" -i vpfr-demo1 -n "$N" -p "$RATE" -l 64 -F 64 -q 2>&1 |
	sed 's/^/host| /'
RX1=$(cat "/sys/class/net/$IF/statistics/rx_packets")
wait $RUN || true
echo
echo "== the guest's pfcount on host:$IF"
tr -d '\r' <"$WORK/console.log" | grep -E '^(guest\||guest#)' | sed 's/^guest| //'
echo
echo "== the host's counters"
echo "$IF received $((RX1 - RX0)) packets while pfsend ran"
grep "vm demo session" "$WORK/vnplugd.log"
grep -q "^ok 1 - demo" <(tr -d '\r' <"$WORK/console.log") ||
	{ echo "the guest did not finish; its console:"; tail -n 40 "$WORK/console.log"; exit 1; }
