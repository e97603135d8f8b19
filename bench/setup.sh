# shellcheck shell=bash
# Benchmark setup, sourced by bench/run.sh: peers from Debian, the bench
# users, symbi-exec built from a copy of the tree and installed under a
# root-owned temporary prefix, the bench policy, the job programs, docker.
# Every step is idempotent; a step that fails marks what depends on it as
# unavailable instead of stopping the run (the table says which and why).

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PREFIX=/opt/symbi-bench
POLICY=$PREFIX/etc/symbi-exec/policy.toml
CLIENT=$PREFIX/bin/symbi-exec
HELPER=$PREFIX/libexec/symbi-exec/symbi-exec-helper
TOOLS=$PREFIX/tools
PEERS=$PREFIX/peers
# Under the root-owned prefix, not /var/tmp: a fixed name in a
# world-writable directory is a user's to take first (a symbolic link
# there had root chown its target).
WORKBASE=$PREFIX/work
DOCKER_WORK=$PREFIX/docker-work
BENCH_USERS=(symbibench1 symbibench2 symbibench3)
BENCH_USER=${BENCH_USERS[0]}
BENCH_IMAGE=symbi-test/busybox
PEER_PACKAGES=(bubblewrap firejail hyperfine docker.io runsc busybox-static
	time gcc libc6-dev make pkg-config libseccomp-dev libbsd-dev)

SYMBI_OK=0
DOCKER_OK=0
DOCKER_BIN=
DOCKER_SOCK=

setup_peers() {
	local pkg missing=()
	for pkg in "${PEER_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
			grep -q 'ok installed' || missing+=("$pkg")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	note "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >"$LOG_DIR/apt.log" 2>&1 ||
		note "apt-get install failed (see $LOG_DIR/apt.log); going on"
}

# Unprivileged users with a group of their own; firejail refuses users
# not listed in firejail.users, so they are added there too.
setup_users() {
	local u
	for u in "${BENCH_USERS[@]}"; do
		id -u "$u" >/dev/null 2>&1 ||
			useradd --create-home --user-group --shell /bin/sh "$u"
		if [ -f /etc/firejail/firejail.users ] &&
			! grep -qx "$u" /etc/firejail/firejail.users; then
			echo "$u" >>/etc/firejail/firejail.users
		fi
	done
}

# Builds from a copy, so the developers' build/ (and its compiled-in
# paths) is never touched, then installs exactly as SPEC says tests and
# benchmarks do. If install.sh is absent or fails (it builds the unit
# tests too, which may be broken mid-development), the two programs alone
# are built and installed with the Makefile's owners and modes.
setup_symbi() {
	local src rc=0
	src=$(mktemp -d /var/tmp/symbi-bench-src.XXXXXX)
	tar -C "$ROOT" --exclude=./build --exclude=./build-san \
		--exclude=./.git -cf - . | tar -C "$src" -xf -
	disarm_rm "$PREFIX" "$WORKBASE" "$DOCKER_WORK"
	install -d -m 0755 -o root -g root "$PREFIX"
	if [ -x "$src/install.sh" ]; then
		(cd "$src" && ./install.sh --prefix "$PREFIX" \
			--sysconfdir "$PREFIX/etc" --no-deps) \
			>"$LOG_DIR/build.log" 2>&1 || rc=$?
	else
		rc=127
	fi
	if [ "$rc" -ne 0 ]; then
		note "install.sh failed or absent (rc $rc; $LOG_DIR/build.log): installing the two programs alone"
		install_programs "$src" >>"$LOG_DIR/build.log" 2>&1
	fi
	rm -rf "$src"
	if [ ! -x "$CLIENT" ] || [ ! -u "$HELPER" ]; then
		note "symbi-exec could not be built:"
		tail -n 15 "$LOG_DIR/build.log" >&2
		return 0
	fi
	SYMBI_OK=1
}

install_programs() {
	local src=$1
	make -C "$src" -j"$(nproc)" PREFIX="$PREFIX" \
		SYSCONFDIR="$PREFIX/etc" build/symbi-exec build/symbi-exec-helper \
		build/symbi-exec-init || return 1
	install -D -m 0755 "$src/build/symbi-exec" "$CLIENT"
	install -D -m 4755 -o root -g root "$src/build/symbi-exec-helper" \
		"$HELPER"
	install -D -m 0711 -o root -g root "$src/build/symbi-exec-init" \
		"$(dirname "$HELPER")/symbi-exec-init"
}

# The job programs, static so no tier's view of /lib changes their cost.
setup_tools() {
	local t
	install -d -m 0755 "$TOOLS"
	# The setuid peers are the bench user's alone: nobody else may run,
	# open or link them (an open descriptor or a hard link would outlive
	# the cleanup's removal).
	install -d -m 0750 -o root -g "$BENCH_USER" "$PEERS"
	for t in cpu syscalls emit seccomp-floor; do
		gcc -O2 -static -Wall -Wextra -Werror -o "$TOOLS/$t" \
			"$BENCH_DIR/$t.c" || die "cannot compile bench/$t.c"
	done
	# The floor of three starts: linked as the client and helper are.
	gcc -O2 -Wall -Wextra -Werror -o "$TOOLS/chain" "$BENCH_DIR/chain.c" ||
		die "cannot compile bench/chain.c"
	# Issue 15's floor: a plain hop starting a setuid-root hop starting
	# the job; and the interleaving timer of the goals class.
	for t in hop interleave; do
		gcc -O2 -Wall -Wextra -Werror -o "$TOOLS/$t" "$BENCH_DIR/$t.c" ||
			die "cannot compile bench/$t.c"
	done
	install -m 4755 -o root -g root "$TOOLS/hop" "$PEERS/hop-setuid"
	# The same setuid hop plus the job's cgroups (bench/cghop.c).
	gcc -O2 -Wall -Wextra -Werror -o "$PEERS/cghop" "$BENCH_DIR/cghop.c" ||
		die "cannot compile bench/cghop.c"
	chmod 4755 "$PEERS/cghop"
	# ... plus tier isolated's namespaces and view (bench/isohop.c).
	gcc -O2 -Wall -Wextra -Werror -o "$PEERS/isohop" "$BENCH_DIR/isohop.c" ||
		die "cannot compile bench/isohop.c"
	chmod 4755 "$PEERS/isohop"
	# bubblewrap as a distribution would ship it setuid: same binary.
	if command -v bwrap >/dev/null; then
		install -m 4755 -o root -g root "$(command -v bwrap)" \
			"$PEERS/bwrap-setuid"
	fi
	install -d -m 0755 -o "$BENCH_USER" -g "$BENCH_USER" "$DOCKER_WORK"
}

# A docker engine of the bench's own (bench/docker-start.sh, which uses
# tests/docker-setup.sh when present), stopped at the end unless --keep.
setup_docker() {
	local out
	# Debian's CLI first: /usr/local/bin may hold another one.
	DOCKER_BIN=/usr/bin/docker
	[ -x "$DOCKER_BIN" ] || DOCKER_BIN=$(command -v docker) || {
		note "docker client absent: docker cases skipped"
		return 0
	}
	if ! out=$(bash "$BENCH_DIR/docker-start.sh" start \
		2>"$LOG_DIR/docker.log"); then
		note "docker engine did not start: $(tail -n 1 "$LOG_DIR/docker.log")"
		return 0
	fi
	DOCKER_SOCK=$(printf '%s\n' "$out" | sed -n 's/^DOCKER_HOST=//p' |
		tail -n 1)
	DOCKER_SOCK=${DOCKER_SOCK#unix://}
	if [ -z "$DOCKER_SOCK" ] || ! "$DOCKER_BIN" -H "unix://$DOCKER_SOCK" \
		image inspect "$BENCH_IMAGE" >/dev/null 2>&1; then
		note "no docker engine with $BENCH_IMAGE"
		return 0
	fi
	DOCKER_OK=1
}

# Generous ceilings: the bench measures overhead, never a limit. The
# tools directory is bound read-only into the isolated tier's view.
setup_policy() {
	[ "$SYMBI_OK" = 1 ] || return 0
	local users
	users=$(printf '"%s", ' "${BENCH_USERS[@]}")
	install -d -m 0755 "$PREFIX/etc/symbi-exec"
	cat >"$POLICY" <<EOF
# symbi-exec bench policy, written by bench/setup.sh
[security]
default_sandbox_tier = "none"

[native_execution]
enabled = true
working_directory = "$WORKBASE"
enforce_resource_limits = true
max_memory_mb = 4096
max_cpu_cores = $(nproc).0
max_cpu_seconds = 600
max_execution_time_seconds = 600
max_processes = 1024
max_file_size_mb = 4096
max_open_files = 4096
max_output_bytes = 1073741824
max_concurrent_jobs = 1024
allowed_executables = ["true", "python3", "sleep", "sh", "busybox", "/bin/busybox", "$TOOLS/cpu", "$TOOLS/syscalls", "$TOOLS/emit"]
secure_path = "/usr/bin:/bin"
env_keep = ["LANG"]

[isolated]
enabled = true
network = false
read_only_binds = ["/usr", "/bin", "/lib", "/lib64", "/etc", "$TOOLS"]
volume_roots = ["/home"]

[docker]
enabled = $([ "$DOCKER_OK" = 1 ] && echo true || echo false)
docker_binary = "${DOCKER_BIN:-/usr/bin/docker}"
docker_host = "unix://${DOCKER_SOCK:-/run/docker.sock}"
allowed_images = ["$BENCH_IMAGE", "$BENCH_IMAGE:latest"]
network_mode = "none"
runtime = ""

[gvisor]
enabled = $([ "$DOCKER_OK" = 1 ] && echo true || echo false)
runtime = "runsc"

[[rule]]
users = [${users%, }]
tiers = ["none", "isolated", "docker", "gvisor"]
EOF
	chmod 0644 "$POLICY"
	if ! as_user "$BENCH_USER" "$CLIENT" --check-policy \
		>"$LOG_DIR/policy.log" 2>&1; then
		note "bench policy rejected:"
		cat "$LOG_DIR/policy.log" >&2
	fi
}

setup_all() {
	[ "$OPT_NO_DEPS" = 1 ] || setup_peers
	setup_users
	setup_symbi
	setup_tools
	wanted container && setup_docker
	setup_policy
}
