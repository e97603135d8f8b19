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

ok_clean "json"
done_testing
