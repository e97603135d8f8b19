#!/bin/bash
# The audit trail: one authpriv line per decision and one per job end,
# with who, what and why; and the helper never waits for syslog: with no
# listener, or one that stopped reading, jobs still run promptly, and
# their lines go to the helper's fallback file; with audit_required and
# no way to keep a line, nothing runs.
# Single quotes are meant: the job's shell expands them.
# shellcheck disable=SC2016
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_setup

A=symbi-alice
M=symbi-mallory
C=$T_CLIENT
# authpriv is facility 10: priorities 80 (emerg) to 87 (debug).
AUTHPRIV='^<8[0-7]>'

run $A "$C" -- bash -c 'exit 3'
is "$rc" 3 "a job runs and exits 3"
allow=$(logged "allow user=$A ")
like "$allow" "${AUTHPRIV}" "the allow line is at authpriv"
like "$allow" "^<86>" "... with priority info"
like "$allow" "symbi-exec-helper\[[0-9]+\]: allow user=$A uid=$(id -u $A) tier=none rule=line:[1-9]" \
	"... naming the user, the tier and the deciding rule"
like "$allow" "cmd=/[^ ]*bash" "... and the command"
job=$(sed -n 's/.* job=\([^ ]*\).*/\1/p' <<<"$allow" | tail -n 1)
ok "... and a job id ($job)" [ -n "$job" ]
end=$(logged "end user=$A job=$job ")
like "$end" "${AUTHPRIV}.* status=exit:3 " "the end line gives the exit status"
like "$end" "wall_ms=[0-9]+ cpu_ms=[0-9]+ max_rss_kb=[0-9]+ killed=none" \
	"... the times and no kill reason"
is "$(grep -c "job=$job " "$T_SYSLOG")" 2 "one line for the decision, one for the end"

run $M "$C" -- bash -c 'echo ran'
is "$rc" 125 "a denied request: 125"
deny=$(logged "deny user=$M ")
like "$deny" "${AUTHPRIV}" "the deny line is at authpriv"
like "$deny" "tier=none" "... naming the tier"
like "$deny" 'reason="[^"]*may not use tier none' "... and the reason"

run $A "$C" --max-memory=4096 -- bash -c 'echo ran'
like "$(logged "deny user=$A ")" 'reason="--max-memory=4096 MB exceeds' \
	"a denial by ceiling is logged with its reason"

run $A "$C" --timeout=1 -- bash -c 'sleep 30'
is "$rc" 124 "a job that times out: 124"
# The grace rule: SIGTERM first, which sleep does not survive.
like "$(logged "end user=$A .*killed=timeout")" "status=signal:15" \
	"its end line says signal 15 (SIGTERM first), killed=timeout"

# A command name that is not a plain token: quoted and vis(3)-encoded, so
# ESC, bytes >= 0x80, '"' and a fake field stay inside one field.
odd=$'x\e[2J caf\xc3\xa9 "user=root'
run $M "$C" -- "$odd"
deny=$(logged "deny user=$M .*cmd=\"x")
like "$deny" 'cmd="x\\033\[2J caf\\303\\251 \\"user=root" ' \
	"an odd command name is one quoted, encoded field"
ok "... with nothing but printable ASCII in the line" \
	bash -c '! LC_ALL=C grep -q "[^[:print:]]" <<<"$1"' _ "$deny"
run $A "$C" -- bash -c 'exit 0'
like "$(logged "allow user=$A " | tail -n 1)" ' cmd=/[^ "]*/bash ' \
	"... and a plain command name stays a bare token"

# --- a listener that stopped reading: its queue fills ---------------------
rm -f "$T_AUDIT_LOG"
kill -STOP "$T_SYSLOG_PID"
python3 - "$T_SYSLOG_SOCK" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setblocking(False)
s.connect(sys.argv[1])
try:
    for i in range(100000):
        s.send(b"<86>filler")
except BlockingIOError:
    pass
EOF
start=$(date +%s%N)
run $A "$C" -- bash -c 'echo ran'
ms=$((($(date +%s%N) - start) / 1000000))
is "$rc:$out" "0:ran" "with the syslog queue full, a job still runs"
ok "... promptly (took ${ms} ms)" [ "$ms" -lt 2000 ]
like "$(grep "allow user=$A " "$T_AUDIT_LOG" | tail -n 1)" "symbi-exec-helper\[[0-9]+\]: allow user=$A " \
	"... and its audit lines went to the fallback file $T_AUDIT_LOG"
kill -CONT "$T_SYSLOG_PID"

# --- audit_required with a listener: jobs run (control) --------------------
required_policy() {
	test_policy | sed 's/^\[security\]$/[security]\naudit_required = true/'
}
write_policy "$(required_policy)"
run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "0:ran" "audit_required: with syslog listening, a job runs"
write_policy "$(test_policy)"

# --- no listener at all -----------------------------------------------------
rm -f "$T_AUDIT_LOG"
stop_syslog
ok "no /dev/log (test sanity)" absent "$T_SYSLOG_SOCK"
start=$(date +%s%N)
run $A "$C" -- bash -c 'echo ran'
ms=$((($(date +%s%N) - start) / 1000000))
is "$rc:$out" "0:ran" "with no syslog listener, a job still runs"
ok "... promptly (took ${ms} ms)" [ "$ms" -lt 2000 ]
run $M "$C" -- bash -c 'echo ran'
is "$rc" 125 "... and a denial is still a denial"

# No line is lost without a trace: what syslog does not take, the helper
# appends to its fallback file, root's alone.
fb=$(cat "$T_AUDIT_LOG" 2>/dev/null)
like "$fb" "symbi-exec-helper\[[0-9]+\]: allow user=$A uid=$(id -u $A) tier=none" \
	"no syslog: the allow line is in the fallback file $T_AUDIT_LOG"
like "$fb" "end user=$A job=[0-9a-f]+ status=exit:0" "... and the end line"
like "$fb" "deny user=$M " "... and the denial"
is "$(stat -c '%U %a' "$T_AUDIT_LOG" "$(dirname "$T_AUDIT_LOG")" | xargs)" "root 600 root 700" \
	"... a file of root's, 0600, in a directory of root's alone"
# A warning the helper writes while it acts as the caller (resolving the
# command with the caller's credentials, who cannot open root's file)
# waits until it is root again: not lost either.
odd=$(user_dir "$A" 0755)
cp /bin/true "$odd/bash"
chown "$A:" "$odd/bash"
write_policy "$(test_policy | sed "s|^secure_path = \"|secure_path = \"$odd:|")"
run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "0:ran" "a secure_path entry others can write is skipped, the job runs"
like "$(cat "$T_AUDIT_LOG")" "secure_path: $odd/bash is reached through a directory others can write: skipped" \
	"... and the warning, written as the caller, reached the fallback file"
write_policy "$(test_policy)"

# audit_required: the fallback still takes the line, so jobs run; with
# neither syslog nor the file, the helper refuses to run anything.
write_policy "$(required_policy)"
mark=$(user_dir "$A" 0755)
run $A "$C" -- bash -c "touch $mark/ran; echo ran"
is "$rc:$out" "0:ran" "audit_required, no syslog: the fallback file takes the lines, a job runs"
rm -f "$mark/ran"
chmod 0755 "$(dirname "$T_AUDIT_LOG")"
run $A "$C" -- bash -c "touch $mark/ran; echo ran"
is "$rc:$out" "125:" "audit_required, no syslog, a fallback directory others could read: refused (125)"
like "$err" "no audit line can be kept .*the policy requires one" "... saying why"
ok "... and nothing ran" absent "$mark/ran"
write_policy "$(test_policy)"
run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "0:ran" "control: without audit_required the same job runs (its lines are lost)"
chmod 0700 "$(dirname "$T_AUDIT_LOG")"

# --- a caller's hard RLIMIT_FSIZE and the fallback file (review) ---------
# The helper accepts a hard RLIMIT_FSIZE down to 1 MiB. With the file past
# that (a user can grow it with denials while syslog is down), a caller
# with a hard limit of 1 MiB (`ulimit -f 1024`) must not get jobs that
# leave no audit line.
# Where root may lift the limit for itself (CAP_SYS_RESOURCE), the helper
# does and keeps the lines; where it may not (the capability out of the
# bounding set, as in many containers), audit_required refuses. The job
# gets the caller's own limit either way.
run_nores() { # USER CMD...: run, with CAP_SYS_RESOURCE out of the bounding set
	local user=$1
	shift
	(cd "$(home_of "$user")" && exec setpriv --bounding-set=-sys_resource \
		--reuid="$user" --regid="$(id -g "$user")" --init-groups -- \
		env -i PATH="$T_SECURE_PATH" HOME="$(home_of "$user")" LANG=C.UTF-8 "$@") \
		</dev/null >"$T_SCRATCH/run.out" 2>"$T_SCRATCH/run.err"
	rc=$?
	out=$(cat "$T_SCRATCH/run.out")
	err=$(cat "$T_SCRATCH/run.err")
}
fallback_tail() {
	tail -c 16384 "$T_AUDIT_LOG" | tr -d '\0'
}
limited='ulimit -f 1024 && exec "$0" -- bash -c "touch $1/ran; ulimit -Hf"'
truncate -s 2M "$T_AUDIT_LOG"
write_policy "$(required_policy)"
rm -f "$mark/ran"
run_nores $A bash -c "$limited" "$C" "$mark"
is "$rc:$out" "125:" "no CAP_SYS_RESOURCE, audit_required, the fallback file past the caller's ulimit -f 1024: refused"
like "$err" "no audit line can be kept" "... saying why"
ok "... and nothing ran" absent "$mark/ran"
run_nores $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "0:ran" "... the same caller without that limit runs (control)"
like "$(fallback_tail)" "allow user=$A uid=" "... and its allow line is in the fallback file past 1 MiB"
write_policy "$(test_policy)"
rm -f "$mark/ran"
run_nores $A bash -c "$limited" "$C" "$mark"
is "$rc:$out" "0:1024" "... without audit_required it runs, with the caller's hard limit (1024 KiB)"
capbnd=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
if (((16#$capbnd >> 24) & 1)); then
	write_policy "$(required_policy)"
	rm -f "$mark/ran"
	run $A bash -c "$limited" "$C" "$mark"
	is "$rc:$out" "0:1024" "with CAP_SYS_RESOURCE, the same limited caller's job runs, with its own limit"
	like "$(fallback_tail)" "end user=$A job=[0-9a-f]+ status=exit:0" \
		"... and the helper, its own limit lifted, kept the end line past 1 MiB"
	write_policy "$(test_policy)"
else
	diag "CAP_SYS_RESOURCE is not in this host's bounding set: the helper cannot lift a caller's RLIMIT_FSIZE here (the refusal above is what runs)"
fi

ok_clean "syslog"
done_testing
