#!/bin/bash
# --json: one object that real JSON parsers accept, every field of SPEC
# with its type, separate capture, truncation, lossy UTF-8, kills.
# Single quotes are meant: the job's shell expands them.
# shellcheck disable=SC2016
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_setup

A=symbi-alice
C=$T_CLIENT
LIMIT=1000
write_policy "$(TP_MAX_OUTPUT=$LIMIT test_policy)"

# check DESC PYEXPR: PYEXPR over d (the parsed $out) is true.
check() {
	local res
	res=$(python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print(bool(eval(sys.argv[2])))' "$out" "$2" 2>&1)
	if [[ "$res" == True ]]; then pass "$1"; else
		fail "$1"
		diag "$2 -> $res" "json: $out"
	fi
}

run $A "$C" --json -- bash -c 'echo out; echo err >&2; exit 3'
is "$rc" 3 "--json: the exit status is still the job's"
is "$err" "" "--json: nothing on stderr"
ok "the output parses with python3's json" \
	python3 -c 'import json, sys; json.loads(sys.argv[1])' "$out"
ok "the output parses with jq" jq -e . <<<"$out"
is "$(jq -r 'type' <<<"$out")" "object" "the output is one object"
check "stdout is captured apart" 'd["stdout"] == "out\n"'
check "stderr is captured apart" 'd["stderr"] == "err\n"'
check "exit_code is the job's" 'd["exit_code"] == 3'
check "success is false for a non-zero exit" 'd["success"] is False'
check "tier is none" 'd["tier"] == "none"'
check "timed_out is false" 'd["timed_out"] is False'
check "signal is null" 'd["signal"] is None'
check "killed_reason is null" 'd["killed_reason"] is None'
check "no truncation" \
	'd["stdout_truncated"] is False and d["stderr_truncated"] is False'
for f in execution_time_ms cpu_time_ms max_rss_kb; do
	check "$f is a non-negative integer" \
		"type(d['$f']) is int and d['$f'] >= 0"
done
check "max_rss_kb is plausible for bash (> 0)" 'd["max_rss_kb"] > 0'
check "every SPEC field is there" 'set(d) >= {"stdout", "stderr",
	"exit_code", "success", "execution_time_ms", "stdout_truncated",
	"stderr_truncated", "tier", "timed_out", "signal", "cpu_time_ms",
	"max_rss_kb", "killed_reason"}'

run $A "$C" --json -- bash -c 'true'
check "success is true for exit 0" 'd["success"] is True and d["exit_code"] == 0'

run $A "$C" --json -- python3 -c 'import sys; sys.stdout.write("x" * 5000); sys.stderr.write("e" * 10)'
marker="\\n... [output truncated at $LIMIT bytes]"
check "stdout beyond max_output_bytes is cut, with the marker" \
	"d['stdout'] == 'x' * $LIMIT + '$marker'"
check "stdout_truncated is true" 'd["stdout_truncated"] is True'
check "stderr within the limit is whole" \
	'd["stderr"] == "e" * 10 and d["stderr_truncated"] is False'
run $A "$C" --json -- python3 -c 'import sys; sys.stderr.write("e" * 3000)'
check "stderr beyond max_output_bytes is cut, with the marker" \
	"d['stderr'] == 'e' * $LIMIT + '$marker' and d['stderr_truncated']"

run $A "$C" --json -- bash -c 'printf "\xff\xfeok\xc3"'
ok "invalid UTF-8 still gives valid JSON" jq -e . <<<"$out"
check "invalid bytes become U+FFFD" \
	'd["stdout"].startswith("\ufffd") and "ok" in d["stdout"] and d["stdout"].endswith("\ufffd")'
run $A "$C" --json -- python3 -c 'print("é ✓ \u0001 \" \\")'
check "valid UTF-8, controls and quotes round-trip" \
	'd["stdout"] == "é ✓ \u0001 \" \\\n"'

run $A "$C" --json -- bash -c 'kill -KILL $$'
is "$rc" 137 "--json, killed by SIGKILL: 137"
check "exit_code -1 and signal 9 when killed" \
	'd["exit_code"] == -1 and d["signal"] == 9 and d["success"] is False'

run $A "$C" --json --timeout=1 -- bash -c 'echo started; sleep 30'
is "$rc" 124 "--json, timed out: 124"
check "timed_out true, killed_reason timeout" \
	'd["timed_out"] is True and d["killed_reason"] == "timeout"'
check "output before the timeout is kept" 'd["stdout"] == "started\n"'

# stdout streams (issue 6): the object is written while the job runs, so
# the cases below are about what crosses a read, a write or the bound.
# A job writing pieces, each flushed, with a pause between them so that
# each comes in a read of its own; a piece is HEX or HEX*COUNT.
pieces='import sys, time
for i, p in enumerate(sys.argv[1:]):
	if i:
		time.sleep(0.3)
	h, _, n = p.partition("*")
	sys.stdout.buffer.write(bytes.fromhex(h) * int(n or 1))
	sys.stdout.buffer.flush()'
# json_is_lossy PIECE...: the last run's stdout member is the pieces'
# bytes as python decodes them with errors="replace" (one U+FFFD per
# maximal subpart), and not truncated.
json_is_lossy() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
b = b"".join(bytes.fromhex(h) * int(n or 1)
	for h, _, n in (p.partition("*") for p in sys.argv[2:]))
sys.exit(d["stdout"] != b.decode("utf-8", "replace") or d["stdout_truncated"])' \
		"$T_SCRATCH/run.out" "$@"
}

run $A "$C" --json -- python3 -c "$pieces" '61*999' e282 ac7a
check "a sequence cut by the bound is one U+FFFD: the bound's bytes only" \
	"d['stdout'] == 'a' * 999 + '\ufffd' + '$marker' and d['stdout_truncated']"
run $A "$C" --json -- python3 -c "$pieces" '61*998' f09f98 80
check "the bound inside a 4-byte sequence: one U+FFFD for its 2 bytes" \
	"d['stdout'] == 'a' * 998 + '\ufffd' + '$marker'"
run $A "$C" --json -- python3 -c "$pieces" '62*997' e282ac
check "exactly max_output_bytes is whole, without the marker" \
	"d['stdout'] == 'b' * 997 + '€' and not d['stdout_truncated']"

# Far more than the bound of 1000 from here on.
write_policy "$(TP_MAX_OUTPUT=1073741824 test_policy)"
run $A "$C" --json -- python3 -c "$pieces" '61*65535' e2 82ac7a
ok "a 3-byte character split after 65535 bytes, between two reads, is kept" \
	json_is_lossy '61*65535' e282ac7a
run $A "$C" --json -- python3 -c "$pieces" 41f0 9f 98 80 42 e2 82 41
ok "a 4-byte character in three reads is kept; a cut one is one U+FFFD" \
	json_is_lossy 41f09f988042e28241
bad=c0af41e080af42eda08043f490808044f5ff45c3c3a9e282
run $A "$C" --json -- python3 -c "$pieces" "$bad" 80 e2 "$bad"
ok "invalid UTF-8, in one read and across reads, as python decodes it" \
	json_is_lossy "$bad" 80 e2 "$bad"
controls=$(python3 -c 'print(bytes(range(32)).hex() + "7f225c")')
run $A "$C" --json -- python3 -c "$pieces" "$controls" "$controls"
ok "control characters, DEL, quote and backslash round-trip" \
	json_is_lossy "$controls" "$controls"
like "$out" '^\{"stdout":"\\u0000\\u0001' "... escaped as \\u00XX"
ok "... and no raw control byte is written but the final newline" \
	python3 -c '
import sys
sys.exit(any(b < 0x20 for b in open(sys.argv[1], "rb").read()[:-1]))' \
	"$T_SCRATCH/run.out"

# Big outputs go to files: too big for run's variables.
as_user $A "$C" --json -- python3 -c '
import sys
sys.stderr.write("start\n")
sys.stderr.flush()
line = b"x" * 63 + b"\n"
for _ in range(50):
	sys.stdout.buffer.write(line * 16384)
sys.stderr.write("end\n")' >"$T_SCRATCH/big.out" 2>"$T_SCRATCH/big.err" \
	</dev/null
is "$?" 0 "50 MiB of stdout with a little stderr: exit 0"
ok "... stdout whole, then stderr whole, then the other fields" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(d["stdout"] != ("x" * 63 + "\n") * 16384 * 50 or
	d["stderr"] != "start\nend\n" or d["stdout_truncated"] or
	list(d)[:3] != ["stdout", "stderr", "exit_code"] or not d["success"])' \
	"$T_SCRATCH/big.out"
ok "... and jq parses it" jq -e '.stdout | length == 52428800' \
	"$T_SCRATCH/big.out"
rm -f "$T_SCRATCH/big.out"

# 200 MiB through the client: its memory does not grow with the output.
# The largest resident set among the client and what it reaped (the
# helper, and through it the job), from the kernel's rusage.
big=$(user_dir $A)
as_user $A python3 -c '
import resource, subprocess, sys
with open(sys.argv[1], "wb") as f:
	rc = subprocess.run(sys.argv[2:], stdout=f).returncode
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' \
	"$big/out" "$C" --json -- python3 -c '
import sys
block = (b"y" * 1023 + b"\n") * 64
for _ in range(3200):
	sys.stdout.buffer.write(block)' >"$T_SCRATCH/rss" </dev/null
read -r rc rss <"$T_SCRATCH/rss"
is "$rc" 0 "200 MiB of stdout: exit 0"
ok "... the client's largest resident set stays under 32 MB (${rss:-?} kB)" \
	test "${rss:-999999}" -lt 32768
ok "... and the object is whole, valid JSON" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(d["stdout"] != ("y" * 1023 + "\n") * 64 * 3200 or
	d["stdout_truncated"] or d["stderr"] != "")' "$big/out"
rm -f "$big/out"

# When the job never ran, the object says why: stdout always parses.
# refused RC ERE DESC: the last run printed one object with exit_code RC,
# success false and an error matching ERE, and said the same on stderr.
refused() {
	is "$rc" "$1" "$3: exit $1"
	ok "... one JSON object, exit_code $1, success false, the error" \
		python3 -c '
import json, re, sys
d = json.loads(sys.argv[1])
sys.exit(d["exit_code"] != int(sys.argv[2]) or d["success"] or
	not re.search(sys.argv[3], d["error"]) or d["stdout"] != "")' \
		"$out" "$1" "$2"
	like "$err" "$2" "... and stderr says it too"
}
run $A "$C" --json -- symbi-no-such-command
refused 127 "symbi-no-such-command" "a command not found"
run $A "$C" --json --max-memory=999999 -- true
refused 125 "exceeds the policy ceiling" "a denied request"
run $A "$C" --json --max-memroy=1 -- true
refused 125 "unknown option '--max-memroy=1'" "a mistyped option"
run $A "$C" --max-memory=x --json -- true
refused 125 "--max-memory: invalid value 'x'" \
	"a bad value given before --json"
run symbi-mallory "$C" --json -- bash -c 'echo ran'
refused 125 "may not use tier none" "a caller no rule names"
run $A "$C" --json --list
refused 125 "--json applies only when running a COMMAND" \
	"--json with --list"

# A reader that goes away: the client dies of SIGPIPE as any writer of a
# pipeline does, and the job with it (nothing left: ok_clean below). env
# restores SIGPIPE's default in case this script was started ignoring it.
as_user $A env --default-signal=PIPE "$C" --json -- python3 -c '
import sys, time
for _ in range(200):
	sys.stdout.buffer.write(b"z" * 65536)
time.sleep(30)' </dev/null 2>/dev/null | head -c 100 >/dev/null
is "${PIPESTATUS[0]}" 141 "stdout closed by its reader: the client ends (SIGPIPE)"

# The helper dies after the job started: exit 125, and the streamed
# object ends with exit_code 125 and the error, so no consumer takes it
# for a result.
as_user $A "$C" --json -- bash -c 'echo started; exec sleep 30' \
	>"$T_SCRATCH/dead.out" 2>"$T_SCRATCH/dead.err" </dev/null &
bg=$!
for ((i = 0; i < 50; i++)); do
	pgrep -u $A -x sleep >/dev/null && break
	sleep 0.1
done
helper=$(pgrep -P "$(pgrep -u $A -x symbi-exec)" -x symbi-exec-help)
ok "the helper of a running --json job is found (test sanity)" \
	test -n "$helper"
[[ -n "$helper" ]] && kill -KILL "$helper"
wait "$bg"
is "$?" 125 "the helper killed mid-run: 125"
out=$(cat "$T_SCRATCH/dead.out")
ok "... stdout is one object: what was streamed, exit_code 125, the error" \
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
sys.exit(d["stdout"] != "started\n" or d["exit_code"] != 125 or
	d["success"] or "without a result" not in d["error"])' "$out"
ok "... jq reads it too" jq -e .error "$T_SCRATCH/dead.out"
like "$(cat "$T_SCRATCH/dead.err")" 'helper ended without a result' \
	"... and stderr says why"
# SIGKILL left the helper no time to remove the job's cgroup and work
# directory: that is what the kill is for, not a leak under test.
kill_leftovers
rm -rf "${T_WORKBASE:?}"/*

ok_clean "json"
done_testing
