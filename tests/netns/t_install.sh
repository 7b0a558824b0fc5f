#!/bin/bash
# make install gives a usable library: versioned shared object exporting
# only pfring_*, static library, header, pkg-config file, tools and man
# pages; a PF_RING 5.x application builds against it unchanged and runs.
# The host side installs too: vnplugd with its systemd unit (checked by
# systemd-analyze verify), vnplug-virt and the libvirt hook.
. "$(dirname "$0")/lib.sh"
plan 12

D=$TMP/root
make -s -C "$ROOT" O="$B" install DESTDIR="$D" PREFIX=/opt/vpfr >"$TMP/install.log" 2>&1
check "make install succeeds" 0 $?
tail -n 5 "$TMP/install.log" | sed 's/^/#   /'
L=$D/opt/vpfr/lib
check "libpfring.so.1 is the soname link" "libpfring.so.0.1.0" "$(readlink "$L/libpfring.so.1")"
check "static library and pkg-config file" "ok" \
	"$([ -f "$L/libpfring.a" ] && [ -f "$L/pkgconfig/libpfring.pc" ] && echo ok)"
check "tools and man pages" "ok" \
	"$([ -x "$D/opt/vpfr/bin/pfcount" ] && [ -x "$D/opt/vpfr/bin/pfsend" ] && [ -x "$D/opt/vpfr/bin/pfdump" ] &&
	   [ -f "$D/opt/vpfr/share/man/man8/pfcount.8" ] && [ -f "$D/opt/vpfr/share/man/man3/pfring.3" ] && echo ok)"
check "only pfring_* is exported" "" \
	"$(nm -D --defined-only "$L/libpfring.so.1" | awk '$2 ~ /[TDBR]/ && $3 !~ /^pfring_/ {print $3}' | grep -v '^LIBPFRING' | tr '\n' ' ')"

export PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_PATH=$L/pkgconfig
cc -Wall -Werror -o "$TMP/pf5_app" "$ROOT/tests/install/pf5_app.c" \
	$(pkg-config --cflags --libs libpfring) >"$TMP/cc.log" 2>&1
check "a PF_RING 5.x application compiles unchanged (-Wall -Werror)" 0 $?
sed 's/^/#   /' "$TMP/cc.log" | head -5
"$PROGS/mkpcap" mix "$TMP/mix.pcap" >/dev/null
LD_LIBRARY_PATH=$L "$TMP/pf5_app" "pcap:$TMP/mix.pcap" >"$TMP/app.out" 2>&1
check "it runs: rules forward port-80 TCP only" "pkts=200" "$(grep -o 'pkts=[0-9]*' "$TMP/app.out")"
check "it reports the PF_RING version" "Using PF_RING v.5.6.2" "$(grep -o 'Using PF_RING v.[0-9.]*' "$TMP/app.out")"

P=$D/opt/vpfr
check "vnplugd, vnplug-virt, their man pages and the example configuration" "ok" \
	"$([ -x "$P/sbin/vnplugd" ] && [ -x "$P/sbin/vnplug-virt" ] &&
	   [ -f "$P/share/man/man8/vnplugd.8" ] && [ -f "$P/share/man/man8/vnplug-virt.8" ] &&
	   [ -f "$P/share/doc/vpfring/vnplugd.conf.example" ] && echo ok)"
check "the libvirt hook runs the installed vnplug-virt" "exec /opt/vpfr/sbin/vnplug-virt hook \"\$@\"" \
	"$([ -x "$P/share/vpfring/libvirt-hook" ] && grep '^exec ' "$P/share/vpfring/libvirt-hook")"
check "the systemd unit starts and reloads the installed vnplugd" "ok" \
	"$(grep -q '^ExecStart=/opt/vpfr/sbin/vnplugd -c /etc/vnplug/vnplugd.conf$' "$P/lib/systemd/system/vnplugd.service" &&
	   grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$P/lib/systemd/system/vnplugd.service" && echo ok)"
# systemd-analyze verify checks the unit's directives, that its commands
# exist and are executable and that its man page is there: run on a copy
# whose paths point into DESTDIR.
sed "s|/opt/vpfr/|$P/|g" "$P/lib/systemd/system/vnplugd.service" >"$TMP/vnplugd.service"
MANPATH=$P/share/man systemd-analyze verify "$TMP/vnplugd.service" >"$TMP/verify.log" 2>&1
check "systemd-analyze verify accepts the unit" 0 $?
sed 's/^/#   /' "$TMP/verify.log" | head -5
