# shellcheck shell=bash
# Integration test library: TAP output and the setup every tests/NN-*.t
# needs (build, install into a root-owned prefix, test users, a policy, a
# syslog listener), with an EXIT trap that leaves nothing behind.
#
# Usage in a test:
#   . "$(dirname "$0")/lib.sh"
#   t_setup
#   run symbi-alice "$T_CLIENT" -- true
#   is "$rc" 0 "true exits 0"
#   done_testing
#
# Runs as root. Every program under test is run as an unprivileged test
# user through as_user, from the installed prefix, never from build/.

set -u
umask 022

T_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Root-owned and 0755 all the way down: the helper refuses a policy under
# /tmp (SPEC: no exception for sticky directories).
T_PREFIX=/opt/symbi-exec-test
T_ETC=$T_PREFIX/etc
T_CLIENT=$T_PREFIX/bin/symbi-exec
T_HELPER=$T_PREFIX/libexec/symbi-exec/symbi-exec-helper
T_CHECKER=$T_PREFIX/libexec/symbi-exec/symbi-exec-check
T_INIT=$T_PREFIX/libexec/symbi-exec/symbi-exec-init
T_TOOLS=$T_PREFIX/libexec/symbi-exec-tests
# SYMBI_TEST_SYSTEM=1 (make check-deb): test the Debian package installed
# in /usr and /etc instead; nothing is built or installed but the test
# tools, and the package's policy is put back when the test ends.
T_SYSTEM=${SYMBI_TEST_SYSTEM:-}
if [[ -n "$T_SYSTEM" ]]; then
	T_ETC=/etc
	T_CLIENT=/usr/bin/symbi-exec
	T_HELPER=/usr/libexec/symbi-exec/symbi-exec-helper
	T_CHECKER=/usr/libexec/symbi-exec/symbi-exec-check
	T_INIT=/usr/libexec/symbi-exec/symbi-exec-init
fi
T_POLICY=$T_ETC/symbi-exec/policy.toml
# The test policy's working_directory: in world-writable /tmp on purpose,
# as the default policy's is.
T_WORKBASE=/tmp/symbi-exec-test-work
# Where the test build's helper keeps audit lines syslog does not take
# (the package's: the compiled-in default).
T_AUDIT_LOG=$T_PREFIX/log/audit.log
if [[ -n "$T_SYSTEM" ]]; then
	T_AUDIT_LOG=/var/log/symbi-exec/audit.log
fi
T_SECURE_PATH=/usr/local/bin:/usr/bin:/bin
T_USERS="symbi-alice symbi-bob symbi-mallory"
T_SYSLOG_SOCK=/dev/log

T_SCRATCH=
T_SYSLOG=
T_SYSLOG_PID=
T_CLEAN=()  # extra paths the EXIT trap removes
T_AT_EXIT=() # commands the EXIT trap runs first
_t_n=0
_t_failed=0
_t_planned=

# ---- TAP ------------------------------------------------------------

plan() {
	_t_planned=$1
	echo "1..$1"
}

pass() {
	_t_n=$((_t_n + 1))
	echo "ok $_t_n - $1"
}

fail() {
	_t_n=$((_t_n + 1))
	_t_failed=$((_t_failed + 1))
	echo "not ok $_t_n - $1"
}

# diag MSG...: comments for the reader, on stderr as Test::More does (so
# they also show from inside a command given to ok).
diag() {
	local line
	for line in "$@"; do
		while IFS= read -r line; do
			echo "# $line" >&2
		done <<<"$line"
	done
}

# ok DESC CMD...: passes when CMD succeeds. CMD's stdout is not TAP:
# discarded.
ok() {
	local desc=$1
	shift
	if "$@" >/dev/null; then pass "$desc"; else fail "$desc"; fi
}

# not_ok DESC CMD...: passes when CMD fails.
not_ok() {
	local desc=$1
	shift
	if "$@" >/dev/null; then fail "$desc"; else pass "$desc"; fi
}

is() {
	if [[ "$1" == "$2" ]]; then
		pass "$3"
	else
		fail "$3"
		diag "got:      '$1'" "expected: '$2'"
	fi
}

# like GOT ERE DESC (grep -E on any line of GOT)
like() {
	if grep -Eq -- "$2" <<<"$1"; then
		pass "$3"
	else
		fail "$3"
		diag "got:      '$1'" "expected to match: $2"
	fi
}

unlike() {
	if grep -Eq -- "$2" <<<"$1"; then
		fail "$3"
		diag "got:      '$1'" "expected not to match: $2"
	else
		pass "$3"
	fi
}

# skip REASON [COUNT]: only for what truly cannot run here.
skip() {
	local i
	for ((i = 0; i < ${2:-1}; i++)); do
		_t_n=$((_t_n + 1))
		echo "ok $_t_n # skip $1"
	done
}

# skip_or_fail_in_ci REASON [COUNT]: what COUNT tests need is missing from
# this machine: skipped here, failed in CI (CI set; .ci/run passes it
# through sudo), whose machine must have it: none skips in CI.
skip_or_fail_in_ci() {
	local i
	if [[ -z ${CI:-} ]]; then
		skip "$@"
		return
	fi
	for ((i = 0; i < ${2:-1}; i++)); do
		fail "$1 (CI: nothing may skip)"
	done
}

# skip_all_on_cgroup2 REASON: a script that needs cgroup v1 ends here,
# skipped, on a pure cgroup v2 host.
skip_all_on_cgroup2() {
	[[ -e /sys/fs/cgroup/cgroup.controllers ]] || return 0
	skip "$1"
	done_testing
	exit 0
}

# absent PATH...: none of them exists (not even as a dangling symlink).
absent() {
	local f
	for f in "$@"; do
		[[ -e "$f" || -L "$f" ]] && return 1
	done
	return 0
}

bail() {
	echo "Bail out! $*"
	exit 1
}

# Prints the plan if none was given, and fails the script on any failure.
done_testing() {
	if [[ -z "$_t_planned" ]]; then
		echo "1..$_t_n"
	elif [[ "$_t_planned" != "$_t_n" ]]; then
		diag "planned $_t_planned tests but ran $_t_n"
		exit 1
	fi
	[[ $_t_failed -eq 0 ]] || diag "failed $_t_failed of $_t_n"
	[[ $_t_failed -eq 0 ]]
}

# ---- running things as users -----------------------------------------

home_of() {
	getent passwd "$1" | cut -d: -f6
}

# as_user USER [NAME=VALUE...] CMD...: run CMD as USER with the kernel's
# credentials of a fresh login (uid, primary gid, supplementary groups)
# and a clean environment, from the user's home as a login shell starts
# (a job starts in its caller's directory); NAME=VALUE adds to it.
as_user() {
	local user=$1
	shift
	(cd "$(home_of "$user")" && exec setpriv --reuid="$user" --regid="$(id -g "$user")" \
		--init-groups -- env -i PATH="$T_SECURE_PATH" \
		HOME="$(home_of "$user")" LANG=C.UTF-8 "$@")
}

# run USER [NAME=VALUE...] CMD...: as_user with stdin from /dev/null;
# sets rc, out (stdout) and err (stderr).
run() {
	as_user "$@" </dev/null >"$T_SCRATCH/run.out" 2>"$T_SCRATCH/run.err"
	rc=$?
	out=$(cat "$T_SCRATCH/run.out")
	err=$(cat "$T_SCRATCH/run.err")
	export rc out err
}

# Show what the last run printed, after a failure worth explaining.
show_run() {
	diag "rc=$rc" "stdout: $out" "stderr: $err"
}

# A directory owned by USER (mode 0700 unless given) inside the scratch
# directory, removed by the EXIT trap.
user_dir() {
	local d
	d=$(mktemp -d "$T_SCRATCH/$1.XXXXXX")
	chown "$1:" "$d"
	chmod "${2:-0700}" "$d"
	echo "$d"
}

# ---- policy ------------------------------------------------------------

# write_policy TEXT: install TEXT as the policy the test helper reads,
# root:root 0644, through root-owned 0755 directories, atomically.
write_policy() {
	local dir=$T_ETC/symbi-exec tmp
	if [[ -z "$T_SYSTEM" ]]; then # the package owns /etc/symbi-exec
		install -d -o root -g root -m 0755 "$T_ETC" "$dir"
		chown root:root "$T_PREFIX" "$T_ETC" "$dir"
		chmod 0755 "$T_PREFIX" "$T_ETC" "$dir"
	fi
	tmp=$(mktemp "$dir/.policy.XXXXXX")
	printf '%s\n' "$1" >"$tmp"
	chown root:root "$tmp"
	chmod 0644 "$tmp"
	mv -f "$tmp" "$T_POLICY"
}

# The standard test policy. Knobs (environment): TP_WORKDIR,
# TP_MAX_OUTPUT, TP_TIERS (the agents rule's tiers, TOML list body),
# TP_WRITABLE_VOLUMES (true or false),
# TP_PRIVATE (private_workdir: true unless set, so that the suite's jobs
# get the fresh work directory their cleanup tests are about; the tests
# of the caller's directory, the product's default, set it to false).
test_policy() {
	local tiers=${TP_TIERS:-'"none", "isolated", "docker", "gvisor"'}
	cat <<EOF
# Written by tests/lib.sh.
[security]
default_sandbox_tier = "none"

[native_execution]
enabled = true
default_executable = "bash"
working_directory = "${TP_WORKDIR:-$T_WORKBASE}"
enforce_resource_limits = true
private_workdir = ${TP_PRIVATE:-true}
max_memory_mb = 2048
max_cpu_cores = 2.0
max_cpu_seconds = 60
max_execution_time_seconds = 60
max_processes = 256
max_file_size_mb = 64
max_open_files = 256
max_output_bytes = ${TP_MAX_OUTPUT:-1048576}
allowed_executables = ["python3", "python", "node", "bash", "sh",
	"$T_TOOLS/noexec.sh", "symbi-no-such-command"]
secure_path = "$T_SECURE_PATH"
env_keep = ["LANG", "LC_ALL", "TERM", "TZ", "SYMBI_TEST_OK"]

[isolated]
enabled = true
network = false
read_only_binds = ["/usr", "/bin", "/lib", "/lib64", "/etc"]
volume_roots = ["/home"]
writable_volumes = ${TP_WRITABLE_VOLUMES:-true}

[docker]
enabled = true
docker_binary = "/usr/bin/docker"
allowed_images = ["python:3.12-slim"]
network_mode = "none"

[gvisor]
enabled = true
runtime = "runsc"

[[rule]]
groups = ["symbi-agents"]
tiers = [$tiers]
EOF
}

# ---- leftovers ---------------------------------------------------------

# Job cgroups still present, wherever they nest (symbi-exec-job-ID).
leftover_cgroups() {
	find /sys/fs/cgroup -mindepth 2 -type d -name 'symbi-exec-job-*' \
		-prune -print 2>/dev/null
	return 0
}

# Job directories: in the base, one directory per job account (kept,
# the user's own), each job's inside it.
leftover_workdirs() {
	[[ -d "$T_WORKBASE" ]] || return 0
	find "$T_WORKBASE" -mindepth 2 -maxdepth 2 -print
}

# The docker tiers' staged mount sources (helper/stage.c) still mounted,
# and their directories: each goes once its container is removed.
leftover_stages() {
	grep -F " /run/symbi-exec/mnt/" /proc/self/mountinfo
	find /run/symbi-exec/mnt -mindepth 1 -maxdepth 1 -print 2>/dev/null
	return 0
}

# gone_within DS PATH...: true once none of PATH exists, within DS
# tenths of a second: a helper removes its job's work directory, cgroups
# and record after the result, so a client that returned does not mean
# they are gone yet, only that they will be.
gone_within() {
	local i f n=$1
	shift
	for ((i = 0; i < n; i++)); do
		absent "$@" && return 0
		sleep 0.1
	done
	for f in "$@"; do
		[[ -e "$f" ]] && diag "still there: $f"
	done
	return 1
}

# helpers_gone_within DS: no helper process (comm is the helper's name
# cut to 15 bytes) left within DS tenths of a second (each may still be
# cleaning up after its client returned); says which are left.
helpers_gone_within() {
	local i
	for ((i = 0; i < $1; i++)); do
		pgrep -x symbi-exec-help >/dev/null || return 0
		sleep 0.1
	done
	diag "left: $(pgrep -a -x symbi-exec-help)"
	return 1
}

# PIDs of processes of the test users, with their command lines.
user_procs() {
	local u
	for u in $T_USERS; do
		pgrep -a -u "$u" || true
	done
}

# logged ERE: the syslog lines matching ERE (waits a moment: the
# datagram may still be in flight).
logged() {
	local i
	for ((i = 0; i < 20; i++)); do
		grep -E -- "$1" "$T_SYSLOG" && return 0
		sleep 0.1
	done
	return 0
}

# no_user_procs_within DS: no test user process within DS tenths of a
# second (killed processes take a moment to be reaped).
no_user_procs_within() {
	local i
	for ((i = 0; i < $1; i++)); do
		[[ -z "$(user_procs)" ]] && return 0
		sleep 0.1
	done
	diag "left: $(user_procs)"
	return 1
}

# ok_clean DESC: no process of a test user, no job cgroup, no work dir,
# no staged mount.
ok_clean() {
	local procs cg wd st i
	# The kill is asynchronous: the helper reaps within moments.
	for ((i = 0; i < 20; i++)); do
		procs=$(user_procs)
		cg=$(leftover_cgroups)
		wd=$(leftover_workdirs)
		st=$(leftover_stages)
		[[ -z "$procs$cg$wd$st" ]] && break
		sleep 0.1
	done
	if [[ -z "$procs$cg$wd$st" ]]; then
		pass "$1: nothing left behind"
	else
		fail "$1: nothing left behind"
		diag "processes: $procs" "cgroups: $cg" "work dirs: $wd" \
			"staged mounts: $st"
	fi
}

# ---- setup and teardown ----------------------------------------------------

need_tools() {
	local missing=() t
	for t in make cc pkg-config setpriv python3 jq mandoc script ps \
		pgrep useradd shellcheck; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	# On a fresh machine after install.sh, the suite brings what it
	# needs beyond the build dependencies (.ci/run does this up front).
	command -v apt-get >/dev/null ||
		bail "missing test tools: ${missing[*]}"
	diag "installing test tools: mandoc jq shellcheck python3 procps"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mandoc jq \
		shellcheck python3 procps util-linux bsdutils passwd \
		>/dev/null 2>&1 || bail "cannot install test tools: ${missing[*]}"
}

make_users() {
	local u
	getent group symbi-agents >/dev/null || groupadd symbi-agents ||
		bail "groupadd symbi-agents failed"
	for u in $T_USERS; do
		id "$u" >/dev/null 2>&1 || useradd -m -s /bin/bash "$u" ||
			bail "useradd $u failed"
	done
	usermod -a -G symbi-agents symbi-alice
	usermod -a -G symbi-agents symbi-bob
}

# Build and install into T_PREFIX unless the installed programs are
# already the ones just built; under SYMBI_TEST_SYSTEM, build for the
# test tools only.
install_prefix() {
	# prove runs under make check: do not inherit its jobserver.
	unset MAKEFLAGS MFLAGS MAKELEVEL
	AUDIT_LOG=$T_AUDIT_LOG make -C "$T_TOP" -s PREFIX="$T_PREFIX" \
		SYSCONFDIR="$T_PREFIX/etc" >"$T_SCRATCH/make.log" 2>&1 ||
		bail "build failed: $(tail -n 20 "$T_SCRATCH/make.log")"
	if [[ -n "$T_SYSTEM" ]]; then
		keep_system_policy
	elif ! cmp -s "$T_TOP/build/symbi-exec-helper" "$T_HELPER" ||
		! cmp -s "$T_TOP/build/symbi-exec" "$T_CLIENT" ||
		! cmp -s "$T_TOP/build/symbi-exec-check" "$T_CHECKER" ||
		! cmp -s "$T_TOP/build/symbi-exec-init" "$T_INIT"; then
		env -u SUDO_USER AUDIT_LOG="$T_AUDIT_LOG" "$T_TOP/install.sh" --prefix "$T_PREFIX" \
			--sysconfdir "$T_ETC" --no-deps \
			>"$T_SCRATCH/install.log" 2>&1 ||
			bail "install failed: $(cat "$T_SCRATCH/install.log")"
	fi
	install_tools
}

# The installed package's policy, restored (content, owner, mode) when
# the test ends, so the package sees its conffile as it left it.
keep_system_policy() {
	[[ -x "$T_HELPER" && -f "$T_POLICY" ]] ||
		bail "SYMBI_TEST_SYSTEM: no package installed ($T_HELPER, $T_POLICY)"
	cp -p "$T_POLICY" "$T_SCRATCH/system-policy.toml" ||
		bail "cannot save $T_POLICY"
	at_exit "cp -p '$T_SCRATCH/system-policy.toml' '$T_POLICY.symbi-test' &&
		mv -f '$T_POLICY.symbi-test' '$T_POLICY'"
}

# Test-only programs, where the test users can run them.
install_tools() {
	local f
	install -d -o root -g root -m 0755 "$T_TOOLS"
	for f in "$T_TOP"/build/tools/*; do
		[[ -x "$f" ]] && install -m 0755 "$f" "$T_TOOLS/"
	done
	printf '#!/bin/sh\necho should not run\n' >"$T_TOOLS/noexec.sh"
	chmod 0644 "$T_TOOLS/noexec.sh"
}

start_syslog() {
	local i
	T_SYSLOG=$T_SCRATCH/syslog.log
	: >"$T_SYSLOG"
	python3 "$T_TOP/tests/syslog-listener.py" "$T_SYSLOG_SOCK" \
		"$T_SYSLOG" 2>"$T_SCRATCH/syslog.err" {T_LOCK_FD}>&- &
	T_SYSLOG_PID=$!
	for ((i = 0; i < 50; i++)); do
		[[ -e "$T_SYSLOG.ready" ]] && break
		kill -0 "$T_SYSLOG_PID" 2>/dev/null ||
			bail "syslog listener: $(cat "$T_SCRATCH/syslog.err")"
		sleep 0.1
	done
	[[ -e "$T_SYSLOG.ready" ]] ||
		bail "syslog listener did not start: $(cat "$T_SCRATCH/syslog.err")"
}

stop_syslog() {
	[[ -n "$T_SYSLOG_PID" ]] || return 0
	kill "$T_SYSLOG_PID" 2>/dev/null
	wait "$T_SYSLOG_PID" 2>/dev/null
	T_SYSLOG_PID=
}

# Kill what a failed test may have left: processes of the test users
# (every one of them started by this test), then job cgroups.
kill_leftovers() {
	local u pid d
	for u in $T_USERS; do
		for pid in $(pgrep -u "$u"); do
			kill -9 "$pid" 2>/dev/null
		done
	done
	for d in $(leftover_cgroups); do
		# The helper may remove it meanwhile.
		{ while read -r pid; do
			kill -9 "$pid" 2>/dev/null
		done <"$d/cgroup.procs"; } 2>/dev/null
		rmdir "$d" 2>/dev/null || sleep 0.2
		rmdir "$d" 2>/dev/null
	done
	# Staged mounts a killed helper left (the next job's sweep would
	# take them): detached, then their empty mount points, never what
	# is below one still mounted (-xdev, two levels).
	awk '$5 ~ "^/run/symbi-exec/mnt/" { print $5 }' /proc/self/mountinfo |
		xargs -r -n 1 umount -l 2>/dev/null
	find /run/symbi-exec/mnt -xdev -mindepth 1 -maxdepth 2 -delete \
		2>/dev/null
	return 0
}

# at_exit CMD...: run CMD (one string, eval'd) when the test ends.
at_exit() {
	T_AT_EXIT+=("$*")
}

t_cleanup() {
	local rc=$? cmd
	for cmd in "${T_AT_EXIT[@]}"; do
		eval "$cmd"
	done
	# The last jobs' helpers finish their cleanup before the next
	# script (or the lead's run) counts what is left.
	helpers_gone_within 100
	stop_syslog
	kill_leftovers
	rm -rf "$T_WORKBASE" "${T_CLEAN[@]}"
	[[ -n "$T_SCRATCH" ]] && rm -rf "$T_SCRATCH"
	release_machine_lock
	exit "$rc"
}

# shellcheck source=tests/lock.sh
. "$(dirname "${BASH_SOURCE[0]}")/lock.sh"
T_MACHINE_LOCK=/run/symbi-exec-tests.lock

# The prefix, the test users, /dev/log and the work base are one per
# machine: test scripts of concurrent runs (two trees, two developers)
# take turns, a whole script at a time.
# A run that holds the lock for several scripts (make check-deb) passes
# its descriptor down in SYMBI_TEST_LOCK_FD: the same open file, so
# locking it again succeeds at once.
take_machine_lock() {
	local lock=$T_MACHINE_LOCK fd=${SYMBI_TEST_LOCK_FD:-}
	if [[ "$fd" =~ ^[0-9]+$ && /proc/self/fd/$fd -ef "$lock" ]]; then
		T_LOCK_FD=$fd
		flock -n "$T_LOCK_FD" ||
			bail "SYMBI_TEST_LOCK_FD $fd does not hold the lock"
		return 0
	fi
	open_lock T_LOCK_FD "$lock"
	flock -w 1800 "$T_LOCK_FD" ||
		bail "another test run held the machine lock for 30 minutes"
	T_LOCK_OWN=1
}

# A flock belongs to the open file, which every process started since
# shares (a daemon, a job that outlived its test): unlock it explicitly,
# so nothing left running can hold the next script's turn. A lock passed
# down is the caller's to release.
release_machine_lock() {
	[[ "${T_LOCK_OWN:-}" == 1 ]] && flock -u "$T_LOCK_FD"
	T_LOCK_OWN=
}

t_setup() {
	[[ $EUID -eq 0 ]] || bail "the integration tests run as root"
	take_machine_lock
	trap t_cleanup EXIT
	trap 'exit 130' INT TERM
	# Traversable by the test users: their own dirs live inside.
	T_SCRATCH=$(mktemp -d /tmp/symbi-test.XXXXXX)
	chmod 0755 "$T_SCRATCH"
	need_tools
	make_users
	install_prefix
	write_policy "$(test_policy)"
	start_syslog
}
