# shellcheck shell=bash
# The libvirt phase of tests/e2e/run.sh, which sources this file and
# provides ok, not_ok, comment, send, act_on_markers, fd_count, WORK, B,
# QEMU_BIN, KERNEL, G_BUILD and the scenarios' counts.
#
# Debian's libvirt daemon (installed by run.sh) runs in a mount namespace of
# its own, where $LV's directories stand in for /etc/libvirt, /run/libvirt,
# /var/lib/libvirt, /var/log/libvirt and /var/cache/libvirt: the host's
# libvirt configuration (if any) is neither read nor changed. Its qemu.conf
# is fit for this machine: TCG domains, no cgroups, no private /dev, no
# security driver; QEMU runs as Debian's libvirt-qemu user, so vnplugd's
# socket ownership is what lets it in. vnplug-virt's hook is installed as
# hooks/qemu.d/vnplug; vnplugd (started here with include_dir and no VM)
# creates the domain's socket when the hook writes its file.
#
# The test: vnplug-virt adds the vnplug pieces to a plain domain XML;
# virsh defines and starts it; tests/e2e/guest_libvirt.sh in the guest
# captures host:vpe0 with pfcount and pfdump (exact counts) and leaves a
# capture running; virsh destroy; vnplugd must have closed the session,
# removed the socket and be back to its descriptor count. Then the
# refusals: bad XML to vnplug-virt, and a domain whose hook clashes with a
# VM of vnplugd.conf, which virsh start refuses with the hook's message.

LV_DOM=vpfr-lv1
LV_PLAN=$(sed -n 's/^PLAN=\([0-9]*\)$/\1/p' "$ROOT/tests/e2e/guest_libvirt.sh")
LV=""
LV_PID=""
LV_VNPLUGD_PID=""


lv_cleanup() {
	local pidf
	if [ -n "$LV" ]; then
		for pidf in "$LV"/run/qemu/*.pid; do
			[ -f "$pidf" ] && kill -KILL "$(cat "$pidf")" 2>/dev/null
		done
	fi
	[ -n "$LV_PID" ] && kill -TERM "$LV_PID" 2>/dev/null
	[ -n "$LV_VNPLUGD_PID" ] && kill -KILL "$LV_VNPLUGD_PID" 2>/dev/null
	# reaped here, so that the shell does not report them killed
	wait $LV_PID $LV_VNPLUGD_PID 2>/dev/null
	LV_PID="" LV_VNPLUGD_PID=""
}

# Debian's libvirt-daemon-system would create QEMU's user and group (and
# pull in systemd as init); the daemon alone refuses to start without them.
lv_users() {
	getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu || return 1
	id libvirt-qemu >/dev/null 2>&1 ||
		useradd --system --no-create-home --home-dir /var/lib/libvirt \
			--shell /usr/sbin/nologin -g libvirt-qemu libvirt-qemu
}

lv_write_config() {
	mkdir -p "$LV"/{etc/hooks/qemu.d,run,lib,log,cache} "$WORK/lvsock" "$WORK/vnplugd.d" &&
		chmod 0755 "$LV" "$WORK/lvsock" || return 1
	cat >"$LV/etc/qemu.conf" <<-EOF
	user = "libvirt-qemu"
	group = "libvirt-qemu"
	dynamic_ownership = 0
	remember_owner = 0
	security_driver = "none"
	cgroup_controllers = [ ]
	namespaces = [ ]
	stdio_handler = "file"
	EOF
	cat >"$LV/etc/libvirtd.conf" <<-EOF
	unix_sock_group = "root"
	unix_sock_rw_perms = "0700"
	auth_unix_rw = "none"
	auth_unix_ro = "none"
	EOF
	# The hook as docs/operators-guide.md installs it, with this test's
	# vnplugd configuration.
	cat >"$LV/etc/hooks/qemu.d/vnplug" <<-EOF
	#!/bin/sh
	exec $B/bin/vnplug-virt hook -c $WORK/lv-vnplugd.conf "\$@"
	EOF
	chmod 0755 "$LV/etc/hooks/qemu.d/vnplug"
	# No VM at start; "lvclash" is there for the clash below.
	cat >"$WORK/lv-vnplugd.conf" <<-EOF
	[global]
	socket_dir = $WORK/lvsock
	include_dir = $WORK/vnplugd.d
	ping_interval = 2
	guest_timeout = 60
	log_level = debug

	[vm vpfr-lvclash]
	interfaces = vpe0
	EOF
}

lv_start_vnplugd() {
	local i
	"$B/bin/vnplugd" -c "$WORK/lv-vnplugd.conf" >>"$WORK/lv-vnplugd.log" 2>&1 &
	LV_VNPLUGD_PID=$!
	for i in $(seq 50); do
		[ -S "$WORK/lvsock/vpfr-lvclash.sock" ] && return 0
		sleep 0.1
	done
	tail -n 20 "$WORK/lv-vnplugd.log" | comment
	return 1
}

lv_start_libvirtd() {
	local i
	cat >"$LV/start" <<-EOF
	#!/bin/sh
	set -e
	mount --make-rprivate /
	for d in etc:/etc/libvirt run:/run/libvirt lib:/var/lib/libvirt \\
		log:/var/log/libvirt cache:/var/cache/libvirt; do
		mkdir -p "\${d#*:}"
		mount --bind "$LV/\${d%%:*}" "\${d#*:}"
	done
	exec libvirtd -f /etc/libvirt/libvirtd.conf -p /run/libvirt/libvirtd.pid
	EOF
	chmod 0755 "$LV/start"
	unshare --mount "$LV/start" >"$WORK/libvirtd.log" 2>&1 &
	LV_PID=$!
	for i in $(seq 100); do
		virsh version >/dev/null 2>&1 && return 0
		kill -0 "$LV_PID" 2>/dev/null || break
		sleep 0.2
	done
	tail -n 20 "$WORK/libvirtd.log" | comment
	return 1
}

lv_initrd() {
	local env=$WORK/lv.env
	{
		printf "BUILD=%s\nVNPLUG_KO=/lib/vpfr/vnplug.ko\n" "$G_BUILD"
		printf "PLAIN_N=%s\nMIX_DNS=%s\n" $PLAIN_N $MIX_DNS
	} >"$env"
	"$VM/initramfs.sh" "$LV/guest.cpio.gz" --modules "virtio_pci" \
		--script "$ROOT/tests/e2e/guest_libvirt.sh" \
		--add "$env:/etc/vpfr-vm.env" \
		--add "$ROOT/tests/e2e/guest_lib.sh:/etc/vpfr-guest-lib.sh" \
		--add "$B/vnplug-ko/vnplug.ko:/lib/vpfr/vnplug.ko" \
		--add "$B/lib/libpfring.so.1:$G_BUILD/lib/libpfring.so.1" \
		--add "$B/bin/pfcount:$G_BUILD/bin/pfcount" \
		--add "$B/bin/pfdump:$G_BUILD/bin/pfdump" \
		>>"$WORK/initramfs.log" 2>&1 && chmod 0644 "$LV/guest.cpio.gz" && return 0
	tail -n 20 "$WORK/initramfs.log" | comment
	return 1
}

# lv_domain NAME: a plain TCG domain booting the test kernel, as an
# operator's existing definition would be, before vnplug-virt.
lv_domain() {
	cat <<-EOF
	<domain type='qemu'>
	  <name>$1</name>
	  <!-- an existing definition: vnplug-virt adds to it, changes nothing else -->
	  <description>vPF_RING libvirt test domain</description>
	  <memory unit='MiB'>768</memory>
	  <vcpu>1</vcpu>
	  <os>
	    <type arch='x86_64'>hvm</type>
	    <kernel>$KERNEL</kernel>
	    <initrd>$LV/guest.cpio.gz</initrd>
	    <cmdline>console=ttyS0 panic=-1 quiet</cmdline>
	  </os>
	  <on_poweroff>destroy</on_poweroff>
	  <on_reboot>destroy</on_reboot>
	  <on_crash>destroy</on_crash>
	  <devices>
	    <serial type='file'>
	      <source path='$LV/$1.console'/>
	      <target port='0'/>
	    </serial>
	    <memballoon model='none'/>
	  </devices>
	</domain>
	EOF
}

# lv_expect DESC CODE PATTERN CMD...: exit status CODE, output matching PATTERN
lv_expect() {
	local desc=$1 code=$2 pat=$3 rc
	shift 3
	"$@" >"$WORK/lv-expect.out" 2>&1
	rc=$?
	if [ "$rc" -eq "$code" ] && grep -qE -- "$pat" "$WORK/lv-expect.out"; then
		ok "$desc"
		comment <"$WORK/lv-expect.out" | head -n 2
	else
		not_ok "$desc (status $rc)"
		comment <"$WORK/lv-expect.out" | head -n 10
	fi
}

# lv_attach NAME: an existing domain NAME (defined here from lv_domain)
# gets the vnplug pieces as docs/operators-guide.md says: its XML as libvirt
# gives it, vnplug-virt attach, virsh define.
lv_attach() {
	lv_domain "$1" >"$LV/$1.base.xml" &&
		virsh define "$LV/$1.base.xml" >/dev/null &&
		virsh dumpxml "$1" >"$LV/$1.dumped.xml" &&
		"$B/bin/vnplug-virt" attach --emulator "$QEMU_BIN" --socket-dir "$WORK/lvsock" \
			--interfaces vpe0 --max-rings 4 --max-ring-memory 64M \
			-o "$LV/$1.xml" "$LV/$1.dumped.xml" &&
		virsh define "$LV/$1.xml"
}

# lv_guest_results LOG: the guest's TAP lines from its console
lv_guest_results() {
	local out n
	out=$(tr -d '\r' <"$1" | grep -E '^(not )?ok [0-9]+')
	guest_results libvirt "$out"
	n=$(grep -cE '^(not )?ok ' <<<"$out")
	[ "$n" -eq "$LV_PLAN" ] || not_ok "[libvirt] the guest printed $n of $LV_PLAN results"
	if grep -qE 'Kernel panic|Oops|BUG:|WARNING:|Call Trace' "$1"; then
		not_ok "[libvirt] the guest's kernel reported a problem"
		grep -E -A 5 'Kernel panic|Oops|BUG:|WARNING:|Call Trace' "$1" | head -n 30 | comment
	fi
}

# lv_wait_for WHAT SECONDS CMD...: CMD succeeds within SECONDS
lv_wait_for() {
	local i n=$(($2 * 10))
	shift 2
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# lv_dump_shows VM PATTERN...: vnplugd's last SIGUSR1 dump of VM has a
# line matching each PATTERN
lv_dump_shows() {
	local vm=$1 block p
	shift
	block=$(awk -v h="vm $vm: socket" 'index($0, h) { b = ""; on = 1 }
		on && /counters:/ { b = b $0 "\n"; on = 0; last = b } on { b = b $0 "\n" }
		END { printf "%s", last }' "$WORK/lv-vnplugd.log")
	for p in "$@"; do
		grep -qE -- "$p" <<<"$block" || return 1
	done
}

run_libvirt() {
	local sock fds0 waiter console
	LV=$WORK/lv
	export LIBVIRT_DEFAULT_URI="qemu:///system?socket=$LV/run/libvirt-sock"
	EXTRA_PKGS="libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86" \
		"$ROOT/scripts/deps.sh" >>"$WORK/deps.log" 2>&1 ||
		{ tail -n 20 "$WORK/deps.log" | comment; not_ok "[libvirt] Debian's libvirt packages"; return 1; }
	lv_users || { not_ok "[libvirt] QEMU's user and group libvirt-qemu"; return 1; }
	chmod 0711 "$WORK"
	lv_write_config || { not_ok "[libvirt] configuration"; return 1; }
	lv_initrd || { not_ok "[libvirt] the guest's initramfs"; return 1; }
	if ! lv_start_vnplugd; then
		not_ok "[libvirt] vnplugd starts with include_dir and no domain"
		return 1
	fi
	fds0=$(fd_count "$LV_VNPLUGD_PID")
	if ! lv_start_libvirtd; then
		not_ok "[libvirt] libvirtd starts (private /etc/libvirt, TCG domains)"
		lv_cleanup
		return 1
	fi
	ok "[libvirt] libvirtd starts (private /etc/libvirt, TCG domains)"

	sock=$WORK/lvsock/$LV_DOM.sock
	console=$LV/$LV_DOM.console
	lv_expect "[libvirt] vnplugd --check-config shows include_dir" 0 "$WORK/vnplugd.d" \
		"$B/bin/vnplugd" --check-config -c "$WORK/lv-vnplugd.conf"
	lv_expect "[libvirt] a defined domain's XML, with vnplug-virt attach's pieces, defines it anew" \
		0 "defined" lv_attach "$LV_DOM"
	lv_expect "[libvirt] the defined domain keeps the vnplug metadata and device" 0 \
		"vnplug-ctrl,chardev=vnplug0" virsh dumpxml "$LV_DOM"
	if [ -e "$sock" ]; then not_ok "[libvirt] no socket before the domain starts"; else
		ok "[libvirt] no socket before the domain starts"; fi

	lv_expect "[libvirt] virsh start" 0 "started" virsh start "$LV_DOM"
	if [ -S "$sock" ]; then
		ok "[libvirt] the hook had vnplugd create the domain's socket before QEMU started"
	else
		not_ok "[libvirt] the hook had vnplugd create the domain's socket before QEMU started"
		tail -n 20 "$WORK/lv-vnplugd.log" | comment
	fi
	if [ "$(stat -c %U:%G:%a "$sock" 2>/dev/null)" = libvirt-qemu:libvirt-qemu:660 ]; then
		ok "[libvirt] the socket belongs to QEMU's user and group, mode 0660"
	else
		not_ok "[libvirt] the socket's owner and mode: $(stat -c %U:%G:%a "$sock" 2>&1)"
	fi

	# The guest runs its checks, asking for traffic; it ends with a
	# capture running.
	(lv_wait_for capturing "$TIMEOUT" grep -q '@@E2E capturing@@' "$console") &
	waiter=$!
	act_on_markers "$waiter" "$console"
	wait "$waiter"
	lv_guest_results "$console"
	if grep -q '@@E2E capturing@@' "$console"; then
		kill -USR1 "$LV_VNPLUGD_PID"
		if lv_wait_for dump 5 lv_dump_shows "$LV_DOM" "QEMU pid [0-9]+" \
			"sessions: 1:" "regions: 1 of max_rings 4"; then
			ok "[libvirt] vnplugd's state (SIGUSR1): the domain's QEMU, one session, one ring"
		else
			not_ok "[libvirt] vnplugd's state (SIGUSR1): the domain's QEMU, one session, one ring"
			grep -A 4 "vm $LV_DOM: socket" "$WORK/lv-vnplugd.log" | tail -n 5 | comment
		fi
	else
		not_ok "[libvirt] the guest reached its running capture"
		tail -n 30 "$console" | comment
	fi

	lv_expect "[libvirt] virsh destroy" 0 "destroyed" virsh destroy "$LV_DOM"
	if lv_wait_for closed 10 grep -q "vm $LV_DOM session [0-9]*: vpe0 closed" "$WORK/lv-vnplugd.log"; then
		ok "[libvirt] vnplugd closed the destroyed domain's capture"
	else
		not_ok "[libvirt] vnplugd closed the destroyed domain's capture"
	fi
	if lv_wait_for gone 5 test ! -e "$sock" && [ ! -e "$WORK/vnplugd.d/libvirt-$LV_DOM.conf" ]; then
		ok "[libvirt] the hook's release removed the domain from vnplugd, and its socket"
	else
		not_ok "[libvirt] the hook's release removed the domain from vnplugd, and its socket"
		ls -l "$WORK/vnplugd.d" "$WORK/lvsock" 2>&1 | comment
	fi
	fds_back_to "$fds0" "the domain was destroyed" "$LV_VNPLUGD_PID"
	lv_expect "[libvirt] virsh undefine" 0 "undefined" virsh undefine "$LV_DOM"

	# Refusals: bad XML to the tool, and a domain vnplugd.conf already has.
	printf '<domain type="qemu">\n  <name>broken</name>\n  <os>\n</domain>\n' >"$LV/bad.xml"
	lv_expect "[libvirt] vnplug-virt attach refuses XML that is not well-formed, naming the line" 1 \
		"bad.xml:[0-9]+" "$B/bin/vnplug-virt" attach --interfaces vpe0 -o "$LV/bad.out" "$LV/bad.xml"
	lv_attach vpfr-lvclash >/dev/null 2>&1
	lv_expect "[libvirt] virsh start of a domain vnplugd.conf already defines fails with the hook's reason" \
		1 "already defined" virsh start vpfr-lvclash
	virsh undefine vpfr-lvclash >/dev/null 2>&1
	if kill -0 "$LV_VNPLUGD_PID" 2>/dev/null; then
		ok "[libvirt] vnplugd runs on after the refused domain"
	else
		not_ok "[libvirt] vnplugd runs on after the refused domain"
	fi
	lv_cleanup
}
