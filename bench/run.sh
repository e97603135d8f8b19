#!/bin/bash
# symbi-exec benchmarks (issue 6): startup, throughput, output capture and
# scale of every tier, side by side with bubblewrap, firejail, unshare and
# plain `docker run`, in one run, as root. See bench/README.md.
#
#   bench/run.sh [--quick] [--no-deps] [--no-scale] [--keep] [CLASS...]
#
# CLASS: goals (with goals_idle), startup, idle, container, throughput or
# capture: only those, without the scale checks; none: every class.
# Prints the machine, the command, one table (median, IQR, n, ratio to the
# reference measured in the same run) and PASS/MISS per goal, and writes
# the table to bench/results.md. A report, not a test: exits 0 whatever
# the numbers say.
set -u

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
# shellcheck source=bench/setup.sh
. "$BENCH_DIR/setup.sh"
# shellcheck source=bench/measure.sh
. "$BENCH_DIR/measure.sh"
# shellcheck source=bench/scale.sh
. "$BENCH_DIR/scale.sh"

OPT_QUICK=0
OPT_NO_DEPS=0
OPT_SCALE=1
OPT_KEEP=0
OPT_CLASSES=()
COMMAND_LINE="bench/run.sh $*"

note() { printf 'bench: %s\n' "$*" >&2; }
die() {
	note "$*"
	exit 1
}
progress() { printf '\rbench: %-60s' "$*" >&2; }
progress_done() { printf '\n' >&2; }

# wanted CLASS: asked for on the command line, or no class was named.
wanted() {
	local c
	[ "${#OPT_CLASSES[@]}" -eq 0 ] && return 0
	for c in "${OPT_CLASSES[@]}"; do
		[ "$c" = "$1" ] && return 0
	done
	return 1
}

usage() {
	sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

parse_args() {
	local a
	for a in "$@"; do
		case $a in
		--quick) OPT_QUICK=1 ;;
		--no-deps) OPT_NO_DEPS=1 ;;
		--no-scale) OPT_SCALE=0 ;;
		--keep) OPT_KEEP=1 ;;
		--help | -h)
			usage
			exit 0
			;;
		goals | startup | idle | container | throughput | capture)
			OPT_CLASSES+=("$a")
			OPT_SCALE=0
			;;
		*) die "unknown option $a (see --help)" ;;
		esac
	done
}

# Rounds, runs per round and warm-up runs per round, by class.
plan() {
	if [ "$OPT_QUICK" = 1 ]; then
		P_STARTUP=(2 5 1) P_IDLE=(2 3 0) P_CONTAINER=(2 2 1)
		P_THROUGHPUT=(2 1 0)
		P_CAPTURE=(2 2 0) SCALE_CONCURRENT=60 SCALE_SEQUENTIAL=200
		P_GOALS=(40 10)
	else
		P_STARTUP=(10 10 2) P_IDLE=(5 8 0) P_CONTAINER=(5 4 1)
		P_THROUGHPUT=(5 2 0)
		P_CAPTURE=(5 3 1) SCALE_CONCURRENT=200 SCALE_SEQUENTIAL=2000
		P_GOALS=(300 60)
	fi
	CPU_ITERS=1000000000
	SYSCALL_TRIPS=1000000
	CAPTURE_BYTES=100000000
}

# add_startup ID LABEL AS COMMAND...: a /bin/true and a python3 case,
# each compared with the same program run bare.
add_startup() {
	local id=$1 label=$2 as=$3
	shift 3
	case_add "${id}_true" startup "$as" bare_true "$label: true" \
		"$@" /bin/true
	case_add "${id}_py" startup "$as" bare_py "$label: python3 -c pass" \
		"$@" /usr/bin/python3 -c pass
}

# The directories of the isolated tier's view, for the peers' command.
ro_binds() {
	local d
	for d in /usr /bin /lib /lib64 /etc; do
		[ -e "$d" ] && printf -- '--ro-bind %s %s ' "$d" "$d"
	done
	printf -- '--proc /proc --dev /dev --tmpfs /tmp --die-with-parent '
	printf -- '--new-session'
}

define_startup() {
	local u=$BENCH_USER binds
	binds=$(ro_binds)
	case_add bare_true startup "$u" bare_true "bare: true" /bin/true
	case_add bare_py startup "$u" bare_py "bare: python3 -c pass" \
		/usr/bin/python3 -c pass
	case_add floor_true startup "$u" bare_true \
		"floor: 3 starts in a row (bench/chain.c): true" \
		"$TOOLS/chain" 2 /bin/true
	if [ "$SYMBI_OK" = 1 ]; then
		case_add none_true startup "$u" bare_true "tier none: true" \
			"$CLIENT" --native -- true
		case_add none_py startup "$u" bare_py \
			"tier none: python3 -c pass" "$CLIENT" --native -- python3 -c pass
		case_add iso_true startup "$u" bare_true "tier isolated: true" \
			"$CLIENT" --sandbox-tier=isolated -- true
		case_add iso_py startup "$u" bare_py \
			"tier isolated: python3 -c pass" \
			"$CLIENT" --sandbox-tier=isolated -- python3 -c pass
	else
		case_skip none_true startup bare_true "tier none: true" "not built"
		case_skip iso_true startup bare_true "tier isolated: true" "not built"
	fi
	# shellcheck disable=SC2086 # binds is a word list by construction
	{
		add_startup bwrap_user "bwrap unprivileged" "$u" bwrap --unshare-all $binds
		add_startup bwrap_suid "bwrap setuid" "$u" "$PEERS/bwrap-setuid" \
			--unshare-ipc --unshare-pid --unshare-net --unshare-uts \
			--unshare-cgroup $binds
	}
	add_startup firejail "firejail --noprofile" "$u" firejail --quiet --noprofile
	add_startup firejail_priv "firejail --net=none --private" "$u" \
		firejail --quiet --noprofile --net=none --private
	add_startup unshare "unshare -mpiun --fork (root)" root \
		unshare -mpiun --fork
}

# The same starts, each after 100 ms idle (measure.sh: class idle).
define_idle() {
	local u=$BENCH_USER binds
	binds=$(ro_binds)
	case_add bare_idle idle "$u" bare_idle "bare: true" /bin/true
	case_add floor_idle idle "$u" bare_idle \
		"floor: 3 starts in a row (bench/chain.c): true" \
		"$TOOLS/chain" 2 /bin/true
	if [ "$SYMBI_OK" = 1 ]; then
		case_add none_idle idle "$u" bare_idle "tier none: true" \
			"$CLIENT" --native -- true
		case_add iso_idle idle "$u" bare_idle "tier isolated: true" \
			"$CLIENT" --sandbox-tier=isolated -- true
	fi
	# shellcheck disable=SC2086 # binds is a word list by construction
	case_add bwrap_suid_idle idle "$u" bare_idle "bwrap setuid: true" \
		"$PEERS/bwrap-setuid" --unshare-ipc --unshare-pid --unshare-net \
		--unshare-uts --unshare-cgroup $binds /bin/true
	case_add unshare_idle idle root bare_idle \
		"unshare -mpiun --fork (root): true" unshare -mpiun --fork /bin/true
}

# Issue 15's goals, timed by bench/interleave.c: every case once per
# round, rotated, as the bench user itself (no setpriv or hyperfine in the
# timed path). The floor is a plain program starting a setuid-root one
# starting /bin/true; bwrap gets the isolated tier's namespaces and view.
define_goals() {
	local u=$BENCH_USER binds class
	binds=$(ro_binds)
	for class in goals goals_idle; do
		case_add "${class}_bare" "$class" "$u" "${class}_bare" "bare: true" \
			/bin/true
		case_add "${class}_floor" "$class" "$u" "${class}_bare" \
			"floor: hop, setuid hop, true (bench/hop.c)" \
			"$TOOLS/hop" "$PEERS/hop-setuid" /bin/true
		case_add "${class}_cgfloor" "$class" "$u" "${class}_floor" \
			"floor + the job's cgroups (bench/cghop.c)" \
			"$TOOLS/hop" "$PEERS/cghop" /bin/true
		case_add "${class}_isofloor" "$class" "$u" "${class}_bwrap" \
			"floor + cgroups + isolated's namespaces and view (bench/isohop.c)" \
			"$TOOLS/hop" "$PEERS/isohop" /bin/true
		if [ "$SYMBI_OK" = 1 ]; then
			case_add "${class}_none" "$class" "$u" "${class}_floor" \
				"tier none: true" "$CLIENT" --native -- /bin/true
			case_add "${class}_iso" "$class" "$u" "${class}_bwrap" \
				"tier isolated: true" "$CLIENT" --sandbox-tier=isolated \
				-- /bin/true
		fi
		# shellcheck disable=SC2086 # binds is a word list by construction
		case_add "${class}_bwrap" "$class" "$u" "${class}_bare" \
			"bwrap setuid, same namespaces and view: true" \
			"$PEERS/bwrap-setuid" --unshare-ipc --unshare-pid \
			--unshare-uts --unshare-net --unshare-cgroup-try $binds \
			/bin/true
	done
}

# measure_goals CLASS ROUNDS IDLE_MS: one interleave run over the class.
measure_goals() {
	local class=$1 rounds=$2 idle_ms=$3 i file=$RES_DIR/$1.cases
	: >"$file"
	for i in "${!C_ID[@]}"; do
		[ "${C_CLASS[i]}" = "$class" ] && [ -z "${C_STATE[i]}" ] &&
			printf '%s\t%s\n' "${C_ID[i]}" "${C_CMD[i]}" >>"$file"
	done
	[ -s "$file" ] || return 0
	progress "$class: $rounds interleaved rounds"
	as_user "$BENCH_USER" "$TOOLS/interleave" -i "$idle_ms" -w 3 \
		"$rounds" "$RAW_DIR" "$file" 2>"$LOG_DIR/$class.err" ||
		note "$class: $(head -n 1 "$LOG_DIR/$class.err")"
	progress_done
}

# By hand: SPEC's flag list with the policy's default limits; --name is
# left to docker (a fixed name cannot repeat, and a shell to make one up
# would be timed too).
docker_hand() {
	local uid gid
	uid=$(id -u "$BENCH_USER")
	gid=$(id -g "$BENCH_USER")
	printf '%s -H unix://%s run --rm --init --user %s:%s --memory 4096m ' \
		"$DOCKER_BIN" "$DOCKER_SOCK" "$uid" "$gid"
	printf -- '--memory-swap 4096m --cpus %s --pids-limit 1024 ' "$(nproc)"
	printf -- '--network none --read-only '
	printf -- '--tmpfs /tmp:rw,noexec,nosuid,size=100m '
	printf -- '--security-opt no-new-privileges --cap-drop ALL '
	printf -- '--workdir /workspace -v %s:/workspace' "$DOCKER_WORK"
}

define_containers() {
	local hand why=
	[ "$DOCKER_OK" = 1 ] || why="docker daemon unavailable"
	[ "$SYMBI_OK" = 1 ] || why=${why:-symbi-exec not built}
	if [ -n "$why" ]; then
		case_skip docker_tier container docker_hand "tier docker: true" "$why"
		case_skip gvisor_tier container gvisor_hand "tier gvisor: true" "$why"
		return 0
	fi
	hand=$(docker_hand)
	# shellcheck disable=SC2086 # hand is a word list by construction
	{
		case_add docker_hand container root docker_hand \
			"docker run by hand: true" $hand "$BENCH_IMAGE" /bin/busybox true
		case_add gvisor_hand container root gvisor_hand \
			"docker run --runtime=runsc by hand: true" $hand \
			--runtime=runsc "$BENCH_IMAGE" /bin/busybox true
	}
	case_add docker_tier container "$BENCH_USER" docker_hand \
		"tier docker: true" "$CLIENT" --sandbox-tier=docker \
		--image="$BENCH_IMAGE" -- /bin/busybox true
	case_add gvisor_tier container "$BENCH_USER" gvisor_hand \
		"tier gvisor: true" "$CLIENT" --sandbox-tier=gvisor \
		--image="$BENCH_IMAGE" -- /bin/busybox true
}

define_throughput() {
	local u=$BENCH_USER job
	for job in "cpu $CPU_ITERS" "syscalls $SYSCALL_TRIPS"; do
		local name=${job%% *} arg=${job#* }
		case_add "bare_$name" throughput "$u" "bare_$name" \
			"bare: $name" "$TOOLS/$name" "$arg"
		[ "$SYMBI_OK" = 1 ] || continue
		case_add "none_$name" throughput "$u" "bare_$name" \
			"tier none: $name" "$CLIENT" --native -- "$TOOLS/$name" "$arg"
		case_add "iso_$name" throughput "$u" "bare_$name" \
			"tier isolated: $name" "$CLIENT" --sandbox-tier=isolated -- \
			"$TOOLS/$name" "$arg"
	done
	case_add floor_syscalls throughput "$u" bare_syscalls \
		"bare under an allow-all seccomp filter: syscalls" \
		"$TOOLS/seccomp-floor" "$TOOLS/syscalls" "$SYSCALL_TRIPS"
}

define_capture() {
	local u=$BENCH_USER
	# shellcheck disable=SC2016 # $1 belongs to the script written
	printf '#!/bin/sh\n%s/emit "$1" | cat\n' "$TOOLS" >"$TOOLS/emit-cat"
	chmod 0755 "$TOOLS/emit-cat"
	case_add cat_capture capture "$u" cat_capture \
		"emit | cat (pipe)" "$TOOLS/emit-cat" "$CAPTURE_BYTES"
	[ "$SYMBI_OK" = 1 ] || return 0
	case_add none_capture capture "$u" cat_capture "tier none --json" \
		"$CLIENT" --native --json -- "$TOOLS/emit" "$CAPTURE_BYTES"
	case_add iso_capture capture "$u" cat_capture "tier isolated --json" \
		"$CLIENT" --sandbox-tier=isolated --json -- "$TOOLS/emit" \
		"$CAPTURE_BYTES"
	case_add none_stream capture "$u" cat_capture \
		"tier none, streamed (no --json)" \
		"$CLIENT" --native -- "$TOOLS/emit" "$CAPTURE_BYTES"
}

machine() {
	printf 'machine: %s cores, %s, kernel %s, %s MiB RAM, cgroup %s\n' \
		"$(nproc)" \
		"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
		"$(uname -r)" \
		"$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)" \
		"$([ -f /sys/fs/cgroup/cgroup.controllers ] && echo v2 || echo v1/hybrid)"
	printf 'command: %s (as root, %s)\n' "$COMMAND_LINE" "$(date -u +%FT%TZ)"
	printf 'load average: %s at the start, %s at the end (other work on the host adds noise)\n' \
		"$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	if [ "$OPT_KEEP" = 1 ]; then
		note "kept: $PREFIX, raw results in ${RES_DIR:-?}, the docker engine"
		return 0
	fi
	[ -n "${RES_DIR:-}" ] && rm -rf "$RES_DIR"
	disarm_rm "$PREFIX" "$WORKBASE" "$DOCKER_WORK"
	# A floor hop killed before its own cleanup leaves its job cgroups.
	local d
	for d in /sys/fs/cgroup/{,unified/}symbi-bench-floor/job-*; do
		[ -e "$d/cgroup.kill" ] && echo 1 >"$d/cgroup.kill"
	done 2>/dev/null
	for d in /sys/fs/cgroup/{,unified/,memory/,pids/}symbi-bench-floor/job-*; do
		[ -d "$d" ] && rmdir "$d"
	done 2>/dev/null
	rmdir /sys/fs/cgroup/symbi-bench-floor \
		/sys/fs/cgroup/{unified,memory,pids}/symbi-bench-floor 2>/dev/null
	# Whether or not its image was there: an engine started is stopped.
	[ -n "$DOCKER_SOCK" ] && bash "$BENCH_DIR/docker-start.sh" stop
}

main() {
	parse_args "$@"
	[ "$(id -u)" = 0 ] || die "run as root (it installs, adds users, runs peers as root)"
	umask 022
	plan
	# The tests' machine lock: their cleanup kills every
	# symbi-exec-job-* cgroup's processes on the host and counts ours as
	# their leftovers; and a test run is noise for the numbers.
	LOCK_FD=
	open_lock LOCK_FD /run/symbi-exec-tests.lock ||
		die "cannot make the lock"
	flock -w 3600 "$LOCK_FD" || die "the tests held the machine lock for an hour"
	LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
	RES_DIR=$(mktemp -d /var/tmp/symbi-bench-res.XXXXXX)
	trap cleanup EXIT
	LOG_DIR=$RES_DIR/log RAW_DIR=$RES_DIR/raw
	mkdir -p "$LOG_DIR" "$RAW_DIR"
	chmod 0755 "$RES_DIR"
	setup_all
	# Every case starts in the bench user's home: tier isolated runs a
	# job in its caller's directory only under volume_roots (/home).
	cd "$(getent passwd "$BENCH_USER" | cut -d: -f6)" ||
		die "no home directory for $BENCH_USER"
	# The bench user writes its timings in RAW_DIR; LOG_DIR stays root's,
	# since root's redirections write there.
	chown "$BENCH_USER" "$RAW_DIR"
	wanted goals && define_goals
	wanted startup && define_startup
	wanted idle && define_idle
	wanted container && define_containers
	wanted throughput && define_throughput
	wanted capture && define_capture
	note "checking every case once"
	case_smoke_all
	if wanted goals; then
		measure_goals goals "${P_GOALS[0]}" 0
		measure_goals goals_idle "${P_GOALS[1]}" 100
	fi
	measure_class startup "${P_STARTUP[@]}"
	measure_class idle "${P_IDLE[@]}"
	measure_class container "${P_CONTAINER[@]}"
	measure_class throughput "${P_THROUGHPUT[@]}"
	measure_class capture "${P_CAPTURE[@]}"
	cases_tsv >"$RES_DIR/cases.tsv"
	: >"$RES_DIR/scale.txt"
	if [ "$OPT_SCALE" = 1 ] && [ "$SYMBI_OK" = 1 ]; then
		scale_all >"$RES_DIR/scale.txt"
	fi
	machine >"$RES_DIR/machine.txt"
	/usr/bin/python3 "$BENCH_DIR/stats.py" "$RES_DIR" "$CAPTURE_BYTES" \
		"$BENCH_DIR/results.md" || note "stats.py failed"
	return 0
}

# On one line: a run.sh edited while it runs is not read any further.
main "$@"; exit
