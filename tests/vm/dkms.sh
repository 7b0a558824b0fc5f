#!/bin/bash
# Builds and installs pf_ring.ko for kernel KVER through DKMS, the way
# docs/operators-guide.md installs it on a host, and prints the installed
# module's path, which tests/vm/run.sh then loads in its guests: the
# module the VM tests run is the one DKMS built. The source in
# /usr/src/pf_ring-VERSION is replaced on every run (it is this tree's),
# and the module DKMS installed before for KVER is removed first.
#
#   tests/vm/dkms.sh KVER        (root; installs Debian's dkms if missing)
# Progress and DKMS's output go to stderr.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KVER=${1:?usage: tests/vm/dkms.sh KVER}
VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$ROOT/host/kmod/dkms.conf")
[ -n "$VERSION" ] || { echo "dkms.sh: no PACKAGE_VERSION in host/kmod/dkms.conf" >&2; exit 1; }
[ -d "/lib/modules/$KVER/build" ] ||
	{ echo "dkms.sh: no headers for $KVER (/lib/modules/$KVER/build)" >&2; exit 1; }

EXTRA_PKGS="dkms" "$ROOT/scripts/deps.sh" >&2
if dkms status "pf_ring/$VERSION" 2>/dev/null | grep -q .; then
	dkms remove "pf_ring/$VERSION" --all >&2
fi
rm -rf "/usr/src/pf_ring-$VERSION"
# dkms-src stages the sources in a scratch build directory first
stage=$(mktemp -d /tmp/vpfr-dkms.XXXXXX)
trap 'rm -rf "$stage"' EXIT
make -C "$ROOT/host/kmod" dkms-src KMOD_OUT="$stage" >&2
dkms install "pf_ring/$VERSION" -k "$KVER" >&2
# What modprobe would load for KVER, with the guide's parameter.
line=$(modprobe --show-depends --set-version "$KVER" pf_ring min_num_slots=4096)
echo "dkms.sh: modprobe pf_ring -> $line" >&2
ko=$(sed -n 's/^insmod \([^ ]*pf_ring\.ko[^ ]*\) .*/\1/p' <<<"$line")
case "$ko" in
*/updates/dkms/pf_ring.ko) ;;
*) echo "dkms.sh: modprobe does not find DKMS's pf_ring.ko for $KVER: $line" >&2; exit 1 ;;
esac
[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$KVER" ] ||
	{ echo "dkms.sh: $ko is not built for $KVER" >&2; exit 1; }
echo "$ko"
