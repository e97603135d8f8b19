#!/bin/bash
# Boot the systemd guest once to run a script: boot.sh GUEST WORK.
# GUEST is what build.sh printed; WORK/share must hold "run", the script
# the guest runs as root (its stdout, stderr and exit status come back
# as WORK/share/tap, err and rc, the guest's journal as journal). The
# serial console goes to WORK/console-N.log. One VM at a time (the
# caller holds the machine lock). A guest that has not started the
# script within 120 s (SYMBI_GUEST_BOOT_TIMEOUT) is killed and booted
# once more from the pristine image; the script itself gets 600 s.
# Exit status 0 when the script ran (whatever its own status).
set -uo pipefail

guest=$1
work=$2
boot_s=${SYMBI_GUEST_BOOT_TIMEOUT:-120}
run_s=600

qemu() {
	# snapshot=on: writes go to a temporary overlay, the image stays
	# pristine. TCG: /dev/kvm cannot run Debian's kernel on these hosts.
	exec qemu-system-x86_64 -M q35 -accel tcg \
		-cpu max -smp 2 -m 1024 -nodefaults -no-user-config \
		-display none -no-reboot -serial "file:$1" \
		-kernel "$guest/vmlinux" -initrd "$guest/initrd.gz" \
		-append 'console=ttyS0 quiet panic=-1 systemd.unified_cgroup_hierarchy=1 systemd.show_status=0' \
		-drive "file=$guest/rootfs.img,if=virtio,format=raw,snapshot=on" \
		-fsdev "local,id=job,path=$work/share,security_model=none" \
		-device virtio-9p-pci,fsdev=job,mount_tag=job </dev/null
}

# wait_marker LOG PID SECONDS TEXT: until TEXT is on the console, or the
# VM ends, or SECONDS pass.
wait_marker() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "$4" "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

boot() {
	local log=$work/console-$1.log pid
	rm -f "$work/share/rc" "$work/share/tap" "$work/share/err" \
		"$work/share/journal"
	: >"$log"
	qemu "$log" &
	pid=$!
	if wait_marker "$log" "$pid" "$boot_s" "symbi-guest: running"; then
		wait_marker "$log" "$pid" "$run_s" "symbi-guest: done"
	fi
	# The guest powers off by itself after "done".
	wait_marker "$log" "$pid" 20 "no such marker"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[[ -f $work/share/rc ]]
}

SECONDS=0
for n in 1 2; do
	if boot "$n"; then
		echo "# guest: boot $n ran the script; ${SECONDS}s in all" >&2
		exit 0
	fi
	echo "# guest: boot $n did not run the script (console: $work/console-$n.log)" >&2
	tail -n 15 "$work/console-$n.log" | sed 's/^/#   /' >&2
done
exit 1
