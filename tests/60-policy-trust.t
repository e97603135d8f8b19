#!/bin/bash
# The installed policy is trusted only when root alone can change it, and
# used only when valid: anything else denies every request (fail closed),
# with a message naming the problem, which --check-policy also reports.
# Single quotes are meant: the job's shell expands them.
# shellcheck disable=SC2016
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_setup

A=symbi-alice
C=$T_CLIENT
DIR=$T_ETC/symbi-exec
GOOD=$(test_policy)

# refused DESC ERE: a request is denied with 125 and a message matching
# ERE, nothing runs, and --check-policy run by the user reports it too.
refused() {
	run $A "$C" -- bash -c 'echo ran'
	is "$rc:$out" "125:" "$1: every request is denied (125)"
	like "$err" "$2" "$1: the message names the problem"
	run $A "$C" --check-policy
	not_ok "$1: --check-policy fails" [ "$rc" -eq 0 ]
	like "$out$err" "$2" "$1: --check-policy names the problem"
}

run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "0:ran" "control: the trusted, valid policy admits the job"
run $A "$C" --check-policy
is "$rc" 0 "control: --check-policy passes on it"

rm -f "$T_POLICY"
refused "missing policy" "No such file|missing|not found|does not exist"

write_policy "$GOOD"
mv "$T_POLICY" "$DIR/real.toml"
ln -s real.toml "$T_POLICY"
refused "policy is a symlink" "[Ss]ymbolic link|symlink|levels of symbolic"
rm -f "$T_POLICY" "$DIR/real.toml"

write_policy "$GOOD"
chmod 0664 "$T_POLICY"
refused "group-writable policy" "writable"

write_policy "$GOOD"
chmod 0646 "$T_POLICY"
refused "world-writable policy" "writable"

write_policy "$GOOD"
chown symbi-mallory "$T_POLICY"
refused "policy owned by a user" "owned|owner|root"

write_policy "$GOOD"
chmod 0777 "$DIR"
refused "policy directory writable by others" "writable"

write_policy "$GOOD"
chmod 1777 "$DIR"
refused "policy directory sticky and world-writable" "writable"

write_policy "$GOOD"
chmod 0775 "$DIR"
chgrp symbi-agents "$DIR"
refused "policy directory writable by a group" "writable"

write_policy "$GOOD"
chown symbi-mallory "$DIR"
refused "policy directory owned by a user" "owned|owner|root"

write_policy "$GOOD"
chmod 0777 "$T_PREFIX"
refused "a grandparent directory writable by others" "writable"

write_policy "$GOOD"
printf '# a NUL \0 in a comment\n' >>"$T_POLICY"
refused "policy with a NUL byte" "NUL|nul"

write_policy "$GOOD"
head -c 1100000 /dev/zero | tr '\0' '#' | fold -w 99 >>"$T_POLICY"
refused "policy larger than 1 MiB" "large|big|size|MiB|bytes"

write_policy "$GOOD
max_memory_mb = \"lots\""
refused "syntactically invalid policy" "[0-9]+:[0-9]+"

write_policy "$GOOD
no_such_key = 1"
refused "policy with an unknown key" "[0-9]+:[0-9]+.*no_such_key|no_such_key.*[0-9]+:[0-9]+"

write_policy "$GOOD"
run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "0:ran" "a good policy again admits the job"

# --- --check-policy=FILE, unprivileged, on drafts -----------------------------
d=$(user_dir $A 0755)
printf '%s\n' "$GOOD" >"$d/good.toml"
chown $A "$d/good.toml"
run $A "$C" --check-policy="$d/good.toml"
is "$rc" 0 "--check-policy=FILE on a good draft the user owns exits 0"
cat >"$d/bad.toml" <<'EOF'
[native_execution]
enabled = true
max_memory_mb = "lots"
bogus_key = 1
enabled = false
max_processes = 0
EOF
chown $A "$d/bad.toml"
run $A "$C" --check-policy="$d/bad.toml"
not_ok "--check-policy=FILE on a bad draft exits non-zero" [ "$rc" -eq 0 ]
all="$out
$err"
for line in 3 4 5 6; do
	like "$all" "(^|[^0-9])$line:[0-9]+:" "... reports the error on line $line with line:col"
done
run $A "$C" --check-policy="$d/none.toml"
not_ok "--check-policy=FILE on a missing file exits non-zero" [ "$rc" -eq 0 ]


# --- values that no job could run with: refused at --check-policy time ------
# Each once passed --check-policy and failed every job of its tier at run
# time (the judge and the helper disagreed); the same draft without it is
# the control. TABLE-TEXT holds \n for newlines (printf %b).
draft() { # NAME TABLE-TEXT
	printf '[native_execution]\nenabled = true\n%b\n[[rule]]\nusers = ["%s"]\ntiers = ["none"]\n' \
		"$2" "$A" >"$d/$1.toml"
	chown $A "$d/$1.toml"
}
draft sound '[docker]\nenabled = true\nnetwork_mode = "bridge"\nruntime = "runc"\n[gvisor]\nenabled = true\nruntime = "runsc"'
run $A "$C" --check-policy="$d/sound.toml"
is "$rc" 0 "control: a draft naming a network, a runtime and gvisor's runtime passes"
while IFS='|' read -r name text want; do
	draft "$name" "$text"
	run $A "$C" --check-policy="$d/$name.toml"
	not_ok "$name: --check-policy refuses it" [ "$rc" -eq 0 ]
	like "$out$err" "$want" "$name: ... and says why"
done <<'EOF'
network-host|[docker]\nnetwork_mode = "host"|network_mode: invalid value "host"
network-option|[docker]\nnetwork_mode = "-x"|network_mode: invalid value "-x"
runtime-option|[docker]\nruntime = "-x"|runtime: invalid value "-x"
gvisor-runtime-option|[gvisor]\nruntime = "--debug"|runtime: invalid value "--debug"
gvisor-no-runtime|[gvisor]\nenabled = true\nruntime = ""|no gvisor job could run
docker-no-cpu|[docker]\nenabled = true\nmax_cpu_cores = 0.001|below 0.01
isolated-one-process|[isolated]\nenabled = true\nmax_processes = 1|max_processes is below 2
work-base-root|working_directory = "/"|working_directory: invalid value "/"
EOF

# --- the accounts, asked through NSS by symbi-exec-check --------------------
# The static client executes the dynamically linked checker, which sees
# the accounts as getent does; a file name that starts with "-" stays a
# file name on the way.
printf '[native_execution]\nenabled = true\n[[rule]]\nusers = ["%s"]\ntiers = ["none"]\nrun_as = "%s"\n' \
	"$A" symbi-bob >"$d/-run-as.toml"
chown $A "$d/-run-as.toml"
run $A sh -c "cd '$d' && '$C' --check-policy=-run-as.toml"
is "$rc:$out" "0:-run-as.toml: ok" \
	"control: run_as naming an account of this host passes"
sed -i 's/"symbi-bob"/"symbi-no-such-account"/' "$d/-run-as.toml"
run $A sh -c "cd '$d' && '$C' --check-policy=-run-as.toml"
is "$rc" 1 "run_as naming no account of this host fails --check-policy"
like "$err" "run_as symbi-no-such-account: no such account on this host" \
	"... and says so"

done_testing
