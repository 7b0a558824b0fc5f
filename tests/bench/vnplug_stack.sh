#!/bin/bash
# vnplug_stack.sh - sourced by vnplug_bench.sh and vpfring_bench.sh: builds
# what a guest with the vNPlug devices needs besides the project itself.
#
# build_vnplug_stack: QEMU with the vNPlug devices (host/qemu-vnplug/build.sh,
# cached), the Debian kernel for the guest (scripts/vm/kernel.sh) and
# vnplug.ko against it into $B/vnplug-ko. Uses the caller's ROOT, VM, B,
# WORK, step() and die(); sets QEMU_BIN and exports KVER MODDIR KERNEL KDIR.
build_vnplug_stack() {
	local env
	step "QEMU with the vNPlug devices (host/qemu-vnplug/build.sh)"
	QEMU_BIN=$("$ROOT/host/qemu-vnplug/build.sh" 2>"$WORK/qemu-build.log") || {
		tail -n 20 "$WORK/qemu-build.log" >&2
		die "QEMU does not build"
	}
	env=$("$VM/kernel.sh" 2>"$WORK/kernel.log") || {
		tail -n 20 "$WORK/kernel.log" >&2
		die "no Debian kernel for the guest"
	}
	eval "$env"
	export KVER MODDIR KERNEL KDIR
	step "vnplug.ko against $KVER into $B/vnplug-ko"
	if ! make -C "$ROOT/guest/vnplug-ko" KDIR="$KDIR" KMOD_OUT="$B/vnplug-ko" \
		>"$WORK/kmod.log" 2>&1 || [ ! -f "$B/vnplug-ko/vnplug.ko" ]; then
		grep -E 'error|warning' "$WORK/kmod.log" | head -n 20 >&2
		die "vnplug.ko does not build"
	fi
}
