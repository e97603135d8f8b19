#!/bin/bash
# Tier isolated, as real users through the installed setuid helper: each
# namespace really in place, the read-only view, capabilities and
# no_new_privs, every seccomp entry refused (tests/tools/probe-isolated.c
# calls each from inside; the same probe in tier none is the control),
# TIOCSTI on a real pty, a setuid binary gaining nothing, cgroup limits,
# the kill guarantee, volume attacks, and nothing left behind: no mount,
# no cgroup, no process.
# Single quotes are meant: the job's shell expands them.
# shellcheck disable=SC2016
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_setup

A=symbi-alice
B=symbi-bob
C=$T_CLIENT
PROBE=$T_TOOLS/probe-isolated
SUID_ID=/usr/local/bin/symbi-test-suid-id
SECRET=/tmp/symbi-isolated-host-secret
PORT=47311
T_CLEAN+=("$SUID_ID" "$SECRET")

# The standard test policy, plus the probe, and [isolated] network as $1.
iso_policy() {
	test_policy | sed -e "s|\"symbi-no-such-command\"]|\"symbi-no-such-command\", \"$PROBE\"]|" \
		-e "/^\[isolated\]/,/^\[/s|^network = .*|network = $1|"
}
write_policy "$(iso_policy false)"

# The host's mounts, less the ones a docker daemon makes for containers
# (benchmarks may run one meanwhile; the sandbox never mounts there).
host_mounts() {
	awk '$5 !~ "^(/var/lib|/run)/[^/]*docker[^/]*(/|$)"' \
		/proc/self/mountinfo | sort
}
mounts_before=$(host_mounts)

json_field() { # JSON KEY
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' \
		"$1" "$2" 2>&1
}

iso() { # USER CMD...: run in tier isolated
	local u=$1
	shift
	run "$u" "$C" -t isolated -- "$@"
}

# --- it runs at all ---------------------------------------------------------
iso $A bash -c 'echo hello'
is "$rc:$out" "0:hello" "a job runs in tier isolated"
[[ $rc -eq 0 ]] || show_run

# --- pid namespace -----------------------------------------------------------
iso $A bash -c 'ps -e -o pid=,comm= | sort -n'
first=$(head -n 1 <<<"$out" | xargs)
is "$first" "1 symbi-init" "pid 1 is the sandbox's init"
n=$(wc -l <<<"$out")
ok "only the job's processes are visible ($n: init, bash, ps)" [ "$n" -le 4 ]
unlike "$out" "symbi-exec|prove|sshd|systemd|python3" "no host process shows"
iso $A bash -c 'cat /proc/1/comm; ls /proc | grep -c "^[0-9]"'
is "$(head -n 1 <<<"$out")" "symbi-init" "/proc is a fresh proc of the job's pid namespace"
iso $A bash -c 'ls /proc/1/fd 2>&1; cat /proc/1/environ 2>&1'
like "$out" "Permission denied" "the init is not dumpable: its fds and environment are closed to the job"

# --- uts, ipc, net -------------------------------------------------------------
iso $A bash -c hostname
is "$out" "symbi-sandbox" "the hostname is the sandbox's own"
qid=$(ipcmk -Q | awk '{print $NF}')
ok "a System V message queue exists on the host (test sanity)" ipcs -q -i "$qid"
iso $A bash -c 'ipcs -q | grep -c "^0x" || true'
is "$out" "0" "... and no System V IPC object is visible inside"
ipcrm -q "$qid"

python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $PORT)); s.listen(); time.sleep(60)" &
listener=$!
# Until it listens: python starts slowly on a loaded machine.
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	sleep 0.1
done
connect="
import socket
try:
    socket.create_connection(('127.0.0.1', $PORT), timeout=3); print('reached')
except OSError as e:
    print('refused', e.errno)"
run $A python3 -c "$connect"
is "$out" "reached" "the host listener on 127.0.0.1:$PORT is reachable outside (control)"
iso $A python3 -c "$connect"
like "$out" "^refused" "the job cannot connect to the host's loopback"
iso $A python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
c = socket.create_connection(s.getsockname(), timeout=3); print("loopback up")'
is "$out" "loopback up" "the job's own loopback works"
iso $A bash -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | xargs'
is "$out" "lo" "the only network interface is lo"
run $A "$C" -t isolated --network -- python3 -c "$connect"
is "$rc" 125 "--network is refused when the policy says network = false"
like "$err" "network" "... with a message naming it"
write_policy "$(iso_policy true)"
run $A "$C" -t isolated --network -- python3 -c "$connect"
is "$out" "reached" "--network, when the policy allows it, shares the host's network"
# vsock crosses network namespaces: only a job granted the network opens one.
run $A "$C" -t isolated --network -- "$PROBE" syscalls
like "$out" "^socket-vsock (OK|EAFNOSUPPORT)$" "--network: socket(AF_VSOCK) reaches the kernel"
iso $A "$PROBE" syscalls
like "$out" "^socket-vsock EPERM$" "... without --network it is refused, same policy"
write_policy "$(iso_policy false)"
kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null

# --- the filesystem view --------------------------------------------------------
echo secret >"$SECRET"
iso $A bash -c 'pwd; touch ./made && echo workdir-writable'
like "$out" "^$T_WORKBASE/" "the job starts in its work directory, at its host path"
like "$out" "workdir-writable" "the work directory is writable"
for p in /usr/symbi-x /etc/symbi-x /symbi-x /bin/symbi-x; do
	iso $A bash -c "touch $p 2>&1"
	like "$out" "Read-only file system" "$(dirname $p) is read-only"
done
iso $A bash -c "ls -A /tmp; test -e $SECRET && echo visible; touch /tmp/t && echo tmp-ok"
unlike "$out" "visible|symbi-isolated-host-secret" "the host's /tmp is invisible"
like "$out" "tmp-ok" "the job's own /tmp is writable"
iso $A bash -c 'ls -A / | xargs'
is "$out" "bin dev etc lib lib64 proc tmp usr" "/ holds only the policy's binds and the sandbox's own mounts"
iso $A bash -c 'ls /home /root /var /sys /run 2>&1 | grep -c "No such file"'
is "$out" "5" "/home, /root, /var, /sys and /run do not exist inside"
iso $A bash -c 'ls -A /dev | xargs; echo x >/dev/null && echo null-ok;
	echo x >/dev/shm/s && echo shm-ok'
like "$out" "^fd full null ptmx pts random shm stderr stdin stdout tty urandom zero$" \
	"/dev holds the minimal set"
like "$out" "null-ok" "/dev/null is writable"
like "$out" "shm-ok" "/dev/shm is writable"
iso $A bash -c 'for f in /proc/self/fd/*; do [ -d "$f" ] && echo "dir: $f"; done; echo end'
is "$out" "end" "the job holds no directory descriptor (no way back to the host's tree)"
iso $A bash -c 'awk "\$5 == \"/usr\" {print \$6}" /proc/self/mountinfo'
like "$out" "^ro,nosuid,nodev" "/usr is mounted read-only, nosuid, nodev"

# --- privileges -----------------------------------------------------------------
iso $A "$PROBE" status
for k in CapInh CapPrm CapEff CapBnd CapAmb; do
	like "$out" "^status $k 0000000000000000$" "$k is empty"
done
like "$out" "^status NoNewPrivs 1$" "no_new_privs is set"
like "$out" "^status Seccomp 2$" "a seccomp filter is installed"
ua=$(id -u $A)
ga=$(id -g $A)
like "$out" "^ids $ua $ua $ua $ga $ga $ga$" "every uid and gid is the caller's"

install -m 4755 -o root -g root /usr/bin/id "$SUID_ID"
run $A "$SUID_ID" -u
is "$out" "0" "a setuid-root copy of id gives euid 0 outside (control)"
iso $A bash -c "$SUID_ID -u"
is "$out" "$ua" "... and nothing inside the sandbox"
iso $A bash -c 'su -c id root </dev/null 2>&1; echo "rc=$?"'
unlike "$out" "uid=0" "su gains nothing inside"

# --- seccomp: every entry, from inside ---------------------------------------------
run $A "$PROBE" syscalls
outside=$out
# Where int 0x80 faults before seccomp sees it (ia32 emulation off, or a
# hypervisor that does not deliver it, as on these CI machines), the filter
# has nothing to refuse: the probe must then see the same fault as outside.
i386_outside=$(awk '$1 == "i386-getpid" { print $2 }' <<<"$outside")
expect() { # PROBE-NAME: what the filter makes of it
	case $1 in
	clone3) echo ENOSYS ;;
	fork | thread | tcgets-pty | personality-linux | getpid) echo OK ;;
	x32-getpid) echo SIGSYS ;;
	i386-getpid) [[ $i386_outside == OK ]] && echo SIGSYS || echo "$i386_outside" ;;
	*) echo EPERM ;;
	esac
}
iso $A "$PROBE" syscalls
inside=$out
ok "the probe ran ($(wc -l <<<"$inside") entries)" [ "$(wc -l <<<"$inside")" -ge 60 ]
while read -r name got; do
	is "$got" "$(expect "$name")" "seccomp: $name -> $(expect "$name")"
done <<<"$inside"
differ=$(diff <(echo "$inside") <(echo "$outside") | grep -c '^>')
ok "the probe without the filter sees $differ entries differ (control)" [ "$differ" -ge 20 ]
like "$outside" "^setns EBADF$" "... e.g. setns reaches the kernel there"
like "$outside" "^tiocsti-pty (OK|EIO)$" "... and TIOCSTI on its own pty is not refused by a filter there"

# TIOCSTI on the caller's real terminal: fd 0 a pty, under script(1), and
# --no-pty so that the job gets that terminal itself.
out=$(as_user $A script -qec "$C --no-pty -t isolated -- $PROBE syscalls" /dev/null \
	</dev/null | tr -d '\r')
like "$out" "^tiocsti-fd0 EPERM$" "TIOCSTI on a real pty as fd 0 is refused"
like "$out" "^tiocsti-fd0-hi EPERM$" "... also with high bits set in the request"

# --- exit statuses through the init ------------------------------------------------
iso $A bash -c 'exit 42'
is "$rc" 42 "the job's exit code passes through the init"
run $A "$C" -t isolated --json -- bash -c 'exit 130'
is "$(json_field "$out" exit_code):$(json_field "$out" signal)" "130:None" \
	"exit 130 is an exit, not a signal"
run $A "$C" -t isolated --json -- bash -c 'kill -INT $$'
is "$(json_field "$out" exit_code):$(json_field "$out" signal)" "-1:2" \
	"death by SIGINT is reported as signal 2"
iso $A bash -c 'kill -TERM $$'
is "$rc" 143 "killed by SIGTERM: 128+15"

as_user $A "$C" -t isolated -- bash -c \
	'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done' \
	</dev/null >"$T_SCRATCH/sig.out" 2>&1 &
bg=$!
for ((i = 0; i < 100; i++)); do
	grep -q ready "$T_SCRATCH/sig.out" && break
	sleep 0.1
done
kill -TERM "$(pgrep -u $A -x symbi-exec)"
wait "$bg"
is "$?" 7 "SIGTERM to the client reaches the job through the init"
like "$(cat "$T_SCRATCH/sig.out")" "got TERM" "... which handled it"
ok_clean "signals"

# --- the init program: executed as the job, so root's alone or refused -----------
iso $A bash -c 'ps -o pid=,pgid=,comm= -p 1,$$ | xargs'
is "$out" "1 1 symbi-init 2 2 bash" \
	"the init is pid 1, the job pid 2 in a process group of its own"
iso $A bash -c 'ls /proc/1/fd 2>&1; grep -E "^(Uid|CapEff)" /proc/1/status | xargs'
like "$out" "Permission denied" "the init holds its descriptors away from the job"
like "$out" "Uid: $(id -u $A) $(id -u $A) $(id -u $A) $(id -u $A) CapEff: 0000000000000000" \
	"... and runs as the job's account with no capability"
chmod g+w "$T_INIT"
iso $A bash -c 'echo ran'
chmod g-w "$T_INIT"
is "$rc" 125 "an init writable by its group is refused (125)"
unlike "$out" "ran" "... nothing ran"
like "$err" "cannot use the namespace init $T_INIT: .*writable by group or others" \
	"... and the one-line error names it"
like "$(grep "user=$A " "$T_SYSLOG" | tail -n 1)" "namespace init" \
	"... and the refusal is logged"
chmod o+r "$T_INIT"
iso $A bash -c 'echo ran'
chmod o-r "$T_INIT"
is "$rc" 125 "an init readable by others is refused (125): the job runs beside its exec"
unlike "$out" "ran" "... nothing ran"
like "$err" "cannot use the namespace init $T_INIT: readable by group or others" \
	"... and the one-line error names it"
iso $A bash -c 'echo ran'
is "$rc:$out" "0:ran" "the same job with the init restored runs (control)"
ok_clean "the init"
run $A "$C" -t isolated --max-processes=1 -- bash -c 'echo ran'
is "$rc" 125 "tier isolated with one process asked: refused (125), the init and the job are two"
unlike "$out" "ran" "... nothing ran"
like "$err" "tier isolated needs --max-processes of at least 2 \\(its init and the job\\)" \
	"... and the one-line error says why"
run $A "$C" -t isolated --max-processes=2 -- bash -c 'echo ran'
is "$rc:$out" "0:ran" "the same job with two processes allowed runs (control)"
ok_clean "the job process"

# --- cgroup limits ----------------------------------------------------------------
hog='b = b"x" * (256 << 20); print("allocated")'
run $A "$C" -t isolated --json --max-memory=64 -- python3 -c "$hog"
unlike "$out" "allocated" "--max-memory=64: a 256 MB allocation fails"
is "$(json_field "$out" killed_reason)" "memory" "... killed_reason is memory"
run $A "$C" -t isolated --max-memory=512 -- python3 -c "$hog"
is "$rc:$out" "0:allocated" "the same job fits under --max-memory=512 (control)"
forker='
import os, time
n = 0
for i in range(40):
    try:
        pid = os.fork()
    except OSError:
        print("refused after", n)
        break
    if pid == 0:
        time.sleep(2)
        os._exit(0)
    n += 1
print("forked", n)'
run $A "$C" -t isolated --max-processes=10 -- python3 -c "$forker"
n=$(sed -n 's/.*refused after //p' <<<"$out")
ok "--max-processes=10: a fork loop stops before 10 (at ${n:-?})" [ "${n:-99}" -lt 10 ]
start=$(date +%s%N)
run $A "$C" -t isolated --max-processes=20 --timeout=3 -- \
	bash -c ':(){ :|:& };: 2>/dev/null; sleep 30'
ms=$((($(date +%s%N) - start) / 1000000))
is "$rc" 124 "a fork bomb is contained until the timeout"
ok "... which still ends it on time (took ${ms} ms)" [ "$ms" -lt 8000 ]
[[ $rc -eq 124 ]] || show_run
ok_clean "limits"

# --- the kill guarantee ---------------------------------------------------------------
run $A "$C" -t isolated -- bash -c '(setsid sleep 1000 &); sleep 1000 & exit 0'
is "$rc" 0 "a job leaving a setsid daemon behind exits 0"
ok_clean "daemon left behind"
run $A "$C" -t isolated --timeout=1 -- bash -c '(setsid sleep 1000 &); sleep 30'
is "$rc" 124 "timeout: 124"
ok_clean "timeout"
as_user $A "$C" -t isolated -- bash -c 'sleep 1000 & sleep 1000' \
	</dev/null >/dev/null 2>&1 &
bg=$!
for ((i = 0; i < 50; i++)); do
	[[ $(pgrep -u $A -x sleep | wc -l) -ge 2 ]] && break
	sleep 0.1
done
kill -KILL "$(pgrep -u $A -x symbi-exec)"
wait "$bg" 2>/dev/null
ok_clean "client killed"

# --- volumes ----------------------------------------------------------------------------
HA=$(home_of $A)
HB=$(home_of $B)
vol=$(mktemp -d "$HA/vol.XXXXXX")
echo data >"$vol/file"
chown -R $A: "$vol"
private=$(mktemp -d "$HB/private.XXXXXX")
echo bob >"$private/file"
chown -R $B: "$private"
chmod 0700 "$private"
ln -s /etc "$HA/etc-link"
chown -h $A: "$HA/etc-link"
T_CLEAN+=("$vol" "$private" "$HA/etc-link")

run $A "$C" -t isolated -C "$vol" -- bash -c 'pwd; echo "$HOME"; cat file'
is "$rc:$out" "0:$vol
$vol
data" "-C DIR: the job runs in DIR, at its host path, with HOME there"
# The caller's directory is walked once, as her (helper/workdir.c): the
# access the tier needs (read and write: it is mounted writable) and no
# symlink on the way, on the descriptor the tier then mounts.
ro_dir=$(mktemp -d "$HA/ro-dir.XXXXXX")
chown $A: "$ro_dir"
chmod 0555 "$ro_dir"
ln -s "$vol" "$HA/vol-link"
chown -h $A: "$HA/vol-link"
T_CLEAN+=("$ro_dir" "$HA/vol-link")
run $A "$C" -t isolated -C "$ro_dir" -- bash -c 'echo ran'
is "$rc:$out" "125:" "-C DIR she may not write: refused by tier isolated, which mounts it writable"
like "$err" "cannot use work directory $ro_dir: tier isolated mounts it writable, and you may not read and write it" \
	"... saying why"
run $A "$C" --dry-run -t isolated -C "$ro_dir" -- bash -c 'echo ran'
is "$rc" 125 "... and a dry run says so (the same check, review of 2026-12-04 F3)"
like "$out" "^decision: deny .*tier isolated mounts it writable" "... in the same words"
run $A "$C" --dry-run -t isolated -C "$vol" -- bash -c 'echo ran'
is "$rc" 0 "... while a dry run from her writable directory is allowed (control)"
run $A "$C" -t none -C "$ro_dir" -- bash -c 'pwd'
is "$rc:$out" "0:$ro_dir" "... while tier none, which only enters it, runs there (control)"
# The client sends a real path; a raw request (-c: as -C DIR) need not.
run $A "$T_TOOLS/rawclient" -q -c -t isolated -w "$vol" "$T_HELPER" valid -- sh -c :
is "$rc" 0 "raw request, tier isolated: control, her directory runs"
# One process for an isolated job, straight on the wire: the helper's
# own judge refuses it (the client adds no check of its own).
run $A "$T_TOOLS/rawclient" -q -c -t isolated -w "$vol" -l max_processes=1 "$T_HELPER" forbidden -- sh -c :
is "$rc" 0 "raw request, tier isolated, max_processes 1: refused by the helper"
run $A "$T_TOOLS/rawclient" -q -c -t isolated -w "$vol" -l max_processes=2 "$T_HELPER" valid -- sh -c :
is "$rc" 0 "... while max_processes 2 runs (control)"
for bad in "$HA/vol-link" "$ro_dir"; do
	run $A "$T_TOOLS/rawclient" -q -c -t isolated -w "$bad" "$T_HELPER" forbidden -- sh -c :
	is "$rc" 0 "raw request, tier isolated: work directory $bad is refused by the helper"
done
# A directory only /proc/PID/cwd reaches (tests/tools/detachedcwd: a
# tmpfs of bob's never attached anywhere, with a file in it) and one
# hidden in bob's 0700 directory: a symlink of hers to the first, and
# the magic links themselves, are refused in every tier without naming
# where they lead. The helper looks as her, with her file-system ids
# and no effective capability: root's CAP_SYS_PTRACE would pass the
# kernel's check on /proc/PID/cwd (review of 2026-12-04, F1 and F2).
coproc DETACHED { as_user $B "$T_TOOLS/detachedcwd" "$HA/detached" 2>&1; }
read -r -t 10 dpid <&"${DETACHED[0]}"
ok "bob's detached directory is there (pid ${dpid:-none})" test -n "$dpid" -a -d "/proc/${dpid:-none}"
is "$(cat "/proc/$dpid/cwd$HA/detached/secret" 2>&1)" "detached-secret" \
	"... root reaches it through /proc/$dpid/cwd (control)"
run $A cat "/proc/$dpid/cwd$HA/detached/secret"
not_ok "... alice does not" [ "$rc" -eq 0 ]
hidden=$(mktemp -d "$HB/hidden.XXXXXX")
install -d -o $B -g $B "$hidden/proj-secret-name"
chown $B: "$hidden"
chmod 0700 "$hidden"
T_CLEAN+=("$hidden")
(cd "$hidden/proj-secret-name" && exec setpriv --reuid=$B --regid=$B --init-groups sleep 60) &
hpid=$!
for ((i = 0; i < 50; i++)); do
	[[ "$(readlink "/proc/$hpid/cwd" 2>/dev/null)" == "$hidden/proj-secret-name" ]] && break
	sleep 0.1
done
ln -s "/proc/$dpid/cwd$HA/detached" "$HA/detached"
chown -h $A: "$HA/detached"
T_CLEAN+=("$HA/detached")
for tier in isolated none; do
	for bad in "$HA/detached" "/proc/$dpid/cwd$HA/detached" "/proc/$hpid/cwd"; do
		run $A "$T_TOOLS/rawclient" -c -t $tier -w "$bad" "$T_HELPER" forbidden -- sh -c 'cat secret; ls'
		is "$rc" 0 "raw request, tier $tier: work directory $bad, reaching bob's, is refused"
		unlike "$out" "detached-secret|proj-secret-name" "... and its answer names nothing of bob's"
	done
done
kill "$hpid" 2>/dev/null
wait "$hpid" 2>/dev/null
dfd=${DETACHED[1]}
exec {dfd}>&-
wait "$DETACHED_PID" 2>/dev/null
iso $A bash -c 'test "$HOME" = "$PWD" && test -w "$HOME" && echo home-ok'
is "$out" "home-ok" "HOME is the writable work directory (no /home inside)"
run $A "$C" -t isolated -v "$vol:/data:ro" -- bash -c 'cat /data/file; touch /data/x 2>&1'
like "$out" "^data$" "a :ro volume is readable"
like "$out" "Read-only file system" "... and read-only"
run $A "$C" -t isolated -v "$vol:/data" -- bash -c 'echo new >/data/new && echo wrote'
is "$out" "wrote" "a volume without :ro is writable (SPEC: SRC:DST[:ro])"
is "$(cat "$vol/new" 2>/dev/null)" "new" "... and the write reaches the host"
for spec in "$HA/etc-link:/x:ro" "$HA/etc-link/passwd:/x:ro" "$vol/../vol:/x:ro" \
	"/etc:/x:ro" "/tmp:/x:ro" "$private:/x:ro" "$vol:/proc/x:ro" "$vol:/:ro"; do
	run $A "$C" -t isolated -v "$spec" -- bash -c 'echo ran'
	is "$rc:$out" "125:" "volume $spec is refused"
	like "$err" "volume" "... with a message about the volume"
done
run $B "$C" -t isolated -v "$private:/x:ro" -- bash -c 'cat /x/file'
is "$out" "bob" "the owner may mount the same directory (control)"
# One syntax, SRC[:DST][:ro|:rw], the same parser in the client, the
# judge and the helper.
run $A "$C" -t isolated -v "$vol/:ro" -- bash -c "cat '$vol/file'"
is "$rc:$out" "0:data" "-v SRC/:ro: the target defaults to the source, the slash goes"
run $A "$C" -t isolated -v "$vol:/data:rw" -- bash -c 'echo rw >/data/rw && echo wrote'
is "$rc:$out" "0:wrote" "an explicit :rw volume is writable"
run_in() { # DIR USER CMD...: run's, from DIR (for a relative -v)
	local dir=$1 user=$2
	shift 2
	rc=0
	out=$(cd "$dir" && setpriv --reuid="$user" --regid="$(id -g "$user")" \
		--init-groups -- env -i PATH="$T_SECURE_PATH" "$@" \
		</dev/null 2>"$T_SCRATCH/run.err") || rc=$?
	err=$(cat "$T_SCRATCH/run.err")
}
run_in "$vol" $A "$C" -t isolated -v "file:/f:ro" -- bash -c 'cat /f'
is "$rc:$out" "0:data" "a relative source is resolved by the client against its directory"
run_in "$vol" $A "$C" -t isolated -v "../x:/f:ro" -- bash -c 'cat /f'
is "$rc" 125 "a relative source with .. is refused"
like "$err" '"\.\." in the source is refused' "... with its own message"
while IFS='|' read -r spec why; do
	run $A "$C" -t isolated -v "$spec" -- bash -c 'echo ran'
	is "$rc:$out" "125:" "volume $spec is refused"
	like "$err" "$why" "... saying why"
done <<EOF
$vol:/d:ro:x|too many ':'
$vol:/d:rx|the mode must be ro or rw, not "rx"
:/d|the source is empty
$vol::ro|the target is empty
$vol:d|the target must be an absolute path
EOF
write_policy "$(TP_WRITABLE_VOLUMES=false test_policy)"
run $A "$C" -t isolated -v "$vol:/data" -- bash -c 'echo ran'
is "$rc:$out" "125:" "writable_volumes = false: a volume without :ro is refused"
like "$err" "read-only volumes only" "... with a message that says so"
run $A "$C" -t isolated -v "$vol:/data:ro" -- bash -c 'cat /data/file'
is "$rc:$out" "0:data" "... and a :ro volume runs (control)"
write_policy "$(test_policy)"
ok_clean "volumes"

# --- nothing left mounted on the host ---------------------------------------------------
mounts_after=$(host_mounts)
new=$(comm -13 <(echo "$mounts_before") <(echo "$mounts_after"))
is "$new" "" "no mount is left on the host"
[[ -z "$new" ]] || diag "$new"

done_testing
