#!/bin/bash
# In the guest, started once per boot by symbi-guest.service: mount the
# host's share (tag "job"), run its script as root, hand back the TAP, the
# exit status and the journal, power off.
set -u
share=/mnt/job
mkdir -p "$share"
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 job "$share"; then
	echo "symbi-guest: running" >/dev/ttyS0
	"$share/run" >"$share/tap" 2>"$share/err"
	echo $? >"$share/rc"
	journalctl -b --no-pager >"$share/journal" 2>&1
	sync
	echo "symbi-guest: done" >/dev/ttyS0
else
	echo "symbi-guest: cannot mount the share" >/dev/ttyS0
fi
systemctl --no-block poweroff
