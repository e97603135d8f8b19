#!/bin/sh
# mmdebstrap customize hook: fetch the guest's kernel package (the
# versioned one linux-image-amd64 depends on) from the guest's own mirror
# into OUTDIR, without installing it. Usage: fetch-kernel.sh ROOT OUTDIR
set -eu
root=$1
out=$2
pkg=$(chroot "$root" apt-cache depends linux-image-amd64 |
	sed -n 's/.*Depends: \(linux-image-[0-9].*\)/\1/p' | head -n1)
[ -n "$pkg" ] || {
	echo "fetch-kernel: no kernel behind linux-image-amd64" >&2
	exit 1
}
chroot "$root" sh -c "cd /tmp && apt-get download -q=2 $pkg"
mv "$root"/tmp/"$pkg"_*.deb "$out/"
