#!/bin/bash
# The jobs' shell code is single-quoted on purpose: it expands in the job.
# shellcheck disable=SC2016
# Tier gvisor, for real: the docker tier's container inside gVisor's
# user-space kernel (runsc, with its own network off as this host needs),
# through the installed setuid helper as an unprivileged user; and the
# clear refusal where the runtime is missing.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/docker-setup.sh
. "$(dirname "$0")/docker-setup.sh"
dk_test_setup

A=symbi-alice
IMG=$DK_IMAGE_SH
gv() { run "$A" "$T_CLIENT" -t gvisor --image="$IMG" "$@"; }

gv -- sh -c 'echo hello from gvisor'
is "$rc" 0 "hello world exits 0"
is "$out" "hello from gvisor" "... and prints"
[[ $rc -eq 0 ]] || show_run

gv -- sh -c 'dmesg | head -n 1'
like "$out" "gVisor" "the job runs on gVisor's kernel"

run "$A" "$T_CLIENT" -t tier2 --image="$IMG" -- sh -c 'dmesg | head -n 1'
like "$out" "gVisor" "tier2 is gvisor"

gv -- sh -c 'id -u; id -g'
is "$out" "$(id -u $A)
$(id -g $A)" "the job runs as the caller's uid and gid"

gv -- sh -c 'grep " / " /proc/mounts | cut -d" " -f4 | cut -d, -f1; echo x >/x'
is "$out" "ro" "the root file system is read-only"
not_ok "... and cannot be written" [ "$rc" -eq 0 ]

gv -- sh -c 'pwd; echo ok >w && cat w; echo t >/tmp/t && cat /tmp/t'
is "$out" "/workspace
ok
t" "/workspace is the writable work dir, /tmp a tmpfs"

gv -- sh -c 'ls /sys/class/net; grep -c : /proc/net/dev'
is "$out" "lo
1" "no network but loopback"

# The engine gets the work directory and volumes as mount points the
# helper attached (helper/stage.c), which runsc's gofer must accept.
gvw=$(mktemp -d "$(home_of $A)/gvw.XXXXXX")
T_CLEAN+=("$gvw")
echo vol >"$gvw/f"
chown -R $A: "$gvw"
gv -C "$gvw" -v "$gvw:/data:ro" -- sh -c 'echo x >/data/x; cat /data/f; echo w >w'
is "$rc:$(head -n 1 <<<"$out")" "0:vol" "-C DIR and a read-only volume reach the sandbox"
is "$(cat "$gvw/w" 2>&1)" w "... writes in /workspace land in DIR"
ok "... the read-only volume stays so" test ! -e "$gvw/x"

gv -- sh -c 'exit 5'
is "$rc" 5 "the container's exit status is the job's"

# --- limits -------------------------------------------------------------------
gv --max-memory=32 --json -- sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived'
is "$rc" 137 "over --max-memory: killed, 137"
is "$(jq -r .killed_reason <<<"$out")" "memory" "... killed_reason memory"

# Inside gVisor the sentry counts the job's processes (RLIMIT_NPROC of
# the sandbox): the fork fails cleanly.
gv --max-processes=8 -- sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 2 & done 2>&1; wait'
like "$out$err" "can't fork" "--max-processes bounds the sandbox's processes"

# --- the kill guarantee -------------------------------------------------------
start=$SECONDS
gv --timeout=2 -- sh -c 'trap "" TERM; echo started; sleep 60'
is "$rc" 124 "timeout: 124"
ok "... within seconds" [ $((SECONDS - start)) -lt 15 ]
ok "... the container is gone" dk_gone

dk_run_killed "$A" 2 "$T_CLIENT" -t gvisor --image="$IMG" -- sh -c 'trap "" TERM INT HUP; sleep 60'
is "$rc" 137 "the client killed with SIGKILL mid-run"
ok "... the helper killed and removed the container" dk_gone
ok_clean "gvisor client killed"

# --- refusals -------------------------------------------------------------------
run "$A" "$T_CLIENT" -t gvisor --image=alpine -- sh -c true
is "$rc" 125 "an image outside the policy is refused"
gv -v /etc:/data:ro -- sh -c true
is "$rc" 125 "a dangerous volume is refused"

# --- the runtime missing in the engine ---------------------------------------
write_policy "$(DK_GVISOR_RUNTIME=runsc-missing dk_policy)"
gv -- sh -c 'echo should not run'
is "$rc" 125 "runtime not configured: 125"
like "$err" "tier gvisor is not available: runtime runsc-missing is not configured" \
	"... with a clear message"
unlike "$out" "should not run" "... and nothing ran"
run "$A" "$T_CLIENT" --dry-run -t gvisor --image="$IMG" -- sh -c true
is "$rc" 125 "--dry-run says so too"

ok "no container is left" dk_gone
ok_clean "gvisor tier"

done_testing
