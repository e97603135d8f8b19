#!/bin/bash
# Build (once) the systemd guest the systemd tests boot: Debian 12 with
# systemd and pure cgroup v2 (tests/guest/README.md). Prints the
# directory that holds vmlinux, initrd.gz and rootfs.img.
#
# The result is cached outside the clone, in
# /var/cache/symbi-exec-tests/guest-HASH, HASH over every input of the
# build (this directory and the mirrors of /etc/apt): a CI run on this
# machine reuses it, a new machine builds it once. Run as root.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${SYMBI_GUEST_CACHE:-/var/cache/symbi-exec-tests}
sources=/etc/apt/sources.list.d/debian.sources

# What the tests need in the guest: systemd with logind (pam_systemd),
# D-Bus and busctl, su and sudo, what jobs run (python3), and make with
# the build dependencies' headers so install.sh finds the tree built.
packages=systemd,systemd-sysv,dbus,libpam-systemd,python3,sudo,util-linux
packages+=,kmod,procps,iproute2,make,pkg-config,libcap-dev,libseccomp-dev,libbsd-dev
# Kernel modules for the root disk and the 9p share, with what they need;
# ext4 asks the crypto API for crc32c at mount time.
modules="virtio_pci virtio_blk ext4 crc32c_generic 9p 9pnet_virtio"

say() { printf 'guest build: %s\n' "$*" >&2; }
die() {
	say "$*"
	exit 1
}

inputs_hash() {
	{
		echo "$packages $modules"
		cat "$here/build.sh" "$here/init.sh" "$here/runner.sh" \
			"$here/fetch-kernel.sh" "$here/symbi-guest.service"
		if [[ -f $sources ]]; then cat "$sources"; else cat /etc/apt/sources.list; fi
	} | sha256sum | cut -c1-16
}

# The mirror lines mmdebstrap uses: the host's own apt sources.
mirrors() {
	if [[ -f $sources ]]; then
		echo "$sources"
	else
		echo /etc/apt/sources.list
	fi
}

# The modules to insmod, dependencies first, from modules.dep.
module_order() {
	local moddir=$1 m
	declare -A seen=()
	visit() {
		local path=$1 dep
		[[ -n ${seen[$path]:-} ]] && return 0
		seen[$path]=1
		for dep in $(awk -v p="$path:" '$1 == p { $1 = ""; print }' \
			"$moddir/modules.dep" | tr ' ' '\n'); do
			visit "$dep"
		done
		echo "$path"
	}
	for m in $modules; do
		path=$(awk -F: -v m="$m" '{ n = $1; sub(/.*\//, "", n);
			sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n) }
			n == m { print $1; exit }' "$moddir/modules.dep")
		if [[ -z $path ]]; then
			grep -q "/$m.ko" "$moddir/modules.builtin" ||
				die "no module $m in the kernel package"
			continue
		fi
		visit "$path"
	done
}

make_initrd() {
	local kdir=$1 out=$2 moddir ird path name
	moddir=$(echo "$kdir"/lib/modules/*)
	ird=$(mktemp -d "$out/initrd.XXXXXX")
	mkdir -p "$ird"/{bin,dev,proc,sys,modules}
	cp /bin/busybox "$ird/bin/busybox"
	cp "$here/init.sh" "$ird/init"
	: >"$ird/modules/order"
	while read -r path; do
		name=$(basename "$path")
		case $name in
		*.ko.xz) xz -dc "$moddir/$path" >"$ird/modules/${name%.xz}" ;;
		*.ko) cp "$moddir/$path" "$ird/modules/$name" ;;
		*) die "unexpected module file $path" ;;
		esac
		echo "${name%.xz}" >>"$ird/modules/order"
	done < <(module_order "$moddir")
	(cd "$ird" && find . | busybox cpio -o -H newc 2>/dev/null) |
		gzip -1 >"$out/initrd.gz"
	rm -rf "$ird"
}

# QEMU boots the ELF kernel inside vmlinuz (PVH entry) much faster than
# the bzImage under emulation: cut out its xz payload.
extract_vmlinux() {
	local vmlinuz=$1 out=$2 off
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -n1 |
		cut -d: -f1)
	[[ -n $off ]] || die "no xz payload in $vmlinuz"
	tail -c +"$((off + 1))" "$vmlinuz" | xz -dc 2>/dev/null >"$out" || true
	[[ "$(head -c 4 "$out" | od -An -c | tr -d ' ')" == '177ELF' ]] ||
		die "the payload of $vmlinuz is no ELF kernel"
}

# The guest's own settings: a fixed machine-id, no getty or timers to
# wait for, the runner started once the system is up.
configure_root() {
	local root=$1 u
	echo 0123456789abcdef0123456789abcdef >"$root/etc/machine-id"
	echo symbi-guest >"$root/etc/hostname"
	install -m 0755 "$here/runner.sh" "$root/usr/local/sbin/symbi-guest-run"
	install -m 0644 "$here/symbi-guest.service" \
		"$root/etc/systemd/system/symbi-guest.service"
	systemctl --root="$root" set-default multi-user.target >/dev/null 2>&1
	systemctl --root="$root" enable symbi-guest.service >/dev/null 2>&1
	for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
		fstrim.timer getty@tty1.service serial-getty@ttyS0.service \
		getty.target systemd-firstboot.service \
		systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
		systemd-pstore.service systemd-random-seed.service \
		systemd-update-utmp.service systemd-update-utmp-runlevel.service \
		e2scrub_reap.service dpkg-db-backup.timer \
		systemd-timesyncd.service man-db.timer; do
		ln -sf /dev/null "$root/etc/systemd/system/$u"
	done
	printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' >"$root/etc/fstab"
}

build() {
	local out=$1 root kdeb kdir
	root=$out/root
	say "mmdebstrap bookworm from $(mirrors) (a few minutes, once)"
	# The kernel is fetched inside, so it matches the guest's mirror,
	# and unpacked outside: installing it would run initramfs-tools.
	mmdebstrap --mode=root --variant=minbase --quiet \
		--include="$packages" \
		--customize-hook="\"$here/fetch-kernel.sh\" \"\$1\" \"$out\"" \
		bookworm "$root" "$(mirrors)" ||
		die "mmdebstrap failed"
	kdeb=$(echo "$out"/linux-image-*.deb)
	[[ -f $kdeb ]] || die "no kernel package downloaded"
	# Unpacked inside the root, whose depmod makes the modules.dep the
	# package leaves to its postinst.
	kdir=$root/tmp/kernel
	dpkg-deb -x "$kdeb" "$kdir"
	chroot "$root" depmod -b /tmp/kernel "$(basename "$kdir"/lib/modules/*)"
	extract_vmlinux "$(echo "$kdir"/boot/vmlinuz-*)" "$out/vmlinux"
	make_initrd "$kdir" "$out"
	rm -rf "$kdir" "$kdeb"
	configure_root "$root"
	mkfs.ext4 -q -L root -d "$root" "$out/rootfs.img" 1536M >/dev/null
	rm -rf "$root"
}

main() {
	local dir
	[[ $EUID -eq 0 ]] || die "run as root"
	for t in mmdebstrap qemu-system-x86_64 busybox mkfs.ext4 xz; do
		command -v "$t" >/dev/null ||
			die "$t is missing (tests/deps.sh installs it)"
	done
	dir=$cache/guest-$(inputs_hash)
	mkdir -p "$cache"
	exec {lock}>"$cache/.build.lock"
	flock "$lock"
	if [[ ! -f $dir/ready ]]; then
		tmp=$(mktemp -d "$cache/.build.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		SECONDS=0
		build "$tmp"
		date -u +%FT%TZ >"$tmp/ready"
		rm -rf "$dir"
		mv "$tmp" "$dir"
		trap - EXIT
		say "built $dir in ${SECONDS}s"
		# Guests of older inputs: 1.6 GB each, never used again.
		find "$cache" -maxdepth 1 -name 'guest-*' ! -path "$dir" \
			-exec rm -rf {} +
	fi
	echo "$dir"
}

tmp=
main "$@"
