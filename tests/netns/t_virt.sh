#!/bin/bash
# vnplug-virt, the libvirt tool: attach adds exactly the vnplug pieces to
# a realistic domain XML (q35, disks, interfaces, comments, another
# application's metadata, other QEMU arguments) and changes nothing else;
# attaching twice equals attaching once; detach takes the pieces out and
# leaves the rest; every kind of bad input is refused with its reason;
# xml, hostdev and vfio-steps print what they should; the libvirt hook
# writes, checks and removes vnplugd's include_dir file, and with a real
# vnplugd the domain's socket comes and goes, leaving vnplugd's descriptor
# count as it was. No namespace, no libvirtd, no VM.
. "$(dirname "$0")/lib.sh"
plan 89

# VNPLUG_VIRT: another build of it (an ASan one, say)
V=${VNPLUG_VIRT:-$BIN/vnplug-virt}
DATA=$ROOT/tests/netns/data
Q35=$DATA/virt-q35.xml
QNS=http://libvirt.org/schemas/domain/qemu/1.0
VNS=http://vpfring.org/xmlns/vnplug/1
EMU=$TMP/qemu-vnplug
printf '#!/bin/sh\nexit 0\n' >"$EMU"
chmod 755 "$EMU"
# root exists everywhere; libvirt-qemu (the default) only with libvirt
OWNER=(--socket-owner root:root)

# expect_exit DESC CODE PATTERN CMD...: exit code and a message matching PATTERN
expect_exit() {
	local desc=$1 code=$2 pat=$3 rc
	shift 3
	"$@" >"$TMP/out" 2>&1; rc=$?
	if [ $rc -eq "$code" ] && grep -qE -- "$pat" "$TMP/out"; then ok "$desc"; else
		not_ok "$desc (exit $rc)"; sed 's/^/#   /' "$TMP/out" | head -5
	fi
}

# xp XPATH FILE: the XPath's value (xmllint)
xp() { xmllint --xpath "$1" "$2" 2>/dev/null; }

# same DESC A B: files A and B are byte for byte the same
same() {
	if cmp -s "$2" "$3"; then ok "$1"; else
		not_ok "$1"; diff "$2" "$3" | head -20 | sed 's/^/#   /'
	fi
}

# validate DESC FILE: libvirt's schema accepts FILE (virt-xml-validate)
validate() {
	if ! command -v virt-xml-validate >/dev/null; then
		ok "$1 # skip virt-xml-validate missing (libvirt-clients)"
	elif virt-xml-validate "$2" domain >"$TMP/val.out" 2>&1; then
		ok "$1"
	else
		not_ok "$1"; sed 's/^/#   /' "$TMP/val.out" | head -5
	fi
}

VMD="/domain/metadata/*[namespace-uri()='$VNS' and local-name()='vnplug']"
# md FILE KEY: a value of the vnplug metadata
md() { xp "string($VMD/*[local-name()='$2'])" "$1"; }
# args FILE: the values of every <qemu:arg>, one per line
args() {
	local q="//*[namespace-uri()='$QNS' and local-name()='arg']" n i
	n=$(xp "count($q)" "$1")
	for ((i = 1; i <= n; i++)); do xp "string(($q)[$i]/@value)" "$1"; done
}

# ---- command line ---------------------------------------------------------
expect_exit "--help" 0 "^Usage: vnplug-virt COMMAND" "$V" --help
expect_exit "attach --help" 0 "--interfaces LIST" "$V" attach --help
expect_exit "a bad flag is a usage error" 2 "bad option '--no-such-flag'" "$V" attach --no-such-flag
expect_exit "an unknown command is a usage error" 2 "unknown command 'frobnicate'" "$V" frobnicate
expect_exit "attach without --interfaces is a usage error" 2 "--interfaces is required" \
	"$V" attach -e "$EMU" "$Q35"
expect_exit "-i on standard input is a usage error" 2 "-i needs a FILE" \
	"$V" attach -i -I eth1 -e "$EMU" -

# ---- attach on a realistic q35 domain ---------------------------------------
A1=$TMP/a1.xml
"$V" attach --emulator "$EMU" --interfaces "eth1, eth2@*" --max-rings 4 --max-ring-memory 64M \
	"${OWNER[@]}" --socket-dir /run/vnplug "$Q35" >"$A1" 2>"$TMP/a1.err"
check "attach succeeds" 0 $?
if grep -q "machine 'pc-q35-7.2' replaced by 'pc'" "$TMP/a1.err" &&
	grep -q "PCI Express controllers" "$TMP/a1.err"; then
	ok "it says it replaced q35, and that q35's PCIe controllers must go"
else
	not_ok "it says it replaced q35, and that q35's PCIe controllers must go"
	sed 's/^/#   /' "$TMP/a1.err"
fi
check "machine pc" "pc" "$(xp 'string(/domain/os/type/@machine)' "$A1")"
check "<acpi/> added to <features>, which keeps its others" "1 3" \
	"$(xp 'count(/domain/features/acpi)' "$A1") $(xp 'count(/domain/features/*)' "$A1")"
check "<emulator> is the patched QEMU" "$EMU" "$(xp 'string(/domain/devices/emulator)' "$A1")"
check "the qemu namespace is declared once, on <domain>" "1" \
	"$(grep -c "xmlns:qemu='$QNS'" "$A1")"
check "the QEMU arguments: the domain's, then the chardev and vnplug-ctrl" \
	"-global ICH9-LPC.disable_s3=1 -chardev socket,id=vnplug0,path=/run/vnplug/web1.sock,reconnect=1 -device vnplug-ctrl,chardev=vnplug0" \
	"$(args "$A1" | tr '\n' ' ' | sed 's/ $//')"
check "<qemu:env> kept" "none" \
	"$(xp "string(//*[local-name()='env']/@value)" "$A1")"
check "vnplug metadata: interfaces" "eth1 eth2@*" "$(md "$A1" interfaces)"
check "vnplug metadata: limits and owner" "4 64M root root" \
	"$(md "$A1" max_rings) $(md "$A1" max_ring_memory) $(md "$A1" socket_user) $(md "$A1" socket_group)"
check "the other applications' metadata stays" "http://debian.org/debian/12 team-web" \
	"$(xp "string(//*[local-name()='os' and namespace-uri()='http://libosinfo.org/xmlns/libvirt/domain/1.0']/@id)" "$A1") $(xp "string(//*[local-name()='owner'])" "$A1")"
check "comments stay" "$(grep -c -- '<!--' "$Q35")" "$(grep -c -- '<!--' "$A1")"
check "the devices (disks, interfaces, controllers...) stay" \
	"$(xp 'count(/domain/devices/*)' "$Q35")" "$(xp 'count(/domain/devices/*)' "$A1")"
# Everything else unchanged: without the pieces detach removes, the output
# is the input with exactly the three edits that stay.
"$V" detach "$A1" >"$TMP/a1d.xml" 2>"$TMP/a1d.err"
sed -e "s|machine='pc-q35-7.2'|machine='pc'|" -e "s|<emulator>.*</emulator>|<emulator>$EMU</emulator>|" \
	-e 's|^    <apic/>$|    <acpi/>\n    <apic/>|' "$Q35" >"$TMP/q35-expected.xml"
same "attach changed nothing but the pieces (detach of it = input + machine, acpi, emulator)" \
	"$TMP/q35-expected.xml" "$TMP/a1d.xml"
"$V" attach --emulator "$EMU" --interfaces "eth1, eth2@*" --max-rings 4 --max-ring-memory 64M \
	"${OWNER[@]}" --socket-dir /run/vnplug "$A1" >"$TMP/a2.xml" 2>/dev/null
same "attaching twice gives the same bytes as once" "$A1" "$TMP/a2.xml"
"$V" attach --emulator "$EMU" --interfaces "eth3" "${OWNER[@]}" --socket-dir /srv/s "$A1" >"$TMP/a3.xml" 2>/dev/null
check "attaching again with other values replaces the pieces, never adds" \
	"eth3 1 1 /srv/s/web1.sock" \
	"$(md "$TMP/a3.xml" interfaces) $(xp "count($VMD)" "$TMP/a3.xml") $(args "$TMP/a3.xml" | grep -c vnplug-ctrl) $(args "$TMP/a3.xml" | sed -n 's/.*path=\([^,]*\),.*/\1/p')"
validate "libvirt's schema accepts the result" "$A1"
"$V" attach --emulator "$EMU" --interfaces eth1 "${OWNER[@]}" --reset-pci "$Q35" >"$TMP/r1.xml" 2>"$TMP/r1.err"
check "--reset-pci drops the PCI controllers and addresses, nothing else" "0 0 $(xp 'count(/domain/devices/*)' "$Q35")" \
	"$(xp "count(/domain/devices/controller[@type='pci'])" "$TMP/r1.xml") $(xp "count(/domain/devices/*/address[@type='pci'])" "$TMP/r1.xml") $(($(xp 'count(/domain/devices/*)' "$TMP/r1.xml") + 2))"
validate "libvirt's schema accepts the --reset-pci result" "$TMP/r1.xml"

# A plain domain: pieces created where libvirt puts them, and detach
# gives the input back byte for byte once <emulator>, pc and <acpi/> are
# there (they stay).
cat >"$TMP/plain.xml" <<EOF
<domain type='qemu'>
  <name>db.2</name>
  <memory unit='MiB'>768</memory>
  <os>
    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>
  </os>
  <features>
    <acpi/>
  </features>
  <devices>
    <emulator>$EMU</emulator>
  </devices>
</domain>
EOF
"$V" attach -e "$EMU" -I "ens*@[0-3]" "${OWNER[@]}" -s "$TMP/s" "$TMP/plain.xml" >"$TMP/p1.xml" 2>"$TMP/p1.err"
check "a versioned i440fx machine stays, without a word" "pc-i440fx-7.2 0" \
	"$(xp 'string(/domain/os/type/@machine)' "$TMP/p1.xml") $(wc -l <"$TMP/p1.err")"
check "new <metadata> after <name>, <qemu:commandline> last" "name metadata memory os features devices commandline" \
	"$(xp '/domain/*' "$TMP/p1.xml" | grep -o '^<[a-z:]*' | sed 's/^<\(qemu:\)\{0,1\}//' | tr '\n' ' ' | sed 's/ $//')"
"$V" detach "$TMP/p1.xml" >"$TMP/p1d.xml" 2>/dev/null
same "attach then detach gives the input back (metadata, commandline, xmlns:qemu gone)" "$TMP/plain.xml" "$TMP/p1d.xml"
validate "libvirt's schema accepts a plain domain with the pieces" "$TMP/p1.xml"

# The guide's command (docs/operators-guide.md), and the output options.
"$BIN/vnplug-virt" attach --emulator "$EMU" --interfaces "eth1" --max-rings 4 --max-ring-memory 64M \
	-o "$TMP/o1.xml" "${OWNER[@]}" "$TMP/plain.xml" 2>/dev/null
check "-o writes the file" "eth1 4 64M" \
	"$(md "$TMP/o1.xml" interfaces) $(md "$TMP/o1.xml" max_rings) $(md "$TMP/o1.xml" max_ring_memory)"
cp "$TMP/plain.xml" "$TMP/inplace.xml"
chmod 640 "$TMP/inplace.xml"
"$V" attach -i -e "$EMU" -I eth1 --max-rings 4 --max-ring-memory 64M "${OWNER[@]}" "$TMP/inplace.xml" 2>/dev/null
check "-i replaces the file (same content as -o, mode kept, no temporary left)" "same 640 1" \
	"$(cmp -s "$TMP/inplace.xml" "$TMP/o1.xml" && echo same) $(stat -c %a "$TMP/inplace.xml") $(find "$TMP" -maxdepth 1 -name 'inplace.xml*' | wc -l)"
"$V" detach -i "$TMP/inplace.xml" 2>/dev/null
same "detach -i" "$TMP/plain.xml" "$TMP/inplace.xml"

# ---- refusals -------------------------------------------------------------
D='<domain type="kvm"><name>a</name><os><type>hvm</type></os></domain>'
attach1() { "$V" attach -e "$EMU" -I eth1 "${OWNER[@]}" "$@"; }
printf '<domain type="qemu">\n  <name>broken</name>\n  <os>\n</domain>\n' >"$TMP/bad.xml"
expect_exit "refuses XML that is not well-formed, with libxml2's reason and the line" 1 \
	"bad.xml:4: not well-formed XML: .*mismatch" attach1 "$TMP/bad.xml"
expect_exit "refuses an empty input" 1 "empty|not well-formed" attach1 /dev/null
expect_exit "refuses a root that is not <domain>" 1 "<stdin>:1: the root element is <network>" \
	attach1 - <<<'<network><name>a</name></network>'
expect_exit "refuses a domain without <name>" 1 "has no <name>" \
	attach1 - <<<'<domain type="kvm"><os><type>hvm</type></os></domain>'
expect_exit "refuses a name vnplugd cannot take" 1 "'my vm' cannot be a vnplugd VM name" \
	attach1 - <<<'<domain type="kvm"><name>my vm</name><os><type>hvm</type></os></domain>'
expect_exit "refuses a 65-byte name" 1 "cannot be a vnplugd VM name" \
	attach1 - <<<"<domain type='kvm'><name>$(printf 'a%.0s' $(seq 65))</name><os><type>hvm</type></os></domain>"
expect_exit "refuses a domain that is not QEMU's" 1 "<domain type='xen'>: vnplug needs a QEMU domain" \
	attach1 - <<<'<domain type="xen"><name>a</name><os><type>hvm</type></os></domain>'
expect_exit "refuses a domain without <os><type>" 1 "no <os><type>" \
	attach1 - <<<'<domain type="kvm"><name>a</name></domain>'
expect_exit "refuses a socket path over 107 bytes" 1 "is 112 bytes, longer than the 107" \
	attach1 -s "/tmp/$(printf 'x%.0s' $(seq 100))" - <<<"$D"
expect_exit "refuses a socket path with a comma" 1 "has a comma" attach1 -s /tmp/a,b - <<<"$D"
expect_exit "refuses a relative socket directory" 1 "not an absolute path" attach1 -s run/vnplug - <<<"$D"
expect_exit "refuses a bad interface pattern, as vnplugd would" 1 "--interfaces: vnplugd would refuse it: interfaces: bad entry 'eth0:1'" \
	"$V" attach -e "$EMU" -I "eth0:1" "${OWNER[@]}" - <<<"$D"
expect_exit "refuses a '#' that vnplugd.conf would take for a comment" 1 "'#'" \
	"$V" attach -e "$EMU" -I "eth0 #eth1" "${OWNER[@]}" - <<<"$D"
expect_exit "refuses a bad size" 1 "--max-ring-memory: .*bad size '12Q'" attach1 --max-ring-memory 12Q - <<<"$D"
expect_exit "refuses a bad number" 1 "--max-rings: .*bad number '5000'" attach1 --max-rings 5000 - <<<"$D"
expect_exit "refuses an unknown user" 1 "unknown user 'nosuchuser9'" \
	"$V" attach -e "$EMU" -I eth1 --socket-owner nosuchuser9:root - <<<"$D"
expect_exit "refuses a --socket-owner without a group" 2 "expected USER:GROUP" \
	"$V" attach -e "$EMU" -I eth1 --socket-owner root - <<<"$D"
expect_exit "refuses a DOCTYPE" 1 "DOCTYPE" attach1 - <<<'<!DOCTYPE domain [<!ENTITY x "y">]><domain type="kvm"><name>a</name><os><type>hvm</type></os></domain>'

# ---- detach ---------------------------------------------------------------
check "detach keeps the other QEMU arguments, their namespace and the other metadata" \
	"-global ICH9-LPC.disable_s3=1 1 2 0" \
	"$(args "$TMP/a1d.xml" | tr '\n' ' ' | sed 's/ $//') $(grep -c "xmlns:qemu=" "$TMP/a1d.xml") $(xp 'count(/domain/metadata/*)' "$TMP/a1d.xml") $(xp "count($VMD)" "$TMP/a1d.xml")"
expect_exit "detach of a domain without vnplug says so, exit 0" 0 "no vnplug pieces" "$V" detach "$Q35"
"$V" detach "$Q35" >"$TMP/d0.xml" 2>/dev/null
same "... and writes it unchanged" "$Q35" "$TMP/d0.xml"
expect_exit "detach --help says what stays" 0 "stay as they are" "$V" detach --help

# ---- xml ------------------------------------------------------------------
"$V" xml --name web9 -I "eth1 eth2@*" -e "$EMU" "${OWNER[@]}" >"$TMP/x1.xml" 2>/dev/null
check "xml prints every piece" "pc 1 $EMU eth1 eth2@* socket,id=vnplug0,path=/run/vnplug/web9.sock,reconnect=1" \
	"$(xp 'string(/domain/os/type/@machine)' "$TMP/x1.xml") $(xp 'count(/domain/features/acpi)' "$TMP/x1.xml") $(xp 'string(/domain/devices/emulator)' "$TMP/x1.xml") $(md "$TMP/x1.xml" interfaces) $(args "$TMP/x1.xml" | sed -n 2p)"
if getent passwd libvirt-qemu >/dev/null && getent group libvirt-qemu >/dev/null; then
	expect_exit "xml's default socket owner is libvirt-qemu:libvirt-qemu" 0 \
		"<vnplug:socket_user>libvirt-qemu</vnplug:socket_user>" "$V" xml --name web9 -I eth1
else
	expect_exit "xml's default owner libvirt-qemu is checked like vnplugd would (no such user here)" 1 \
		"unknown user 'libvirt-qemu'" "$V" xml --name web9 -I eth1
fi
expect_exit "xml without --name is a usage error" 2 "--name is required" "$V" xml -I eth1

# ---- hostdev, vfio-steps --------------------------------------------------
"$V" hostdev 03:00.0 >"$TMP/h1.xml"
cat >"$TMP/h1.expected" <<'EOF'
<hostdev mode='subsystem' type='pci' managed='yes'>
  <source>
    <address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/>
  </source>
</hostdev>
EOF
same "hostdev prints the <hostdev> of a PCI device" "$TMP/h1.expected" "$TMP/h1.xml"
check "hostdev --managed no, domain and hex digits as given" "no 0x00af 0xaf 0x1f 0x7" \
	"$("$V" hostdev --managed no 00AF:af:1F.7 | xmllint --xpath 'concat(/hostdev/@managed, " ", //address/@domain, " ", //address/@bus, " ", //address/@slot, " ", //address/@function)' -)"
bad=""
for a in 03:20.0 3:00.0 0000:03:00.8 00000:03:00.0 03:00.0x gg:00.0 03-00.0 "" 0000:03:00; do
	"$V" hostdev "$a" >"$TMP/out" 2>&1
	rc=$?
	[ $rc -eq 1 ] && grep -q "bad PCI address" "$TMP/out" || bad="$bad '$a'($rc)"
done
check "hostdev refuses every malformed address" "" "$bad"
expect_exit "hostdev --managed maybe is a usage error" 2 "expected yes or no" "$V" hostdev --managed maybe 03:00.0
"$V" vfio-steps 0000:03:00.1 >"$TMP/vfio.sh"
n=0
for p in '^modprobe vfio-pci$' '/sys/kernel/iommu_groups' '^ls /sys/bus/pci/devices/0000:03:00.1/iommu_group/devices$' \
	'^echo vfio-pci > /sys/bus/pci/devices/0000:03:00.1/driver_override$' '/driver/unbind' \
	'^echo 0000:03:00.1 > /sys/bus/pci/drivers_probe$' '^# echo 0000:03:00.1 > /sys/bus/pci/drivers/vfio-pci/unbind$' \
	"managed='yes'"; do
	grep -qE -- "$p" "$TMP/vfio.sh" && n=$((n + 1))
done
check "vfio-steps prints the binding, the IOMMU checks, the undo and libvirt's way" 8 "$n"
check_cmd "vfio-steps prints valid shell" sh -n "$TMP/vfio.sh"
expect_exit "vfio-steps refuses a bad address" 1 "bad PCI address '03:00'" "$V" vfio-steps 03:00

# ---- the libvirt hook, without vnplugd -------------------------------------
H=$TMP/hook
mkdir -p "$H/inc" "$H/sock"
cat >"$H/vnplugd.conf" <<EOF
[global]
socket_dir = $H/sock
include_dir = $H/inc

[vm byhand]
interfaces = eth0
EOF
printf '[global]\nsocket_dir = %s\n\n[vm x]\n' "$H/sock" >"$H/noinc.conf"
# dom NAME [ATTACH OPTIONS]: NAME's XML with the vnplug pieces
dom() {
	local n=$1
	shift
	sed "s|<name>db.2</name>|<name>$n</name>|" "$TMP/plain.xml" |
		"$V" attach -e "$EMU" -I "eth1 eth2@*" --max-rings 3 "${OWNER[@]}" -s "$H/sock" "$@" - 2>/dev/null
}
dom web1 >"$H/web1.xml"
hook() { "$V" hook -c "$H/vnplugd.conf" "$@"; }

expect_exit "hook: a vnplugd.conf without include_dir is an error" 1 "sets no include_dir" \
	"$V" hook -c "$H/noinc.conf" web1 prepare begin - <"$H/web1.xml"
hook db.2 prepare begin - <"$TMP/plain.xml" >"$TMP/out" 2>&1
check "hook: a domain without vnplug metadata: nothing, silently" "0  0" \
	"$? $(cat "$TMP/out") $(find "$H/inc" -type f | wc -l)"
hook web1 prepare begin - <"$H/web1.xml" >"$TMP/out" 2>&1
check "hook prepare: exit 0 without vnplugd" 0 $?
check "... with a warning" 1 "$(grep -c "vnplugd did not create $H/sock/web1.sock within 5 s: is it running?" "$TMP/out")"
cat >"$TMP/web1.expected" <<EOF
# Written by vnplug-virt's libvirt hook for domain web1, from its <metadata>;
# removed when the domain stops. Change the domain (virsh edit web1), not this file.
[vm web1]
socket = $H/sock/web1.sock
interfaces = eth1 eth2@*
max_rings = 3
max_ring_memory = 256M
socket_user = root
socket_group = root
socket_mode = 0660
EOF
same "hook prepare writes libvirt-web1.conf" "$TMP/web1.expected" "$H/inc/libvirt-web1.conf"
check "... and leaves no temporary file" "libvirt-web1.conf" "$(find "$H/inc" -mindepth 1 -printf '%f ' | sed 's/ $//')"
check_cmd "vnplugd takes the configuration with it" "$BIN/vnplugd" --check-config -c "$H/vnplugd.conf"
# A socket file stands in for vnplugd's, so the hook does not wait.
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$H/sock/web1.sock"
hook web1 reconnect begin - <"$H/web1.xml" >"$TMP/out" 2>&1
check "hook reconnect: the domain's own file is no clash" "0 " "$? $(cat "$TMP/out")"
dom byhand >"$H/byhand.xml"
expect_exit "hook: a domain named like a VM of vnplugd.conf is refused" 1 \
	"VM 'byhand' is already defined in $H/vnplugd.conf:5" hook byhand prepare begin - <"$H/byhand.xml"
dom other -s "$H/sock" | sed "s|$H/sock/other.sock|$H/sock/byhand.sock|" >"$H/other.xml"
expect_exit "hook: a domain on another VM's socket is refused" 1 \
	"socket $H/sock/byhand.sock is already VM 'byhand''s" hook other prepare begin - <"$H/other.xml"
sed 's|<vnplug:interfaces>.*</vnplug:interfaces>|<vnplug:interfaces>eth0:1</vnplug:interfaces>|' \
	"$H/web1.xml" | sed 's/web1/web2/g' >"$H/web2.xml"
expect_exit "hook: metadata vnplugd would refuse is refused, naming the element" 1 \
	"<vnplug:interfaces>: vnplugd would refuse it: interfaces: bad entry 'eth0:1'" \
	hook web2 prepare begin - <"$H/web2.xml"
check "... and the refused domains left no file" "libvirt-web1.conf" "$(find "$H/inc" -mindepth 1 -printf '%f ' | sed 's/ $//')"
expect_exit "hook: DOMAIN must be the XML's domain" 1 "domain 'web1's, not 'web3's" \
	hook web3 prepare begin - <"$H/web1.xml"
hook web1 started begin - <"$H/web2.xml" >"$TMP/out" 2>&1
check "hook: other operations do nothing" "0 " "$? $(cat "$TMP/out")"
hook web1 release end - <"$H/web1.xml" >"$TMP/out" 2>&1
check "hook release removes the file" "0 0" "$? $(find "$H/inc" -type f | wc -l)"
hook web1 release end - <"$H/web1.xml" >"$TMP/out" 2>&1
check "hook release of a released domain: nothing to do" "0 " "$? $(cat "$TMP/out")"
expect_exit "hook without its four arguments is a usage error" 2 "missing argument" hook web1 prepare
rm -f "$H/sock/web1.sock"

# ---- the hook with vnplugd watching include_dir ------------------------------
"$BIN/vnplugd" -c "$H/vnplugd.conf" >"$TMP/vnplugd-hook.log" 2>&1 &
VP=$!
VNPLUGD_PIDS+=("$VP")
for i in $(seq 100); do [ -S "$H/sock/byhand.sock" ] && break; sleep 0.05; done
fd0=$(find "/proc/$VP/fd" -mindepth 1 | wc -l)
check "vnplugd starts with include_dir" "yes" "$([ -S "$H/sock/byhand.sock" ] && echo yes)"
hook web1 prepare begin - <"$H/web1.xml" >"$TMP/out" 2>&1
check "hook prepare: vnplugd created the socket before the hook returned, no warning" "0 socket " \
	"$? $([ -S "$H/sock/web1.sock" ] && echo socket) $(cat "$TMP/out")"
check "the socket's owner and mode are the metadata's" "root:root:660" "$(stat -c %U:%G:%a "$H/sock/web1.sock")"
hook web1 release end - <"$H/web1.xml" >"$TMP/out" 2>&1
check "hook release: vnplugd removed the socket before the hook returned" "0 gone " \
	"$? $([ -e "$H/sock/web1.sock" ] || echo gone) $(cat "$TMP/out")"
fd1=$(find "/proc/$VP/fd" -mindepth 1 | wc -l)
check "vnplugd holds as many descriptors as before the domain" "$fd0" "$fd1"
kill -TERM "$VP"
wait "$VP"
check "vnplugd exits 0" 0 $?
grep -E 'vm web1' "$TMP/vnplugd-hook.log" | sed 's/^/# /'

# ---- install ----------------------------------------------------------------
make -s -C "$ROOT" O="$B" install-vnplug-virt install-libvirt-hook DESTDIR="$TMP/root" PREFIX=/opt/vpfr \
	LIBVIRT_HOOKDIR=/etc/libvirt/hooks/qemu.d >"$TMP/install.log" 2>&1
check "make install-vnplug-virt install-libvirt-hook" 0 $?
R=$TMP/root
check "binary, man page, hook (naming the installed binary) in share and in libvirt's hooks" "ok ok ok" \
	"$([ -x "$R/opt/vpfr/sbin/vnplug-virt" ] && [ -f "$R/opt/vpfr/share/man/man8/vnplug-virt.8" ] && echo ok) $(grep -qx 'exec /opt/vpfr/sbin/vnplug-virt hook "$@"' "$R/opt/vpfr/share/vpfring/libvirt-hook" && [ -x "$R/opt/vpfr/share/vpfring/libvirt-hook" ] && echo ok) $(cmp -s "$R/opt/vpfr/share/vpfring/libvirt-hook" "$R/etc/libvirt/hooks/qemu.d/vnplug" && [ -x "$R/etc/libvirt/hooks/qemu.d/vnplug" ] && echo ok)"
