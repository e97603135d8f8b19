#!/bin/bash
# The everyday command line (issue 13), as a new user tries it: units on
# limits, --json that always parses, where a job starts, kept work
# directories, no COMMAND and #! scripts, the seeds' policy form, and
# the finishing touches (--list, "did you mean", completion).
# Single quotes are meant: the job's shell expands them.
# shellcheck disable=SC2016
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_setup

A=symbi-alice
C=$T_CLIENT

# --- units --------------------------------------------------------------
run $A "$C" --max-memory=1G --timeout=2m --max-cpu-seconds=1h \
	--max-file-size=512K --dry-run -- bash -c :
is "$rc" 125 "--max-file-size=512K: not a whole number of MiB, refused"
is "$err" "symbi-exec: --max-file-size: 512K is not a whole number of MiB" \
	"... saying so"
run $A "$C" --max-memory=1G --timeout=2m --max-cpu-seconds=1h \
	--max-file-size=2048K -- bash -c :
is "$rc" 125 "--max-cpu-seconds=1h: above the ceiling of 60 s"
is "$err" "symbi-exec: --max-cpu-seconds=3600 s exceeds the policy ceiling of 60 s for tier none" \
	"... the message prints the normalized value"
run $A "$C" --max-memory=1G --timeout=1m --max-cpu-seconds=30s \
	--max-file-size=2048K --dry-run -- bash -c :
is "$rc" 0 "K, M, G and s, m, h are accepted"
like "$out" "^max_memory_mb=1024$" "... 1G is 1024 MiB"
like "$out" "^max_execution_time_seconds=60$" "... 1m is 60 s"
like "$out" "^max_cpu_seconds=30$" "... 30s is 30 s"
like "$out" "^max_file_size_mb=2$" "... 2048K is 2 MiB"
run $A "$C" --max-memory=512 --timeout=5 --dry-run -- bash -c :
like "$out" "^max_memory_mb=512$" "a plain number keeps its unit: MiB"
like "$out" "^max_execution_time_seconds=5$" "... and seconds"
run $A "$C" --timeout=10M -- true
is "$rc:$out" "125:" "--timeout=10M (a size letter) is refused"
like "$err" "expected a time .* s, m or h" "... naming the time units"
run $A "$C" --max-memory=2T -- true
like "$rc:$err" "^125:.*expected a size .* K, M or G" \
	"--max-memory=2T is refused, naming the size units"

# --- where a job starts ---------------------------------------------------------
# The product's default: the test policy without private_workdir.
write_policy "$(TP_PRIVATE=false test_policy)"
HA=$(home_of $A)
proj=$(mktemp -d "$HA/proj.XXXXXX")
T_CLEAN+=("$proj")
printf 'print(open("input.txt").read().strip())\nopen("out.txt", "w").write("made")\n' \
	>"$proj/task.py"
echo "from the caller's directory" >"$proj/input.txt"
chown -R $A: "$proj"
# from DIR: run USER ... from DIR instead of the home.
from() {
	local dir=$1 user=$2
	shift 2
	run "$user" sh -c 'cd "$1" && shift && exec "$@"' sh "$dir" "$@"
}
from "$proj" $A "$C" -- python3 task.py
is "$rc:$out" "0:from the caller's directory" \
	"tier none: 'python3 task.py' runs in the caller's directory (the README's first example)"
is "$(cat "$proj/out.txt" 2>&1)" "made" "... and what it writes by a relative path stays there"
rm -f "$proj/out.txt"
from "$proj" $A "$C" -t isolated -- python3 task.py
is "$rc:$out" "0:from the caller's directory" \
	"tier isolated: the caller's directory under volume_roots is bound at its own path"
is "$(cat "$proj/out.txt" 2>&1)" "made" "... writable"
from /var/tmp $A "$C" -t isolated -- bash -c 'echo ran'
is "$rc:$out" "125:" "tier isolated from a directory outside volume_roots: refused"
like "$err" "only if it lies under the policy's volume_roots \(/home\): run from there, give -C DIR, or use --private" \
	"... and the message says what to do"
from /var/tmp $A "$C" -t isolated --private -- bash -c 'pwd'
like "$rc:$out" "^0:$T_WORKBASE/$(id -u $A)/job-" "... --private runs it in a fresh work directory"
from /var/tmp $A "$C" -t isolated -C "$proj" -- bash -c 'pwd'
is "$rc:$out" "0:$proj" "... -C DIR under volume_roots runs it there"
run $A sh -c 'mkdir "$1" && cd "$1" && rmdir "$1" && shift && exec "$@"' sh \
	"$proj/gone" "$C" -- bash -c 'echo ran'
is "$rc:$out" "125:" "a current directory that is gone: refused"
like "$err" "cannot use the current directory" "... saying so"
ln -s "$proj" "$HA/proj-link"
chown -h $A: "$HA/proj-link"
T_CLEAN+=("$HA/proj-link")
from "$HA/proj-link" $A "$C" -- bash -c 'pwd'
is "$rc:$out" "0:$proj" "a directory reached by a symlink: the job starts at its real path"

# The helper checks the directory itself, whatever the client sends.
RAW=$T_TOOLS/rawclient
run $A "$RAW" -q -w "$proj" "$T_HELPER" valid -- sh -c :
is "$rc" 0 "raw request: control, the caller's directory runs"
for bad in /root "$HA/proj-link" "$proj/../proj" relative; do
	run $A "$RAW" -q -w "$bad" "$T_HELPER" forbidden -- sh -c :
	is "$rc" 0 "raw request: work directory $bad is refused by the helper"
done
run $A "$RAW" -q -c "$T_HELPER" forbidden -- sh -c :
is "$rc" 0 "raw request: a chosen work directory without its path is refused"
run $A "$RAW" -q -K -w "$proj" "$T_HELPER" forbidden -- sh -c :
is "$rc" 0 "raw request: --keep-workdir with a directory given is refused"

# The policy can make the private directory the default.
write_policy "$(TP_PRIVATE=true test_policy)"
from "$proj" $A "$C" -- bash -c 'pwd'
like "$rc:$out" "^0:$T_WORKBASE/$(id -u $A)/job-" "private_workdir = true: a fresh directory by default"
from /var/tmp $A "$C" -C "$proj" -- bash -c 'pwd'
is "$rc:$out" "0:$proj" "... -C DIR still chooses"
write_policy "$(test_policy)"

# --- kept work directories ---------------------------------------------------------
run $A "$C" -q --keep-workdir -- bash -c 'pwd; echo data >kept'
wd=$out
is "$rc" 0 "--keep-workdir -q: the job runs"
is "$err" "symbi-exec: work directory kept: $wd" "... the kept directory is named on stderr even with -q"
is "$(cat "$wd/kept" 2>&1)" "data" "... and holds what the job wrote"
is "$(stat -c %U "$(dirname "$wd")")" "$A" "... inside a directory of the user's own"
run $A rm -rf "$wd"
ok "... which the user removes with plain rm -rf" absent "$wd"
run $A "$C" --json --keep-workdir -- bash -c 'pwd'
ok "--json --keep-workdir: the object names the kept directory" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
sys.exit(d["workdir"] != d["stdout"].strip() or not d["workdir"])' "$out"
wd=$(jq -r .workdir <<<"$out")
ok "... the directory exists" [ -d "$wd" ]
run $A rm -rf "$wd"
ok "... and the user removes it" absent "$wd"
run $A "$C" --json -- bash -c 'pwd'
is "$(jq -r 'has("workdir")' <<<"$out")" "false" "a directory not kept is not named"
run symbi-bob ls "$(dirname "$wd")"
is "$rc" 2 "another user cannot list a user's directory of kept work"
ok_clean "kept work directories"

# --- no COMMAND, #! scripts, versioned names --------------------------------------
write_policy "$(TP_PRIVATE=false test_policy | sed 's/^default_executable = "bash"$/default_executable = "python3"/')"
out=$(echo 'print(6 * 7)' | as_user $A "$C" 2>&1)
is "$?:$out" "0:42" "no COMMAND: default_executable (python3) reads its program from stdin"
write_policy "$(TP_PRIVATE=false test_policy)"
out=$(echo 'echo "from stdin: $((6 * 7))"' | as_user $A "$C" 2>&1)
is "$?:$out" "0:from stdin: 42" "... and so does bash, the default"
printf '#!/bin/sh\necho "sh script: $*"\n' >"$proj/step.sh"
printf '#!/usr/bin/env python3\nimport sys\nprint("py script", sys.argv[1:])\n' >"$proj/tool.py"
printf '#!/usr/bin/perl\nprint "perl ran\\n";\n' >"$proj/step.pl"
printf 'echo no shebang\n' >"$proj/plain.sh"
chown $A: "$proj"/*.sh "$proj"/*.py "$proj"/*.pl
chmod 0755 "$proj"/*.sh "$proj"/*.py "$proj"/*.pl
from "$proj" $A "$C" -- ./step.sh one two
is "$rc:$out" "0:sh script: one two" "./step.sh with #!/bin/sh runs: sh is allowed"
from "$proj" $A "$C" -- ./tool.py x
is "$rc:$out" "0:py script ['x']" "#!/usr/bin/env python3: judged by python3, found in secure_path"
from "$proj" $A "$C" -t isolated -- ./step.sh iso
is "$rc:$out" "0:sh script: iso" "... in tier isolated too"
from "$proj" $A "$C" -- ./step.pl
is "$rc:$out" "127:" "#!/usr/bin/perl: perl is not allowed, 127"
like "$err" "step.pl is not an allowed executable, nor is its interpreter /usr/bin/perl" \
	"... naming the interpreter"
from "$proj" $A "$C" -- ./plain.sh
is "$rc:$out" "127:" "a file without #! that the allowlist does not name: 127"
py=$(basename "$(readlink -f /usr/bin/python3)")
run $A "$C" -- "$py" -c 'print("ran")'
is "$rc:$out" "0:ran" "a bare versioned name ($py) runs as /usr/bin/$py would"
run $A "$C" -- perl -e 'print "ran"'
is "$rc:$out" "127:" "... control: a bare name that resolves to nothing allowed, 127"
like "$err" "perl: command not allowed by the policy" "... saying so"
# A script the allowlist names by its path runs from the descriptor the
# helper checked: perl, which reads the /dev/fd/N the kernel hands it
# from the descriptor itself, gets its program too.
sdir=$T_PREFIX/libexec/symbi-exec-p55
install -d -o root -g root -m 0755 "$sdir"
T_CLEAN+=("$sdir")
printf '#!/usr/bin/perl -w\nprint "perl tool: @ARGV\\n";\n' >"$sdir/tool.pl"
chmod 0755 "$sdir/tool.pl"
write_policy "$(TP_PRIVATE=false test_policy |
	sed "s|\"symbi-no-such-command\"]|\"symbi-no-such-command\", \"$sdir/tool.pl\"]|")"
run $A "$sdir/tool.pl" a b
is "$rc:$out" "0:perl tool: a b" "allowed perl script: control: it runs when alice runs it herself"
run $A "$C" -- "$sdir/tool.pl" a b
is "$rc:$out" "0:perl tool: a b" "a perl script the allowlist names by path prints what it prints"
run $A "$C" -t isolated --private -- "$sdir/tool.pl" iso
is "$rc:$out" "0:perl tool: iso" "... in tier isolated too, where its directory is not in the view"
write_policy "$(test_policy)"

# --- the seeds' config form ------------------------------------------------
seeds_policy() {
	cat <<EOF2
[security]
allow_native_execution = $1
default_sandbox_tier = "None"

[security.native_execution]
enforce_resource_limits = true
max_memory_mb = 1024
working_directory = "$T_WORKBASE"
allowed_executables = ["python3", "node", "bash"]
secure_path = "$T_SECURE_PATH"

[[rule]]
groups = ["symbi-agents"]
tiers = ["None", "Tier1"]
EOF2
}
write_policy "$(seeds_policy true)"
run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "0:ran" "the seeds' form (allow_native_execution, None, [security.native_execution]) runs a job"
run $A "$C" --dry-run -- bash -c :
like "$out" "^max_memory_mb=1024$" "... with the limits of [security.native_execution]"
run $A "$C" --check-policy="$T_POLICY"
is "$rc" 0 "... and --check-policy accepts it"
write_policy "$(seeds_policy false)"
run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "125:" "allow_native_execution = false: tier none is off"
write_policy "$(seeds_policy true)
[security.docker]
enabled = true"
run $A "$C" -- bash -c 'echo ran'
is "$rc:$out" "125:" "another dotted table name: the policy is invalid, nothing runs"
like "$err" "dotted table names are not supported: 'security.docker'" \
	"... naming it"
write_policy "$(test_policy)"

# --- the finishing touches ------------------------------------------------
run $A "$C" --list
like "$out" "^        network: the host's, always" "--list: tier none always has the host's network"
like "$out" "^        network: none \(loopback only\)$" "--list: tier isolated has none (network = false)"
unlike "$out" "may be asked for" "... and no tier claims what it does not do"
run $A "$C" --max-memroy=1G -- bash -c 'echo ran'
is "$rc:$out" "125:" "a mistyped option is refused"
like "$err" "unknown option '--max-memroy=1G': did you mean --max-memory\?" \
	"... with \"did you mean --max-memory?\""
run $A "$C" --frobnicate -- bash -c 'echo ran'
unlike "$err" "did you mean" "... and no guess for what is no typo"
page=$(mandoc -Tascii "$T_TOP/man/symbi-exec-helper.8" | sed 's/.\x08//g' |
	tr -s ' \n' ' ')
like "$page" 'kill reason \("timeout", "memory", "cpu", "output" or "client-gone"\)' \
	"symbi-exec-helper(8): the kill reasons render as a list"
is "$(mandoc -Tlint "$T_TOP"/man/*.[158] 2>&1 |
	grep -Ev 'referenced manual not found|mandoc\.db')" "" "mandoc -Tlint: the man pages are clean"

comp_file=$T_PREFIX/share/bash-completion/completions/symbi-exec
ok "the bash completion is installed at \$(PREFIX)/share/bash-completion/completions/symbi-exec" \
	[ -f "$comp_file" ]
# complete WORD...: what the completion offers for the last word, as alice
# types the line in bash with the client in her PATH.
complete_as_alice() {
	as_user $A PATH="$T_PREFIX/bin:$T_SECURE_PATH" bash -c '
		. /usr/share/bash-completion/bash_completion
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_symbi_exec symbi-exec "${COMP_WORDS[COMP_CWORD]}" \
			"${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort -u' bash "$comp_file" "$@"
}
is "$(complete_as_alice symbi-exec --max-mem)" "--max-memory=" "completion: options"
is "$(complete_as_alice symbi-exec -t "" | xargs)" "docker gvisor isolated none" \
	"completion: the tiers alice's --list shows"
is "$(complete_as_alice symbi-exec --image "")" "python:3.12-slim" \
	"completion: the images of her --list"
like "$(complete_as_alice symbi-exec pyth | xargs)" "^python python3$" \
	"completion: the executables of her --list"
is "$(complete_as_alice symbi-exec --timeout=5 -- bash --nor)" "" \
	"completion: nothing of ours after the COMMAND"

done_testing
