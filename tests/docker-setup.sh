#!/bin/bash
# shellcheck shell=bash
# A private docker engine for the docker and gvisor tier tests: the
# Debian packages, a dockerd of our own (no systemd here) with the runsc
# runtime, and test images built without any registry.
#
# Sourced:  . tests/docker-setup.sh; dk_start || skip_all "$DK_WHY"; ...;
#           dk_stop
# Run:      tests/docker-setup.sh start|stop|status
#
# The engine has its own socket, state and data directories, no bridge
# and no iptables rules, so it neither touches nor is touched by a docker
# the host may run; dk_stop stops it and removes all of it.

DK_SOCK=/run/symbi-test-docker.sock
DK_HOST=unix://$DK_SOCK
DK_STATE=/run/symbi-test-docker          # daemon.json, pid, log (0700)
DK_EXEC_ROOT=$DK_STATE/exec              # dockerd's and containerd's run state
DK_DATA=/var/lib/symbi-test-docker       # images and containers
DK_DOCKER=/usr/bin/docker                # not /usr/local/bin's older CLI
DK_IMAGE_SH=symbi-test/busybox
DK_IMAGE_PY=symbi-test/python
DK_WHY=                                  # why dk_start failed

dk() {
	DOCKER_HOST=$DK_HOST DOCKER_CONFIG=$DK_STATE/client "$DK_DOCKER" "$@"
}

dk_packages() {
	local missing=()
	[[ -x $DK_DOCKER && -x /usr/sbin/dockerd ]] || missing+=(docker.io)
	[[ -x /usr/bin/runsc ]] || missing+=(runsc)
	[[ -x /bin/busybox ]] && /bin/busybox --list >/dev/null 2>&1 &&
		! ldd /bin/busybox >/dev/null 2>&1 || missing+=(busybox-static)
	[[ ${#missing[@]} -eq 0 ]] && return 0
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" \
		>/dev/null 2>&1 || {
		DK_WHY="cannot install ${missing[*]}"
		return 1
	}
}

dk_answers() {
	dk info >/dev/null 2>&1
}

dk_write_config() {
	install -d -o root -g root -m 0700 "$DK_STATE" "$DK_STATE/client"
	# dockerd and its containerd make these whatever their roots; dk_stop
	# removes those that did not exist before.
	local d
	for d in /run/docker /run/containerd /opt/containerd; do
		[[ -e $d ]] || echo "$d" >>"$DK_STATE/made-dirs"
	done
	# runsc works on this kind of host only with its own network off.
	cat >"$DK_STATE/daemon.json" <<'EOF'
{
	"runtimes": {
		"runsc": {
			"path": "/usr/bin/runsc",
			"runtimeArgs": ["--network=none"]
		}
	}
}
EOF
}

dk_launch() {
	local i
	dockerd --config-file "$DK_STATE/daemon.json" --host "$DK_HOST" \
		--pidfile "$DK_STATE/dockerd.pid" --exec-root "$DK_EXEC_ROOT" \
		--data-root "$DK_DATA" --bridge=none --iptables=false \
		--ip-masq=false >"$DK_STATE/dockerd.log" 2>&1 </dev/null &
	for ((i = 0; i < 150; i++)); do
		dk_answers && return 0
		kill -0 $! 2>/dev/null || break
		sleep 0.1
	done
	DK_WHY="dockerd did not start: $(tail -n 3 "$DK_STATE/dockerd.log" |
		tr '\n' ' ')"
	return 1
}

# A root file system of busybox-static with every applet linked.
dk_image_busybox() {
	local root=$DK_STATE/rootfs-sh a
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/tmp" "$root/workspace" "$root/etc"
	chmod 1777 "$root/tmp"
	cp /bin/busybox "$root/bin/busybox"
	for a in $("$root/bin/busybox" --list); do
		[[ $a == busybox ]] || ln -s busybox "$root/bin/$a"
	done
	echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
	tar -C "$root" -c . | dk import --change 'ENV PATH=/bin' - \
		"$DK_IMAGE_SH" >/dev/null
	local rc=$?
	rm -rf "$root"
	return $rc
}

# The host's python3.11, its libraries (ldd) and a trimmed standard
# library: about 30 MB, a few seconds. Only for tests that need it.
dk_image_python() {
	local root=$DK_STATE/rootfs-py lib
	dk image inspect "$DK_IMAGE_PY" >/dev/null 2>&1 && return 0
	[[ -x /usr/bin/python3.11 ]] || return 1
	rm -rf "$root"
	mkdir -p "$root/usr/bin" "$root/tmp" "$root/workspace" "$root/etc"
	chmod 1777 "$root/tmp"
	cp /usr/bin/python3.11 "$root/usr/bin/python3"
	for lib in $(ldd /usr/bin/python3.11 | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	[[ -e $root/lib64 ]] || ln -s usr/lib64 "$root/lib64" 2>/dev/null
	tar -C / -c --exclude='__pycache__' --exclude='test' \
		--exclude='idlelib' --exclude='tkinter' --exclude='ensurepip' \
		--exclude='lib2to3' --exclude='site-packages' \
		--exclude='dist-packages' --exclude='config-3.11-*' \
		usr/lib/python3.11 | tar -C "$root" -x
	tar -C "$root" -c . | dk import --change 'ENV PATH=/usr/bin' - \
		"$DK_IMAGE_PY" >/dev/null
	local rc=$?
	rm -rf "$root"
	return $rc
}

# dk_start: the engine answering with the busybox image. 0 or 1 with
# DK_WHY set. Reuses an engine this setup started earlier.
dk_start() {
	DK_WHY=
	[[ $EUID -eq 0 ]] || { DK_WHY="not root"; return 1; }
	dk_packages || return 1
	if ! dk_answers; then
		dk_write_config
		dk_launch || { dk_stop; return 1; }
	fi
	dk image inspect "$DK_IMAGE_SH" >/dev/null 2>&1 || dk_image_busybox || {
		DK_WHY="cannot build $DK_IMAGE_SH"
		return 1
	}
}

# Containers left by a test: their names start with symbi-.
dk_leftovers() {
	dk ps -a --filter name=^symbi- --format '{{.Names}}' 2>/dev/null
}

dk_stop() {
	local pid i d
	pid=$(cat "$DK_STATE/dockerd.pid" 2>/dev/null)
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		# Containers first, so dockerd unmounts everything it made.
		dk ps -aq 2>/dev/null | xargs -r "$DK_DOCKER" -H "$DK_HOST" \
			rm -f >/dev/null 2>&1
		kill -TERM "$pid"
		for ((i = 0; i < 150; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	fi
	# A containerd shim can outlive dockerd (seen with runsc): ours are
	# those whose command line names our exec root.
	grep -lsF -- "$DK_EXEC_ROOT/" /proc/[0-9]*/cmdline | cut -d/ -f3 |
		while read -r pid; do
			kill -KILL "$pid" 2>/dev/null
		done
	# Whatever dockerd left mounted under its directories, then them.
	grep -oE " ($DK_DATA|$DK_EXEC_ROOT)[^ ]*" /proc/self/mounts |
		sort -r | xargs -r -n1 umount -l 2>/dev/null
	if [[ -f $DK_STATE/made-dirs ]]; then
		while read -r d; do
			find "$d" -depth -type d -empty -delete 2>/dev/null
		done <"$DK_STATE/made-dirs"
	fi
	rm -rf "$DK_DATA" "$DK_STATE" "$DK_SOCK"
}

# The tests' policy: lib.sh's test_policy, with this engine's socket and
# the test images allowed. Extra TOML lines for [gvisor] may follow.
dk_policy() {
	test_policy | sed \
		-e "s|^allowed_images = .*|allowed_images = [\"$DK_IMAGE_SH\", \"$DK_IMAGE_PY\"]|" \
		-e "s|^docker_binary = .*|docker_binary = \"$DK_DOCKER\"\ndocker_host = \"$DK_HOST\"|" \
		-e "s|^runtime = \"runsc\"|runtime = \"${DK_GVISOR_RUNTIME:-runsc}\"|"
}

# dk_client_pid PID: the client that "as_user ... &" (pid PID) runs: the
# subshell's child, which execs setpriv, env and then the client.
dk_client_pid() {
	local i c
	for ((i = 0; i < 100; i++)); do
		for c in $(pgrep -P "$1"); do
			if [[ $(readlink "/proc/$c/exe") == "$T_CLIENT" ]]; then
				echo "$c"
				return 0
			fi
		done
		sleep 0.05
	done
	return 1
}

# dk_run_killed USER SECONDS CLIENT-ARGS...: start the client as USER,
# SIGKILL the client itself after SECONDS (the helper lives on), and
# wait for it. Sets rc.
dk_run_killed() {
	local user=$1 secs=$2 bg client
	shift 2
	as_user "$user" "$@" </dev/null >/dev/null 2>&1 &
	bg=$!
	if ! client=$(dk_client_pid "$bg"); then
		diag "the client did not start"
		wait "$bg"
		rc=255
		return
	fi
	sleep "$secs"
	kill -KILL "$client"
	wait "$bg"
	rc=$?
}

# dk_gone: no container of ours within a few seconds (the helper cleans
# up after its client died).
dk_gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -z $(dk_leftovers) ]] && return 0
		sleep 0.1
	done
	diag "containers left: $(dk_leftovers)"
	return 1
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	case ${1:-} in
	start) dk_start || { echo "docker-setup: $DK_WHY" >&2; exit 1; }
		[[ ${2:-} == python ]] && dk_image_python
		echo "DOCKER_HOST=$DK_HOST" ;;
	stop) dk_stop ;;
	status) dk_answers && dk images ;;
	*) echo "usage: $0 start [python]|stop|status" >&2; exit 2 ;;
	esac
fi

# The common start of a container-tier test: the suite's setup, the
# engine (or a TAP skip naming why it cannot run), its stop at exit, and
# the docker policy.
dk_test_setup() {
	t_setup
	if ! dk_start; then
		dk_stop
		# CI's machine installs the engine (.ci/run): none skips there.
		if [[ -n ${CI:-} ]]; then
			printf '1..1\nnot ok 1 - docker engine unavailable: %s (CI: nothing may skip)\n' "$DK_WHY"
			exit 1
		fi
		echo "1..0 # SKIP docker engine unavailable: $DK_WHY"
		exit 0
	fi
	at_exit dk_stop
	write_policy "$(dk_policy)"
}
