#!/bin/bash
# The bench's docker engine: docker-start.sh start|stop.
#
# A daemon of the bench's own (own socket, state, data and exec roots, no
# bridge, runsc registered) with the symbi-test/busybox image, so a test
# run that stops the test suite's engine cannot pull it from under a
# measurement. The work is tests/docker-setup.sh's (sourced, with the
# bench's paths); while that script is absent, a minimal starter here does
# the same. `start` prints DOCKER_HOST=unix://SOCKET; both are idempotent.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SETUP=$(dirname "$HERE")/tests/docker-setup.sh
SOCK=/run/symbi-bench-docker.sock
STATE=/run/symbi-bench-docker
DATA=/var/lib/symbi-bench-docker
IMAGE=symbi-test/busybox

with_test_setup() {
	# shellcheck source=tests/docker-setup.sh
	. "$SETUP"
	DK_SOCK=$SOCK
	DK_HOST=unix://$SOCK
	DK_STATE=$STATE
	DK_EXEC_ROOT=$STATE/exec
	DK_DATA=$DATA
	case $1 in
	start)
		dk_start || {
			echo "docker-start: $DK_WHY" >&2
			exit 1
		}
		;;
	stop) dk_stop ;;
	esac
}

# --- fallback while tests/docker-setup.sh is absent ---

dk() { docker -H "unix://$SOCK" "$@"; }

fallback_start() {
	mkdir -p "$STATE" "$DATA"
	if ! dk version >/dev/null 2>&1; then
		printf '{"runtimes": {"runsc": {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"]}}}\n' \
			>"$STATE/daemon.json"
		setsid dockerd --config-file "$STATE/daemon.json" \
			--host "unix://$SOCK" --data-root "$DATA" \
			--exec-root "$STATE/exec" --pidfile "$STATE/dockerd.pid" \
			--bridge=none --iptables=false --ip-masq=false \
			>"$STATE/dockerd.log" 2>&1 </dev/null &
		for _ in $(seq 100); do
			dk version >/dev/null 2>&1 && break
			sleep 0.2
		done
		dk version >/dev/null 2>&1 || {
			echo "docker-start: dockerd did not answer on $SOCK" >&2
			exit 1
		}
	fi
	dk image inspect "$IMAGE" >/dev/null 2>&1 && return 0
	local root a
	root=$(mktemp -d)
	mkdir -p "$root/bin" "$root/tmp" "$root/workspace"
	cp /bin/busybox "$root/bin/busybox"
	for a in sh true cat echo sleep id ls; do
		ln -s busybox "$root/bin/$a"
	done
	tar -C "$root" -cf - . | dk import --change 'ENV PATH=/bin' - "$IMAGE" \
		>/dev/null
	rm -rf "$root"
}

fallback_stop() {
	local pid
	pid=$(cat "$STATE/dockerd.pid" 2>/dev/null) || return 0
	dk ps -aq 2>/dev/null | xargs -r docker -H "unix://$SOCK" rm -f \
		>/dev/null 2>&1
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	rm -rf "$STATE" "$DATA" "$SOCK"
}

case ${1:-} in
start | stop) ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
if [ -f "$SETUP" ]; then
	with_test_setup "$1"
elif [ "$1" = start ]; then
	fallback_start
else
	fallback_stop
fi
[ "$1" = start ] && echo "DOCKER_HOST=unix://$SOCK"
exit 0
