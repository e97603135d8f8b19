#!/bin/bash
# Running jobs as real users: identity, arguments, stdin, exit statuses,
# denials, option parsing, --dry-run, --list, the later tiers, session,
# environment, executable resolution and the work directory.
# Single quotes are meant: the job's shell expands them.
# shellcheck disable=SC2016,SC1003
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_setup

A=symbi-alice
M=symbi-mallory
C=$T_CLIENT

# --- identity -------------------------------------------------------------
run $A "$C" -- bash -c 'id -u; id -g; id -G | tr " " "\n" | sort -n | xargs'
want=$(printf '%s\n%s\n%s' "$(id -u $A)" "$(id -g $A)" \
	"$(id -G $A | tr ' ' '\n' | sort -n | xargs)")
is "$out" "$want" "the job runs as the caller: uid, gid and groups"
[[ $rc -eq 0 ]] || show_run
run $A "$C" -- bash -c 'grep -E "^(CapEff|CapPrm|NoNewPrivs):" /proc/self/status'
like "$out" $'CapEff:\t0000000000000000' "the job has no effective capability"
like "$out" $'CapPrm:\t0000000000000000' "the job has no permitted capability"
like "$out" $'NoNewPrivs:\t1' "the job runs with no_new_privs"

# --- arguments and stdin --------------------------------------------------
args=("two words" $'line1\nline2' '$(id)' '; touch /tmp/pwned' '*' \
	'"dq"' "'sq'" '' '--json' $'tab\there' 'ünïcödé' '\' '-e')
dump='import sys, json; print(json.dumps(sys.argv[1:]))'
run $A "$C" -- python3 -c "$dump" "${args[@]}"
is "$out" "$(python3 -c "$dump" "${args[@]}")" \
	"arguments reach the job verbatim (spaces, newlines, metacharacters)"
out=$(printf 'line one\nline two\n' | as_user $A "$C" -- bash -c 'cat; echo end')
is "$out" $'line one\nline two\nend' "stdin passes through to the job"

# --- exit statuses --------------------------------------------------------
run $A "$C" -- bash -c 'exit 42'
is "$rc" 42 "the job's own exit code"
run $A "$C" -- bash -c 'kill -TERM $$'
is "$rc" 143 "killed by SIGTERM: 128+15"
run $A "$C" -- bash -c 'kill -KILL $$'
is "$rc" 137 "killed by SIGKILL: 128+9"
start=$(date +%s%N)
run $A "$C" --timeout=1 -- bash -c 'sleep 30'
ms=$((($(date +%s%N) - start) / 1000000))
is "$rc" 124 "wall-clock timeout: 124"
ok "... within 3 s (took ${ms} ms)" [ "$ms" -lt 3000 ]

# --- denials: 125 -----------------------------------------------------------
run $M "$C" -- bash -c 'echo ran'
is "$rc" 125 "a user named by no rule is refused"
like "$err" "may not use tier none" "... with a message saying so"
is "$out" "" "... and nothing ran"
run $A "$C" --max-memory=4096 -- bash -c 'echo ran'
is "$rc" 125 "a limit above the ceiling is refused"
like "$err" "^symbi-exec: --max-memory=4096 MB exceeds the policy ceiling of 2048 MB for tier none$" \
	"... naming the limit, both values and the tier"
run $A "$C" --sandbox-tier=bogus -- bash -c 'echo ran'
is "$rc:$out" "125:" "an unknown tier is refused"
like "$err" "bogus" "... naming it"
for opt in --max-memory --max-cpu-seconds --timeout --max-processes \
	--max-file-size --max-open-files --max-cpu; do
	for val in -1 4294967297 0x10 '' 1e3 ' 5' 0; do
		run $A "$C" "$opt=$val" -- bash -c 'echo ran'
		is "$rc:$out" "125:" "$opt='$val' is refused"
	done
done
run $A "$C" --max-cpu=0.0001 -- bash -c 'echo ran'
is "$rc:$out" "125:" "--max-cpu with 4 decimals is refused"
run $A "$C" --env FOO=1 -- bash -c 'echo ran'
is "$rc:$out" "125:" "--env with a name the policy does not allow is refused"
like "$err" "FOO" "... naming it"
write_policy "$(TP_TIERS='"isolated"' test_policy)"
run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "125:" "a tier the rule does not list is refused"
write_policy "$(test_policy)"
write_policy "$(TP_TIERS='"none"' test_policy)"
for t in docker gvisor; do
	run $A "$C" --sandbox-tier=$t --image=python:3.12-slim -- python3 -c 'print("ran")'
	is "$rc:$out" "125:" "tier $t, which no rule grants, answers 125"
	like "$err" "tier $t" "... naming the tier"
done
write_policy "$(test_policy)"
run $A "$C" -t tier3 -- python3 -c 'print("ran")'
is "$rc:$out" "125:" "tier firecracker without a runtime answers 125"
like "$err" "firecracker is not available" "... saying it is not available"
run $A "$C" -t None -- bash -c 'echo ran'
is "$rc:$out" "0:ran" "tier names are case-insensitive (None)"
run $A "$C" --native -- bash -c 'echo ran'
is "$rc:$out" "0:ran" "--native runs in tier none"

# --- 126 and 127 ----------------------------------------------------------
run $A "$C" -- "$T_TOOLS/noexec.sh"
is "$rc" 126 "an allowed command that cannot be executed: 126"
run $A "$C" -- symbi-no-such-command
is "$rc" 127 "an allowed name not found in secure_path: 127"
run $A "$C" -- perl -e 'print "ran"'
is "$rc:$out" "127:" "a command not in allowed_executables: 127"
run $A "$C" -- /usr/bin/perl -e 'print "ran"'
is "$rc:$out" "127:" "an absolute path to a command not allowed: 127"
d=$(user_dir $A 0755)
cp /bin/bash "$d/python3" && chown $A: "$d/python3"
ln -s /usr/bin/perl "$d/bash"
run $A "$C" -- "$d/python3" -c 'echo ran'
is "$rc:$out" "127:" "a user's own file named python3 is not python3: 127"
run $A "$C" -- "$d/bash" -e 'print "ran"'
is "$rc:$out" "127:" "a symlink named bash to perl: 127"
run $A "$C" -- "$(readlink -f /usr/bin/python3)" -c 'print("ran")'
is "$rc:$out" "0:ran" "the canonical path of an allowed command runs"

# --- option parsing -----------------------------------------------------
run $A "$C" -- bash -c 'echo "$0"' --json
is "$rc:$out" "0:--json" "options after COMMAND belong to the command"
run $A "$C" bash -c 'echo "$0 $1"' --json -v
is "$rc:$out" "0:--json -v" "... also without --"

# --- --dry-run and --list -----------------------------------------------
mark=$(user_dir $A)
run $A "$C" --dry-run -- bash -c "touch $mark/ran"
is "$rc" 0 "--dry-run of an allowed request exits 0"
like "$out$err" "2048" "... printing the effective memory limit"
like "$out$err" "none" "... and the tier"
ok "... and runs nothing" absent "$mark/ran"
run $M "$C" --dry-run -- bash -c "echo ran"
is "$rc" 125 "--dry-run of a denied request exits 125"
run $A "$C" --list
is "$rc" 0 "--list exits 0"
like "$out" "none" "--list shows tier none"
like "$out" "isolated" "--list shows tier isolated"
like "$out" "python3" "--list shows the allowed executables"

# --- session ------------------------------------------------------------
sess=$(user_dir $A 0755)
cat >"$sess/sess.sh" <<'EOF'
#!/bin/bash
echo "caller $(ps -o sid= -p $$ | tr -d ' ') $(ps -o tty= -p $$ | tr -d ' ')"
exec "$1" "$2" -- bash -c 'echo "job $(ps -o sid= -p $$ | tr -d " ") $(ps -o tty= -p $$ | tr -d " ")"'
EOF
chmod 0755 "$sess/sess.sh"
# At a terminal (script(1) gives one), the job's controlling terminal is
# a new pseudo-terminal; with --no-pty it has none.
for pty in --pty --no-pty; do
	out=$(as_user $A script -qec "$sess/sess.sh $C $pty" /dev/null \
		</dev/null | tr -d '\r')
	caller=$(sed -n 's/^caller //p' <<<"$out")
	# (script(1) may send a control byte at its EOF: the job's terminal
	# echoes it, ahead of the job's line)
	job=$(sed -n 's/^.*job //p' <<<"$out")
	like "$caller" '^[0-9]+ pts/[0-9]+$' "the caller has a terminal (test sanity)"
	ok "$pty: the job runs in a session of its own (caller $caller, job $job)" \
		[ -n "$job" -a "${job% *}" != "${caller% *}" ]
	if [[ $pty == --pty ]]; then
		like "${job#* }" '^pts/[0-9]+$' "--pty: the job has a terminal ..."
		ok "... which is not the caller's" [ "${job#* }" != "${caller#* }" ]
	else
		is "${job#* }" "?" "--no-pty: the job has no controlling terminal"
	fi
done

# --- environment ------------------------------------------------------------
envd=$(user_dir $A 0755)
printf 'touch %s/bash_env_ran\n' "$envd" >"$envd/bash_env"
run $A PYTHONPATH="$envd" BASH_ENV="$envd/bash_env" \
	LD_PRELOAD=/nonexistent/symbi.so NODE_OPTIONS=--require=/x.js \
	TZ=UTC SYMBI_TEST_OK=caller FOO=bar \
	"$C" --env SYMBI_TEST_OK=option -- bash -c 'env'
is "$rc" 0 "a job runs with a hostile caller environment"
for v in PYTHONPATH BASH_ENV LD_PRELOAD NODE_OPTIONS FOO; do
	unlike "$out" "^$v=" "$v from the caller does not reach the job"
done
ok "BASH_ENV was not sourced in the job" absent "$envd/bash_env_ran"
like "$out" "^TZ=UTC$" "an env_keep variable passes"
like "$out" "^SYMBI_TEST_OK=option$" "an allowed --env passes, over the caller's"
is "$(grep -c . <<<"$out")" "$(grep -cE '^(PATH|TZ|LANG|SYMBI_TEST_OK|HOME|USER|LOGNAME|SHELL|PWD|SHLVL|_)=' <<<"$out")" \
	"the job's environment holds only expected names"
run $A PATH="/tmp:/usr/bin" "$C" -- bash -c 'echo "$PATH"'
is "$out" "$T_SECURE_PATH" "PATH inside the job is secure_path"

# --- work directory ---------------------------------------------------------
run $A "$C" -- bash -c 'pwd; stat -c "%a %U" .'
wd=$(head -n 1 <<<"$out")
like "$wd" "^$T_WORKBASE/." "the job runs in a directory under working_directory"
is "$(sed -n 2p <<<"$out")" "700 $A" "... private: 0700, owned by the user"
ok "... removed afterwards (after the result: within 10 s)" gone_within 100 "$wd"
run $A "$C" -- bash -c 'pwd'
ok "each job gets a fresh directory" [ -n "$out" -a "$out" != "$wd" ]

# --- the result before the cleanup ----------------------------------------
# The helper answers once the job's last process is gone, and removes the
# work directory, the cgroups and the job's record after: a reader right
# after the client returned sees no process of the job, and the rest go
# within a bounded time. The job leaves a process behind and files to
# remove, and names its cgroups.
leave='pwd; cut -d: -f2,3 /proc/self/cgroup | grep "/symbi-exec-job-"
	mkdir d && (cd d && seq 1 3000 | xargs touch)
	setsid sleep 300 </dev/null >/dev/null 2>&1 & echo "left $!"'
# A job's cgroup directories, from the CONTROLLERS:PATH lines of its
# /proc/self/cgroup (hybrid: the unified one under unified/).
job_cgroup_dirs() {
	local ctl path root
	while IFS=: read -r ctl path; do
		root=/sys/fs/cgroup
		if [[ -z $ctl ]]; then
			[[ -d $root/unified ]] && root=$root/unified
		else
			root=$root/$ctl
		fi
		echo "$root$path"
	done
}
run $A "$C" -- bash -c "$leave"
gone_at_return=yes
left=$(sed -n 's/^left //p' <<<"$out")
[[ -n $left && "$(tr '\0' ' ' 2>/dev/null <"/proc/$left/cmdline")" == "sleep 300 " ]] &&
	gone_at_return=no
is "$rc:$gone_at_return" "0:yes" "result first: the process the job left is gone when the client returns"
wd=$(head -n 1 <<<"$out")
id=${wd##*/job-}
cgs=$(grep : <<<"$out" | job_cgroup_dirs | sort -u)
like "$wd" "^$T_WORKBASE/$(id -u $A)/job-[0-9a-f]+$" "result first: control: the job ran in a work directory"
ok "result first: control: the job named its cgroups ($(xargs <<<"$cgs"))" [ -n "$cgs" ]
mapfile -t paths < <(printf '%s\n' "$wd" "$cgs" "/run/symbi-exec/job-$id")
still=0
for p in "${paths[@]}"; do
	[[ -e $p ]] && still=$((still + 1))
done
ok "result first: its work directory, cgroups and record go within 10 s" \
	gone_within 100 "${paths[@]}"
diag "result first: $still of them were still there when the client returned"
run $A "$C" -- bash -c 'echo next'
is "$rc:$out" "0:next" "result first: the caller's next job runs"
run $A "$C" --keep-workdir -- bash -c 'pwd; echo data > kept'
wd=$out
is "$(cat "$wd/kept" 2>&1)" "data" "--keep-workdir keeps the directory"
rm -rf "$wd"
own=$(user_dir $A)
run $A "$C" -C "$own" -- bash -c 'pwd; touch made'
is "$rc:$out" "0:$own" "-C DIR runs in DIR"
ok "... and leaves DIR in place" [ -f "$own/made" ]
run $A "$C" --workdir=/root -- bash -c 'echo ran'
is "$rc:$out" "125:" "--workdir a directory the user cannot access: 125"
bobs=$(user_dir symbi-bob)
run $A "$C" -C "$bobs/sub" -- bash -c 'echo ran'
is "$rc:$out" "125:" "-C into another user's private directory: 125"
ok_clean "after the work directory tests"

# A working_directory in a world-writable place that mallory got to first.
evil=$(mktemp -d "$T_SCRATCH/evil.XXXXXX")
chmod 1777 "$evil"
target=$(user_dir $M 0777)
as_user $M ln -s "$target" "$evil/base"
write_policy "$(TP_WORKDIR=$evil/base test_policy)"
run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "125:" "a symlinked base work directory is refused"
is "$(ls -A "$target")" "" "... and nothing is created at its target"
as_user $M mkdir -m 0777 "$evil/precreated"
write_policy "$(TP_WORKDIR=$evil/precreated test_policy)"
run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "125:" "a base work directory pre-created by a user is refused"
is "$(ls -A "$evil/precreated")" "" "... and nothing is created in it"
write_policy "$(TP_WORKDIR=$evil/fresh test_policy)"
run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "0:ran" "a missing base work directory is created (control)"
is "$(stat -c %U "$evil/fresh" 2>&1)" root "... owned by root"
write_policy "$(test_policy)"

ok_clean "at the end"
done_testing
