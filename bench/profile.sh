#!/bin/bash
# Where the instructions of one tier-none `true` go (issue 6 point 3:
# callgrind counts instructions repeatably; perf counters are absent here).
# Run as root after `bench/run.sh --keep` (it needs the bench install).
#
#   bench/profile.sh [TIER]      TIER: none (default) or isolated
#
# The client is profiled as the bench user, as installed. valgrind cannot
# follow a setuid exec, so the helper is profiled from a second build of
# the same tree whose compiled-in helper path is a non-setuid copy, run by
# root with a bench-policy rule that runs the job as symbibench1.
# Prints, per program, the total and the inclusive counts of the phases
# named in issue 6: dynamic loading, policy, cgroup, mounts, seccomp.
set -u

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
PREFIX=/opt/symbi-bench
PROF=$PREFIX/prof
TIER=${1:-none}
OUT=$(mktemp -d /var/tmp/symbi-bench-prof.XXXXXX)
chmod 0755 "$OUT"
install -d -m 0755 -o symbibench1 "$OUT/client"

die() {
	printf 'profile: %s\n' "$*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "run as root"
[ -x "$PREFIX/bin/symbi-exec" ] || die "no bench install: run bench/run.sh --keep first"
command -v valgrind >/dev/null || die "valgrind missing (apt-get install valgrind)"

build_prof() {
	local src
	src=$(mktemp -d /var/tmp/symbi-bench-src.XXXXXX)
	tar -C "$ROOT" --exclude=./build --exclude=./build-san \
		--exclude=./.git -cf - . | tar -C "$src" -xf -
	# valgrind keeps descriptors of its own far above the program's
	# limit, visible in /proc/self/fd; the helper refuses any open
	# descriptor above 3, so this copy alone ignores those >= 10000.
	sed -i 's/if (fd > 3)$/if (fd > 3 \&\& fd < 10000)/' \
		"$src/helper/invocation.c"
	grep -q 'fd < 10000' "$src/helper/invocation.c" ||
		printf 'profile: warning: descriptor check not adapted\n' >&2
	make -C "$src" -j"$(nproc)" PREFIX="$PREFIX" LIBEXECDIR="$PROF" \
		SYSCONFDIR="$PREFIX/etc" build/symbi-exec build/symbi-exec-helper \
		>"$OUT/build.log" 2>&1 || die "build failed: $OUT/build.log"
	install -D -m 0755 "$src/build/symbi-exec" "$PROF/bin/symbi-exec"
	install -D -m 0755 "$src/build/symbi-exec-helper" \
		"$PROF/symbi-exec/helper.real"
	rm -rf "$src"
	# The compiled-in helper path: valgrind around the real helper. The
	# client itself runs natively (valgrind 3.19 lacks pidfd_open).
	printf '#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s/helper.%%p.out --log-fd=2 %s/symbi-exec/helper.real "$@"\n' \
		"$OUT" "$PROF" >"$PROF/symbi-exec/symbi-exec-helper"
	chmod 0755 "$PROF/symbi-exec/symbi-exec-helper"
}

# The root rule, only for this run: the policy is restored on exit.
add_root_rule() {
	local policy=$PREFIX/etc/symbi-exec/policy.toml
	cp -p "$policy" "$OUT/policy.orig"
	trap 'cp -p "$OUT/policy.orig" "$PREFIX/etc/symbi-exec/policy.toml"' EXIT
	printf '\n[[rule]]\nusers = ["root"]\ntiers = ["none", "isolated"]\nrun_as = "symbibench1"\n' \
		>>"$policy"
}

# phases FILE: inclusive Ir of the phases, from callgrind_annotate.
phases() {
	local f=$1 ann total
	ann=$(callgrind_annotate --inclusive=yes --threshold=100 "$f" 2>/dev/null)
	total=$(printf '%s\n' "$ann" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
	printf '  total instructions: %s\n' "$total"
	printf '%s\n' "$ann" | awk -v total="$total" '
		/^ *[0-9,]+ / {
			n = $1; gsub(",", "", n)
			fn = $0; sub(/^ *[0-9,]+ +(\([^)]*\) +)?/, "", fn)
			if (fn ~ /rtld.c:_dl_start / && !dl) { dl = n; printf "  dynamic loading (_dl_start): %d (%.0f%%)\n", n, 100 * n / total }
			if (fn ~ /:(policy_load|policy_parse|policy_judge) / && !seen[fn]++) printf "  %s: %d (%.0f%%)\n", fn, n, 100 * n / total
			if (fn ~ /:(cg_create|cg_join|cg_destroy|cg_kill|cg_cpu_ms|mounts_[a-z_]*|seccomp_[a-z_]*|ns_[a-z_]*|proto_request_init|main) / && !seen[fn]++) printf "  %s: %d (%.0f%%)\n", fn, n, 100 * n / total
		}'
	printf '  top self-cost functions:\n'
	callgrind_annotate --threshold=100 "$f" 2>/dev/null |
		awk '/^ *[0-9,]+ / && !/PROGRAM TOTALS/ { print "    " $0 }' | head -n 8
}

profile_client() {
	local home
	home=$(getent passwd symbibench1 | cut -d: -f6)
	(cd "$OUT/client" && env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 \
		setpriv --reuid=symbibench1 --regid=symbibench1 --init-groups -- \
		valgrind --tool=callgrind --callgrind-out-file="$OUT/client/client.out" \
		"$PREFIX/bin/symbi-exec" --sandbox-tier="$TIER" -- true) \
		>"$OUT/client.log" 2>&1 || die "client run failed: $OUT/client.log"
	printf 'client (as symbibench1, tier %s, true):\n' "$TIER"
	phases "$OUT/client/client.out"
}

profile_helper() {
	local f
	(cd "$OUT" && env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 \
		"$PROF/bin/symbi-exec" --sandbox-tier="$TIER" -- true) \
		>"$OUT/helper.log" 2>&1 ||
		printf 'profile: the run failed (see %s): the profile stops there\n' \
			"$OUT/helper.log"
	f=$(find "$OUT" -maxdepth 1 -name 'helper.*.out' -printf '%s %p\n' |
		sort -rn | head -n 1 | cut -d' ' -f2)
	[ -n "$f" ] || die "no helper profile in $OUT (see $OUT/helper.log)"
	printf 'helper (as root, non-setuid copy under valgrind, tier %s, true):\n' "$TIER"
	phases "$f"
}
build_prof
add_root_rule
profile_client
profile_helper
printf '(callgrind files in %s; callgrind_annotate FILE for more)\n' "$OUT"
