#!/bin/bash
# The --volume check as the caller (helper/volume.c, review2 F5 and F6),
# as a real user through the installed setuid helper: the checker runs
# with her file-system credentials alone (real and saved uid root), so
# she can neither signal nor stop it; and the helper waits for it with a
# deadline, so a file system whose lookup hangs (tests/tools/fusetrap.c,
# a FUSE mount that never answers) cannot hold the helper, her slot or a
# pool uid: the job fails with 125 and a clear message, nothing is left,
# and a sound request right after runs.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_setup

A=symbi-alice
C=$T_CLIENT
HA=$(home_of $A)
DEADLINE_S=5 # volume.c's VOLUME_CHECK_MS

vol=$(mktemp -d "$HA/vc-vol.XXXXXX")
echo data >"$vol/file"
chown -R $A: "$vol"
trap_dir=$(mktemp -d "$HA/vc-trap.XXXXXX")
chmod 0755 "$trap_dir"
T_CLEAN+=("$vol" "$trap_dir")

run $A "$C" -t isolated -v "$vol:/data:ro" -- bash -c 'cat /data/file'
is "$rc:$out" "0:data" "a sound volume runs (control)"
[[ $rc -eq 0 ]] || show_run

[[ -c /dev/fuse ]] || modprobe fuse 2>/dev/null
if [[ ! -c /dev/fuse ]]; then
	skip_or_fail_in_ci "no /dev/fuse (kernel without FUSE): the hung-lookup cases need it" 9
	done_testing
	exit
fi

pidfile=$T_SCRATCH/trap.pid
"$T_TOOLS/fusetrap" "$trap_dir" "$pidfile" &
trapd=$!
at_exit "umount -l '$trap_dir' 2>/dev/null; kill $trapd 2>/dev/null"
for ((i = 0; i < 50; i++)); do
	grep -q " $trap_dir fuse " /proc/mounts && break
	sleep 0.1
done

# --- a lookup that hangs ---------------------------------------------------
start=$(date +%s%N)
as_user $A "$C" -t isolated -v "$trap_dir/x:/x:ro" -- bash -c true </dev/null \
	>"$T_SCRATCH/job.out" 2>"$T_SCRATCH/job.err" &
job=$!
for ((i = 0; i < 50; i++)); do
	[[ -s "$pidfile" ]] && break
	sleep 0.1
done
checker=$(cat "$pidfile" 2>/dev/null)
ok "the checker is in the hung lookup (pid ${checker:-none})" \
	test -n "$checker" -a -d "/proc/${checker:-none}"
is "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$checker/status" 2>&1)" \
	"0 0 0 $(id -u $A)" \
	"the checker: real, effective and saved uid root, file-system uid the caller's"

run $A kill -STOP "$checker"
like "$rc:$err" "^1:.*Operation not permitted" "the caller cannot stop the checker (EPERM)"
run $A kill -KILL "$checker"
like "$rc:$err" "^1:.*Operation not permitted" "... nor kill it (EPERM)"
as_user $A sleep 30 </dev/null 2>/dev/null &
sleeper_sh=$!
for ((i = 0; i < 20; i++)); do
	sleeper=$(pgrep -u $A -x sleep -n) && break
	sleep 0.1
done
run $A kill -STOP "$sleeper"
is "$rc:$err" "0:" "control: the same harness stops a process of the caller's"
kill -KILL "$sleeper" 2>/dev/null
wait "$sleeper_sh" 2>/dev/null

# Root stops it: a lookup that would never end.
kill -STOP "$checker"
wait "$job"
jrc=$?
ms=$((($(date +%s%N) - start) / 1000000))
is "$jrc:$(cat "$T_SCRATCH/job.out")" "125:" "a stopped checker: the job fails with 125, nothing ran"
like "$(cat "$T_SCRATCH/job.err")" "did not finish within $DEADLINE_S s" \
	"... with a message that says the check did not finish"
ok "... at the deadline (${ms} ms, deadline ${DEADLINE_S} s)" \
	test "$ms" -lt $(((DEADLINE_S + 4) * 1000))
ok "... the checker is gone" gone_within 20 "/proc/$checker"
ok "... no helper left" helpers_gone_within 50
like "$(logged "deny user=$A .*did not finish within")" "status=125" \
	"... and the refusal is logged"
ok_clean "hung volume check"

run $A "$C" -t isolated -v "$vol:/data:ro" -- bash -c 'cat /data/file'
is "$rc:$out" "0:data" "a sound request right after runs (control)"

done_testing
