#!/bin/bash
# Per-user totals, several test users at once: max_concurrent_jobs
# (table default, rule override) refuses a caller's job over the count at
# once, counted race-free by the helpers, a finished job's slot held
# until its cleanup ends, a dead helper's slot free at once; with an admin's cgroup_parent path, a user's jobs share a parent
# cgroup carrying user_max_memory_mb and user_max_processes.
# Single quotes are meant: the job's shell expands them.
# shellcheck disable=SC2016
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_setup

A=symbi-alice
B=symbi-bob
C=$T_CLIENT
PARENT=/symbi-test-parent-$$

# totals_policy EXTRA-NATIVE-LINES: the test policy, a rule letting bob
# run 3 jobs at once first, the native table given EXTRA.
totals_policy() {
	test_policy | awk -v extra="$1" '
		/^\[\[rule\]\]/ && !done {
			print "[[rule]]"; print "users = [\"symbi-bob\"]"
			print "tiers = [\"none\", \"isolated\"]"
			print "max_concurrent_jobs = 3"; print ""; done = 1
		}
		{ print }
		/^env_keep/ { print extra }'
}

# wait_jobs USER N: until USER has N jobs (sleep processes) running.
wait_jobs() {
	local i
	for ((i = 0; i < 50; i++)); do
		[[ $(pgrep -c -u "$1" -x sleep) -ge $2 ]] && return 0
		sleep 0.1
	done
	return 1
}

# --- max_concurrent_jobs ------------------------------------------------------
# Background jobs are waited for by PID: a bare wait would wait for the
# syslog listener too.
jobs_bg=()
write_policy "$(totals_policy 'max_concurrent_jobs = 2')"
for i in 1 2; do
	as_user $A "$C" -- sh -c 'sleep 3' </dev/null >/dev/null 2>&1 &
	jobs_bg+=($!)
done
for i in 1 2 3; do
	as_user $B "$C" -- sh -c 'sleep 3' </dev/null >/dev/null 2>&1 &
	jobs_bg+=($!)
done
ok "alice runs 2 jobs at once (the table's max_concurrent_jobs = 2)" \
	wait_jobs $A 2
ok "... and bob, at the same time, 3 (his rule's override)" wait_jobs $B 3
run $A "$C" -- sh -c true
is "$rc" 125 "alice's third job is refused at once"
like "$err" "max_concurrent_jobs.*2" "... naming the limit and its value"
ok "... with a syslog line" logged 'deny.*max_concurrent_jobs'
run $B "$C" -- sh -c true
is "$rc" 125 "bob's fourth job is refused"
wait "${jobs_bg[@]}"
run $A "$C" -- sh -c 'echo again'
is "$rc:$out" "0:again" "once alice's jobs ended, she runs again (control)"

# Back to back: a job's slot is held until its helper's cleanup ends
# (the work directory's removal), and the caller's next job waits a
# moment for it, so it is not refused for the last one's cleanup.
write_policy "$(totals_policy 'max_concurrent_jobs = 1')"
as_user $A "$C" -- sh -c 'sleep 3' </dev/null >/dev/null 2>&1 &
first=$!
wait_jobs $A 1
run $A "$C" -- sh -c true
is "$rc" 125 "max_concurrent_jobs = 1: control: a second job while one runs is refused"
wait $first
fill='pwd; mkdir d && cd d && seq 1 5000 | xargs touch'
bad='' cleaning=0
for i in 1 2 3 4 5; do
	run $A "$C" -- sh -c "$fill"
	[[ $rc == 0 ]] || bad+="$i:$rc "
	[[ -e $out ]] && cleaning=$((cleaning + 1))
done
is "$bad" "" "max_concurrent_jobs = 1: five jobs back to back, each leaving 5000 files, all run"
diag "back to back: $cleaning of 5 returned before their work directory was gone"

# A finished job whose cleanup goes on keeps its slot (review2): a
# caller cannot leave more helpers behind (and, under run_as_pool, more
# uids held) than she has slots. The test plays such a helper: it holds
# the second byte of alice's slot 0 in her record, the byte a helper
# holds until it exits (python3's fcntl, F_OFD_SETLK; struct flock).
holder='import fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.fcntl(fd, 37, struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 1, 1, 0))
print("held", flush=True)
time.sleep(float(sys.argv[2]))'
hold_cleanup() { # SECONDS: in the background; returns once the byte is held
	local i
	rm -f "$T_SCRATCH/hold.out"
	python3 -c "$holder" "/run/symbi-exec/users/$(id -u $A)" "$1" \
		>"$T_SCRATCH/hold.out" 2>&1 &
	holder_bg=$!
	for ((i = 0; i < 50; i++)); do
		grep -q held "$T_SCRATCH/hold.out" 2>/dev/null && return 0
		sleep 0.1
	done
	diag "the test's lock: $(cat "$T_SCRATCH/hold.out")"
}
hold_cleanup 7
run $A "$C" -- sh -c 'echo ran'
is "$rc:$out" "125:" "max_concurrent_jobs = 1, the slot's cleanup still under way: the next job waits, then is refused"
like "$err" "max_concurrent_jobs: user $A already runs 1 jobs.*\\(the cleanup of a finished one held its slot longer than the wait\\)" \
	"... saying why"
wait "$holder_bg"
hold_cleanup 1
run $A "$C" -- sh -c 'echo ran'
is "$rc:$out" "0:ran" "... and runs when that cleanup ends within the wait (control)"
wait "$holder_bg"

# helper_below PID: the helper process somewhere below PID (a
# background as_user's subshell), by its chain of parents.
helper_below() {
	local h p
	for h in $(pgrep -x symbi-exec-help); do
		p=$h
		while [[ -n "$p" && "$p" -gt 1 ]]; do
			p=$(ps -o ppid= -p "$p" | tr -d ' ')
			[[ "$p" == "$1" ]] && echo "$h" && return 0
		done
	done
	return 1
}

# A helper killed outright: its slot is free at once, nothing to sweep.
# Two slots, both taken (a third job refused: the control), then the
# first job's helper killed: a third job runs while the second still
# does (sleep 5: had the kill missed, the first job's end would have
# freed the slot only when the second's ended too).
write_policy "$(totals_policy 'max_concurrent_jobs = 2')"
as_user $A "$C" -- sh -c 'sleep 5' </dev/null >/dev/null 2>&1 &
first=$!
as_user $A "$C" -- sh -c 'sleep 5' </dev/null >/dev/null 2>&1 &
second=$!
ok "max_concurrent_jobs = 2: two jobs run (test sanity)" wait_jobs $A 2
run $A "$C" -- sh -c 'echo slot'
is "$rc:$out" "125:" "... control: a third job while both run is refused"
helper=$(helper_below "$first")
ok "... the first job's helper found (test sanity)" [ -n "$helper" ]
kill -9 "$helper"
wait $first 2>/dev/null
run $A "$C" -- sh -c 'echo slot'
is "$rc:$out" "0:slot" "a dead helper's job does not count: a third job runs"
ok "... while the second still runs" kill -0 "$second"
wait $second
# SIGKILL left that helper no time to remove its job's cgroup and work
# directory: that is what the kill is for, not a leak under test.
kill_leftovers
rm -rf "${T_WORKBASE:?}"/*
ok_clean "max_concurrent_jobs"

# --- per-user parents, with totals -------------------------------------------
write_policy "$(totals_policy "cgroup_parent = \"$PARENT\"
user_max_memory_mb = 300
user_max_processes = 40")"
for h in memory pids cpu unified; do
	[[ -d /sys/fs/cgroup/$h ]] &&
		at_exit "rmdir /sys/fs/cgroup/$h$PARENT/user-* /sys/fs/cgroup/$h$PARENT 2>/dev/null"
done
uid_a=$(id -u $A)
uid_b=$(id -u $B)
run $A "$C" -- sh -c 'cat /proc/self/cgroup'
like "$(awk -F: '$2 == "memory" { print $3 }' <<<"$out")" \
	"^$PARENT/user-$uid_a/symbi-exec-job-[0-9a-f]+\$" \
	"cgroup_parent: alice's job lies in her own parent below the admin's path"
run $B "$C" -- sh -c 'cat /proc/self/cgroup'
like "$(awk -F: '$2 == "pids" { print $3 }' <<<"$out")" \
	"^$PARENT/user-$uid_b/symbi-exec-job-[0-9a-f]+\$" \
	"... bob's in his"
if [[ -e /sys/fs/cgroup/cgroup.controllers ]]; then
	mem=$(cat "/sys/fs/cgroup$PARENT/user-$uid_a/memory.max")
	pids=$(cat "/sys/fs/cgroup$PARENT/user-$uid_a/pids.max")
else
	mem=$(cat "/sys/fs/cgroup/memory$PARENT/user-$uid_a/memory.limit_in_bytes")
	pids=$(cat "/sys/fs/cgroup/pids$PARENT/user-$uid_a/pids.max")
fi
is "$mem:$pids" "$((300 << 20)):40" \
	"the per-user parent carries user_max_memory_mb and user_max_processes"
hog='b = b"x" * (200 << 20); import time; time.sleep(2); print("allocated")'
as_user $A "$C" --max-memory=1000 -- python3 -c "$hog" \
	</dev/null >"$T_SCRATCH/a1.out" 2>&1 &
p1=$!
as_user $A "$C" --max-memory=1000 -- python3 -c "$hog" \
	</dev/null >"$T_SCRATCH/a2.out" 2>&1 &
p2=$!
run $B "$C" --max-memory=1000 -- python3 -c "$hog"
is "$rc:$out" "0:allocated" "bob's 200 MB job runs beside alice's (his own total)"
wait $p1
r1=$?
wait $p2
r2=$?
is "$(printf '%s\n' $r1 $r2 | sort | tr '\n' ' ')" "0 137 " \
	"alice's two 200 MB jobs together exceed her 300 MB total: one is OOM-killed"
ok_clean "per-user parents"

# --- the judge --------------------------------------------------------------
for bad in 'cgroup_parent = "relative"' 'cgroup_parent = "/"' \
	'cgroup_parent = "/a/../b"' 'max_concurrent_jobs = 0'; do
	write_policy "$(totals_policy "$bad")"
	run $A "$C" -- sh -c true
	is "$rc" 125 "a policy with $bad denies every request"
	like "$err" "${bad%% *}" "... naming the key"
done
write_policy "$(test_policy)"

done_testing
