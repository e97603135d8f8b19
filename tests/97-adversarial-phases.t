#!/bin/bash
# The adversarial suite, part two (issue 5): the caller against the helper
# at every phase of its life, not only while the job runs; the job against
# its own end; an output flood without --json; an executable swapped
# between check and exec. Every case runs as an unprivileged test user
# against the installed setuid helper and ends with nothing run that
# should not have run, nothing left behind, and a clear message; each
# hostile case has a control, the same job when nothing hostile happens,
# so a refusal or a kill is never a broken harness.
#
# Tools: tests/tools/phaser.c (starts the helper as the client does and
# attacks it as the caller at a chosen phase: kill STOP/CONT/TERM/KILL,
# ptrace ATTACH/SEIZE, /proc/PID/mem for reading and writing,
# /proc/PID/exe for writing), tests/tools/exchanger.c (renameat2
# RENAME_EXCHANGE in a loop).
# Single quotes are meant throughout: the job's shell expands them.
# shellcheck disable=SC2016
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

t_setup

A=symbi-alice     # in symbi-agents: the policy's rule admits her
B=symbi-bob       # the run_as account of mallory's rule below
M=symbi-mallory   # admitted by her own rule only, running as bob
C=$T_CLIENT
PHASER=$T_TOOLS/phaser
EXCHANGER=$T_TOOLS/exchanger
HA=$(home_of "$A")

# The standard policy, plus: one more allowed executable (case 4;
# TP_EXTRA_EXE), another secure_path (case 4; TP_SECURE_PATH), and a rule
# that runs mallory's jobs as bob.
p97_policy() {
	test_policy | sed -e "s|\"symbi-no-such-command\"]|\"symbi-no-such-command\"${TP_EXTRA_EXE:+, \"$TP_EXTRA_EXE\"}]|" \
		-e "s|^secure_path = .*|secure_path = \"${TP_SECURE_PATH:-$T_SECURE_PATH}\"|"
	cat <<EOF

[[rule]]
users = ["$M"]
tiers = ["none", "isolated"]
run_as = "$B"
EOF
}
write_policy "$(p97_policy)"

# field OUTPUT NAME: the value of NAME=VALUE on phaser's summary lines.
field() {
	grep -Eo "(^| )$2=[^ ]*" <<<"$1" | tail -n 1 | cut -d= -f2
}

# show_violations: what phaser reported, after a failure.
show_violations() {
	diag "rc=$rc" "$(grep -E 'VIOLATION|STUCK|^(spray|storm|hold|cleanup|cleaner)' <<<"$out" | head -n 20)" \
		"stderr: $(tail -n 5 <<<"$err")"
}

# ==== 1. the caller against the helper, phase by phase ===================

mark=$(user_dir "$A" 0755)
touch_job=(sh -c "touch $mark/ran")

# -- before the request is read: the helper is root and waits for it.
run "$A" "$PHASER" -m "$mark" "$T_HELPER" hold -- "${touch_job[@]}"
is "$rc" 0 "before the request: every attack refused, then the job runs"
[[ $rc == 0 ]] || show_violations
n=$(grep -c '^before the request: .*: \(Operation not permitted\|Permission denied\)$' <<<"$out")
is "$n" 8 "before the request: STOP, TERM, KILL, ATTACH, SEIZE, mem r/w, exe w: each EPERM/EACCES"
like "$out" "^before the request: kill SIGCONT: accepted \\(same session\\)$" \
	"before the request: SIGCONT is accepted (the helper stays in the caller's session), and only resumes"
like "$out" "^hold: verdict=0 result=exit:0.* helper=exit:0 marker=yes" \
	"before the request: control: the same helper then runs the job, exit 0"
ok_clean "before the request"

# -- from the exec on, one attack per run at a delay spread over 12 ms
# (the helper is then still becoming root, checking the request, setting
# up, or running the job); then 100 runs of SIGSTOP+SIGCONT pairs sent
# from the fork on until a SIGSTOP is refused, so one lands as the helper
# becomes root. Until then its real uid is the caller's and kill(2)
# works: a TERM or KILL must then end it with nothing run, and a STOP
# must be undone. The kernel checks kill(2) before it queues the signal:
# a SIGSTOP allowed while the real uid is still the caller's can land
# after setresuid(0,0,0), and after any setsid too (this failed 30 runs
# in 100 on a loaded 2-core machine when the helper left the session).
# So the helper never leaves the caller's session (a process group of
# its own keeps the terminal away): within one session the kernel always
# lets SIGCONT through, so the caller can always undo such a stop, by
# design rather than by timing. phaser counts a refused SIGCONT, watches
# such a helper for 1 s, and calls one still stopped STUCK.
start=$SECONDS
run "$A" "$PHASER" -q -m "$mark" -N 270 -U 12000 -B 100 "$T_HELPER" spray \
	-- "${touch_job[@]}"
diag "spray: $(grep "^spray " <<<"$out" | xargs) in $((SECONDS - start)) s"
stuck=$(sed -n 's/^STUCK pid=\([0-9]*\)$/\1/p' <<<"$out" | sort -u)
other=$(grep '^VIOLATION' <<<"$out" | grep -vc 'still stopped, as root')
is "$other" 0 "spray: no other rule broken at any delay: ptrace and /proc always refused, TERM/KILL before root end it with nothing run, every run whose STOP was undone served its request"
[[ "$(field "$out" violations)" == 0 ]] || show_violations
is "$(echo "$stuck" | xargs)" "" "spray: no helper is left stopped (STUCK) by a SIGSTOP landing as it becomes root"
# Root ends what the caller could not (only those pids, still the helper).
for pid in $stuck; do
	[[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == symbi-exec-help ]] &&
		kill -KILL "$pid"
done
is "$(field "$out" cont-refused)" 0 "spray: the caller's SIGCONT is never refused, the edge storm's included ($(field "$out" edge) edge runs, $(field "$out" edge-pairs) STOP/CONT pairs): the helper is still in the caller's session when it becomes root"
ok "spray: some attacks landed before the helper became root (kill works there: $(field "$out" before-root))" \
	test "$(field "$out" before-root)" -gt 0
ok "spray: some landed while it checked and set up, refused ($(field "$out" during-checks))" \
	test "$(field "$out" during-checks)" -gt 0
ok "spray: some landed while the job ran, refused ($(field "$out" job-running))" \
	test "$(field "$out" job-running)" -gt 0
ok_clean "spray"

# -- every attack, round after round, through a whole job that ignores
# SIGTERM, SIGINT and SIGHUP, has 100 processes and up to 20000 files
# (a cleanup long enough for a round to land in it even on a loaded
# machine: 1000 were not), and is killed at its 2 s timeout: setup,
# running, the kill at the timeout, the cleanup (cgroup, work
# directory), the report.
storm_job='trap "" TERM INT HUP; i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i + 1)); done; mkdir d && cd d && seq 1 20000 | xargs touch; sleep 30'
for tier in none isolated; do
	t0=$SECONDS
	run "$A" "$PHASER" -q -t "$tier" -l max_execution_time_seconds=2 \
		-x timeout "$T_HELPER" storm -- sh -c "$storm_job"
	took=$((SECONDS - t0))
	diag "storm ($tier): $(grep '^storm rounds' <<<"$out")"
	is "$rc" 0 "storm ($tier): every attack refused at every phase, and the job still ended at its timeout"
	[[ $rc == 0 ]] || show_violations
	like "$out" "^storm: verdict=0 result=exit:-1,signal:9,timed_out:1,killed:1 helper=exit:0" \
		"storm ($tier): result: killed at the timeout (124), the helper exits 0"
	# A job that ignores SIGTERM: killed after the policy's grace (5 s).
	ok "storm ($tier): ... on time (${took} s for 2 s + 5 s of grace)" test "$took" -le 11
	# (Setup is short and the spray above covers it, 9 attacks a run.)
	bad=
	for ph in running timeout cleanup; do
		[[ "$(field "$out" "$ph")" -gt 0 ]] 2>/dev/null || bad+="$ph "
	done
	is "$bad" "" "storm ($tier): attacks hit the running job, its kill at the timeout, and the cleanup"
	ok_clean "storm ($tier)"
done

# -- during cleanup: the work directory is emptied by a child of the helper
# that takes only the job user's file-system credentials (setfsuid,
# setfsgid, groups) while its real, effective and saved uids stay 0: no
# root unlink runs in the user's tree, and the user can neither signal
# nor trace the cleaner (stopped or killed, it would leave the tree
# behind). phaser finds it as the helper's child after the job ended, by
# its uids, and attacks it round after round until it is done; its
# control makes the same attacks on a process of alice's own, where they
# work.
fill_job='mkdir d && cd d && seq 1 2000 | xargs touch'
run "$A" "$C" -- sh -c "$fill_job"
is "$rc" 0 "cleanup: control: a job leaving 2000 files in its work directory exits 0"
ok_clean "cleanup: control"
run "$A" "$PHASER" -q "$T_HELPER" cleanup -- sh -c "$fill_job"
is "$rc" 0 "cleanup: every attack on the cleaner refused, round after round, and the helper answered (exit 0)"
[[ $rc == 0 ]] || show_violations
diag "cleanup: $(grep '^cleaner rounds' <<<"$out")"
is "$(field "$out" control-accepted)" 6 \
	"cleanup: control: kill SIGSTOP and SIGKILL, ptrace attach and seize, /proc/PID/mem r/w work on a process of alice's own"
like "$out" "^cleanup: the cleaner is pid [0-9]+, uids 0 0 0 $(id -u "$A")\$" \
	"cleanup: the cleaner keeps real, effective and saved uid 0; its file-system uid is alice's"
n=$(grep -cE '^cleaner: (kill SIGSTOP|kill SIGKILL|PTRACE_ATTACH|PTRACE_SEIZE|open /proc/PID/mem O_RDONLY|open /proc/PID/mem O_RDWR): (Operation not permitted|Permission denied)$' <<<"$out")
is "$n" 6 "cleanup: kill SIGSTOP and SIGKILL, ptrace attach and seize, /proc/PID/mem r/w on the cleaner: each EPERM/EACCES"
is "$(field "$out" first-round-refused)" 9 "cleanup: ... and SIGCONT, SIGTERM, /proc/PID/exe for writing too"
like "$out" "^cleanup: verdict=0 result=exit:0,signal:0,timed_out:0,killed:0 helper=exit:0" \
	"cleanup: ... the helper then reported the job's result (exit 0) and exited 0"
ok_clean "cleanup: attacked cleaner (its work directory removed)"

# ==== 2. the job against its own end ====================================

# Descendants that would write a marker after 1 s, if still alive; they
# ignore the usual polite signals.
escapee() { # NAME DIR: a setsid'd child that outlives its parent
	echo "setsid sh -c 'trap \"\" TERM INT HUP; sleep 1; touch $2/$1' </dev/null >/dev/null 2>&1 & :"
}
daemon() { # NAME DIR [SECONDS]: double fork + setsid, acts after SECONDS (1)
	echo "(setsid sh -c 'trap \"\" TERM INT HUP; sleep ${3:-1}; touch $2/$1' </dev/null >/dev/null 2>&1 &)"
}

# signal_client SIGS: alice's client (bg) with a sleeping job gets
# each of SIGS, as Ctrl-C or kill would send them; forwarded.
signal_client() {
	local i client s
	for ((i = 0; i < 50; i++)); do
		pgrep -u "$A" -x sleep >/dev/null && break
		sleep 0.1
	done
	client=$(pgrep -u "$A" -x symbi-exec | head -n 1)
	for s in "$@"; do
		[[ -n "$client" ]] && as_user "$A" kill -s "$s" "$client"
	done
}

marks=$(user_dir "$A" 0755)
vol=$(mktemp -d "$HA/p97.XXXXXX")
chown "$A:" "$vol"
T_CLEAN+=("$vol")
bobmarks=$(user_dir "$B" 0755)

for tier in none isolated; do
	if [[ $tier == none ]]; then
		d=$marks
		opt=(-t none)
	else
		d=/m
		opt=(-t isolated -v "$vol:/m")
	fi
	# Control: the same descendant acts when it is given the time.
	run "$A" "$C" "${opt[@]}" --timeout=10 -- sh -c "$(escapee control-$tier "$d"); sleep 1.6"
	is "$rc" 0 "job end ($tier): control: a job that waits for its setsid child exits 0"
	[[ $rc == 0 ]] || show_run
	ok "job end ($tier): control: ... and the child did act (marker written)" \
		test -e "$marks/control-$tier" -o -e "$vol/control-$tier"

	run "$A" "$C" "${opt[@]}" --timeout=1 -- sh -c 'echo resumed'
	is "$rc:$out" "0:resumed" "job end ($tier): control: the same job without its self-stop runs"
	start=$(date +%s%N)
	run "$A" "$C" "${opt[@]}" --timeout=1 -- sh -c 'kill -STOP $$; echo resumed'
	ms=$((($(date +%s%N) - start) / 1000000))
	is "$rc:$out" "124:" "job end ($tier): a job that stops itself is killed at its timeout (124)"
	ok "job end ($tier): ... on time (${ms} ms)" test "$ms" -lt 4000
	like "$(grep "end user=$A " "$T_SYSLOG" | tail -n 1)" "killed=timeout" \
		"job end ($tier): ... and the helper's audit line says killed=timeout"
	ok_clean "job end ($tier): self-stopped job"

	as_user "$A" "$C" "${opt[@]}" --timeout=10 -- sh -c 'sleep 30' \
		</dev/null >/dev/null 2>&1 &
	bg=$!
	signal_client TERM
	wait "$bg"
	is "$?" 143 "job end ($tier): control: a job that keeps SIGTERM dies of the forwarded TERM (143)"
	# The client's TERM or INT ends the job as a timeout does: SIGTERM
	# to every process, SIGKILL after the grace, long before the timeout.
	as_user "$A" "$C" "${opt[@]}" --timeout=30 --kill-after=2 -- sh -c 'trap "" TERM INT HUP; sleep 30; echo survived' \
		</dev/null >/dev/null 2>&1 &
	bg=$!
	signal_client TERM INT HUP
	sleep 0.5
	ok "job end ($tier): TERM, INT, HUP to the client, the job ignores them: it goes on through the grace" \
		pgrep -u "$A" -x sleep
	wait "$bg"
	is "$?" 137 "job end ($tier): ... until SIGKILL after --kill-after=2 (137), not its timeout"
	ok_clean "job end ($tier): job ignoring TERM/INT/HUP"

	run "$A" "$C" "${opt[@]}" -- sh -c "$(escapee setsid-$tier "$d"); exit 0"
	is "$rc" 0 "job end ($tier): a job whose setsid child outlives it exits 0"
	ok "job end ($tier): ... and the child is dead when the client returns" \
		no_user_procs_within 5
	run "$A" "$C" "${opt[@]}" -- sh -c "$(daemon daemon-$tier "$d"); exit 0"
	is "$rc" 0 "job end ($tier): a job that double-forks a daemon exits 0"
	ok "job end ($tier): ... and the daemon is dead when the client returns" \
		no_user_procs_within 5
	# Ended at the timeout: SIGTERM at 1 s, SIGKILL 1 s later; the
	# daemon ignores TERM, so it lives through the grace, never past it.
	run "$A" "$C" "${opt[@]}" --timeout=1 --kill-after=1 -- sh -c "$(daemon daemon-timeout-$tier "$d" 3); trap '' TERM; sleep 30"
	is "$rc" 124 "job end ($tier): a job that leaves a daemon and ignores TERM times out (124)"
	ok "job end ($tier): ... and the daemon is dead when the client returns" \
		no_user_procs_within 5

	# run_as: mallory's jobs run as bob; bob must have nothing left.
	if [[ $tier == none ]]; then
		bd=$bobmarks
	else
		bd=/tmp
	fi
	run "$M" "$C" -t "$tier" -- sh -c "$(escapee runas-setsid-$tier "$bd"); $(daemon runas-daemon-$tier "$bd"); id -un"
	is "$rc:$out" "0:$B" "job end ($tier): run_as: mallory's job runs as bob, leaves a setsid child and a daemon"
	[[ $rc == 0 ]] || show_run
	ok "job end ($tier): run_as: ... bob (and everyone) has no process left" \
		no_user_procs_within 5
	ok_clean "job end ($tier)"
done
sleep 1.2 # every descendant above would have acted by now
left=$(find "$marks" "$vol" "$bobmarks" -mindepth 1 ! -name 'control-*' -printf '%f ')
is "$left" "" "job end: no descendant ever acted after its job ended (no marker)"

# ==== 3. an output flood without --json ==================================

hwm_kb() { # PID: its peak resident set, in kB
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# flood OUT JOB...: alice's client under --timeout=2, stdout (and stderr)
# to OUT ("null" or "slow": a pipe a reader drains 4 kB at a time every
# 10 ms); sets frc (client status), peak_h and peak_c (VmHWM in kB of
# helper and client sampled while it runs) and got (bytes read).
flood() {
	local to=$1 cpid hpid i v
	shift
	peak_h=0 peak_c=0
	rm -f "$T_SCRATCH/flood.got"
	if [[ $to == null ]]; then
		(as_user "$A" "$C" --timeout=2 -- "$@" >/dev/null 2>&1 </dev/null
		 echo $? >"$T_SCRATCH/flood.rc") &
	else
		(as_user "$A" "$C" --timeout=2 -- "$@" 2>&1 </dev/null |
			python3 -c '
import sys, time
n = 0
while True:
    b = sys.stdin.buffer.read1(4096)
    if not b:
        break
    n += len(b)
    time.sleep(0.01)
print(n)' >"$T_SCRATCH/flood.got"
		 echo "${PIPESTATUS[0]}" >"$T_SCRATCH/flood.rc") &
	fi
	bg=$!
	for ((i = 0; i < 50; i++)); do
		cpid=$(pgrep -u "$A" -x symbi-exec | head -n 1)
		[[ -n "$cpid" ]] && hpid=$(pgrep -P "$cpid" -x symbi-exec-help)
		[[ -n "$cpid" && -n "$hpid" ]] && break
		sleep 0.05
	done
	for ((i = 0; i < 30; i++)); do
		v=$(hwm_kb "$hpid")
		[[ -n "$v" && $v -gt $peak_h ]] && peak_h=$v
		v=$(hwm_kb "$cpid")
		[[ -n "$v" && $v -gt $peak_c ]] && peak_c=$v
		sleep 0.05
	done
	wait "$bg"
	frc=$(cat "$T_SCRATCH/flood.rc")
	got=$(cat "$T_SCRATCH/flood.got" 2>/dev/null)
}

run "$A" "$C" -- sh -c 'yes | head -c 100000 | wc -c'
is "$rc:$out" "0:100000" "flood: control: the same command, bounded, runs"
flood null sh -c 'exec yes'
is "$frc" 124 "flood: yes to /dev/null for 2 s: ended by the timeout (124)"
ok "flood: ... helper peak RSS ${peak_h} kB, client ${peak_c} kB: both under 16 MB" \
	test "$peak_h" -gt 0 -a "$peak_h" -lt 16384 -a "$peak_c" -gt 0 -a "$peak_c" -lt 16384
flood slow sh -c 'exec yes'
is "$frc" 124 "flood: yes to a pipe read slowly: ended by the timeout (124)"
ok "flood: ... helper peak RSS ${peak_h} kB, client ${peak_c} kB: both under 16 MB" \
	test "$peak_h" -gt 0 -a "$peak_h" -lt 16384 -a "$peak_c" -gt 0 -a "$peak_c" -lt 16384
ok "flood: ... the reader got the job's output (${got:-0} bytes)" test "${got:-0}" -gt 0
flood slow sh -c 'cat /dev/zero >&2'
is "$frc" 124 "flood: cat /dev/zero to stderr, a pipe read slowly: ended by the timeout (124)"
ok "flood: ... helper peak RSS ${peak_h} kB, client ${peak_c} kB: both under 16 MB" \
	test "$peak_h" -gt 0 -a "$peak_h" -lt 16384 -a "$peak_c" -gt 0 -a "$peak_c" -lt 16384
ok_clean "flood"

# The caller closes its end of stdout early: SIGPIPE goes to the job,
# whose output it is, not to the helper, which still answers and cleans up.
as_user "$A" "$C" -- sh -c 'echo hi' </dev/null 2>"$T_SCRATCH/pipe.err" | head -c 10 >/dev/null
is "${PIPESTATUS[0]}" 0 "closed stdout: control: a job writing a line into head exits 0"
: >"$T_SYSLOG"
as_user "$A" "$C" -- sh -c 'exec yes' </dev/null 2>"$T_SCRATCH/pipe.err" | head -c 1000 >/dev/null
is "${PIPESTATUS[0]}" 141 "closed stdout: yes into head -c 1000: the job dies of SIGPIPE (141)"
is "$(cat "$T_SCRATCH/pipe.err")" "" \
	"closed stdout: ... the client got the helper's result (no error of its own)"
ok "closed stdout: ... which logged the job's end by SIGPIPE" \
	grep -q "end user=$A job=[0-9a-f]* status=signal:13 " "$T_SYSLOG"
as_user "$A" "$C" --timeout=1 -- sh -c 'trap "" PIPE; while :; do echo y 2>/dev/null; done' \
	</dev/null 2>/dev/null | head -c 10 >/dev/null
is "${PIPESTATUS[0]}" 124 "closed stdout: a job ignoring SIGPIPE and writing on is still ended by its timeout (124)"
ok_clean "closed stdout"

# ==== 4. an executable swapped between check and exec ====================
#
# The helper resolves a command as the caller, canonicalizes it, matches
# it against the allowlist, opens it O_PATH, checks that descriptor (a
# regular file, root's, writable by no one else) and execs that very
# descriptor (execveat). The names the policy gives (allowed_executables
# entries, secure_path candidates) it resolves on descriptors, through
# directories only root can change, symlink targets included: an entry
# reached through a directory others can write is ignored, a secure_path
# directory others can write skipped, each with a syslog warning.
# Otherwise whoever can write there could point an allowed name at any
# root-owned program (perl, say).

# Root-owned 0755 all the way: an allowed tool, and another program that
# is not allowed (it would say so, and leave a marker).
tdir=$T_PREFIX/libexec/symbi-exec-p97
install -d -o root -g root -m 0755 "$tdir"
T_CLEAN+=("$tdir")
swmark=$(user_dir "$A" 0777)
# Perl scripts: perl is no allowed interpreter, so neither is allowed
# by its #! line (a sh script would be, as sh is: the job could run it
# as "sh SCRIPT" anyway); only an allowlist entry naming the file is.
# (Perl reads the /dev/fd/N the kernel hands it from the descriptor
# itself: the helper's exec of a script keeps N readable.)
printf '#!/usr/bin/perl\nprint "good\\n";\n' >"$tdir/tool"
printf '#!/usr/bin/perl\nprint "evil\\n";\nopen(my $f, ">", "%s/evil");\n' \
	"$swmark" >"$tdir/other"
chmod 0755 "$tdir/tool" "$tdir/other"
perl_e=(-e 'print "perl ran\n"')

# -- an allowlist entry in a directory alice owns: refused whatever is
# there (a root-owned file, her own file, a symlink to perl).
sw=$(user_dir "$A" 0755)
write_policy "$(TP_EXTRA_EXE=$sw/tool p97_policy)"
as_user "$A" ln -s /usr/bin/perl "$sw/perl"
run "$A" "$sw/perl" "${perl_e[@]}"
is "$rc:$out" "0:perl ran" "untrusted entry: control: alice's link to perl runs perl when she runs it herself"
for kind in root-file her-file perl-link; do
	rm -f "$sw/tool"
	case $kind in
	root-file) install -o root -g root -m 0755 "$tdir/tool" "$sw/tool" ;;
	her-file) install -o "$A" -g "$(id -g "$A")" -m 0755 "$tdir/tool" "$sw/tool" ;;
	perl-link) as_user "$A" ln -s /usr/bin/perl "$sw/tool" ;;
	esac
	: >"$T_SYSLOG"
	run "$A" "$C" -- "$sw/tool" "${perl_e[@]}"
	is "$rc:$out" "127:" "untrusted entry ($kind): the allowed path in alice's directory is refused (127), nothing ran"
	like "$err" "is not an allowed executable" "untrusted entry ($kind): ... saying it is not an allowed executable"
	like "$(logged "allowed_executables: ")" \
		"allowed_executables: $sw/tool is reached through a directory others can write: ignored" \
		"untrusted entry ($kind): ... and the helper logged the entry as ignored"
done
ok_clean "untrusted entry"

# -- the race: the allowlist names the tool in its root-only directory;
# alice runs a path in her own directory that she exchanges
# (renameat2 RENAME_EXCHANGE), as fast as it goes while jobs start,
# between a symlink to the tool and a symlink to the other program.
# Every job must run the tool or be refused (127); the other program
# must never run.
write_policy "$(TP_EXTRA_EXE=$tdir/tool p97_policy)"
sw2=$(user_dir "$A" 0755)
as_user "$A" ln -s "$tdir/tool" "$sw2/tool"
as_user "$A" ln -s "$tdir/other" "$sw2/other"
run "$A" "$C" -- "$tdir/tool"
is "$rc:$out" "0:good" "swap: control: the allowed tool runs"
run "$A" "$C" -- "$sw2/tool"
is "$rc:$out" "0:good" "swap: control: ... and so does alice's symlink to it"
run "$A" "$tdir/other"
is "$rc:$out" "0:evil" "swap: control: the other program runs when alice runs it herself"
ok "swap: control: ... and leaves its marker" test -e "$swmark/evil"
rm -f "$swmark/evil"
run "$A" "$C" -- "$sw2/other"
is "$rc:$out" "127:" "swap: alice's symlink to the other program is refused (127)"
like "$err" "$tdir/other is not an allowed executable" "swap: ... saying why"
ok "swap: ... and it did not run" absent "$swmark/evil"

# Rounds of 2.5 s until both outcomes were seen (a loaded machine starts
# few jobs a round), at most 8.
good=0 refused=0 other=
for ((round = 0; round < 8; round++)); do
	[[ $good -gt 0 && $refused -gt 0 ]] && break
	as_user "$A" "$EXCHANGER" "$sw2/tool" "$sw2/other" 2500 >"$T_SCRATCH/xchg.out" 2>&1 &
	xpid=$!
	while kill -0 "$xpid" 2>/dev/null; do
		run "$A" "$C" -- "$sw2/tool"
		if [[ "$rc:$out" == 0:good ]]; then
			good=$((good + 1))
		elif [[ "$rc:$out" == 127: && "$err" == *"$tdir/other is not an allowed executable"* ]]; then
			refused=$((refused + 1))
		else
			other+="[rc=$rc out=$out err=$err] "
		fi
	done
	wait "$xpid"
done
diag "swap race: $good ran the allowed tool, $refused refused, in $round rounds, last $(cat "$T_SCRATCH/xchg.out")"
is "$other" "" "swap race: every job ran the allowed tool or was refused as not allowed (127)"
ok "swap race: the other program never ran" absent "$swmark/evil"
ok "swap race: the race was real: some jobs ran ($good), some were refused ($refused)" \
	test "$good" -gt 0 -a "$refused" -gt 0
ok_clean "swap race"

# -- a secure_path whose first directory alice can write, holding links
# named like allowed bare names: python3 (also in /usr/bin) and
# symbi-no-such-command (nowhere else), each to perl.
sp=$(user_dir "$A" 0755)
as_user "$A" ln -s /usr/bin/perl "$sp/python3"
as_user "$A" ln -s /usr/bin/perl "$sp/symbi-no-such-command"
write_policy "$(TP_SECURE_PATH=$sp:$T_SECURE_PATH p97_policy)"
run "$A" "$sp/python3" "${perl_e[@]}"
is "$rc:$out" "0:perl ran" "secure_path: control: alice's python3 link runs perl when she runs it herself"
: >"$T_SYSLOG"
run "$A" "$C" --dry-run -- python3
like "$out" "^executable: /usr/(local/)?bin/python3[.0-9]*$" \
	"secure_path: python3 resolves in the next secure_path directory, not to her link"
run "$A" "$C" -- python3 -V
is "$rc" 0 "secure_path: ... and runs (0)"
like "$out" "^Python 3" "secure_path: ... as python, not perl"
like "$(logged "secure_path: ")" \
	"secure_path: $sp/python3 is reached through a directory others can write: skipped" \
	"secure_path: ... and the helper logged her directory as skipped"
run "$A" "$C" -- symbi-no-such-command "${perl_e[@]}"
is "$rc:$out" "127:" "secure_path: a name found only in her directory is refused (127), perl did not run"
like "$err" "command not found" "secure_path: ... as not found"
like "$(logged "secure_path: $sp/symbi-no-such-command")" \
	"secure_path: $sp/symbi-no-such-command is reached through a directory others can write: skipped" \
	"secure_path: ... and logged as skipped"
ok_clean "secure_path"
write_policy "$(p97_policy)"

done_testing
