#!/bin/bash
# Every limit really enforced, and the kill guarantee: nothing a job starts
# outlives it, on exit, on timeout, or when the client is killed.
# Single quotes are meant: the job's shell expands them.
# shellcheck disable=SC2016
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_setup

A=symbi-alice
C=$T_CLIENT

json_field() { # FILE-CONTENT KEY
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' \
		"$1" "$2" 2>&1
}

# --- memory -----------------------------------------------------------------
hog='b = b"x" * (256 << 20); print("allocated")'
run $A "$C" --max-memory=64 -- python3 -c "$hog"
not_ok "a job allocating 256 MB under --max-memory=64 does not succeed" \
	[ "$rc" -eq 0 ]
unlike "$out" "allocated" "... and never gets its memory"
run $A "$C" --json --max-memory=64 -- python3 -c "$hog"
is "$(json_field "$out" killed_reason)" "memory" \
	"... JSON killed_reason is memory"
run $A "$C" --max-memory=512 -- python3 -c "$hog"
is "$rc:$out" "0:allocated" "the same job fits under --max-memory=512 (control)"
ok_clean "memory"

# --- CPU seconds --------------------------------------------------------------
start=$(date +%s%N)
run $A "$C" --max-cpu-seconds=1 --timeout=20 -- bash -c 'while :; do :; done'
ms=$((($(date +%s%N) - start) / 1000000))
like "$rc" '^(137|152)$' "a busy loop under --max-cpu-seconds=1 dies by SIGXCPU or SIGKILL"
ok "... after about a second of CPU (took ${ms} ms)" [ "$ms" -lt 8000 ]
run $A "$C" --json --max-cpu-seconds=1 --timeout=20 -- \
	bash -c 'while :; do :; done'
is "$(json_field "$out" killed_reason)" "cpu" "... JSON killed_reason is cpu"
ok_clean "cpu"

# --- processes ------------------------------------------------------------
forker='
import os, time
n = 0
for i in range(40):
    try:
        pid = os.fork()
    except OSError as e:
        print("fork refused after", n)
        break
    if pid == 0:
        time.sleep(2)
        os._exit(0)
    n += 1
print("forked", n)
'
run $A "$C" --max-processes=10 -- python3 -c "$forker"
like "$out" "fork refused" "--max-processes=10: a fork loop is refused"
n=$(sed -n 's/.*refused after //p' <<<"$out")
ok "... before more than 10 processes exist (forked ${n:-?})" \
	[ "${n:-99}" -lt 10 ]
run $A "$C" --max-processes=64 -- python3 -c "$forker"
like "$out" "^forked 40$" "the same loop under --max-processes=64 (control)"
ok_clean "processes"

# --- file size ----------------------------------------------------------------
dd_job='dd if=/dev/zero of=big bs=1M count=2 2>/dev/null; echo "rc=$? size=$(stat -c %s big)"'
run $A "$C" --max-file-size=1 -- bash -c "trap '' XFSZ; $dd_job"
is "$out" "rc=1 size=1048576" "--max-file-size=1: a 2 MB write stops at 1 MiB (EFBIG)"
run $A "$C" --max-file-size=1 -- bash -c "$dd_job"
like "$out" "size=1048576" "... or dies by SIGXFSZ when not ignored"
unlike "$out" "rc=0" "... never succeeding"
run $A "$C" --max-file-size=4 -- bash -c "$dd_job"
is "$out" "rc=0 size=2097152" "the same write under --max-file-size=4 (control)"

# --- open files ---------------------------------------------------------------
opener='
import os
fds = []
try:
    for i in range(50):
        fds.append(os.open("/dev/null", os.O_RDONLY))
    print("opened 50")
except OSError as e:
    print("refused at", max(fds, default=2) + 1, e.errno)
'
run $A "$C" --max-open-files=20 -- python3 -c "$opener"
like "$out" "^refused at [0-9]+ 24$" "--max-open-files=20: opening 50 files fails with EMFILE"
n=$(awk '{print $3}' <<<"$out")
ok "... with at most 20 descriptors open (got ${n:-?})" [ "${n:-99}" -le 20 ]
run $A "$C" --max-open-files=100 -- python3 -c "$opener"
is "$out" "opened 50" "the same job under --max-open-files=100 (control)"

# --- wall-clock timeout -----------------------------------------------------
start=$(date +%s%N)
run $A "$C" --timeout=1 -- bash -c 'sleep 30'
ms=$((($(date +%s%N) - start) / 1000000))
is "$rc" 124 "--timeout=1 on sleep 30 exits 124"
ok "... within 2.5 s (took ${ms} ms)" [ "$ms" -lt 2500 ]
is "$err" "symbi-exec: job killed: wall-clock limit of 1 s reached" \
	"... and says why on stderr, in one line"
run $A "$C" -q --timeout=1 -- bash -c 'sleep 30'
is "$rc:$err" "124:" "... -q: the same exit, no line"
ok_clean "timeout"

# --- CPU cores: a quota where it can bind, none where it cannot -----------
# own: the job's own cgroup in the cpu hierarchy (v1) or a cpu.max (v2).
cpu_job='c=$(grep -E "^[0-9]+:([^:]*,)?cpu(,[^:]*)?:" /proc/self/cgroup | cut -d: -f3)
if [ -n "$c" ]; then case $c in *symbi-exec-job-*) echo own ;; *) echo none ;; esac
else q=$(cut -d" " -f1 "/sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup)/cpu.max" 2>/dev/null)
case $q in "" | max) echo none ;; *) echo own ;; esac; fi'
run $A "$C" --max-cpu=0.5 -- sh -c "$cpu_job"
is "$rc:$out" "0:own" "--max-cpu=0.5: the job has a CPU quota of its own"
ncpu=$(getconf _NPROCESSORS_ONLN)
write_policy "$(test_policy | sed "s/^max_cpu_cores = .*/max_cpu_cores = $ncpu.0/")"
run $A "$C" --max-cpu="$ncpu" -- sh -c "$cpu_job"
is "$rc:$out" "0:none" \
	"--max-cpu=$ncpu, every online CPU: no quota, which would bound nothing"
write_policy "$(test_policy)"
ok_clean "cpu quota"

# --- ending a job: SIGTERM first, SIGKILL after the grace period -----------
trapper='trap "echo got TERM; exit 3" TERM; sleep 30 & wait'
run $A "$C" --timeout=1 -- bash -c "$trapper"
is "$rc:$out" "124:got TERM" "on timeout a job that traps SIGTERM gets it"
stubborn='trap "echo got TERM" TERM; for i in $(seq 30); do sleep 1; done
echo survived'
run $A "$C" --timeout=1 --kill-after=1 -- bash -c "$stubborn"
is "$rc:$out" "124:got TERM" \
	"one that ignores it is killed after --kill-after=1 (never survives)"
run $A "$C" --json --timeout=1 --kill-after=1 -- bash -c "$stubborn"
is "$(json_field "$out" killed_reason)" "timeout" \
	"... JSON killed_reason is timeout"
# The client's SIGINT (Ctrl-C without a terminal for the job) or SIGTERM
# ends the job the same way. env --default-signal: the test script's
# background jobs start with SIGINT ignored, and an ignored signal is not
# forwarded.
# client_signal SIG JOB: alice's client running bash -c JOB gets SIG once
# the job sleeps; sets rc and out (stdout: bash says on stderr which of
# its children died of the SIGTERM).
client_signal() {
	local bg client i
	as_user $A env --default-signal=INT "$C" --kill-after=1 -- bash -c "$2" \
		</dev/null >"$T_SCRATCH/sig.out" 2>/dev/null &
	bg=$!
	for ((i = 0; i < 100; i++)); do
		pgrep -u $A -x sleep >/dev/null && break
		sleep 0.1
	done
	client=$(pgrep -u $A -x symbi-exec | head -n 1)
	kill -s "$1" "$client"
	wait "$bg"
	rc=$?
	out=$(cat "$T_SCRATCH/sig.out")
}
for sig in INT TERM; do
	client_signal $sig "$trapper"
	is "$rc:$out" "3:got TERM" \
		"SIG$sig to the client: the job gets SIGTERM, which it traps"
	client_signal $sig "$stubborn"
	is "$rc:$out" "137:got TERM" \
		"SIG$sig to the client: one that ignores it is killed after --kill-after=1"
done
ok_clean "the client's signals"
run $A "$C" --kill-after=6 -- sh -c :
is "$rc" 125 "--kill-after above kill_grace_seconds (default 5) is refused"
like "$err" "--kill-after=6 s exceeds the policy ceiling of 5 s" \
	"... naming the option and both values"
run $A "$C" --kill-after=5 -- sh -c :
is "$rc" 0 "--kill-after=5 runs (control)"
ok_clean "grace"

# --- the kill guarantee -------------------------------------------------------
marks=$(user_dir $A 0755)
# A daemon: double fork, new session, survives its parent, acts later.
escapee() {
	echo "(setsid bash -c 'sleep 2; touch $marks/$1' </dev/null >/dev/null 2>&1 &)"
}
run $A "$C" -- bash -c "$(escapee exit); exit 0"
is "$rc" 0 "a job that leaves a double-forked setsid daemon exits 0"
ok "... and the daemon is dead when the client returns" no_user_procs_within 5
run $A "$C" --timeout=1 -- bash -c "$(escapee timeout); sleep 30"
is "$rc" 124 "a job that leaves a daemon and times out: 124"
ok "... and the daemon is dead when the client returns" no_user_procs_within 5
as_user $A "$C" -- bash -c "$(escapee client); sleep 30" </dev/null \
	>/dev/null 2>&1 &
bg=$!
for ((i = 0; i < 50; i++)); do
	pgrep -u $A -x sleep >/dev/null && break
	sleep 0.1
done
ok "a job is running (test sanity)" pgrep -u $A -x sleep
client=$(pgrep -u $A -x symbi-exec)
ok "the client is running (test sanity)" [ -n "$client" ]
[[ -n "$client" ]] && kill -KILL "$client"
ok "client killed by SIGKILL: the job and its daemon die within a second" \
	no_user_procs_within 10
wait "$bg" 2>/dev/null
ok "... and the helper is gone" helpers_gone_within 20
sleep 1.5
ok "no daemon ever acted (no marker after 2 s)" absent "$marks/exit" \
	"$marks/timeout" "$marks/client"
ok_clean "kill guarantee"

done_testing
