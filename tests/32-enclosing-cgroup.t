#!/bin/bash
# Nest, never escape: a job's cgroups lie below its caller's, so a limit
# around the caller (an admin's cgroup, a Slurm job's --mem, a systemd
# slice) holds for the job whatever the job asks for. Here the enclosing
# cgroup is root-made, without Slurm: 200 MB of memory around the caller.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_setup

A=symbi-alice
B=symbi-bob
C=$T_CLIENT

# On a pure v2 host the caller's own cgroup holds the test, so it cannot
# pass memory.max down (no-internal-process rule); the systemd guest test
# covers a slice's MemoryMax there.
skip_all_on_cgroup2 "pure cgroup v2: the enclosing limit is tested in the systemd guest"

json_field() { # JSON KEY
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' \
		"$1" "$2" 2>&1
}

# own HIERARCHY: this test's own cgroup there ("" for cgroup2).
own() {
	awk -F: -v h="$1" '$2 == h { print $3 }' /proc/self/cgroup
}

# The enclosing cgroups, made below this test's own (never elsewhere):
# memory with the limit, and the controller-less cgroup2 of a hybrid host.
name=symbi-test-enclosing-$$
ENC_MREL=$(own memory)
ENC_MREL=${ENC_MREL%/}/$name
ENC_MEM=/sys/fs/cgroup/memory$ENC_MREL
ENC_UREL=$(own "")
ENC_UREL=${ENC_UREL%/}/$name
ENC_UNI=/sys/fs/cgroup/unified$ENC_UREL
[[ -d /sys/fs/cgroup/unified ]] || ENC_UNI=
mkdir "$ENC_MEM" || bail "cannot make $ENC_MEM"
at_exit "rmdir '$ENC_MEM' 2>/dev/null"
echo $((200 << 20)) >"$ENC_MEM/memory.limit_in_bytes"
[[ -e "$ENC_MEM/memory.memsw.limit_in_bytes" ]] &&
	echo $((200 << 20)) >"$ENC_MEM/memory.memsw.limit_in_bytes"
if [[ -n "$ENC_UNI" ]]; then
	mkdir "$ENC_UNI" || bail "cannot make $ENC_UNI"
	at_exit "rmdir '$ENC_UNI' 2>/dev/null"
fi

# run_inside USER CMD...: as run, the caller started inside the enclosing
# cgroups (a subshell moved there by root, then as_user).
run_inside() {
	(echo "$BASHPID" >"$ENC_MEM/cgroup.procs" &&
		{ [[ -z "$ENC_UNI" ]] || echo "$BASHPID" >"$ENC_UNI/cgroup.procs"; } &&
		as_user "$@") </dev/null >"$T_SCRATCH/run.out" 2>"$T_SCRATCH/run.err"
	rc=$?
	out=$(cat "$T_SCRATCH/run.out")
	err=$(cat "$T_SCRATCH/run.err")
}

hog='b = b"x" * (600 << 20); print("allocated")'
small='b = b"x" * (50 << 20); print("allocated")'

# --- the limit around the caller holds --------------------------------------
run_inside $A "$C" --max-memory=1500 -- python3 -c "$small"
is "$rc:$out" "0:allocated" "a 50 MB job inside a 200 MB cgroup runs (control)"
for tier in none isolated; do
	run_inside $A "$C" -t $tier --max-memory=1500 -- python3 -c "$hog"
	is "$rc" 137 "tier $tier: a 600 MB job under --max-memory=1500 inside a 200 MB cgroup is OOM-killed"
	unlike "$out" "allocated" "... and never gets its memory (tier $tier)"
done
run_inside $A "$C" --json --max-memory=1500 -- python3 -c "$hog"
is "$(json_field "$out" killed_reason)" "memory" \
	"... the enclosing cgroup's OOM kill is reported as memory"
run $A "$C" --max-memory=1500 -- python3 -c "$hog"
is "$rc:$out" "0:allocated" "the same job outside the 200 MB cgroup runs (control)"

# --- where the job's cgroups lie ----------------------------------------------
# field HIERARCHY TEXT: the path of HIERARCHY in a /proc/PID/cgroup text.
field() {
	awk -F: -v h="$1" '$2 == h { print $3 }' <<<"$2"
}
# Half a CPU: a quota that covers every CPU gets no cpu cgroup at all.
run_inside $A "$C" --max-cpu=0.5 -- sh -c "cat /proc/self/cgroup"
job_cg=$out
like "$(field memory "$job_cg")" "^$ENC_MREL/symbi-exec-job-[0-9a-f]+\$" \
	"the job's memory cgroup lies inside the caller's"
if [[ -n "$ENC_UNI" ]]; then
	like "$(field "" "$job_cg")" "^$ENC_UREL/symbi-exec-job-[0-9a-f]+\$" \
		"... and its cgroup2 one too (a leaf holding the caller)"
fi
for h in pids cpu; do
	caller=$(own $h)
	if [[ "$caller" == / ]]; then
		want="^/symbi-exec/symbi-exec-job-[0-9a-f]+\$"
	else
		want="^$caller/symbi-exec-job-[0-9a-f]+\$"
	fi
	like "$(field $h "$job_cg")" "$want" \
		"its $h cgroup is below the caller's ($caller; at the root only there)"
done
for h in freezer cpuacct cpuset devices; do
	is "$(field $h "$job_cg")" "$(own $h)" \
		"the $h hierarchy is left alone: the job stays where its caller is"
done

# Tier isolated hides the path (cgroup namespace): look from outside.
# job_cgroup_in DIR: a job cgroup right in DIR, waited for up to 3 s.
job_cgroup_in() {
	local i found
	for ((i = 0; i < 30; i++)); do
		found=$(find "$1" -mindepth 1 -maxdepth 1 -type d \
			-name 'symbi-exec-job-*' 2>/dev/null)
		[[ -n "$found" ]] && break
		sleep 0.1
	done
	echo "$found"
}
as_user $A "$C" -t isolated -- sh -c "sleep 2" </dev/null >/dev/null 2>&1 &
bg=$!
found=$(job_cgroup_in "$ENC_MEM")
# The background client was started outside the enclosing cgroup.
is "$found" "" "tier isolated: a caller outside the 200 MB cgroup leaves it alone (control)"
wait $bg
{ run_inside $A "$C" -t isolated -- sh -c "sleep 2"
	echo "$rc" >"$T_SCRATCH/bg.rc"; } &
bg=$!
found=$(job_cgroup_in "$ENC_MEM")
ok "tier isolated: the job's memory cgroup is inside the caller's" \
	test -n "$found"
wait $bg
is "$(cat "$T_SCRATCH/bg.rc")" 0 "... and the job ran to its end"
run_inside $B "$C" -- sh -c "cat /proc/self/cgroup"
like "$(field memory "$out")" "^$ENC_MREL/symbi-exec-job-[0-9a-f]+\$" \
	"a second user's job nests there too"
ok_clean "enclosing cgroup"
is "$(find "$ENC_MEM" -mindepth 1 -type d)" "" \
	"nothing is left inside the caller's cgroup"

# --- a caller's cgroup that a user may write ------------------------------------
# cgroup v2 lets whoever may write a cgroup move any process below it
# (no uid check) and freeze or kill all of it: a job nested there could
# leave its limits, and its helper, left there, could be frozen past the
# timeout. Such a caller is refused (on a systemd host it gets a scope).
if [[ -n "$ENC_UNI" ]]; then
	DEL=$ENC_UNI/delegated
	mkdir "$DEL" || bail "cannot make $DEL"
	at_exit "rmdir '$DEL' 2>/dev/null"
	chown $A "$DEL" "$DEL/cgroup.procs"
	(echo "$BASHPID" >"$ENC_MEM/cgroup.procs" &&
		echo "$BASHPID" >"$DEL/cgroup.procs" &&
		as_user $A "$C" -- sh -c "echo ran") \
		</dev/null >"$T_SCRATCH/run.out" 2>"$T_SCRATCH/run.err"
	rc=$?
	is "$rc" 125 "a caller in a cgroup2 subtree a user owns is refused"
	like "$(cat "$T_SCRATCH/run.err")" "cgroup can be written by others than root" \
		"... saying why"
	is "$(cat "$T_SCRATCH/run.out")" "" "... and nothing ran"
	like "$(logged "job=.*refused: the caller's .*cgroup is writable")" "authpriv|<8" \
		"... with an audit line"
	chown root "$DEL" "$DEL/cgroup.procs"
	(echo "$BASHPID" >"$ENC_MEM/cgroup.procs" &&
		echo "$BASHPID" >"$DEL/cgroup.procs" &&
		as_user $A "$C" -- sh -c "echo ran") \
		</dev/null >"$T_SCRATCH/run.out" 2>"$T_SCRATCH/run.err"
	rc=$?
	is "$rc:$(cat "$T_SCRATCH/run.out")" "0:ran" \
		"control: the same cgroup, root's alone, runs the job"
	[[ $rc == 0 ]] || diag "$(cat "$T_SCRATCH/run.err")"
	rmdir "$DEL" 2>/dev/null
fi

done_testing
