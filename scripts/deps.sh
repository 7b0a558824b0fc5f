#!/bin/bash
# Installs the Debian 12 packages that building and testing vPF_RING need.
# Does nothing (and needs no network) when they are all present.
set -eu
PKGS="build-essential pkg-config clang llvm libbpf-dev libelf-dev zlib1g-dev
libpcap-dev check iproute2 procps kmod libclang-rt-14-dev python3
libxml2-dev libxml2-utils systemd man-db"
PKGS="$PKGS ${EXTRA_PKGS:-}"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
