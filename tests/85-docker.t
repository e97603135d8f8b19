#!/bin/bash
# The jobs' shell code is single-quoted on purpose: it expands in the job.
# shellcheck disable=SC2016
# Tier docker, for real: a private dockerd (tests/docker-setup.sh), an
# unprivileged user who is not in the docker group, the installed setuid
# helper. Hardened flags seen from inside, limits, the kill guarantee on
# the container itself, and every refusal before docker runs anything.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/docker-setup.sh
. "$(dirname "$0")/docker-setup.sh"
dk_test_setup

A=symbi-alice
IMG=$DK_IMAGE_SH
dock() { run "$A" "$T_CLIENT" -t docker --image="$IMG" "$@"; }

# --- the caller has no docker power of its own ---------------------------
unlike "$(id -nG $A)" '(^| )docker( |$)' "$A is not in the docker group"
run "$A" "$DK_DOCKER" -H "$DK_HOST" ps
not_ok "$A cannot reach the engine directly" [ "$rc" -eq 0 ]

# --- hello world and the flags seen from inside -----------------------------
dock -- sh -c 'echo hello from docker'
is "$rc" 0 "hello world exits 0"
is "$out" "hello from docker" "... and prints"
[[ $rc -eq 0 ]] || show_run

dock -- sh -c 'id -u; id -g'
is "$out" "$(id -u $A)
$(id -g $A)" "the job runs as the caller's uid and gid"

dock -- sh -c 'touch /x 2>&1; echo; grep " / " /proc/mounts | cut -d" " -f4'
like "$out" "Read-only file system" "the root file system is read-only"
like "$out" "^ro," "... mounted ro"

dock -- sh -c 'pwd; echo ok >w && cat w; echo t >/tmp/t && cat /tmp/t'
is "$out" "/workspace
ok
t" "/workspace is the writable work dir, /tmp a tmpfs"

dock -- sh -c 'cp /bin/busybox /tmp/bb && /tmp/bb true && echo ran'
unlike "$out" "^ran$" "/tmp is noexec"

dock -- sh -c 'ls /sys/class/net; grep -c : /proc/net/dev'
is "$out" "lo
1" "no network but loopback"

dock -- sh -c 'grep ^CapEff /proc/self/status; grep ^NoNewPrivs /proc/self/status'
like "$out" "CapEff:[[:space:]]+0+$" "no capability"
like "$out" "NoNewPrivs:[[:space:]]+1" "no_new_privs"

# --- exit statuses ------------------------------------------------------------
dock -- sh -c 'exit 3'
is "$rc" 3 "the container's exit status is the job's"
dock -- sh -c 'exec no-such-command-here'
is "$rc" 127 "a command missing in the image exits 127"
dock -- sh -c 'kill -TERM $$'
is "$rc" 143 "killed by SIGTERM inside: 128+15"

# --- nothing after the image is a docker option ----------------------------
dock -- sh -c 'echo "$@"' sh --privileged -v /:/host --rm
is "$out" "--privileged -v /:/host --rm" "arguments after the image reach the command verbatim"

# --- limits -------------------------------------------------------------------
dock --max-memory=32 --json -- sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
is "$rc" 137 "over --max-memory: killed, 137"
is "$(jq -r .killed_reason <<<"$out")" "memory" "... killed_reason memory"
unlike "$(jq -r .stdout <<<"$out")" survived "... before finishing"

dock --max-processes=8 -- sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 2 & done 2>&1; wait'
like "$out$err" "can't fork" "--max-processes bounds the container's processes"

dock --max-file-size=1 -- sh -c 'head -c 3000000 /dev/zero >big; ls -l big | tr -s " " | cut -d" " -f5'
unlike "$out" "^3000000$" "--max-file-size bounds a file"

dock --max-open-files=20 -- sh -c 'ulimit -n'
is "$out" 20 "--max-open-files sets RLIMIT_NOFILE"

dock --max-cpu=0.5 -- sh -c 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max 2>/dev/null | head -1 | cut -d" " -f1'
is "$out" 50000 "--max-cpu=0.5 is a CPU quota of half a core"

# --- the kill guarantee, on the container -----------------------------------
start=$SECONDS
dock --timeout=2 -- sh -c 'trap "" TERM; echo started; sleep 60'
is "$rc" 124 "timeout: 124"
ok "... within seconds" [ $((SECONDS - start)) -lt 15 ]
ok "... the container is gone" dk_gone

dk_run_killed "$A" 2 "$T_CLIENT" -t docker --image="$IMG" -- sh -c 'trap "" TERM INT HUP; sleep 60'
is "$rc" 137 "the client killed with SIGKILL mid-run"
ok "... the helper killed and removed the container" dk_gone
ok_clean "client killed"

as_user "$A" "$T_CLIENT" -t docker --image="$IMG" -- sh -c \
	'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done' \
	</dev/null >"$T_SCRATCH/sig.out" 2>&1 &
bg=$!
cpid=$(dk_client_pid "$bg")
for ((i = 0; i < 100; i++)); do
	grep -q ready "$T_SCRATCH/sig.out" && break
	sleep 0.1
done
kill -TERM "$cpid"
wait "$bg"
is "$?" 7 "SIGTERM to the client reaches the job in the container"
like "$(cat "$T_SCRATCH/sig.out")" "got TERM" "... which handled it"
ok "... and the container is gone" dk_gone

# --- images refused before docker sees them -------------------------------------
for bad in alpine:latest "-v/etc:/x" "symbi-test/busybox;id" \
	"symbi-test/busybox:latest" "--privileged"; do
	run "$A" "$T_CLIENT" -t docker --image="$bad" -- sh -c true
	is "$rc" 125 "image '$bad' refused"
	like "$err" "not allowed|image" "... with a message"
done
run "$A" "$T_CLIENT" -t docker -- sh -c true
is "$rc" 125 "no --image: refused"
like "$err" "needs --image" "... naming --image"

# --- volumes --------------------------------------------------------------------
H=$(home_of $A)
mine=$(mktemp -d "$H/dkvol.XXXXXX")
T_CLEAN+=("$mine" "$H/dklink" "/home/symbi-bob/dkprivate")
echo data >"$mine/f"
mkdir "$mine/ro" && echo r >"$mine/ro/r" && chmod 0555 "$mine/ro"
chown -R $A: "$mine"
chown root: "$mine/ro"
ln -sfn /etc "$H/dklink"
install -d -o symbi-bob -m 0700 /home/symbi-bob/dkprivate

dock -v "$mine:/data:ro" -- sh -c 'cat /data/f'
is "$out" data "a volume under volume_roots, read-only"
dock -v "$mine:/data:ro" -- sh -c 'echo x >/data/g'
not_ok "... is read-only inside" [ "$rc" -eq 0 ]
dock -v "$mine:/data:ro" -- sh -c 'grep " /data " /proc/mounts'
like "$out" " ro,nosuid,nodev[, ]" "... mounted ro, nosuid and nodev (runc's own read-only remount would drop the last two)"
dock -v "$mine:/data" -- sh -c 'grep " /data " /proc/mounts'
like "$out" " rw,nosuid,nodev[, ]" "a writable volume is mounted nosuid and nodev"
dock -v "$mine:/data" -- sh -c 'echo w >/data/g && echo wrote'
is "$out" wrote "a writable volume"
is "$(cat "$mine/g" 2>/dev/null)" w "... writes land in the caller's dir"
ok "... owned by the caller" [ "$(stat -c %U "$mine/g")" = $A ]

for spec in /etc:/data /etc/passwd:/p:ro /var/run/docker.sock:/s /run:/r \
	/proc:/p /sys:/s /root:/r /var/lib/docker:/d /:/host "$H/dklink:/d:ro" \
	"$mine/../dkvol:/d" "/home/symbi-bob/dkprivate:/d:ro" /tmp:/t:ro \
	"$mine/ro:/d" "$mine:/proc/x" "$mine:/" "$mine:/d:rwx" \
	"$mine:/workspace/x" "$mine:/tmp" "/home/a,b:/d" \
	"$mine/missing:/d"; do
	dock -v "$spec" -- sh -c true
	is "$rc" 125 "volume '$spec' refused"
	[[ -n $err ]] || diag "no message for $spec"
done
like "$(dock -v /etc:/data -- sh -c true; echo "$err")" "/etc" "... the message names the path"
dock -v "$mine:ro" -- sh -c "cat '$mine/f'"
is "$rc:$out" "0:data" "-v SRC:ro mounts SRC at its own path"

# --- -C DIR and -v SRC reach the engine as the checked directory -------------
# alice's path flips (renameat2 RENAME_EXCHANGE, as fast as it goes)
# between her directory and a symlink, while jobs start. Handed over
# by path, the engine (root) resolved it again after the helper's check:
# as -v it created a symlink's missing target, as root; as --mount it
# mounted an existing target, here a directory only root's 0700 parent
# hides from her (its marker file readable to all). Now the engine
# mounts a copy of the very directory the helper checked (helper/
# stage.c): a job runs in her directory, or is refused (125) when the
# check itself met the symlink, which it does in about half the tries
# while the exchanges go on: so some must be refused (the race was
# real), and no job may ever print the marker.
dkw=$(mktemp -d "$H/dkw.XXXXXX")
target=$(mktemp -d /var/tmp/symbi-p85.XXXXXX)
hidden=$(mktemp -d /var/lib/symbi-p85-hidden.XXXXXX)
chmod 0755 "$target"
chmod 0700 "$hidden"
install -d -m 0755 "$hidden/inner"
echo hidden-marker >"$hidden/inner/f"
chmod 0644 "$hidden/inner/f"
T_CLEAN+=("$dkw" "$target" "$hidden")
mkdir "$dkw/d" && echo mine >"$dkw/d/f"
ln -s "$target/made" "$dkw/l"
ln -s "$hidden/inner" "$dkw/h"
chown -R -h $A: "$dkw"
dock -C "$dkw/d" -- sh -c 'pwd; cat f'
is "$rc:$out" "0:/workspace
mine" "-C: control: alice's directory is the job's /workspace"
dock -C "$dkw/l" -- sh -c true
is "$rc" 125 "-C: a symlink to a missing directory is refused (125)"
ok "-C: ... and nothing was created where it points" test ! -e "$target/made"
dock -C "$dkw/h" -- sh -c 'cat f'
is "$rc:$out" "125:" "-C: a symlink to a directory hidden from her is refused (125)"
run "$A" cat "$hidden/inner/f"
not_ok "... which she cannot read by path" [ "$rc" -eq 0 ]
# Her directory is walked once, as her (helper/workdir.c), with the
# access the tier needs: /workspace is writable.
install -d -m 0555 -o $A -g $A "$dkw/ro"
dock -C "$dkw/ro" -- sh -c 'echo ran'
is "$rc:$out" "125:" "-C: a directory she may not write is refused (125)"
like "$err" "tier docker mounts it writable, and you may not read and write it" "... saying why"
# swap_race WHAT FILE OPTION...: 12 jobs (or 20 s) that cat FILE, run
# with OPTION... ($dkw/d named in them) while $dkw/d and $dkw/h flip.
swap_race() {
	local what=$1 file=$2 ran=0 refused=0 other="" xpid i
	shift 2
	# (as_user runs the exchanger in a subshell: it ends by itself.)
	as_user $A "$T_TOOLS/exchanger" "$dkw/d" "$dkw/h" 20000 \
		>/dev/null 2>&1 &
	xpid=$!
	for ((i = 0; i < 12; i++)); do
		kill -0 "$xpid" 2>/dev/null || break
		dock "$@" -- cat "$file"
		case "$rc:$out" in
		0:mine) ran=$((ran + 1)) ;;
		125:) refused=$((refused + 1)) ;;
		*) other+="[rc=$rc out=$out err=$err] " ;;
		esac
	done
	wait "$xpid"
	# Back in place if the exchanges stopped on the swapped side.
	[[ -L "$dkw/d" ]] && as_user $A "$T_TOOLS/exchanger" "$dkw/d" "$dkw/h" 0 >/dev/null
	diag "$what swap race: $ran ran in alice's directory, $refused refused"
	unlike "$other" "hidden-marker" "$what swap race: no job saw the directory hidden from her"
	is "$other" "" "$what swap race: every job ran in alice's directory or was refused (125)"
	ok "$what swap race: the race was real: some jobs were refused ($refused)" test "$refused" -gt 0
}
swap_race -C f -C "$dkw/d"
swap_race -v /data/f -v "$dkw/d:/data:ro"
ok_clean "swap races"

# A helper killed outright leaves its staged mounts (and its container,
# which is not the sweep's): the next run's sweep detaches and removes
# them by the job's record.
as_user $A "$T_CLIENT" -t docker --image="$IMG" -v "$mine:/data:ro" -- \
	sh -c 'echo ready; sleep 60' </dev/null >"$T_SCRATCH/kh.out" 2>&1 &
bg=$!
for ((i = 0; i < 100; i++)); do
	grep -q ready "$T_SCRATCH/kh.out" && break
	sleep 0.1
done
staged=$(leftover_stages)
helper=$(pgrep -P "$(pgrep -u $A -x symbi-exec)" -x symbi-exec-help)
# (mountinfo: the mount's root in its file system, then where it is.)
like "$staged" " $mine /run/symbi-exec/mnt/job-[0-9a-f]+/1 " \
	"a running job's volume is staged under /run/symbi-exec/mnt (test sanity)"
[[ -n "$helper" ]] && kill -KILL "$helper"
wait "$bg"
mapfile -t left < <(dk_leftovers)
[[ ${#left[@]} -gt 0 ]] && dk rm -f "${left[@]}" >/dev/null 2>&1
dock -- sh -c true
for ((i = 0; i < 100; i++)); do
	[[ -z "$(leftover_stages)" ]] && break
	sleep 0.1
done
is "$(leftover_stages)" "" "... the next run's sweep detached and removed them"
kill_leftovers

# --- environment ----------------------------------------------------------------
dock --env=SYMBI_TEST_OK='a b --privileged' -- sh -c 'echo "[$SYMBI_TEST_OK]"'
is "$out" "[a b --privileged]" "an env_keep variable passes, value verbatim"
dock --env=LD_PRELOAD=/x.so -- sh -c true
is "$rc" 125 "a variable outside env_keep is refused"
# -e values reach docker run in a file descriptor, never on a command
# line, which every user of the host may read.
as_user "$A" SYMBI_TEST_OK=sk-argv-probe "$T_CLIENT" -t docker --image="$IMG" \
	--env=SYMBI_TEST_OK -- sh -c 'echo "ready $SYMBI_TEST_OK"; sleep 3' \
	</dev/null >"$T_SCRATCH/argv.out" 2>&1 &
bg=$!
for ((i = 0; i < 100; i++)); do
	grep -q ready "$T_SCRATCH/argv.out" && break
	sleep 0.1
done
seen=$(pgrep -c -f 'sk-argv-probe')
wait "$bg"
is "$(cat "$T_SCRATCH/argv.out")" "ready sk-argv-probe" "-e NAME reaches the container with the caller's value"
is "$seen" 0 "... which is on no process's command line while the job runs"
dock --env=SYMBI_TEST_OK=$'two\nlines' -- sh -c true
is "$rc" 125 "a value with a line break is refused for a container"
run "$A" DOCKER_HOST=tcp://127.0.0.1:9 DOCKER_CONFIG=/nonexistent-x \
	DOCKER_CONTEXT=bogus "$T_CLIENT" -t docker --image="$IMG" -- sh -c \
	'echo "ok[$DOCKER_HOST]"'
is "$out" "ok[]" "the caller's DOCKER_* variables reach neither docker nor the job"

# --- the python image: what agents run ----------------------------------------
if dk_image_python; then
	run "$A" "$T_CLIENT" -t docker --image="$DK_IMAGE_PY" -- python3 -c \
		'import os; print("py", os.getuid())'
	is "$out" "py $(id -u $A)" "python3 in its image"
else
	skip_or_fail_in_ci "python image not built" 1
fi

ok "no container is left" dk_gone
ok_clean "docker tier"

# --- no engine ------------------------------------------------------------------
dk_stop
dock -- sh -c true
is "$rc" 125 "engine stopped: 125"
like "$err" "docker|engine|daemon" "... with docker's reason"

done_testing
