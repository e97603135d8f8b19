#!/bin/bash
# Runs inside the systemd guest, as root, from tests/90-systemd.t (which
# relays its TAP): symbi-exec on a real systemd 252 host with pure cgroup
# v2, used by users logged in through pam_systemd (su -l). The source
# tree, built on the host for T_PREFIX, is in /mnt/job/src.tar.
# Single quotes are meant: the job's shell expands them.
# shellcheck disable=SC2016
set -u

src=/root/src
mkdir -p "$src"
tar -C "$src" -xf /mnt/job/src.tar || {
	echo "Bail out! cannot unpack the source tree"
	exit 1
}
# shellcheck source=../lib.sh
. "$src/tests/lib.sh"

T_SCRATCH=$(mktemp -d /tmp/symbi-guest.XXXXXX)
chmod 0755 "$T_SCRATCH"
C=$T_CLIENT
A=symbi-alice
B=symbi-bob
hog='b = b"x" * (400 << 20); print("allocated")'

# login USER CMD: CMD (one string) through USER's login shell in a
# pam_systemd session (user-UID.slice/session-N.scope); sets rc, out, err.
login() {
	su -l "$1" -c "$2" </dev/null >"$T_SCRATCH/out" 2>"$T_SCRATCH/err"
	rc=$?
	out=$(cat "$T_SCRATCH/out")
	err=$(cat "$T_SCRATCH/err")
}

# Job scopes and job cgroups anywhere in the tree.
leftovers() {
	find /sys/fs/cgroup -name 'symbi-exec-job-*' -o -name 'job-*' 2>/dev/null
	systemctl list-units --all --no-legend --plain 'symbi-exec-job-*' 2>/dev/null
}

json_field() { # JSON KEY
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' \
		"$1" "$2" 2>&1
}

# wait_for DS CMD...: until CMD succeeds, DS tenths of a second at most.
wait_for() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

no_leftovers() { [[ -z "$(leftovers)" ]]; }
no_sleep_of() { [[ -z "$(pgrep -u "$1" -x sleep)" ]]; }

# --- the host ----------------------------------------------------------------
is "$(stat -fc %T /sys/fs/cgroup)" cgroup2fs "the guest has pure cgroup v2"
like "$(systemctl --version | head -n 1)" '^systemd 252' "... and systemd 252"
ok "... running as the manager" test -d /run/systemd/system

# --- install -------------------------------------------------------------------
make_users
out=$(env -u SUDO_USER "$src/install.sh" --prefix "$T_PREFIX" \
	--sysconfdir "$T_ETC" --no-deps 2>&1)
is "$?" 0 "install.sh installs into $T_PREFIX in the guest"
[[ -x $T_HELPER ]] || diag "$out"
is "$(stat -c '%a %U:%G' "$T_HELPER" 2>&1)" "4755 root:root" \
	"... the helper setuid root"
write_policy "$(TP_TIERS='"none", "isolated"' test_policy)"
uid_a=$(id -u $A)
slice_a=user.slice/user-$uid_a.slice

# --- the caller's session ---------------------------------------------------
login $A 'cat /proc/self/cgroup'
like "$out" "^0::/$slice_a/session-[0-9a-z]+\.scope\$" \
	"su -l puts the caller in a pam_systemd session scope (control)"

# --- tiers none and isolated ---------------------------------------------------
login $A "$C -- python3 -c 'print(\"hello\")'"
is "$rc:$out" "0:hello" "tier none runs a job"
[[ $rc -eq 0 ]] || diag "$err"
login $A "$C -t isolated -- bash -c 'echo hello'"
is "$rc:$out" "0:hello" "tier isolated runs a job"
[[ $rc -eq 0 ]] || diag "$err"

# --- placement -----------------------------------------------------------------
login $A "$C -- sh -c 'cat /proc/self/cgroup'"
job_re="^0::/$slice_a/symbi-exec-job-([0-9a-f]+)\.scope/symbi-exec-job-\1\$"
like "$out" "$job_re" \
	"the job's cgroup lies in a delegated scope in the caller's slice"
cg=${out#0::}
login $A "$C --max-memory=300 --max-processes=50 -- sh -c 'p=\$(cut -d: -f3 /proc/self/cgroup); cat /sys/fs/cgroup\$p/memory.max /sys/fs/cgroup\$p/pids.max'"
is "$(echo "$out" | tr '\n' ' ')" "314572800 50 " \
	"the job's limits are written in its cgroup inside the scope"
scope=$(dirname "$cg")
ok "... which is gone with the job" wait_for 50 test ! -e "/sys/fs/cgroup$scope"
login $A "$C -t isolated -- python3 -c 'print(\"x\" * 10)'"
is "$rc:$out" "0:xxxxxxxxxx" "tier isolated runs in such a scope too"
ok "nothing left in the cgroup tree after the jobs" wait_for 50 no_leftovers

# --- the slice's limit holds -------------------------------------------------
login $A "$C --max-memory=1500 -- python3 -c '$hog'"
is "$rc:$out" "0:allocated" \
	"a 400 MB job runs under --max-memory=1500 (control: no slice limit)"
systemctl set-property --runtime "user-$uid_a.slice" MemoryMax=200M
is "$(cat "/sys/fs/cgroup/$slice_a/memory.max")" 209715200 \
	"user-$uid_a.slice has MemoryMax=200M"
login $A "$C --json --max-memory=1500 -- python3 -c '$hog'"
not_ok "the same job under --max-memory=1500 cannot exceed the slice's 200M" \
	[ "$rc" -eq 0 ]
unlike "$out" allocated "... it never gets its memory"
is "$(json_field "$out" killed_reason)" memory "... killed_reason is memory"
login $A "$C --max-memory=1500 -- python3 -c 'b = b\"x\" * (50 << 20); print(\"small\")'"
is "$rc:$out" "0:small" "a 50 MB job still runs in the limited slice (control)"
systemctl set-property --runtime "user-$uid_a.slice" MemoryMax=infinity
ok "nothing left in the cgroup tree after the OOM" wait_for 50 no_leftovers

# --- a caller inside a delegated subtree (Slurm's slurmstepd.scope) ----------
# A scope with Delegate=yes whose process does what slurmstepd does on a
# cgroup v2 node: a leaf of its own, a job cgroup with a memory limit,
# the user's step in it. A job run from there nests below the step (its
# writer is the delegate, not systemd), so the step's limit holds; a
# scope of its own in system.slice would escape it.
cat >"$T_SCRATCH/stepd" <<'EOF_STEPD'
#!/bin/bash
set -e
top=/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)
mkdir "$top/stepd" "$top/job_1"
echo $$ >"$top/stepd/cgroup.procs"
echo +memory >"$top/cgroup.subtree_control"
echo 200M >"$top/job_1/memory.max"
echo $$ >"$top/job_1/cgroup.procs"
exec setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups -- \
	env -i PATH=/usr/bin:/bin HOME=/ "${@:2}"
EOF_STEPD
chmod 0755 "$T_SCRATCH/stepd"
steps=0
step() { # CMD...: as user A from the step of a fresh delegated scope
	steps=$((steps + 1))
	systemd-run --quiet --scope -p Delegate=yes \
		--unit="symbi-fake-stepd-$steps" "$T_SCRATCH/stepd" $A "$@" \
		</dev/null >"$T_SCRATCH/out" 2>"$T_SCRATCH/err"
	rc=$?
	out=$(cat "$T_SCRATCH/out")
	err=$(cat "$T_SCRATCH/err")
}
step "$C" -- sh -c 'cat /proc/self/cgroup'
like "$rc:$out" '^0:0::/.*/symbi-fake-stepd-1\.scope/job_1/symbi-exec-job-[0-9a-f]+$' \
	"a caller in a delegated subtree: the job nests below it, no scope of its own"
[[ $rc -eq 0 ]] || diag "$err"
step "$C" --max-memory=1500 -- python3 -c 'b = b"x" * (50 << 20); print("small")'
is "$rc:$out" "0:small" "a 50 MB job runs there (control)"
step "$C" --max-memory=1500 -- python3 -c "$hog"
not_ok "a 400 MB job under --max-memory=1500 cannot exceed the step's 200M" \
	[ "$rc" -eq 0 ]
unlike "$out" allocated "... it never gets its memory"
ok "nothing left in the cgroup tree after the steps" wait_for 50 no_leftovers

# --- a caller in the root cgroup, whose slice is "-.slice" -------------------
# busctl takes any word that starts with '-' for an option, wherever it
# stands ("invalid option -- '.'"), unless "--" ends its options: the root
# slice's name is such a word.
cat >"$T_SCRATCH/top" <<'EOF_TOP'
#!/bin/bash
set -e
echo $$ >/sys/fs/cgroup/cgroup.procs
cd /
exec setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups -- \
	env -i PATH=/usr/bin:/bin HOME=/ "${@:2}"
EOF_TOP
chmod 0755 "$T_SCRATCH/top"
"$T_SCRATCH/top" $A "$C" -- sh -c 'cat /proc/self/cgroup' </dev/null \
	>"$T_SCRATCH/out" 2>"$T_SCRATCH/err"
rc=$?
out=$(cat "$T_SCRATCH/out")
like "$rc:$out" '^0:0::/symbi-exec-job-([0-9a-f]+)\.scope/symbi-exec-job-\1$' \
	"a caller in the root cgroup: the job's scope lies in the root slice"
[[ $rc -eq 0 ]] || diag "$(cat "$T_SCRATCH/err")"
ok "nothing left in the cgroup tree after it" wait_for 50 no_leftovers

# --- stopping the session or the scope ends the job -------------------------
# A job that outlives its client unless something ends it: sleep in a
# setsid child that ignores SIGTERM and SIGHUP.
long="$C -- bash -c 'trap \"\" TERM HUP; setsid sleep 300 & sleep 300'"
job_scope() {
	systemctl list-units --no-legend --plain 'symbi-exec-job-*' |
		awk '{ print $1; exit }' | grep .
}
su -l $B -c "$long" </dev/null >/dev/null 2>&1 &
client_pid=$!
ok "a long job of $B started in its scope" wait_for 300 job_scope
session=$(loginctl list-sessions --no-legend | awk -v u=$B '$3 == u { print $1; exit }')
like "$session" '.' "... from a logind session of $B"
systemctl stop "session-$session.scope"
# The job's scope is PartOf the caller's session scope: the stop reaches
# it too, and what ignores SIGTERM is killed kill_grace_seconds later.
ok "systemctl stop of the session ends the job" \
	wait_for 300 no_sleep_of $B
# Whatever the above, nothing of it may outlive the scope's stop timeout.
pkill -KILL -u $B -x sleep
wait "$client_pid" 2>/dev/null
ok "... the job's scope is gone" wait_for 50 no_leftovers

su -l $B -c "$long" </dev/null >/dev/null 2>&1 &
client_pid=$!
ok "another long job started" wait_for 300 job_scope
unit=$(job_scope)
systemctl stop "$unit"
ok "systemctl stop of the job's scope ($unit) ends it" \
	wait_for 300 no_sleep_of $B
wait "$client_pid"
not_ok "... and its client reports a failure" [ "$?" -eq 0 ]

# A helper killed outright (SIGKILL) leaves its job running in its scope;
# the next run's sweeper kills it through the job's cgroup and removes
# what the helper made, and systemd then collects the empty scope.
su -l $B -c "$long" </dev/null >/dev/null 2>&1 &
client_pid=$!
ok "a third long job started" wait_for 300 job_scope
pkill -KILL -x symbi-exec-help
wait "$client_pid"
ok "... its helper SIGKILLed, its job goes on (control)" pgrep -u $B -x sleep
login $A "$C -- sh -c 'echo next'"
is "$rc:$out" "0:next" "the next run on the host"
ok "... whose sweeper ends the killed helper's job" \
	wait_for 300 no_sleep_of $B
ok "nothing left in the cgroup tree at the end" wait_for 300 no_leftovers
[[ -z "$(leftovers)" ]] || diag "left: $(leftovers)"
ok "no work directory left: the helper cleaned up on the stops' SIGTERM" \
	test -z "$(leftover_workdirs)"

# --- busctl failing: a refusal that says why ------------------------------
# The helper runs /usr/bin/busctl from a child sharing its memory; a fake
# bound over it in a mount namespace of the caller's own login: one that
# exits 1 after two lines, one killed by a signal, one that hangs with
# its stderr open (the helper's deadline, 15 s). Each job refused with
# 125 and what happened, nothing run, nothing left; control: the same
# harness without the fake runs the job.
fake_busctl() { # NAME BODY: a fake busctl script
	printf '#!/bin/sh\n%s\n' "$2" >"$T_SCRATCH/$1"
	chmod 0755 "$T_SCRATCH/$1"
}
fake_busctl refuses 'echo "fake busctl: refused" >&2; echo "second line" >&2; exit 1'
fake_busctl killed 'kill -TERM $$'
fake_busctl hangs 'exec sleep 60'
# with_busctl FAKE: the job through A's login, busctl replaced by FAKE
# ("" for none); sets rc, out, err.
with_busctl() {
	local bind=true
	[[ -n "$1" ]] && bind="mount --bind $T_SCRATCH/$1 /usr/bin/busctl"
	unshare -m --propagation private bash -c "$bind && su -l $A -c \"$C -- sh -c 'echo ran'\"" \
		</dev/null >"$T_SCRATCH/out" 2>"$T_SCRATCH/err"
	rc=$?
	out=$(cat "$T_SCRATCH/out")
	err=$(cat "$T_SCRATCH/err")
}
with_busctl ""
is "$rc:$out" "0:ran" "busctl's harness runs the job with the real busctl (control)"
with_busctl refuses
is "$rc:$out" "125:" "a busctl that exits 1: the job is refused, nothing runs"
like "$err" "systemd did not make the job's scope symbi-exec-job-[0-9a-f]+\.scope in [^ ]+\.slice \(/usr/bin/busctl exit 1: fake busctl: refused\)" \
	"... saying so, with its exit status and first line"
ok "... nothing left" wait_for 50 no_leftovers
with_busctl killed
is "$rc:$out" "125:" "a busctl killed by a signal: refused"
like "$err" "\(/usr/bin/busctl ended by signal 15\)" "... saying which"
with_busctl hangs
is "$rc:$out" "125:" "a busctl that hangs: refused at the helper's deadline"
like "$err" "\(/usr/bin/busctl no answer within 15 s; killed\)" "... saying so"
ok "... the hung busctl is gone" wait_for 50 bash -c "! pgrep -f '^sleep 60\$'"
ok "nothing left after busctl's failures" wait_for 50 no_leftovers

# --- what a job costs here (not a test: numbers for the README) -------------
# Only when asked (SYMBI_GUEST_BENCH=1 for tests/90-systemd.t): half a
# minute of emulation.
[[ -e /mnt/job/bench ]] || {
	done_testing
	exit
}
ms_per_run() { # CMD...: mean wall time of 10 runs, in ms
	local t0 t1 i
	t0=$(date +%s%N)
	for ((i = 0; i < 10; i++)); do
		"$@" >/dev/null 2>&1
	done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 10000000))
}
as_a() { setpriv --reuid=$A --regid="$(id -g $A)" --init-groups "$@"; }
# Without /run/systemd/system the helper takes the plain v2 path: the
# difference is what the scope costs.
no_sd() { mount -t tmpfs none /run/systemd && "$@"; }
export -f as_a no_sd
export A C
diag "mean ms per run under TCG emulation (10 runs each):" \
	"symbi-exec -- sh -c true, scope from systemd: $(ms_per_run unshare -m \
		bash -c 'as_a "$C" -- sh -c true')" \
	"symbi-exec -- sh -c true, no systemd seen: $(ms_per_run unshare -m \
		bash -c 'no_sd as_a "$C" -- sh -c true')" \
	"sh -c true alone: $(ms_per_run unshare -m bash -c 'as_a sh -c true')" \
	"one busctl call to systemd: $(ms_per_run busctl call \
		org.freedesktop.systemd1 /org/freedesktop/systemd1 \
		org.freedesktop.systemd1.Manager GetDefaultTarget)"
done_testing
