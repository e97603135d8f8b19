#!/bin/bash
# Between callers: what one caller hands a job reaches that job only, and
# nothing one caller's job does reaches another's. Several test users at
# once: -e values and the never-list of environment names, per-job
# identities for run_as (the attack of issue 16 through /proc/PID/root and
# usercustomize.py in a shared home), and the engine socket's trust.
# Single quotes are meant: the job's shell expands them.
# shellcheck disable=SC2016
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_setup

A=symbi-alice
B=symbi-bob
C=$T_CLIENT

# --- -e: env_allow, the caller's value, the never-list ------------------------
env_policy() {
	test_policy | sed -e '/^env_keep = /a env_allow = ["OPENAI_API_KEY", "AGENT_*"]'
}
write_policy "$(env_policy)"

run $A "$C" -e OPENAI_API_KEY=sk-alice-explicit -- bash -c 'echo "$OPENAI_API_KEY"'
is "$rc:$out" "0:sk-alice-explicit" "-e OPENAI_API_KEY=... reaches the job"
[[ $rc -eq 0 ]] || show_run
run $A OPENAI_API_KEY=sk-alice-from-env "$C" -e OPENAI_API_KEY -- \
	bash -c 'echo "$OPENAI_API_KEY"'
is "$rc:$out" "0:sk-alice-from-env" "-e OPENAI_API_KEY takes the caller's value"
run $A "$C" -e OPENAI_API_KEY -- bash -c 'echo "[${OPENAI_API_KEY-unset}]"'
is "$rc:$out" "0:[unset]" "-e NAME the caller has not set is left out"
run $A "$C" -e AGENT_MODE=fast -- bash -c 'echo "$AGENT_MODE"'
is "$rc:$out" "0:fast" "an env_allow pattern (AGENT_*) admits AGENT_MODE"
run $A "$C" -e OTHER_KEY=x -- bash -c 'echo ran'
is "$rc:$out" "125:" "a name env_allow does not admit is refused"
like "$err" "OTHER_KEY.*env_allow" "... naming it and the key"

# Two callers at once, each with a secret of its own.
as_user $A OPENAI_API_KEY=sk-alice-1 "$C" -e OPENAI_API_KEY -- \
	bash -c 'sleep 0.5; echo "$OPENAI_API_KEY"' >"$T_SCRATCH/ea" 2>&1 &
pa=$!
as_user $B OPENAI_API_KEY=sk-bob-2 "$C" -e OPENAI_API_KEY -- \
	bash -c 'sleep 0.5; echo "$OPENAI_API_KEY"' >"$T_SCRATCH/eb" 2>&1 &
pb=$!
wait "$pa" "$pb"
is "$(cat "$T_SCRATCH/ea")/$(cat "$T_SCRATCH/eb")" "sk-alice-1/sk-bob-2" \
	"two callers at once: each job has its own caller's value"
unlike "$(cat "$T_SYSLOG")" "sk-(alice|bob)" "no -e value reaches the system log"

# The issue's reproduction: xtrace and a PS4 that runs a command.
mark=$(user_dir $A 0755)
run $A "$C" -e SHELLOPTS=xtrace -e "PS4=\$(touch $mark/ran)" -- bash -c 'echo hi'
is "$rc:$out" "125:" "-e SHELLOPTS=xtrace -e 'PS4=\$(cmd)' is refused"
like "$err" "SHELLOPTS: never passed" "... the helper names SHELLOPTS and why"
ok "... and the command did not run" absent "$mark/ran"
for v in LD_PRELOAD=/x.so GLIBC_TUNABLES=x PERL5OPT=-Mx NODE_OPTIONS=--require=x \
	PYTHONSTARTUP=/x BASH_FUNC_x%%='() { id; }'; do
	run $A "$C" -e "$v" -- bash -c 'echo ran'
	is "$rc:$out" "125:" "-e ${v%%=*} is refused"
done
run $A "$C" -e AGENT_MODE=x -- bash -c 'echo ran'
is "$rc:$out" "0:ran" "the same harness runs a sound -e (control)"

# The never-list binds the policy too: env_keep and env_allow entries
# that run code fail --check-policy, and such a policy runs nothing.
bad=$(test_policy | sed -e 's/^env_keep = .*/env_keep = ["LANG", "SHELLOPTS", "PS4", "PERLLIB", "JAVA_TOOL_OPTIONS", "LUA_INIT", "NODE_PATH", "GLIBC_TUNABLES", "LOCPATH", "HOSTALIASES", "TCLLIBPATH"]/')
write_policy "$bad"
run $A "$C" --check-policy
is "$rc" 1 "--check-policy refuses env_keep names that run code"
for v in SHELLOPTS PS4 PERLLIB JAVA_TOOL_OPTIONS LUA_INIT NODE_PATH \
	GLIBC_TUNABLES LOCPATH HOSTALIASES TCLLIBPATH; do
	like "$err" "env_keep: $v may not pass" "... $v, with the reason"
done
run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "125:" "... and that policy runs nothing"
write_policy "$(test_policy | sed -e '/^env_keep = /a env_allow = ["P*"]')"
run $A "$C" --check-policy
like "$err" "env_allow: P\* may not pass: it covers" "a pattern covering a never-name is refused"
write_policy "$(test_policy | sed -e '/^env_keep = /a env_allow = ["PYTHONUNBUFFERED"]\nenv_allow_unsafe = ["PYTHONUNBUFFERED"]')"
run $A "$C" --check-policy
is "$rc" 0 "env_allow_unsafe lets one exact name through"
run $A "$C" -e PYTHONUNBUFFERED=1 -- bash -c 'echo "$PYTHONUNBUFFERED"'
is "$rc:$out" "0:1" "... and -e may then set it"

done_testing
