#!/bin/bash
# A/B of one change (issue 15): two or more revisions of the tree, each
# built and installed setuid under a prefix of its own with the bench
# policy, timed side by side by bench/interleave.c (every case once per
# round, order rotated), as an unprivileged bench user. Prints median,
# IQR and n per revision and the difference of each median to the one
# before and to the first. A report, not a test.
#
#   bench/ab.sh [-r ROUNDS] [-i IDLE_MS] [-t TIER] REV_A REV_B [REV...]
#
# REV: a git revision of this repository, or "." for the working tree as
# it is (at most 8). TIER: none (default) or isolated. Run as root.
set -eu

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
BASE=/opt/symbi-ab
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
USER_=symbibench1
ROUNDS=300 IDLE=0 TIER=none

die() {
	printf 'ab: %s\n' "$*" >&2
	exit 1
}

while getopts r:i:t: o; do
	case $o in
	r) ROUNDS=$OPTARG ;;
	i) IDLE=$OPTARG ;;
	t) TIER=$OPTARG ;;
	*) die "usage: bench/ab.sh [-r ROUNDS] [-i IDLE_MS] [-t TIER] REV_A REV_B [REV...]" ;;
	esac
done
shift $((OPTIND - 1))
{ [ $# -ge 2 ] && [ $# -le 8 ]; } ||
	die "usage: bench/ab.sh [-r ROUNDS] [-i IDLE_MS] [-t TIER] REV_A REV_B [REV...]"
[ "$(id -u)" = 0 ] || die "run as root"
umask 022

# The tests' machine lock: their cleanup kills every symbi-exec-job-*
# cgroup's processes on the host, and counts ours as their leftovers.
LOCK_FD=
open_lock LOCK_FD /run/symbi-exec-tests.lock || die "cannot make the lock"
flock -w 1800 "$LOCK_FD" || die "the tests held the machine lock for 30 minutes"

id -u "$USER_" >/dev/null 2>&1 ||
	useradd --create-home --user-group --shell /bin/sh "$USER_"
OUT=$(mktemp -d /var/tmp/symbi-ab.XXXXXX)
chmod 0755 "$OUT"

# Whatever ends the run, a failed build or ^C included: the setuid
# helpers of every revision go, their set-id bits first (chmod acts on
# the file, so a descriptor someone holds no longer runs it as root).
cleanup() {
	set +e
	[ -n "${AB_KEEP:-}" ] || disarm_rm "$BASE" "$BASE/*/work"
	rm -rf "$OUT"
}
trap cleanup EXIT

# export REV DIR: the tree of REV (or the working tree) in DIR.
export_tree() {
	mkdir -p "$2"
	if [ "$1" = . ]; then
		tar -C "$ROOT" --exclude=./build --exclude=./build-san \
			--exclude=./.git -cf - . | tar -C "$2" -xf -
	else
		git -C "$ROOT" archive "$1" | tar -C "$2" -xf -
	fi
}

# install NAME REV: built and installed setuid under $BASE/NAME, with a
# policy that lets the bench user run true in tiers none and isolated.
install_rev() {
	local p=$BASE/$1 src=$OUT/src-$1
	export_tree "$2" "$src"
	disarm_rm "$p" "$p/work"
	# The bench user's alone: nobody else may run or open the helpers
	# of old revisions.
	install -d -m 0750 -o root -g "$USER_" "$BASE"
	install -d -m 0755 -o root -g root "$p"
	make -C "$src" -j"$(nproc)" PREFIX="$p" SYSCONFDIR="$p/etc" \
		build/symbi-exec build/symbi-exec-helper >"$OUT/build-$1.log" 2>&1 ||
		die "build of $2 failed: $(tail -n 5 "$OUT/build-$1.log")"
	install -D -m 0755 "$src/build/symbi-exec" "$p/bin/symbi-exec"
	install -D -m 4755 -o root -g root "$src/build/symbi-exec-helper" \
		"$p/libexec/symbi-exec/symbi-exec-helper"
	# The isolated tier's init, in revisions that have one.
	if [ -d "$src/init" ]; then
		make -C "$src" PREFIX="$p" SYSCONFDIR="$p/etc" \
			build/symbi-exec-init >>"$OUT/build-$1.log" 2>&1 ||
			die "build of $2 failed: $(tail -n 5 "$OUT/build-$1.log")"
		install -D -m 0711 -o root -g root "$src/build/symbi-exec-init" \
			"$p/libexec/symbi-exec/symbi-exec-init"
	fi
	install -d -m 0755 "$p/etc/symbi-exec"
	cat >"$p/etc/symbi-exec/policy.toml" <<EOF
[native_execution]
enabled = true
working_directory = "$p/work"
max_memory_mb = 4096
max_cpu_cores = $(nproc).0
max_processes = 1024
allowed_executables = ["true"]
secure_path = "/usr/bin:/bin"
[isolated]
enabled = true
read_only_binds = ["/usr", "/bin", "/lib", "/lib64", "/etc"]
volume_roots = ["/home"]
[[rule]]
users = ["$USER_"]
tiers = ["none", "isolated"]
EOF
	chmod 0644 "$p/etc/symbi-exec/policy.toml"
	printf '%s\t%s -t %s -- /bin/true\n' "$1" "$p/bin/symbi-exec" \
		"$TIER" >>"$OUT/cases"
}

gcc -O2 -Wall -Wextra -Werror -o "$OUT/interleave" "$BENCH_DIR/interleave.c"
: >"$OUT/cases"
names=(a b c d e f g h)
i=0
for rev in "$@"; do
	install_rev "${names[i]}" "$rev"
	i=$((i + 1))
done
install -d -m 0755 -o "$USER_" "$OUT/raw"
# In the bench user's home: tier isolated runs a job in its caller's
# directory only under volume_roots.
cd "$(getent passwd "$USER_" | cut -d: -f6)" || die "no home for $USER_"
env -i PATH=/usr/bin:/bin HOME=/ LANG=C.UTF-8 setpriv --reuid="$USER_" \
	--regid="$USER_" --init-groups -- "$OUT/interleave" -i "$IDLE" -w 3 \
	"$ROUNDS" "$OUT/raw" "$OUT/cases"
python3 - "$OUT/raw" "$TIER" "$ROUNDS" "$IDLE" "$@" <<'EOF'
import json, statistics, sys
raw, tier, rounds, idle = sys.argv[1:5]
revs = sys.argv[5:]
meds = []
for k, rev in zip("abcdefgh", revs):
    with open(f"{raw}/{k}.r1.json", encoding="utf-8") as f:
        t = [x * 1000 for x in json.load(f)["results"][0]["times"]]
    q = statistics.quantiles(t, n=4, method="inclusive")
    m = statistics.median(t)
    d = ""
    if meds:
        d = f"; {m - meds[-1]:+.3f} ms vs {revs[len(meds) - 1]}, {m - meds[0]:+.3f} vs {revs[0]}"
    print(f"{k} {rev}: tier {tier} true: median {m:.3f} ms, IQR {q[2] - q[0]:.3f}, n {len(t)}{d}")
    meds.append(m)
print(f"({rounds} rounds, idle {idle} ms, interleaved)")
EOF
