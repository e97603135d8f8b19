# shellcheck shell=bash
# Timing machinery, sourced by bench/run.sh.
#
# A case is one command line (plain words, no quoting: hyperfine -N splits
# it the same way `read -a` does here), who runs it (the bench user or
# root), a class (startup, throughput, capture) and the case it is compared
# with. Interleaving: R rounds; each round runs every case of a class once
# through `hyperfine -N --runs K` (after W warm-up runs), in an order
# rotated by one each round. All samples of a case are merged, so slow
# drift of the machine (page cache, frequency, a neighbour VM) spreads over
# every case alike instead of landing on whichever ran last.

C_ID=()
C_CLASS=()
C_AS=()
C_REF=()
C_LABEL=()
C_CMD=()
C_STATE=() # "" = measurable, else why not
C_FAILS=() # rounds that failed: the case is dropped at the second

# case_add ID CLASS AS REF LABEL COMMAND...
case_add() {
	local id=$1 class=$2 as=$3 ref=$4 label=$5
	shift 5
	C_ID+=("$id")
	C_CLASS+=("$class")
	C_AS+=("$as")
	C_REF+=("$ref")
	C_LABEL+=("$label")
	C_CMD+=("$*")
	C_STATE+=("")
	C_FAILS+=(0)
}

# case_skip ID CLASS REF LABEL WHY: listed in the table as not measured.
case_skip() {
	case_add "$1" "$2" - "$3" "$4" -
	C_STATE[${#C_STATE[@]} - 1]=$5
}

# as_user USER CMD...: the bench user's own session: its uid, gid and
# groups, a clean environment, nothing of root's.
as_user() {
	local u=$1 home
	shift
	home=$(getent passwd "$u" | cut -d: -f6)
	env -i PATH=/usr/bin:/bin HOME="$home" USER="$u" LOGNAME="$u" \
		LANG=C.UTF-8 setpriv --reuid="$u" --regid="$u" --init-groups \
		-- "$@"
}

as_case() {
	local who=$1
	shift
	if [ "$who" = root ]; then
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LANG=C.UTF-8 "$@"
	else
		as_user "$who" "$@"
	fi
}

# One untimed run of every case; a case that fails is not measured and
# the table shows the first line of its error.
case_smoke_all() {
	local i argv err
	for i in "${!C_ID[@]}"; do
		[ -z "${C_STATE[i]}" ] || continue
		read -ra argv <<<"${C_CMD[i]}"
		if ! err=$(as_case "${C_AS[i]}" timeout 120 "${argv[@]}" \
			2>&1 >/dev/null); then
			err=$(printf '%s' "$err" | grep -v '^$' | head -n 1)
			C_STATE[i]="fails: ${err:-non-zero exit}"
			note "${C_ID[i]}: ${C_STATE[i]}"
		fi
	done
}

# Class idle: each run after 100 ms of sleep, untimed, as when one user
# starts one job at a time. Some kernel paths (an RCU grace period, cold
# caches) cost only then, and a tight loop hides them.
hyperfine_prepare() {
	[ "$1" = idle ] && printf '%s\n' --prepare 'sleep 0.1'
}

# measure_class CLASS ROUNDS RUNS WARMUP
measure_class() {
	local class=$1 rounds=$2 runs=$3 warmup=$4 r k n idx
	local sel=()
	for idx in "${!C_ID[@]}"; do
		[ "${C_CLASS[idx]}" = "$class" ] && [ -z "${C_STATE[idx]}" ] &&
			sel+=("$idx")
	done
	n=${#sel[@]}
	[ "$n" -gt 0 ] || return 0
	for ((r = 1; r <= rounds; r++)); do
		progress "$class round $r/$rounds ($n cases)"
		for ((k = 0; k < n; k++)); do
			measure_once "${sel[(k + r) % n]}" "$r" "$runs" "$warmup"
		done
	done
	progress_done
}

# A failed round (a daemon restarted under a container case, say) leaves
# no samples and is noted; a second failure drops the case.
measure_once() {
	local i=$1 r=$2 runs=$3 warmup=$4 out err prep=()
	[ -z "${C_STATE[i]}" ] || return 0
	mapfile -t prep < <(hyperfine_prepare "${C_CLASS[i]}")
	out=$RAW_DIR/${C_ID[i]}.r$r.json
	err=$LOG_DIR/${C_ID[i]}.r$r.err
	as_case "${C_AS[i]}" hyperfine -N --style none --runs "$runs" \
		--warmup "$warmup" "${prep[@]}" --export-json "$out" -- \
		"${C_CMD[i]}" \
		>/dev/null 2>"$err" && return 0
	rm -f "$out"
	C_FAILS[i]=$((C_FAILS[i] + 1))
	note "${C_ID[i]}: round $r failed: $(head -n 1 "$err")"
	[ "${C_FAILS[i]}" -lt 2 ] ||
		C_STATE[i]="dropped after 2 failed rounds: $(head -n 1 "$err")"
}

# The case list as TSV for stats.py: id class as ref state label command
# (state: why not measured, or how many rounds failed).
cases_tsv() {
	local i state
	for i in "${!C_ID[@]}"; do
		state=${C_STATE[i]}
		[ -z "$state" ] && [ "${C_FAILS[i]}" -gt 0 ] &&
			state="${C_FAILS[i]} round(s) failed"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${C_ID[i]}" \
			"${C_CLASS[i]}" "${C_AS[i]}" "${C_REF[i]}" \
			"${state:--}" "${C_LABEL[i]}" "${C_CMD[i]}"
	done
}
