# shellcheck shell=bash
# Scale checks, sourced by bench/run.sh. Prints report lines, and one
# "GOAL<tab>name<tab>PASS|MISS<tab>detail" line per goal for stats.py.

case_state() {
	local i
	for i in "${!C_ID[@]}"; do
		[ "${C_ID[i]}" = "$1" ] && printf '%s' "${C_STATE[i]}" && return 0
	done
	printf 'undefined'
}

goal() { printf 'GOAL\t%s\t%s\t%s\n' "$1" "$2" "$3"; }

# What a job can leave behind: cgroup directories (on this host, also
# those of any other symbi-exec user at the time), work directories under
# the bench's base, processes of the bench users, helpers of the bench's
# install (other installs' helpers, e.g. the test suite's, do not count).
leftovers() {
	local cg wd procs helpers p
	cg=$(find /sys/fs/cgroup -name 'symbi-exec-job-*' -type d -prune \
		2>/dev/null | sort)
	wd=$(find "$WORKBASE" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	procs=$(pgrep -u "$(
		IFS=,
		echo "${BENCH_USERS[*]}"
	)" | wc -l)
	helpers=0
	for p in $(pgrep -x symbi-exec-help); do
		[ "$(readlink "/proc/$p/exe")" = "$HELPER" ] &&
			helpers=$((helpers + 1))
	done
	printf '%s\n' "$cg" >"$RES_DIR/cgroups.now"
	printf '%s %s %s' "$wd" "$procs" "$helpers"
}

# N jobs at once, by the three bench users in turn, alternating tiers
# none and isolated (when isolated works); each job sleeps 1 s so they
# all overlap.
scale_concurrent() {
	local n=$1 i u tier ok=0 fail=0 t0 t1 pids=() left cg_new
	local tiers=(none)
	[ -z "$(case_state iso_true)" ] && tiers+=(isolated)
	leftovers >/dev/null
	cp "$RES_DIR/cgroups.now" "$RES_DIR/cgroups.before"
	t0=$(date +%s%N)
	for ((i = 0; i < n; i++)); do
		u=${BENCH_USERS[i % ${#BENCH_USERS[@]}]}
		tier=${tiers[i % ${#tiers[@]}]}
		as_user "$u" "$CLIENT" --sandbox-tier="$tier" -- sleep 1 \
			>/dev/null 2>>"$LOG_DIR/scale-concurrent.err" &
		pids+=("$!")
	done
	for i in "${pids[@]}"; do
		if wait "$i"; then ok=$((ok + 1)); else fail=$((fail + 1)); fi
	done
	t1=$(date +%s%N)
	sleep 1
	read -r wd procs helpers <<<"$(leftovers)"
	cg_new=$(comm -13 "$RES_DIR/cgroups.before" "$RES_DIR/cgroups.now" |
		grep -c .)
	printf 'concurrent: %d jobs (users %s; tiers %s; sleep 1 each) in %d ms: %d ok, %d failed\n' \
		"$n" "${BENCH_USERS[*]}" "${tiers[*]}" $(((t1 - t0) / 1000000)) \
		"$ok" "$fail"
	printf 'concurrent: left behind: %d new cgroup dirs, %d work dirs, %d bench-user processes, %d helpers\n' \
		"$cg_new" "$wd" "$procs" "$helpers"
	[ "$fail" -gt 0 ] && printf 'concurrent: first errors: %s\n' \
		"$(sort "$LOG_DIR/scale-concurrent.err" | uniq -c | sort -rn |
			head -n 3 | tr '\n' ';')"
	left=$((cg_new + wd + procs + helpers))
	if [ "$fail" = 0 ] && [ "$left" = 0 ]; then
		goal "$n concurrent jobs by ${#BENCH_USERS[@]} users: all finish, nothing leaked" PASS "$ok/$n ok"
	else
		goal "$n concurrent jobs by ${#BENCH_USERS[@]} users: all finish, nothing leaked" MISS "$fail failed, $left left behind"
	fi
}

# VmHWM (kB) of the client and of its child the helper, read from /proc
# while a 0.3 s job runs. Prints "CLIENT HELPER" (0 when not found).
sample_hwm() {
	local u=$BENCH_USER c h
	as_user "$u" "$CLIENT" --native -- sleep 0.3 >/dev/null 2>&1 &
	for _ in $(seq 50); do
		c=$(pgrep -n -u "$u" -x symbi-exec)
		h=${c:+$(pgrep -n -P "$c" -x symbi-exec-help)}
		[ -n "$h" ] && break
		sleep 0.01
	done
	sleep 0.1
	printf '%s %s\n' "$(hwm "${c:-0}")" "$(hwm "${h:-0}")"
	wait "$!" 2>/dev/null
}

hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# M jobs in a row (tier none, /bin/true). Every run: /usr/bin/time's %M,
# the peak RSS of the client and of what it reaped (helper, job). Every
# M/20 runs: the client's and the helper's own VmHWM, sampled live.
scale_sequential() {
	local m=$1 every=$(($1 / 20)) i rss fails=0 t0 t1
	local tm=() cl=() he=()
	t0=$(date +%s%N)
	for ((i = 1; i <= m; i++)); do
		if [ $(((i - 1) % every)) = 0 ]; then
			read -r c h <<<"$(sample_hwm)"
			cl+=("$c")
			he+=("$h")
		fi
		rss=0
		as_user "$BENCH_USER" /usr/bin/time -f %M -o "$RAW_DIR/time.out" \
			"$CLIENT" --native -- true >/dev/null 2>&1 || fails=$((fails + 1))
		read -r rss <"$RAW_DIR/time.out" || rss=0
		tm+=("${rss##* }")
	done
	t1=$(date +%s%N)
	printf 'sequential: %d jobs in %d ms, %d failed\n' "$m" \
		$(((t1 - t0) / 1000000)) "$fails"
	flat_report "client+reaped max RSS (/usr/bin/time %M, every job)" "${tm[@]}"
	flat_report "client VmHWM (sampled every $every jobs)" "${cl[@]}"
	flat_report "helper VmHWM (sampled every $every jobs)" "${he[@]}"
	[ "$fails" = 0 ] || goal "$m jobs in a row all succeed" MISS "$fails failed"
}

# flat_report NAME KB...: flat when the median of the last tenth of the
# samples is within 5% (or 256 kB, whichever is larger) of the median of
# the first tenth: growth, not the run-to-run jitter of a few pages that
# ASLR and page rounding give, is what a leak looks like.
flat_report() {
	local name=$1 first last min max tol tenth
	shift
	if [ "$#" = 0 ] || [ "${1:-0}" = 0 ]; then
		goal "$name flat" MISS "no samples (process not found)"
		return 0
	fi
	tenth=$(($# / 10 > 0 ? $# / 10 : 1))
	first=$(printf '%s\n' "${@:1:tenth}" | sort -n | awk '{ v[NR] = $1 }
		END { print v[int((NR + 1) / 2)] }')
	last=$(printf '%s\n' "${@: -tenth}" | sort -n | awk '{ v[NR] = $1 }
		END { print v[int((NR + 1) / 2)] }')
	read -r min max <<<"$(printf '%s\n' "$@" | sort -n | sed -n '1p;$p' |
		tr '\n' ' ')"
	tol=$((first / 20 > 256 ? first / 20 : 256))
	printf 'sequential: %s: first tenth %s kB, last tenth %s kB (medians), min %s, max %s, %d samples\n' \
		"$name" "$first" "$last" "$min" "$max" "$#"
	if [ $((last - first)) -le "$tol" ]; then
		goal "$name flat" PASS "$first -> $last kB over $# samples"
	else
		goal "$name flat" MISS "$first -> $last kB over $# samples"
	fi
}

scale_all() {
	progress "scale: $SCALE_CONCURRENT concurrent jobs"
	scale_concurrent "$SCALE_CONCURRENT"
	progress "scale: $SCALE_SEQUENTIAL jobs in a row"
	scale_sequential "$SCALE_SEQUENTIAL"
	progress_done
}
