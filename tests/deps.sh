#!/bin/bash
# Install, from Debian, what `make check` needs and the machine lacks:
# compilers and libraries, linters, the docker engine and gVisor for the
# container tiers, the Debian packaging tools for make check-deb, Slurm
# for tests/92-slurm.t. Does nothing when everything is present.
set -euo pipefail

packages=(
	build-essential pkg-config libseccomp-dev libbsd-dev
	clang libclang-rt-14-dev cppcheck clang-tidy shellcheck mandoc
	python3 jq util-linux bsdutils procps passwd perl binutils kmod
	docker.io runsc busybox-static tmux bash-completion
	dpkg-dev debhelper lintian
	qemu-system-x86 mmdebstrap e2fsprogs xz-utils
	slurm-wlm munge
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
