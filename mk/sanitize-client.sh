#!/bin/sh
# The client paths that need no helper, run with an ASan/UBSan client
# (make check-sanitize): help, version, option errors; and the checker
# that --check-policy executes, over the policy corpus. TAP on stdout. A
# case fails on a wrong exit status or on any sanitizer report, whatever
# the status.
# Usage: sh mk/sanitize-client.sh CLIENT CHECKER
set -u
client=${1:?usage: sanitize-client.sh CLIENT CHECKER}
checker=${2:?usage: sanitize-client.sh CLIENT CHECKER}
err=$(mktemp) || exit 1
trap 'rm -f "$err"' EXIT
n=0
failed=0

# want: "ok" (0), "fail" (1..125, any refusal), or an exact status.
# The program is the client's, unless prog names the checker.
check() {
	want=$1 desc=$2
	shift 2
	n=$((n + 1))
	"${prog:-$client}" "$@" </dev/null >/dev/null 2>"$err"
	rc=$?
	case $want in
	ok) good=$((rc == 0)) ;;
	fail) good=$((rc >= 1 && rc <= 125)) ;;
	*) good=$((rc == want)) ;;
	esac
	if grep -Eq 'Sanitizer|runtime error:' "$err"; then
		good=0
	fi
	if [ "$good" = 1 ]; then
		echo "ok $n - $desc (exit $rc)"
	else
		echo "not ok $n - $desc (exit $rc, want $want)"
		sed 's/^/# /' "$err"
		failed=$((failed + 1))
	fi
}

check ok '--help' --help
check ok '--version' --version
for v in -1 4294967297 99999999999999999999999 0x10 '' 0 1e3 ' 5'; do
	for o in --max-memory --max-cpu --max-cpu-seconds --timeout \
		--max-processes --max-file-size --max-open-files; do
		check 125 "$o='$v' refused" "$o=$v" -- true
	done
done
check 125 'unknown option' --no-such-option -- true
check 125 'unknown tier' --sandbox-tier=nosuch -- true
check 125 'missing option argument' --sandbox-tier
check 125 'bad --env' --env='1BAD=x' -- true
check 125 'bad --volume' --volume=relative:/x -- true
prog=$checker
for f in tests/policy/ok/*.toml; do
	[ -e "$f" ] && check ok "the checker accepts $f" -f "$f"
done
for f in tests/policy/bad/*.toml; do
	[ -e "$f" ] && check fail "the checker refuses $f" -f "$f"
done
check fail 'the checker on a missing file' -f /nonexistent/policy.toml
check fail 'the checker on a directory' -f /
check 125 'the checker: an unknown option' -x
check 125 'the checker: an empty file name' -f ''

echo "1..$n"
[ "$failed" = 0 ]
