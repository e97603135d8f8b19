#!/bin/bash
# symbi-exec on a real systemd host with pure cgroup v2: boots the guest
# of tests/guest/ (Debian 12, systemd 252, built once and cached by
# tests/guest/build.sh) under QEMU and runs tests/guest/systemd-tests.sh
# inside, as root, in one boot; its TAP is this script's. A guest that
# cannot be built or booted is a failure, never a skip.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

[[ $EUID -eq 0 ]] || bail "the integration tests run as root"
# One VM at a time. Nothing is installed or run on the host, so the
# machine lock of the other scripts is not needed.
guest_lock=
open_lock guest_lock /run/symbi-exec-guest.lock
flock -w 1800 "$guest_lock" || bail "another guest ran for 30 minutes"
work=$(mktemp -d /tmp/symbi-guest.XXXXXX)
trap 'rm -rf "$work"' EXIT

unset MAKEFLAGS MFLAGS MAKELEVEL
make -C "$T_TOP" -s PREFIX="$T_PREFIX" SYSCONFDIR="$T_ETC" \
	>"$work/make.log" 2>&1 ||
	bail "build failed: $(tail -n 20 "$work/make.log")"
guest=$("$T_TOP/tests/guest/build.sh" 2>"$work/guest-build.log") ||
	bail "cannot build the guest: $(tail -n 20 "$work/guest-build.log")"

# The tree with its build, mtimes kept: install.sh in the guest finds
# everything up to date and only installs (the guest is the same Debian 12
# as the host; a compile under emulation would take minutes).
mkdir "$work/share"
tar -C "$T_TOP" --exclude=.git --exclude='./build-*' -cf "$work/share/src.tar" .
install -m 0755 "$T_TOP/tests/guest/systemd-tests.sh" "$work/share/run"
# Also the cost of a job there (diagnostics only, about 30 s more).
[[ ${SYMBI_GUEST_BENCH:-0} == 1 ]] && : >"$work/share/bench"

if ! "$T_TOP/tests/guest/boot.sh" "$guest" "$work"; then
	echo "1..1"
	echo "not ok 1 - the systemd guest boots and runs the tests"
	exit 1
fi
cat "$work/share/tap"
[[ -s $work/share/err ]] && diag "guest stderr:" "$(cat "$work/share/err")"
rc=$(cat "$work/share/rc")
[[ $rc -eq 0 ]] || diag "guest journal, last lines:" \
	"$(grep -E 'symbi|oom|Killed' "$work/share/journal" | tail -n 40)"
exit "$rc"
