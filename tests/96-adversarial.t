#!/bin/bash
# The adversarial suite, part one (issue 5): hostile wire traffic from a
# raw client, the caller against a running helper, and hostile numbers.
# Every case runs as an unprivileged test user against the installed
# setuid helper, and ends with nothing run that should not have run and
# nothing left behind. The job that would betray a break-in is always
# `sh -c 'touch MARKER'`; the control case shows that same job does run
# when the request is sound, so a refusal is never a broken harness.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

t_setup

RAW=$T_TOOLS/rawclient
ALICE=symbi-alice     # in symbi-agents: the policy's rule admits her
MALLORY=symbi-mallory # in no group the policy names
mark=$(user_dir "$ALICE" 0755)
touch_job=(sh -c "touch $mark/ran")

# raw MODE [RAWCLIENT-OPTIONS...]: run the raw client as alice in MODE with
# the marker job; passes when rawclient says the expected outcome happened.
raw() {
	local mode=$1
	shift
	run "$ALICE" "$RAW" -q -m "$mark" "$@" "$T_HELPER" "$mode" -- \
		"${touch_job[@]}"
}

raw_ok() {
	local desc=$1
	shift
	raw "$@"
	if [[ $rc == 0 ]]; then pass "$desc"; else fail "$desc"; show_run; fi
}

# ---- the wire --------------------------------------------------------

raw_ok "control: a sound raw request runs the marker job" valid
for mode in bad-magic bad-version short-header length-mismatch truncated \
	oversized trailing empty eof signal-first unknown-type reply-type \
	fd-pass zero-limit unknown-flag bad-tier bad-mode nul-arg huge-count \
	long-string; do
	raw_ok "wire: $mode is refused, nothing runs" "$mode"
done
ok_clean "wire"

# A second REQUEST after the first was answered: the helper must treat it
# as fatal and kill the job before it gets to the marker.
run "$ALICE" "$RAW" -q -m "$mark" -W 4 "$T_HELPER" repeat -- \
	sh -c "sleep 2; touch $mark/ran"
is "$rc" 0 "wire: a repeated REQUEST ends the job and the helper (125)"
[[ $rc == 0 ]] || show_run

raw_ok "wire: every truncation of a real request is refused" truncate-all
start=$SECONDS
raw_ok "wire: 300 mutated copies of a real request (seed 1): each refused or legal, none crashes" \
	mutate -N 300 -s 1
diag "mutate: $(grep '^mutate' <<<"$out") in $((SECONDS - start)) s"
raw_ok "wire: 300 more (seed 20240607)" mutate -N 300 -s 20240607
ok_clean "mutations"

# ---- what the policy forbids, asked for on the wire ---------------------

raw_ok "policy: memory above the ceiling is denied" forbidden -l max_memory_mb=4096
raw_ok "policy: 2^64-1 seconds of timeout is denied" forbidden \
	-l max_execution_time_seconds=18446744073709551615
raw_ok "policy: firecracker without a runtime is denied" forbidden -t firecracker
raw_ok "policy: network on tier isolated is denied" forbidden -t isolated -n
raw_ok "policy: LD_PRELOAD through --env is denied" forbidden \
	-e LD_PRELOAD=/tmp/evil.so
run "$ALICE" "$RAW" -q -m "$mark" "$T_HELPER" forbidden -- \
	perl -e "open(F, '>$mark/ran')"
is "$rc" 0 "policy: an executable outside the allowlist is denied"
[[ $rc == 0 ]] || show_run
# Identity comes from the kernel: mallory, dressed up as alice, is no one
# the policy admits.
run "$MALLORY" USER="$ALICE" LOGNAME="$ALICE" SUDO_USER="$ALICE" \
	SUDO_UID="$(id -u "$ALICE")" "$RAW" -q -m "$mark" "$T_HELPER" forbidden \
	-- "${touch_job[@]}"
is "$rc" 0 "identity: a caller claiming another user's name is still denied"
[[ $rc == 0 ]] || show_run

# ---- the work directory, judged by the helper alone ----------------------

# The helper resolves -C DIR as the caller and checks the canonical path:
# in tier isolated it is bound at its own path, so no spelling of the
# view's own mounts (/proc: the host's procfs over the sandbox's, and
# through /proc/PID/root the caller's host files) may get through, nor a
# path that is not absolute. Control: alice's own directory under
# volume_roots, bound at its path, runs the marker job there. (-C: the
# request chose it; the caller's current directory, -w alone, gives way to a
# private one under this policy's private_workdir: -c -w is -C.)
H=$(home_of "$ALICE")
hmark=$(mktemp -d "$H/symbi-mark.XXXXXX")
chown "$ALICE:" "$hmark"
T_CLEAN+=("$hmark")
run "$ALICE" "$RAW" -q -m "$hmark" -t isolated -c -w "$hmark" "$T_HELPER" valid -- \
	sh -c "touch $hmark/ran"
is "$rc" 0 "workdir: control: alice's own directory as -C in tier isolated runs the job"
[[ $rc == 0 ]] || show_run
rm -f "$hmark/ran"
for w in //proc proc x . /./proc /proc/ /proc/self/root/proc /tmp/../dev; do
	raw forbidden -t isolated -c -w "$w"
	is "$rc:$(grep -o 'verdict=[0-9a-z]*' <<<"$out")" "0:verdict=125" \
		"workdir: '$w' in tier isolated is refused (125), nothing runs"
	[[ $rc == 0 ]] || show_run
done
raw forbidden -t none -c -w x
is "$rc:$(grep -o 'verdict=[0-9a-z]*' <<<"$out")" "0:verdict=125" \
	"workdir: a relative 'x' in tier none is refused (125), nothing runs"
raw_ok "workdir: control: -C / in tier none (nothing is bound there) runs the job" \
	valid -t none -c -w /
ok_clean "workdir"

# ---- every other field of the request, judged by the helper alone ---------

# Volumes and environment entries the real client would refuse, sent raw:
# each refused (125), nothing run. Controls: a sound volume (alice's home,
# under volume_roots, at its own path, the marker inside it) and a sound
# --env run the marker job.
run "$ALICE" "$RAW" -q -m "$hmark" -t isolated -v "$H:$H" "$T_HELPER" valid -- \
	sh -c "touch $hmark/ran"
is "$rc" 0 "fields: control: alice's home as a volume at its own path runs the job"
[[ $rc == 0 ]] || show_run
rm -f "$hmark/ran"
raw_ok "fields: control: an env_keep variable with a value runs the job" \
	valid -e SYMBI_TEST_OK=1
rm -f "$mark/ran"
for v in /etc:/x "$H:/proc" "$H:/proc/x" "$H:/dev" "$H:/" rel:/x \
	"$H/../$(basename "$H"):/x" "$H:x" "$H:/x:bogus" ":/x"; do
	raw forbidden -t isolated -v "$v"
	is "$rc:$(grep -o 'verdict=[0-9a-z]*' <<<"$out")" "0:verdict=125" \
		"fields: volume '$v' is refused (125), nothing runs"
done
for e in NOEQUALS =x LD_PRELOAD=x "BASH_ENV=/tmp/x"; do
	raw forbidden -e "$e"
	is "$rc:$(grep -o 'verdict=[0-9a-z]*' <<<"$out")" "0:verdict=125" \
		"fields: --env '$e' is refused (125), nothing runs"
done
ok_clean "fields"

# Every limit the wire carries, judged by the helper alone: at the test
# policy's ceiling the marker job runs (the control), one above it is
# refused and nothing runs. (max_cpu_cores travels in millicores.)
for lim in max_memory_mb=2048 max_cpu_cores=2000 max_cpu_seconds=60 \
	max_execution_time_seconds=60 max_processes=256 max_file_size_mb=64 \
	max_open_files=256 kill_grace_seconds=5; do
	name=${lim%=*} ceil=${lim#*=}
	raw_ok "limits: control: $name at the ceiling ($ceil) runs the job" \
		valid -l "$lim"
	rm -f "$mark/ran"
	raw_ok "limits: $name=$((ceil + 1)) is refused, nothing runs" \
		forbidden -l "$name=$((ceil + 1))"
done
ok_clean "limits"

# The image: only for the docker tiers, and only one the policy lists.
# (The control, an allowed image that runs, needs an engine: 85-docker.t.)
raw_ok "image: an image on tier none is refused, nothing runs" \
	forbidden -t none -i python:3.12-slim
raw_ok "image: an image on tier isolated is refused, nothing runs" \
	forbidden -t isolated -i python:3.12-slim
raw_ok "image: an image the policy does not list is refused, nothing runs" \
	forbidden -t docker -i "evil:latest"
raw_ok "image: an allowed image with a path's spelling is refused, nothing runs" \
	forbidden -t docker -i "../python:3.12-slim"
ok_clean "image"

# ---- --list and --dry-run, sent raw ----------------------------------------

# The helper answers --list with the listing and --dry-run with a verdict,
# and runs nothing for either. What the real client never sends in these
# modes (a COMMAND to --list, a terminal or --json's capture to either)
# and the wire's malformations are refused (125), nothing runs; a dry run
# is judged as a run. Controls: a sound request of each mode, through the
# same harness, gets its answer and runs nothing.
# raw_in list|dry-run MODE [RAWCLIENT-OPTIONS...]: raw in that request
# mode; --list sends no COMMAND (as the client), --dry-run the marker job.
raw_in() {
	local m=$1 mode=$2
	shift 2
	if [[ $m == list ]]; then
		run "$ALICE" "$RAW" -q -m "$mark" -M list "$@" "$T_HELPER" "$mode"
	else
		raw "$mode" -M "$m" "$@"
	fi
}

raw_in_ok() {
	local desc=$1
	shift
	raw_in "$@"
	if [[ $rc == 0 ]]; then pass "$desc"; else fail "$desc"; show_run; fi
}

raw_in_ok "list: control: a sound raw --list gets the listing, nothing runs" \
	list valid
raw_in_ok "dry-run: control: a sound raw --dry-run of the marker job is allowed, it does not run" \
	dry-run valid
for m in list dry-run; do
	for wire in oversized truncated trailing unknown-flag bad-tier \
		zero-limit huge-count long-string; do
		raw_in_ok "$m: $wire is refused, nothing runs" "$m" "$wire"
	done
	raw_in_ok "$m: with a terminal (REQ_PTY and a pty) is refused" \
		"$m" forbidden -P new
	raw_in_ok "$m: with --json's capture flag is refused" "$m" forbidden -j
	raw_in_ok "$m: every truncation is refused" "$m" truncate-all
	raw_in_ok "$m: 100 mutated copies (seed 7): each refused or legal, none crashes" \
		"$m" mutate -N 100 -s 7
done
raw_in_ok "dry-run: memory above the ceiling is denied, as for a run" \
	dry-run forbidden -l max_memory_mb=4096
run "$ALICE" "$RAW" -m "$mark" -M list "$T_HELPER" forbidden -- \
	"${touch_job[@]}"
is "$rc" 0 "list: with a COMMAND is refused (125), nothing runs"
[[ $rc == 0 ]] || show_run
like "$err" "malformed request" "... and the helper says why"
ok_clean "list and dry-run"

# ---- the caller against the helper ---------------------------------------

# descendant ROOT COMM: the pid of a process below ROOT whose command
# name is COMM, waiting up to 5 s for it to appear.
descendant() {
	local i p
	for ((i = 0; i < 50; i++)); do
		p=$(ps -e -o pid=,ppid=,comm= | awk -v root="$1" -v comm="$2" '
			{ parent[$1] = $2; name[$1] = $3 }
			END {
				for (p in name) {
					if (name[p] != comm) continue
					q = parent[p]
					while (q != "" && q != 0 && q != root) q = parent[q]
					if (q == root) { print p; exit }
				}
			}')
		[[ -n "$p" ]] && { echo "$p"; return 0; }
		sleep 0.1
	done
	return 1
}

alive() {
	kill -0 "$1" 2>/dev/null
}

gone_within() { # PID SECONDS: it exits after its last answer, soon
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		alive "$1" || return 0
		sleep 0.1
	done
	return 1
}

# start_job TIMEOUT: alice's client running `sleep 30` under --timeout;
# sets bg (the shell job to wait for), cpid (client), hpid (helper),
# jpid (the job's sleep).
start_job() {
	as_user "$ALICE" "$T_CLIENT" --timeout="$1" -- sh -c 'sleep 30' \
		</dev/null >/dev/null 2>&1 &
	bg=$!
	cpid=$(descendant "$bg" symbi-exec) &&
		hpid=$(descendant "$cpid" symbi-exec-help) &&
		jpid=$(descendant "$hpid" sleep)
}

t0=$SECONDS
if start_job 3; then
	is "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$hpid/status")" \
		"0 0 0 0" "helper: real, effective, saved and fs uid all root while the job runs"
	run "$ALICE" "$RAW" probe "$hpid"
	is "$rc" 0 "caller: kill (STOP, TERM, KILL), ptrace, /proc/PID/mem and exe, process_vm_readv, pidfd all refused"
	[[ $rc == 0 ]] || show_run
	wait "$bg"
	is "$?" 124 "caller: the timeout still holds after the attack (124)"
	took=$((SECONDS - t0))
	ok "caller: ... and on time (${took} s for a 3 s timeout)" \
		test "$took" -le 10
	not_ok "caller: the job is gone" alive "$jpid"
else
	fail "caller: could not start a job to attack"
fi
ok_clean "caller vs helper"

# A stopped client stops nothing: the helper still enforces the timeout.
if start_job 2; then
	as_user "$ALICE" kill -STOP "$cpid"
	sleep 4
	not_ok "stopped client: the job was killed at its timeout" alive "$jpid"
	as_user "$ALICE" kill -CONT "$cpid"
	wait "$bg"
	is "$?" 124 "stopped client: exit 124 once resumed"
else
	fail "stopped client: could not start a job"
fi
ok_clean "stopped client"

# A client killed outright takes its job with it.
if start_job 30; then
	as_user "$ALICE" kill -KILL "$cpid"
	wait "$bg" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		alive "$jpid" || break
		sleep 0.1
	done
	not_ok "killed client: the job dies with it" alive "$jpid"
else
	fail "killed client: could not start a job"
fi
ok_clean "killed client"

# Root tells the helper to stop (scancel, a shutdown, an admin): SIGTERM,
# SIGHUP or SIGINT ends the job, the helper cleans up and reports, and
# the client says why. Tiers none and isolated (the namespace init).
for tier in none isolated; do
	for sig in TERM HUP INT; do
		as_user "$ALICE" "$T_CLIENT" -t "$tier" --timeout=30 -- \
			sh -c 'sleep 30' </dev/null >/dev/null \
			2>"$T_SCRATCH/stop.err" &
		bg=$!
		if cpid=$(descendant "$bg" symbi-exec) &&
			hpid=$(descendant "$cpid" symbi-exec-help) &&
			jpid=$(descendant "$hpid" sleep); then
			pass "helper told to stop ($tier, $sig): control: the job runs"
			kill -s "$sig" "$hpid"
			wait "$bg"
			crc=$?
			ok "helper told to stop ($tier, $sig): the job was killed (exit $crc)" \
				test "$crc" -eq 137 -o "$crc" -eq 143
			like "$(cat "$T_SCRATCH/stop.err")" "ended: the helper got SIG$sig from pid" \
				"helper told to stop ($tier, $sig): ... and the client says why"
			not_ok "helper told to stop ($tier, $sig): the job is gone" alive "$jpid"
			ok "helper told to stop ($tier, $sig): the helper is gone" \
				gone_within "$hpid" 5
		else
			fail "helper told to stop ($tier, $sig): could not start a job"
			kill "$bg" 2>/dev/null
			wait "$bg"
		fi
		ok_clean "helper told to stop ($tier, $sig)"
	done
done
like "$(grep "SIGTERM from pid=" "$T_SYSLOG" | tail -n 1)" "job=[0-9a-f]+: SIGTERM from pid=[0-9]+ uid=0: job ended" \
	"helper told to stop: the audit trail says who"

# ---- the job against its own cleanup -------------------------------------

# The work directory is removed whatever the job left in it and whatever
# rlimits the caller set: a tree nested deeper than the descriptors the
# cleanup may hold (the caller lowered the hard RLIMIT_NOFILE to 64, the
# least the helper accepts) must not survive the job.
# shellcheck disable=SC2016 # expanded by the job's sh, not here
nest='i=0; while [ $i -lt 200 ]; do mkdir d && cd d || exit 1; i=$((i + 1)); done'
run "$ALICE" bash -c 'ulimit -Sn 64 && ulimit -Hn 64 && exec "$@"' bash \
	"$T_CLIENT" -- sh -c "$nest"
is "$rc" 0 "cleanup: a job nests 200 directories under a caller's RLIMIT_NOFILE of 64"
ok_clean "cleanup: deep tree, tiny RLIMIT_NOFILE"
# One failure per bug: what this case left must not fail the later ones.
[[ -d "$T_WORKBASE" ]] && find "$T_WORKBASE" -mindepth 1 -maxdepth 1 \
	-exec rm -rf {} +

# Job cgroups and job work directories; no_job_leftovers_within SECONDS:
# true once there are none.
job_leftovers() {
	leftover_cgroups
	[[ -d "$T_WORKBASE" ]] && find "$T_WORKBASE" -mindepth 2 -maxdepth 2 -name 'job-*'
	return 0
}
no_job_leftovers_within() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		[[ -z "$(job_leftovers)" ]] && return 0
		sleep 0.1
	done
	return 1
}

# A tree the cleaner cannot empty in its first 5 s is not abandoned: it
# goes on after the reply. (No timed assertion: a bounded wait.)
flood='import os
os.mkdir("d")
for i in range(300000):
    open("d/%d" % i, "w").close()
print(len(os.listdir("d")))'
# (A loaded machine takes a minute to make them: a ceiling of 10 min.)
write_policy "$(test_policy | sed 's/^max_execution_time_seconds = .*/max_execution_time_seconds = 600/')"
run "$ALICE" "$T_CLIENT" --timeout=600 -- python3 -c "$flood"
is "$rc:$out" "0:300000" "cleanup: a job leaves 300000 files in its work directory"
ok "cleanup: ... and the tree is gone afterwards" no_job_leftovers_within 600
ok_clean "cleanup: 300000 files"
write_policy "$(test_policy)"

# Each job's record (/run/symbi-exec/job-ID) goes with its job. A record
# left here would be swept by the next run's detached sweeper, which could
# then sweep the killed helper's below before this test looks.
job_records() {
	find /run/symbi-exec -maxdepth 1 -name 'job-*' 2>/dev/null
	return 0
}
no_job_records_within() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		[[ -z "$(job_records)" ]] && return 0
		sleep 0.1
	done
	return 1
}
ok "records: every finished job's record is gone" no_job_records_within 10 ||
	diag "$(job_records)" "$(grep -E 'swept|record' "$T_SYSLOG")"

# A helper killed outright (SIGKILL: no cleanup at all) leaves its job's
# cgroup and work directory; the next run sweeps them, and nothing else.
# (In alice's own directory of the base, where the sweep works.)
other=$(mktemp -d "$T_WORKBASE/$(id -u "$ALICE")/not-a-job.XXXXXX")
as_user "$ALICE" "$T_CLIENT" --timeout=60 -- sh -c 'mkdir d && touch d/f && sleep 30' \
	</dev/null >/dev/null 2>&1 &
bg=$!
if cpid=$(descendant "$bg" symbi-exec) &&
	hpid=$(descendant "$cpid" symbi-exec-help) &&
	jpid=$(descendant "$hpid" sleep); then
	kill -KILL "$hpid"
	wait "$bg"
	left=$(job_leftovers)
	like "$left" "job-" "killed helper: control: it left its job's cgroup and work directory ($(xargs <<<"$left"))"
	run "$ALICE" "$T_CLIENT" -- sh -c true
	is "$rc" 0 "killed helper: the next job runs"
	ok "killed helper: ... and its run sweeps what the killed one left" \
		no_job_leftovers_within 10
	ok "killed helper: ... and nothing it did not make" test -d "$other"
	id=$(grep -o -m 1 'job-[0-9a-f]*$' <<<"$left")
	like "$(logged "swept $id,")" "swept $id, left by a helper that was killed$" \
		"killed helper: ... saying so in the audit trail"
else
	fail "killed helper: could not start a job"
	kill "$bg" 2>/dev/null
	wait "$bg"
fi
rmdir "$other"
ok_clean "killed helper"

# A record its helper leaves on purpose, because its job's work directory
# could not be emptied (the test makes a file in it immutable while the
# job runs), says why in the next run's sweep, not that its helper was
# killed (review2 F1); once it can be emptied, a later run's sweep does.
as_user "$ALICE" "$T_CLIENT" -- sh -c 'pwd; touch stuck; sleep 1' \
	</dev/null >"$T_SCRATCH/stuck.out" 2>&1 &
bg=$!
for ((i = 0; i < 50; i++)); do
	wd=$(head -n 1 "$T_SCRATCH/stuck.out" 2>/dev/null)
	[[ -n $wd && -e $wd/stuck ]] && break
	sleep 0.1
done
if chattr +i "$wd/stuck" 2>/dev/null; then
	at_exit "chattr -i '$wd/stuck' 2>/dev/null"
	wait "$bg"
	helpers_gone_within 100
	id=${wd##*/}
	run "$ALICE" "$T_CLIENT" -- sh -c true
	like "$(logged "swept $id,")" "swept $id, left since its work directory could not be emptied \\(not all of it yet\\)\$" \
		"a record left on purpose: the next run's sweep says why, not that its helper was killed"
	chattr -i "$wd/stuck"
	helpers_gone_within 100
	run "$ALICE" "$T_CLIENT" -- sh -c true
	for ((i = 0; i < 100; i++)); do
		[[ -e $wd ]] || break
		sleep 0.1
	done
	not_ok "... and once the directory can be emptied, a later run's sweep removes it" \
		test -e "$wd"
else
	wait "$bg"
	skip_or_fail_in_ci "chattr +i is not supported in $T_WORKBASE" 2
fi
ok_clean "a record left on purpose"

# A tmp- record (sweep_record writes tmp-ID, locks it, renames it job-ID)
# that a helper killed before the rename left: swept once stale (10 s
# untouched), like a record of its job; never one that a live process
# holds, nor one just made, nor anything but a regular file.
tmp_rec=/run/symbi-exec/tmp-00000000deadbe
T_CLEAN+=("${tmp_rec}e1" "${tmp_rec}e2" "${tmp_rec}e3" "${tmp_rec}e4" "$T_SCRATCH/tmp-held")
: >"${tmp_rec}e1"
: >"${tmp_rec}e2"
: >"${tmp_rec}e3"
mkdir "${tmp_rec}e4"
touch -d '1 hour ago' "${tmp_rec}e1" "${tmp_rec}e2" "${tmp_rec}e4"
(exec 9<"${tmp_rec}e2" && flock 9 && touch "$T_SCRATCH/tmp-held" && exec sleep 60) &
holder=$!
for ((i = 0; i < 50; i++)); do
	[[ -e $T_SCRATCH/tmp-held ]] && break
	sleep 0.1
done
run "$ALICE" "$T_CLIENT" -- sh -c true
is "$rc" 0 "tmp- records: a job runs beside them"
absent_within() { # PATH DS
	local i
	for ((i = 0; i < $2; i++)); do
		[[ -e $1 ]] || return 0
		sleep 0.1
	done
	return 1
}
ok "... and its run sweeps a stale one no one holds" absent_within "${tmp_rec}e1" 100
like "$(logged "swept job-00000000deadbee1,")" "swept job-00000000deadbee1, left by a helper that was killed$" \
	"... saying so in the audit trail"
ok "... not one a live process holds (control)" test -f "${tmp_rec}e2"
ok "... nor one just made (control)" test -f "${tmp_rec}e3"
ok "... nor a directory (control)" test -d "${tmp_rec}e4"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
rm -rf "${tmp_rec}e1" "${tmp_rec}e2" "${tmp_rec}e3" "${tmp_rec}e4"

# ---- numbers -----------------------------------------------------------

bad_numbers=(-1 4294967297 18446744073709551616 99999999999999999999999
	0x10 '' 0 1e3 ' 7' '7 ' +7 07x)
for opt in --max-memory --max-cpu --max-cpu-seconds --timeout \
	--max-processes --max-file-size --max-open-files; do
	bad=
	for v in "${bad_numbers[@]}"; do
		run "$ALICE" "$T_CLIENT" "$opt=$v" -- "${touch_job[@]}"
		if [[ $rc != 125 || -e $mark/ran ]]; then
			bad+="'$v' (exit $rc) "
			rm -f "$mark/ran"
		fi
	done
	is "$bad" "" "numbers: $opt=-1, 2^32+1, 2^64, huge, hex, empty, 0, ... all exit 125, nothing runs"
done
for var in SYMBIONT_NATIVE_MAX_MEMORY_MB SYMBIONT_NATIVE_MAX_CPU_CORES; do
	bad=
	for v in -1 4294967297 0x10 1e3 ' 5'; do
		run "$ALICE" "$var=$v" "$T_CLIENT" -- "${touch_job[@]}"
		if [[ $rc != 125 || -e $mark/ran ]]; then
			bad+="'$v' (exit $rc) "
			rm -f "$mark/ran"
		fi
	done
	is "$bad" "" "numbers: $var=-1, 2^32+1, hex, 1e3, ' 5' all exit 125 (empty means unset)"
done

# ---- arguments reach the job verbatim ------------------------------------

run "$ALICE" "$T_CLIENT" -- sh -c 'printf "[%s]" "$@"' sh --max-memory=1 \
	--help -- "a;b" "\$(touch $mark/ran)" $'l1\nl2' '*'
is "$out" "[--max-memory=1][--help][--][a;b][\$(touch $mark/ran)][l1
l2][*]" "argv: options after the command, metacharacters and newlines reach the job verbatim"
not_ok "argv: no shell expanded them" test -e "$mark/ran"

ok_clean "adversarial suite"
done_testing
