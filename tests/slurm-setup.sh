#!/bin/bash
# A single-node Slurm with cgroup enforcement, for tests/92-slurm.t:
#   slurm-setup.sh start DIR   munge, slurmctld, slurmd; config and state
#                              in DIR (root-owned, 0755); returns once the
#                              node is idle
#   slurm-setup.sh stop DIR    stop what start started (by PID), remove
#                              the cgroups Slurm made for this run
# Clients find the configuration through SLURM_CONF=DIR/slurm.conf; nothing
# under /etc is written, except munge's key when the machine has none.
# No systemd here: the daemons are started by hand, in order. Debian 12,
# slurm-wlm 22.05 (see ../shared/notes/slurm.md for what was measured).
set -euo pipefail

cmd=${1:?start or stop}
dir=${2:?state directory}
host=$(hostname -s)

# munged, unless one already answers (a package's postinst may have
# started it): then it is the machine's, used and left running.
start_munge() {
	if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
		return 0
	fi
	mkdir -p /run/munge
	chown munge:munge /run/munge /var/lib/munge /var/log/munge
	if [[ ! -s /etc/munge/munge.key ]]; then
		mungekey -c -f -k /etc/munge/munge.key
		chown munge:munge /etc/munge/munge.key
		chmod 0400 /etc/munge/munge.key
	fi
	install -d -o munge -g munge -m 0755 "$dir/munge"
	runuser -u munge -- /usr/sbin/munged --pid-file="$dir/munge/munged.pid"
}

write_conf() {
	cat >"$dir/slurm.conf" <<EOF
# Written by tests/slurm-setup.sh
ClusterName=symbitest
SlurmctldHost=$host
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup,task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/cgroup
AccountingStorageType=accounting_storage/none
KillWait=2
ReturnToService=2
SchedulerType=sched/builtin
NodeName=$host CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=8000
PartitionName=test Nodes=$host Default=YES MaxTime=10 State=UP
EOF
	cat >"$dir/cgroup.conf" <<EOF
CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
ConstrainCores=yes
ConstrainRAMSpace=yes
ConstrainSwapSpace=yes
AllowedSwapSpace=0
ConstrainDevices=no
EOF
	chmod 0644 "$dir/slurm.conf" "$dir/cgroup.conf"
}

wait_idle() {
	local i state
	for ((i = 0; i < 100; i++)); do
		state=$(SLURM_CONF=$dir/slurm.conf sinfo -h -o %T 2>/dev/null || true)
		[[ "$state" == idle ]] && return 0
		sleep 0.2
	done
	echo "slurm-setup: node not idle (state '$state')" >&2
	tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
	return 1
}

start() {
	install -d -o root -g root -m 0755 "$dir" "$dir/log"
	install -d -o slurm -g slurm -m 0755 "$dir/ctld" "$dir/run"
	install -d -o root -g root -m 0755 "$dir/spool"
	chown slurm:slurm "$dir/log"
	write_conf
	start_munge
	SLURM_CONF=$dir/slurm.conf /usr/sbin/slurmctld -f "$dir/slurm.conf"
	SLURM_CONF=$dir/slurm.conf /usr/sbin/slurmd -f "$dir/slurm.conf"
	wait_idle
}

# stop_pid FILE: TERM the daemon whose PID FILE names, wait up to 10 s.
stop_pid() {
	local pid i
	[[ -s "$1" ]] || return 0
	pid=$(cat "$1")
	kill "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
}

stop() {
	local d
	stop_pid "$dir/run/slurmd.pid"
	stop_pid "$dir/run/slurmctld.pid"
	stop_pid "$dir/munge/munged.pid"
	# The hierarchy Slurm made for this node, now empty (depth first).
	for d in /sys/fs/cgroup/*/slurm_"$host"; do
		[[ -d "$d" ]] || continue
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}

case $cmd in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
