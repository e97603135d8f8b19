#!/bin/busybox sh
# shellcheck shell=dash
# The guest's initramfs: load the drivers for the root disk and the 9p
# share (no udev here), mount the root and hand over to systemd.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
	insmod "/modules/$m" 2>/dev/null
done </modules/order
for _ in $(seq 1 50); do
	[ -b /dev/vda ] && break
	sleep 0.1
done
mkdir -p /newroot
mount -t ext4 -o rw /dev/vda /newroot || {
	echo "guest init: cannot mount /dev/vda" >/dev/console
	poweroff -f
}
umount /proc /sys
mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /sbin/init
