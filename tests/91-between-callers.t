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

# --- run_as: one uid per job, or a shared account said outright -------------
# Eight uids with no account and no group on this host, then one of them
# given an account by the test: the helper must skip it.
pool_first=
for ((u = 62000; u < 64000; u += 8)); do
	free=1
	for ((i = u; i < u + 8; i++)); do
		getent passwd "$i" >/dev/null || getent group "$i" >/dev/null ||
			continue
		free=0
		break
	done
	[[ $free -eq 1 ]] && { pool_first=$u; break; }
done
[[ -n $pool_first ]] || bail "no 8 free uids between 62000 and 64000"
pool_last=$((pool_first + 7))
RUNAS=symbi-runas
TAKEN=symbi-pool-taken
PRIVACCT=symbi-runas-adm
at_exit "userdel -r $RUNAS 2>/dev/null; userdel $TAKEN 2>/dev/null; userdel $PRIVACCT 2>/dev/null"
useradd -m -s /bin/bash "$RUNAS" || bail "useradd $RUNAS"
useradd -M -u "$pool_first" -s /usr/sbin/nologin "$TAKEN" || bail "useradd $TAKEN"
useradd -M -G adm -s /usr/sbin/nologin "$PRIVACCT" || bail "useradd $PRIVACCT"

# RULE-BODY: a rule for alice and bob put before the test policy's rules.
rule_policy() {
	test_policy | sed -e '/^env_keep = /a env_allow = ["OPENAI_API_KEY", "AGENT_*"]' |
		awk -v rule="$1" '/^\[\[rule\]\]/ && !done { print "[[rule]]"; print rule; print ""; done = 1 } { print }'
}
pool_rule=$(printf 'users = ["%s", "%s"]\ntiers = ["none", "isolated"]\nrun_as_pool = "%s-%s"' \
	$A $B "$pool_first" "$pool_last")
shared_rule=$(printf 'users = ["%s", "%s"]\ntiers = ["none", "isolated"]\nrun_as = "%s"' \
	$A $B $RUNAS)

# A fixed run_as for two callers is refused unless the rule says so.
write_policy "$(rule_policy "$shared_rule")"
run $A "$C" --check-policy
like "$err" "run_as $RUNAS serves several callers" "a run_as shared by two users fails --check-policy"
run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "125:" "... and runs nothing"

# The issue's attack, first where the callers share the account (the
# control: the harness reaches the other job), then with the pool.
# alice's isolated job keeps a secret in its private /tmp; bob's tier
# none job reads and rewrites it through /proc/PID/root, signals it,
# and plants usercustomize.py in its HOME for alice's next python job.
victim='echo alice-secret >/tmp/secret; echo ready; exec sleep 30'
attack='pid=$1
cat /proc/$pid/root/tmp/secret 2>/dev/null && echo READ
echo bob-was-here 2>/dev/null >>/proc/$pid/root/tmp/secret && echo WROTE
kill -0 "$pid" 2>/dev/null && echo SIGNAL
site=$(python3 -m site --user-site)
mkdir -p "$site" && echo "print(\"PLANTED\")" >"$site/usercustomize.py" && echo DROPPED
umask; touch "$HOME/f" && stat -c %a "$HOME/f"'
attack_round() { # LABEL: prints what bob's job achieved, one word a line
	local bg pid i
	as_user $A "$C" -t isolated -- bash -c "$victim" </dev/null \
		>"$T_SCRATCH/victim.out" 2>&1 &
	bg=$!
	for ((i = 0; i < 100; i++)); do
		grep -q ready "$T_SCRATCH/victim.out" 2>/dev/null && break
		sleep 0.1
	done
	pid=$(pgrep -f "^sleep 30$" | head -n 1)
	run $B "$C" -- bash -c "$attack" attack "$pid"
	attack_out=$out
	run $A "$C" -- python3 -c 'print("alice-python")'
	python_out=$out
	kill "$(pgrep -u $A -x symbi-exec)" 2>/dev/null
	wait "$bg" 2>/dev/null
}

write_policy "$(rule_policy "$shared_rule
run_as_shared = true")"
run $A "$C" --check-policy
like "$err" "warning: run_as $RUNAS is shared" "run_as_shared = true passes --check-policy, with a warning"
attack_round
like "$attack_out" "^READ$" "shared account (control): bob's job reads alice's isolated job's /tmp"
like "$attack_out" "^WROTE$" "... and rewrites it"
like "$attack_out" "^SIGNAL$" "... and may signal it"
like "$python_out" "^PLANTED$" "... and alice's next python job runs bob's usercustomize.py"
rm -rf "$(home_of $RUNAS)/.local"

write_policy "$(rule_policy "$pool_rule")"
run $A "$C" --check-policy
is "$rc" 0 "a run_as_pool rule passes --check-policy"
like "$err" "uid $pool_first is account $TAKEN" "... which warns about a pool uid that has an account"
attack_round
is "$(grep -E '^(READ|WROTE|SIGNAL)$' <<<"$attack_out" | xargs)" "" \
	"run_as_pool: bob's job can neither read, write nor signal alice's job"
like "$attack_out" "^DROPPED$" "... it did write its usercustomize.py, in a HOME of its own"
is "$python_out" "alice-python" "... which alice's next python job never runs"
like "$attack_out" "^0077$" "jobs run with umask 077"
like "$attack_out" "^600$" "... so what they create is theirs alone"

# Several callers at once: each job its own uid, none of them an account.
# (Waiting for these alone: a bare wait would wait for the syslog listener.)
jobs_bg=()
for n in 1 2 3; do
	as_user $A "$C" -- bash -c 'id -u; id -G; echo "$HOME"; sleep 1' \
		</dev/null >"$T_SCRATCH/a$n" 2>&1 &
	jobs_bg+=($!)
	as_user $B "$C" -t isolated -- bash -c 'id -u; id -G; echo "$HOME"; sleep 1' \
		</dev/null >"$T_SCRATCH/b$n" 2>&1 &
	jobs_bg+=($!)
done
wait "${jobs_bg[@]}"
uids=$(cat "$T_SCRATCH"/[ab][123] | sed -n '1~3p' | sort -u)
is "$(wc -l <<<"$uids")" 6 "six jobs of two callers at once: six uids ($(xargs <<<"$uids"))"
ok "... all from the pool, past the uid that has an account" \
	awk -v f="$((pool_first + 1))" -v l="$pool_last" '$1 < f || $1 > l { exit 1 }' <<<"$uids"
is "$(cat "$T_SCRATCH"/[ab][123] | sed -n '2~3p' | sort -u | xargs)" "$(xargs <<<"$uids")" \
	"... each with its own gid and no other group"
homes=$(cat "$T_SCRATCH"/[ab][123] | sed -n '3~3p' | sort -u)
is "$(wc -l <<<"$homes")" 6 "... and a HOME of its own (the job's work directory)"

# --- no set-id file of another account (review3 F1) --------------------------
# A pool job owns what it makes: a setuid copy of a program of its uid,
# left in a directory of its caller's, would let her be that uid at will
# and reach the next caller's job on it. Every way to make one is
# refused; the same calls by a job on the caller's own uid work (control).
setid_probe='
import ctypes, errno, os, shutil, stat, sys
d = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
def raw(*a):
    r = libc.syscall(*[ctypes.c_long(x) if isinstance(x, int) else x for x in a])
    if r < 0:
        raise OSError(ctypes.get_errno(), "")
def show(name, f):
    try:
        f()
        print(name, "ok")
    except OSError as e:
        print(name, errno.errorcode.get(e.errno, e.errno))
f = os.path.join(d, "b")
shutil.copyfile("/bin/true", f)
show("chmod-4755", lambda: os.chmod(f, 0o4755))
show("chmod-2755", lambda: os.chmod(f, 0o2755))
show("open-creat-04755", lambda: os.close(os.open(os.path.join(d, "c"), os.O_CREAT | os.O_WRONLY, 0o4755)))
show("mknod-04755", lambda: os.mknod(os.path.join(d, "n"), stat.S_IFREG | 0o4755))
show("fchmodat2-6755", lambda: raw(452, -100, f.encode(), 0o6755, 0))
show("io_uring_setup", lambda: raw(425, 1, ctypes.create_string_buffer(120)))
show("chmod-0755", lambda: os.chmod(f, 0o755))
with open(os.path.join(d, "w"), "w") as w:
    w.write("written\n")
print("wrote", open(os.path.join(d, "w")).read().strip())'
setid_job='python3 -c "$1" "$2"; cp /bin/true "$2/s" && chmod 6755 "$2/s" && echo chmod-6755 ok'
setid_refused="chmod-4755 EPERM
chmod-2755 EPERM
open-creat-04755 EPERM
mknod-04755 EPERM
fchmodat2-6755 EPERM
io_uring_setup EPERM
chmod-0755 ok
wrote written"
write_policy "$(rule_policy "$pool_rule

[[rule]]
users = [\"symbi-mallory\"]
tiers = [\"none\"]")"
drop=$(user_dir $A 0777)
run $A "$C" -- bash -c "$setid_job" job "$setid_probe" "$drop"
is "$out" "$setid_refused" \
	"a pool job (tier none) cannot make a set-id file: chmod, open, mknod, fchmodat2 get EPERM, io_uring too"
like "$err" "chmod: changing permissions of '$drop/s': Operation not permitted" \
	"... nor can coreutils' chmod 6755 (the review's attack)"
is "$(find "$drop" -perm /6000 -printf '%f ')" "" \
	"... and no set-id file is left in the caller's open directory"
wuid=$(stat -c %u "$drop/w" 2>/dev/null)
ok "... while the job still ran and wrote its files, as its pool uid (control)" \
	test "${wuid:-0}" -ge "$pool_first" -a "${wuid:-0}" -le "$pool_last"
run $A "$C" -t isolated -- bash -c "$setid_job" job "$setid_probe" .
is "$out" "$setid_refused" \
	"a pool job in tier isolated cannot either (the filter stacks on the tier's)"
mdrop=$(user_dir symbi-mallory 0700)
run symbi-mallory "$C" -- bash -c "$setid_job" job "$setid_probe" "$mdrop"
like "$out" "^chmod-4755 ok$" \
	"a job on the caller's own uid may chmod 4755 its file (control: the same harness)"
like "$out" "^chmod-6755 ok$" "... and chmod 6755"
is "$(stat -c %U "$mdrop/s")" symbi-mallory "... a set-id file of her own uid, her own business"
rm -rf "$drop" "$mdrop"
# The docker tiers run the job in the engine, out of the filter's
# reach, with /workspace a host directory: refused for such jobs.
write_policy "$(rule_policy "${pool_rule/\"isolated\"/\"docker\"}")"
run $A "$C" --check-policy
like "$err" "warning: tiers docker and gvisor refuse this rule's jobs" \
	"a run_as_pool rule with tier docker warns in --check-policy"
run $A "$C" -t docker --image=python:3.12-slim -- true
is "$rc:$out" "125:" "... and its docker job is refused"
like "$err" "tier docker cannot run a job as another account" "... saying why"

# --- a pool uid's directory in the base (review F1) ---------------------------
# alice's pool job opens its HOME's parent to all; then alice, as
# herself, watches that directory and swaps bob's next job directory on
# the same uid (the lowest free one) for a symlink to a tree of hers
# holding usercustomize.py. The watcher, run as alice: it prints
# "watching PID" once its inotify watch is set (or why not), then
# "swapped NAME" for each job-* directory it replaced.
watcher='import ctypes, os, struct, sys, time
d, trap, deadline = sys.argv[1], sys.argv[2], time.time() + float(sys.argv[3])
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(os.O_NONBLOCK)
if libc.inotify_add_watch(fd, d.encode(), 0x100) < 0:
    sys.exit("cannot watch: %s" % os.strerror(ctypes.get_errno()))
print("watching", os.getpid(), flush=True)
while time.time() < deadline:
    try:
        buf = os.read(fd, 4096)
    except BlockingIOError:
        time.sleep(0.0005)
        continue
    i = 0
    while i < len(buf):
        ln = struct.unpack_from("iIII", buf, i)[3]
        name = buf[i + 16:i + 16 + ln].rstrip(b"\0").decode()
        i += 16 + ln
        if name.startswith("job-"):
            try:
                os.rename(os.path.join(d, name), os.path.join(d, "stolen-" + name))
                os.symlink(trap, os.path.join(d, name))
                print("swapped", name, flush=True)
            except OSError as e:
                print("swap failed", name, e, flush=True)'
start_watcher() { # DIR OUT: alice watches DIR for 20 s; waits until set
	local i
	as_user $A python3 -c "$watcher" "$1" "$trap_home" 20 >"$2" 2>&1 &
	watcher_bg=$!
	for ((i = 0; i < 100; i++)); do
		[[ -s $2 ]] && return 0
		sleep 0.1
	done
}
stop_watcher() { # OUT: the watcher itself, by the pid it printed
	local pid
	pid=$(awk '$1 == "watching" { print $2; exit }' "$1")
	[[ -n $pid ]] && kill "$pid" 2>/dev/null
	wait "$watcher_bg" 2>/dev/null
}
trap_home=$(user_dir $A 0755)
loot=$(user_dir $A 1777)
pyver=$(python3 -c 'import sys; print("python%d.%d" % sys.version_info[:2])')
mkdir -p "$trap_home/.local/lib/$pyver/site-packages"
cat >"$trap_home/.local/lib/$pyver/site-packages/usercustomize.py" <<PY
import os, sys
open("$loot/pwned", "a").write("uid=%d key=%r\n" % (os.getuid(), os.environ.get("OPENAI_API_KEY")))
print("PLANTED-BY-ALICE", file=sys.stderr)
PY
chown -R $A: "$trap_home"
chmod -R go+rX "$trap_home"

# The harness first (control): in a directory others may write, the
# watcher does swap a job directory for its symlink.
open_dir=$(user_dir $A 0777)
start_watcher "$open_dir" "$T_SCRATCH/watch0.out"
mkdir "$open_dir/job-control"
for ((i = 0; i < 50; i++)); do
	[[ -L $open_dir/job-control ]] && break
	sleep 0.1
done
stop_watcher "$T_SCRATCH/watch0.out"
ok "the watcher swaps a job directory in a directory others may write (control)" \
	test -L "$open_dir/job-control"

# (Each helper frees its uid after its result: bob's job gets alice's
# uid, the lowest free one, once her helper is gone.)
write_policy "$(rule_policy "$pool_rule")"
helpers_gone_within 100
run $A "$C" -- sh -c 'id -u; chmod 0777 "$HOME/.." 2>/dev/null && echo OPENED; true'
u=$(head -n 1 <<<"$out")
is "$rc" 0 "alice's pool job runs (uid $u)"
unlike "$out" "^OPENED$" "... and cannot chmod its HOME's parent"
is "$(stat -c %u:%a "$T_WORKBASE/$u")" "0:711" "... which is root's, 0711"
helpers_gone_within 100
start_watcher "$T_WORKBASE/$u" "$T_SCRATCH/watch1.out"
run $B OPENAI_API_KEY=sk-bob-pool "$C" -e OPENAI_API_KEY -- python3 -c '
import os
h = os.environ["HOME"]
print(os.getuid()); print(h); print(os.path.realpath(h)); print(os.stat(h).st_uid)
print(os.environ["OPENAI_API_KEY"])'
stop_watcher "$T_SCRATCH/watch1.out"
diag "alice's watcher: $(xargs <"$T_SCRATCH/watch1.out")"
bob_home=$(sed -n 2p <<<"$out")
is "$rc:$(sed -n 1p <<<"$out")" "0:$u" "bob's pool job runs next, on the same uid $u (control)"
like "$bob_home" "^$T_WORKBASE/$u/job-[0-9a-f]{16}\$" "... its HOME is its job directory"
is "$(sed -n 3,4p <<<"$out" | xargs)" "$bob_home $u" "... reached by no symlink, and the job uid's own"
is "$(sed -n 5p <<<"$out")" "sk-bob-pool" "... with bob's own -e value (control)"
unlike "$err" "PLANTED-BY-ALICE" "alice's usercustomize.py never runs in bob's job"
ok "... and took no secret of bob's" absent "$loot/pwned"
unlike "$(cat "$T_SCRATCH/watch1.out")" "^swapped" "... alice could not swap bob's job directory"

# The older layout: a pool uid's directory its own, opened to all, with a
# job directory a killed helper left, a symlink, and an (empty) directory
# of alice's. The next job on that uid takes it back as root and empties it.
helpers_gone_within 100
chown "$u:$u" "$T_WORKBASE/$u"
chmod 0777 "$T_WORKBASE/$u"
mkdir -p "$T_WORKBASE/$u/job-0123456789abcdef/sub"
echo bob-secret >"$T_WORKBASE/$u/job-0123456789abcdef/sub/f"
chown -R "$u:$u" "$T_WORKBASE/$u/job-0123456789abcdef"
chmod 0500 "$T_WORKBASE/$u/job-0123456789abcdef/sub"
ln -s "$trap_home" "$T_WORKBASE/$u/link"
as_user $A mkdir "$T_WORKBASE/$u/alice-dir"
run $A "$C" -- sh -c 'id -u; cat "$HOME"/../job-0123456789abcdef/sub/f 2>/dev/null; true'
is "$rc:$out" "0:$u" "old layout: the next job on uid $u runs, and cannot read what an earlier job left"
helpers_gone_within 100
is "$(stat -c %u:%a "$T_WORKBASE/$u")" "0:711" "... the directory is root's again, 0711"
is "$(find "$T_WORKBASE/$u" -mindepth 1 -printf "%f ")" "" "... and emptied of the leftovers, the symlink and alice's directory"

# What another user leaves in a pool job's directories (review2 F1): a
# pool job opens its HOME and a directory of its own in /tmp to all;
# its caller, as herself, puts a directory of hers with a file in each,
# and keeps writing into the first from a process whose directory it is.
# The uid's cleaner (the uid's credentials) cannot remove them: the uid
# must still serve the next caller. A pool of one uid: before the fix,
# every later job of every caller on it was refused.
one=$((pool_first + 1))
one_rule=$(printf 'users = ["%s", "%s"]\ntiers = ["none"]\nrun_as_pool = "%s-%s"' \
	$A $B $one $one)
write_policy "$(rule_policy "$one_rule")"
helpers_gone_within 100
f1=$(user_dir $A 0777)
# The job also writes files of the uid into her directories (review3 F3:
# the cleaner never enters them, so root removes those, by descriptor,
# within a bound per job: 5000 of them take two jobs' turns).
as_user $A "$C" -- sh -c 'chmod 0777 "$HOME" && mkdir -m 0777 /tmp/symbi-f1-$1 &&
	echo "$HOME /tmp/symbi-f1-$1" >"$2/paths"
	for i in $(seq 50); do
		[ -d "$HOME/alice-owned" ] && [ -d /tmp/symbi-f1-$1/alice-owned ] && break
		sleep 0.1
	done
	mkdir "$HOME/alice-owned/uid" && cd "$HOME/alice-owned/uid" &&
	i=0 && while [ $i -lt 5000 ]; do : >f$i; i=$((i + 1)); done &&
	echo uid >/tmp/symbi-f1-$1/alice-owned/uid-file && echo wrote; sleep 1' sh $$ "$f1" \
	</dev/null >"$T_SCRATCH/f1.out" 2>&1 &
bg=$!
for ((i = 0; i < 50; i++)); do
	[[ -s $f1/paths ]] && break
	sleep 0.1
done
read -r f1_home f1_tmp <"$f1/paths"
T_CLEAN+=("$f1_tmp")
as_user $A sh -c 'for d; do mkdir -m 0777 "$d/alice-owned" && touch "$d/alice-owned/f"; done' \
	sh "$f1_home" "$f1_tmp"
as_user $A sh -c 'cd "$1/alice-owned" && echo $$ >"$2/writer" &&
	exec sh -c "i=0; while :; do i=\$((i + 1)); : >w\$((i % 100)); sleep 0.01; done"' \
	sh "$f1_home" "$f1" </dev/null >/dev/null 2>&1 &
writer_bg=$!
at_exit "kill $writer_bg 2>/dev/null"
ok "alice's pool job opened its HOME and a /tmp directory, and alice put a directory of hers in each (control)" \
	test -f "$f1_home/alice-owned/f" -a -f "$f1_tmp/alice-owned/f"
wait "$bg"
like "$(cat "$T_SCRATCH/f1.out")" "wrote" "... and the job put 5000 files of the uid in hers, open to all (control)"
run $B "$C" -- sh -c 'id -u; find /tmp /var/tmp /dev/shm -maxdepth 1 -user "$(id -u)"'
is "$rc:$out" "0:$one" "bob's pool job runs next, on the same uid $one, and finds nothing of the uid's in /tmp"
[[ $rc == 0 ]] || show_run
helpers_gone_within 100
is "$(find "$T_WORKBASE/$one" -mindepth 1 | wc -l)" 0 "... alice's job directory is out of the uid's directory"
is "$(stat -c %u:%a "$T_WORKBASE/.left") $(find "$T_WORKBASE/.left" -mindepth 1 -maxdepth 1 -printf '%f %U %m\n' | grep -c "^$one-${f1_home##*/} 0 700\$")" \
	"0:700 1" "... set aside in the base's .left, root's and closed, itself root's and 0700"
not_ok "... where alice no longer reaches her directory by its path" as_user $A test -e "$f1_home/alice-owned/f"
is "$(stat -c %u:%a "$f1_tmp")" "0:700" "the /tmp directory the uid could not remove is root's now, 0700"
like "$(logged "pool uid $one: ${f1_home##*/} could not be emptied.*moved to \.left")" "moved" \
	"... both logged: the job directory"
like "$(logged "job=[0-9a-f]+: $f1_home could not be emptied")" "emptied\$" \
	"... set aside as soon as its cleaner gave up, not left for the next run"
like "$(logged "pool uid $one: $f1_tmp holds other users' files")" "holds" "... and the /tmp directory"
left_top=$T_WORKBASE/.left/$one-${f1_home##*/}
like "$(logged "work base \\.left/$one-${f1_home##*/}: [0-9]+ entries \\([0-9]+ bytes\\) stay; the next pool job goes on")" \
	"stay" "review3 F3: root's removal in .left stops at its bound per job, logged with what stays"
is "$(find "$T_WORKBASE/.left" -uid "$one" | wc -l) $(find "$f1_tmp" -uid "$one" | wc -l)" "0 0" \
	"... and the next job's turn ends it: nothing of the uid's is left in .left nor in the /tmp directory"
is "$(find "$left_top" "$f1_tmp" -mindepth 1 ! -user $A | wc -l)" 0 \
	"... what stays is alice's alone, on her quota"
ok "... root removed none of hers, her writer's files included (control)" \
	test -f "$left_top/alice-owned/f" -a -f "$f1_tmp/alice-owned/f" -a -f "$left_top/alice-owned/w1"
like "$(logged "work base \\.left/$one-${f1_home##*/}: [0-9]+ entries \\([0-9]+ bytes\\) stay: other users'")" \
	"stay" "... logged with its size"
kill "$(cat "$f1/writer")" 2>/dev/null
wait "$writer_bg" 2>/dev/null
run $A "$C" -- sh -c 'id -u'
is "$rc:$out" "0:$one" "the uid serves its callers again and again (control)"

# A uid whose leftovers cannot even be set aside (an immutable job
# directory the test makes) is passed over for the next free one, and
# logged: it costs the pool that uid, not its jobs.
stuck=$T_WORKBASE/$one/job-0123456789abcdef
write_policy "$(rule_policy "$(printf 'users = ["%s", "%s"]\ntiers = ["none"]\nrun_as_pool = "%s-%s"' \
	$A $B $one $((one + 1)))")"
helpers_gone_within 100
mkdir -p "$stuck/d" && touch "$stuck/d/f" && chown -R "$one:$one" "$stuck"
if chattr +i "$stuck" 2>/dev/null; then
	at_exit "chattr -i '$stuck' 2>/dev/null"
	run $A "$C" -- sh -c 'id -u'
	is "$rc:$out" "0:$((one + 1))" "a pool uid that cannot be cleared is passed over: the job runs on the next"
	like "$(logged "pool uid $one skipped: its directory in the work base cannot be emptied")" \
		"skipped" "... and the system log says why"
	helpers_gone_within 100
	chattr -i "$stuck"
	run $A "$C" -- sh -c 'id -u'
	is "$rc:$out" "0:$one" "... and once it can be, the uid serves again (control)"
else
	skip_or_fail_in_ci "chattr +i is not supported in $T_WORKBASE" 3
fi

# A process that keeps the uid as its effective uid alone (review3 F1b:
# what a planted set-id copy of the uid's would run as; made here by
# root) is one the uid's sweeper cannot kill: the uid is passed over,
# and the log names that process and its real uid.
helpers_gone_within 100
python3 -c 'import os, sys, time
a, u = int(sys.argv[1]), int(sys.argv[2])
os.setgroups([]); os.setresgid(u, u, u); os.setresuid(a, u, a)
time.sleep(30)' "$(id -u $A)" "$one" &
parked=$!
at_exit "kill $parked 2>/dev/null"
# Parked once its effective uid is the pool's (python starts slowly on a
# loaded machine: a fixed wait let the sweep run first).
for ((i = 0; i < 100; i++)); do
	[[ $(awk '/^Uid:/ {print $3}' "/proc/$parked/status" 2>/dev/null) == "$one" ]] && break
	sleep 0.05
done
run $B "$C" -- sh -c 'id -u'
is "$rc:$out" "0:$((one + 1))" "a uid a parked process keeps as its euid is passed over"
like "$(logged "pool uid $one skipped: its sweep did not finish: process $parked \\(real uid $(id -u $A)\\) stays")" \
	"skipped" "... and the system log names that process and its real uid"
kill "$parked" 2>/dev/null
wait "$parked" 2>/dev/null
helpers_gone_within 100
run $B "$C" -- sh -c 'id -u'
is "$rc:$out" "0:$one" "... and once it is gone, the uid serves again (control)"
write_policy "$(rule_policy "$pool_rule")"

# Every account's directory in the base: one that others may write is
# refused (the account's own, so the helper does not repair it).
write_policy "$(test_policy)"
ua=$(id -u $A)
run $A "$C" -- true
as_user $A chmod 0777 "$T_WORKBASE/$ua"
run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "125:" "alice's own directory in the base, opened to others: her job is refused"
like "$err" "$T_WORKBASE/$ua is writable by others \\(mode 0777\\)" "... saying why"
as_user $A chmod 0700 "$T_WORKBASE/$ua"
run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "0:ran" "... and runs once she closes it again (control)"

# The caller's directory is not a pool job's: even where jobs start in
# their caller's directory, it gets a private one of its uid's, and that
# is never kept (the uid serves other callers' jobs next).
write_policy "$(TP_PRIVATE=false test_policy)"
run $A "$C" -- bash -c 'pwd'
is "$rc:$out" "0:$(home_of $A)" "private_workdir = false: alice's own job starts in her directory (control)"
write_policy "$(TP_PRIVATE=false rule_policy "$pool_rule")"
run $A "$C" -- bash -c 'id -u; pwd'
u=$(head -n 1 <<<"$out")
like "$out" "^$T_WORKBASE/$u/job-" "... a pool job starts in a private directory of its uid's own"
run $A "$C" --keep-workdir -- bash -c 'echo ran'
is "$rc:$out" "125:" "--keep-workdir is refused for a pool job"
like "$err" "run_as_pool job's uid goes to other callers' jobs next" "... saying why"
write_policy "$(rule_policy "$pool_rule")"

# What a pool job leaves behind goes with it: files in the shared
# temporary directories, System V IPC, processes.
run $A "$C" -- bash -c 'id -u; touch /tmp/symbi-left-$$ /dev/shm/symbi-left-$$;
	mkdir -p /var/tmp/symbi-left-$$/d; chmod 000 /var/tmp/symbi-left-$$/d;
	python3 -c "
import ctypes; libc = ctypes.CDLL(None)
print(libc.shmget(0, 4096, 0o1600) >= 0)"'
u=$(head -n 1 <<<"$out")
like "$out" "^True$" "a pool job made a SysV shared memory segment (control)"
is "$(find /tmp /var/tmp /dev/shm -maxdepth 1 -uid "$u" | wc -l)" 0 \
	"... its files in /tmp, /var/tmp and /dev/shm are gone"
is "$(awk -v u="$u" '$8 == u || $10 == u' /proc/sysvipc/shm | wc -l)" 0 \
	"... and its SysV segment"
is "$(pgrep -u "$u" | wc -l)" 0 "... and it has no process left"

# Kernel keyrings outlive processes (review2 F2): a pool job's keys in
# its uid's user keyring must not reach the next holder of that uid, and
# a job of another account never holds its caller's session keyring.
keys_py='
import ctypes, os, sys
l = ctypes.CDLL(None, use_errno=True); l.syscall.restype = ctypes.c_long
def ring_owner(ring):
    b = ctypes.create_string_buffer(256)
    n = l.syscall(250, 6, ctypes.c_long(ring), b, ctypes.c_long(256))
    return b.value.decode().split(";")[1] if n > 0 else "none"
def find(desc):
    k = l.syscall(250, 10, ctypes.c_long(-4), b"user", desc.encode(), 0)
    if k < 0: return "absent"
    b = ctypes.create_string_buffer(256)
    n = l.syscall(250, 11, ctypes.c_long(k), b, ctypes.c_long(256))
    return b.raw[:n].decode() if n >= 0 else "unreadable"
print(os.getuid(), ring_owner(-3))
if sys.argv[1:]:
    v = sys.argv[1]
    l.syscall(248, b"user", b"symbi-left", v.encode(), len(v), ctypes.c_long(-4))
print(find("symbi-left"))'
one=$((pool_first + 1))
write_policy "$(rule_policy "$(printf 'users = ["%s", "%s"]\ntiers = ["none"]\nrun_as_pool = "%s-%s"' \
	$A $B "$one" "$one")")"
run $A "$C" -- python3 -c "$keys_py" from-alice
is "$rc:$(sed -n 2p <<<"$out")" "0:from-alice" \
	"a pool job puts a key in its uid's user keyring and reads it back (control)"
is "$(sed -n 1p <<<"$out")" "$one $one" \
	"... its session keyring is its own uid's, not its caller's"
helpers_gone_within 100
run $B "$C" -- python3 -c "$keys_py"
is "$rc:$(sed -n 1p <<<"$out")" "0:$one $one" "bob's pool job runs next, on the same uid"
is "$(sed -n 2p <<<"$out")" "absent" "... and finds no key of alice's job in the uid's user keyring"
helpers_gone_within 100
write_policy "$(rule_policy "$pool_rule")"

# Back to back with a pool of one uid: the result comes before the uid's
# sweep and its work directory's removal, and the uid is free only after
# them; the next job waits for it (a bounded time) instead of being
# refused, and finds nothing of the last one.
one=$((pool_first + 1))
write_policy "$(rule_policy "$(printf 'users = ["%s", "%s"]\ntiers = ["none"]\nrun_as_pool = "%s-%s"' \
	$A $B $one $one)")"
as_user $A "$C" -- sh -c 'echo ready; exec sleep 30' </dev/null >"$T_SCRATCH/one.out" 2>&1 &
bg=$!
for ((i = 0; i < 100; i++)); do
	grep -q ready "$T_SCRATCH/one.out" 2>/dev/null && break
	sleep 0.1
done
run $B "$C" -- sh -c 'echo ran'
is "$rc:$out" "125:" "a pool of one uid: control: a second job while one runs is refused"
like "$err" "every uid of run_as_pool $one-$one is in use\$" "... at once, the uid being held by a running job"
kill "$(pgrep -u $A -x symbi-exec)" 2>/dev/null
wait "$bg" 2>/dev/null
leave='id -u; pwd; mkdir d && (cd d && seq 1 5000 | xargs touch); touch /tmp/symbi-one-$$'
bad='' seen='' cleaning=0
for i in 1 2 3; do
	run $A "$C" -- sh -c "$leave"
	[[ $rc == 0 && $(head -n 1 <<<"$out") == "$one" ]] || bad+="alice:$i:$rc "
	prev=$(sed -n 2p <<<"$out")
	[[ -e $prev ]] && cleaning=$((cleaning + 1))
	run $B "$C" -- sh -c 'id -u; [ -e "$1" ] && echo "left: $1"
		find /tmp -maxdepth 1 -user "$(id -u)"' sh "$prev"
	[[ $rc == 0 && $(head -n 1 <<<"$out") == "$one" ]] || bad+="bob:$i:$rc "
	rest=$(sed 1d <<<"$out")
	[[ -z $rest ]] || seen+="$i:[$(xargs <<<"$rest")] "
done
is "$bad" "" "a pool of one uid: alice's and bob's jobs back to back, three rounds: all run as uid $one"
is "$seen" "" "... each of bob's finds neither alice's work directory nor her file in /tmp"
diag "pool back to back: $cleaning of 3 of alice's jobs returned before their work directory was gone"
write_policy "$(rule_policy "$pool_rule")"

# A stale record: the helper of a pool job killed outright leaves its
# uid locked by no one; the next job takes it and sweeps first.
as_user $A "$C" -- bash -c 'id -u; touch /tmp/symbi-stale-$$; echo ready; exec sleep 30' \
	</dev/null >"$T_SCRATCH/stale.out" 2>&1 &
bg=$!
for ((i = 0; i < 100; i++)); do
	grep -q ready "$T_SCRATCH/stale.out" 2>/dev/null && break
	sleep 0.1
done
u=$(head -n 1 "$T_SCRATCH/stale.out")
kill -KILL "$(pgrep -x symbi-exec-help -u 0 -P "$(pgrep -u $A -x symbi-exec)")"
wait "$bg" 2>/dev/null
run $A "$C" -- bash -c 'id -u'
is "$out" "$u" "after a helper is killed, its pool uid is taken again"
is "$(find /tmp -maxdepth 1 -uid "$u" | wc -l)" 0 "... swept of what the dead job left first"

# A pool inside a user's subordinate ids (review2 F4): newuidmap lets
# her map the ids /etc/subuid or /etc/subgid gives her, so a pool uid
# among them is one she can become, and the pool is refused. The test
# gives mallory the pool's last two ids, one file at a time.
M=symbi-mallory
sub="$((pool_last - 1))-$pool_last"
subid_round() { # FILE OPTION: mallory gets $sub in FILE; the policy is refused
	usermod "--add-$2" "$sub" $M || bail "usermod --add-$2 $sub $M"
	at_exit "usermod --del-$2 $sub $M 2>/dev/null"
	grep -q "^$M:$((pool_last - 1)):2\$" "$1" || diag "$1 has no $M:$((pool_last - 1)):2"
	run $A "$C" --check-policy
	is "$rc" 1 "a pool overlapping $M's range in $1 fails --check-policy"
	like "$err" "run_as_pool $pool_first-$pool_last overlaps the subordinate ids $sub of $M \\($1, line [0-9]+\\)" \
		"... naming the range, its owner and the file"
	run $A "$C" -- sh -c 'echo ran'
	is "$rc:$out" "125:" "... and the helper refuses its jobs"
	like "$err" "overlaps the subordinate ids $sub of $M \\($1, line [0-9]+\\), who could become a pool uid: refused" \
		"... in one line saying why"
	like "$(logged "deny user=$A .*overlaps the subordinate ids $sub")" "overlaps" "... with a syslog line"
	usermod "--del-$2" "$sub" $M || bail "usermod --del-$2 $sub $M"
}
write_policy "$(rule_policy "$pool_rule")"
run $A "$C" -- sh -c 'echo ran'
is "$rc:$out" "0:ran" "a pool outside every subordinate range runs (control)"
subid_round /etc/subuid subuids
subid_round /etc/subgid subgids
run $A "$C" --check-policy
is "$rc" 0 "the ranges gone, the policy passes --check-policy again (control)"
run $A "$C" -- sh -c 'echo ran'
is "$rc:$out" "0:ran" "... and its job runs"

# Subordinate ids from NSS (review3 F4): a subid: line naming a source
# other than files sends newuidmap there, where nothing here can check
# the ranges, so the pool is refused. The machine's nsswitch.conf is
# changed only under the tests' lock, a round at a time, and put back
# (glibc's own lookups ignore a subid: line).
nss=/etc/nsswitch.conf
nss_keep=$T_SCRATCH/nsswitch.conf.orig
if [[ -e $nss ]]; then
	cp -p "$nss" "$nss_keep"
	nss_restore() { cat "$nss_keep" >"$nss"; }
else
	: >"$nss_keep"
	nss_restore() { rm -f "$nss"; }
fi
at_exit nss_restore
nss_with() { # LINE: the machine's file with LINE added
	{ cat "$nss_keep"; printf '%s\n' "$1"; } >"$nss"
}
nss_with 'subid:   files   # the default, spelt out'
run $A "$C" --check-policy
is "$rc" 0 "subid: files in $nss passes --check-policy (control)"
run $A "$C" -- sh -c 'echo ran'
is "$rc:$out" "0:ran" "... and the pool job runs"
nss_with 'subid: sss'
run $A "$C" --check-policy
is "$rc" 1 "subid: sss in $nss fails --check-policy"
like "$err" "run_as_pool $pool_first-$pool_last: $nss \\(line [0-9]+\\) takes subordinate ids from \"sss\"" \
	"... naming the file, its line and the source"
run $A "$C" -- sh -c 'echo ran'
nss_restore
is "$rc:$out" "125:" "... and the helper refuses its jobs"
like "$err" "takes subordinate ids from \"sss\", which cannot be checked for pool uids: refused" \
	"... in one line saying why"
like "$(logged "deny user=$A .*takes subordinate ids from")" "sss" "... with a syslog line"
run $A "$C" -- sh -c 'echo ran'
is "$rc:$out" "0:ran" "the file restored, the pool job runs again (control)"

# A run_as account in a group that grants privilege is refused.
priv_rule=$(printf 'users = ["%s"]\ntiers = ["none"]\nrun_as = "%s"' symbi-mallory $PRIVACCT)
write_policy "$(rule_policy "$priv_rule")"
run symbi-mallory "$C" -- bash -c 'id -u'
is "$rc:$out" "125:" "a run_as account in group adm is refused"
like "$err" "group adm" "... naming the group"
run symbi-mallory "$C" --check-policy
like "$err" "run_as $PRIVACCT is in group adm" "... and --check-policy says so"
priv_rule=$(printf 'users = ["%s"]\ntiers = ["none"]\nrun_as = "%s"' symbi-mallory $RUNAS)
write_policy "$(rule_policy "$priv_rule")"
run symbi-mallory "$C" -- bash -c 'id -un'
is "$rc:$out" "0:$RUNAS" "an unprivileged run_as account runs (control)"

# --- the engine socket is trusted like the policy ---------------------------
# A fake engine that logs every connection: mallory's, in a directory of
# hers; then root's, in /run (the control: the same request reaches it).
fake_engine() { # SOCKET LOG: listen on SOCKET, log each request's first line
	python3 -c '
import os, socket, sys
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
os.chmod(path, 0o660)
s.listen(16)
with open(log + ".ready", "w") as f:
    f.write("%d\n" % os.getpid())
while True:
    c, _ = s.accept()
    data = c.recv(4096)
    with open(log, "a") as f:
        f.write("request %r\n" % data.split(b"\r\n")[0])
    c.close()' "$1" "$2"
}
wait_ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -e $1.ready ]] && return 0
		sleep 0.1
	done
	return 1
}
engine_policy() { # DOCKER_HOST
	env_policy | sed -e "s|^docker_binary = .*|&\ndocker_host = \"$1\"|"
}
M=symbi-mallory
mdir=$(user_dir $M 0755)
as_user $M bash -c "$(declare -f fake_engine); fake_engine $mdir/engine.sock $mdir/log" &
wait_ready "$mdir/log" || diag "mallory's fake engine did not start"
at_exit "kill $(cat "$mdir/log.ready" 2>/dev/null) 2>/dev/null"
write_policy "$(engine_policy "unix://$mdir/engine.sock")"
run $A "$C" -t docker --image=python:3.12-slim -e OPENAI_API_KEY=sk-for-docker -- true
is "$rc" 125 "docker_host in a directory a user owns: the docker tier is refused"
like "$err" "docker_host unix://$mdir/engine.sock: directory /tmp is writable" \
	"... naming the socket and the first directory others may write"
ok "... and her fake engine never heard of the request" absent "$mdir/log"
[[ -e $mdir/log ]] && diag "$(cat "$mdir/log")"
run $A "$C" --check-policy
like "$err" "docker_host unix://$mdir/engine.sock: " "... and --check-policy refuses it"

rsock=/run/symbi-test-fake-engine.sock
rlog=$T_SCRATCH/root-engine.log
rm -f "$rsock"
T_CLEAN+=("$rsock")
fake_engine "$rsock" "$rlog" &
wait_ready "$rlog" || diag "root's fake engine did not start"
at_exit "kill $(cat "$rlog.ready" 2>/dev/null) 2>/dev/null"
write_policy "$(engine_policy "unix://$rsock")"
run $A "$C" --check-policy
is "$rc" 0 "a root-owned socket in /run passes --check-policy (control)"
run $A "$C" -t docker --image=python:3.12-slim -- true
like "$(cat "$rlog" 2>/dev/null)" "^request" "... and the same request reaches that engine"
chown $M "$rsock"
run $A "$C" -t docker --image=python:3.12-slim -- true
like "$err" "socket is not owned by root" "a socket not owned by root is refused"
chown root "$rsock"
chmod 0666 "$rsock"
run $A "$C" -t docker --image=python:3.12-slim -- true
like "$err" "socket is writable by others" "a socket others may write is refused"

done_testing
