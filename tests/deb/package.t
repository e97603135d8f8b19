#!/bin/bash
# The installed Debian package, as an administrator uses it: the default
# policy's group gate, an edited conffile kept over a reinstall and an
# upgrade, a dpkg-statoverride on the helper kept over both, and purge
# leaving nothing (the group stays only while a user is in it). Part of
# make check-deb, after tests/deb/build.t installed the package; purges
# it.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

[[ $EUID -eq 0 ]] || bail "the package tests run as root"
D=${SYMBI_DEB_DIR:-}
[[ -d "$D" ]] || bail "run through make check-deb (no SYMBI_DEB_DIR)"
take_machine_lock
trap t_cleanup EXIT
T_SCRATCH=$(mktemp -d /tmp/symbi-test.XXXXXX)
chmod 0755 "$T_SCRATCH"
need_tools
make_users
start_syslog

A=symbi-alice
M=symbi-mallory
C=/usr/bin/symbi-exec
HELPER=/usr/libexec/symbi-exec/symbi-exec-helper
POLICY=/etc/symbi-exec/policy.toml
DEB=$(ls "$D"/symbi-exec_*.deb 2>/dev/null)
[[ -f "$DEB" ]] || bail "no .deb in $D (tests/deb/build.t failed?)"
[[ -x "$HELPER" ]] || bail "the package is not installed"
VERSION=$(dpkg-deb -f "$DEB" Version)

apt() {
	DEBIAN_FRONTEND=noninteractive apt-get -y -qq "$@" </dev/null \
		>"$T_SCRATCH/apt.log" 2>&1
	rc=$?
	[[ $rc -eq 0 ]] || diag "apt-get $*: $(cat "$T_SCRATCH/apt.log")"
	return $rc
}

mode_of() {
	stat -c '%a %U:%G' "$1" 2>&1
}

in_group() {
	getent group symbi-exec | cut -d: -f4 | tr , '\n' | grep -qx "$1"
}

leave_group() {
	in_group $A && gpasswd -d $A symbi-exec >/dev/null
	return 0
}
at_exit leave_group
at_exit "dpkg-statoverride --list $HELPER >/dev/null &&
	dpkg-statoverride --remove $HELPER"

# The package's own .deb with another version: an upgrade without a
# second build.
repack() {
	local dir=$T_SCRATCH/repack
	rm -rf "$dir"
	dpkg-deb -R "$DEB" "$dir" &&
		sed -i "s/^Version: .*/Version: $1/" "$dir/DEBIAN/control" &&
		dpkg-deb --root-owner-group -b "$dir" "$2" >/dev/null
}

# --- the default policy: the group symbi-exec, tiers none and isolated ------
run $A "$C" --check-policy
is "$rc" 0 "the shipped policy is valid"
usermod -a -G symbi-exec $A
run $A "$C" -- python3 -c 'print(1)'
is "$rc:$out" "0:1" "a member of symbi-exec runs python3"
[[ $rc -eq 0 ]] || show_run
like "$(logged "allow user=$A ")" "tier=none" "... and the decision is logged"
ok "... leaving no work directory behind" \
	test -z "$(find /var/lib/symbi-exec/work -mindepth 1)"
# From the user's home: under the default policy's volume_roots.
run $A bash -c "cd && exec $C --sandbox-tier=isolated -- python3 -c 'print(2)'"
is "$rc:$out" "0:2" "... also in tier isolated"
[[ $rc -eq 0 ]] || show_run
run $M "$C" -- python3 -c 'print(1)'
is "$rc:$out" "125:" "a user outside the group is refused, nothing runs"
like "$err" "may not use tier none" "... told why"
like "$(logged "deny user=$M ")" "deny" "... and the denial is logged"

# --- an admin's edits and statoverride, over a reinstall and an upgrade ----
sed -i 's/^max_memory_mb = 2048$/max_memory_mb = 1024/' "$POLICY"
echo "# edited by tests/deb/package.t" >>"$POLICY"
run $A "$C" --max-memory=2048 -- true
is "$rc" 125 "the edited policy (ceiling 1024 MB) is the one read"
dpkg-statoverride --update --add root symbi-exec 4750 "$HELPER"
is "$(mode_of "$HELPER")" "4750 root:symbi-exec" \
	"dpkg-statoverride --update restricts the helper to the group"
run $M "$C" -- python3 -c 'print(1)'
is "$rc:$out" "125:" "... a non-member cannot even start it"
like "$err" "Permission denied" "... told so"

check_kept() { # $1: what happened to the package
	grep -qx "# edited by tests/deb/package.t" "$POLICY" &&
		grep -qx "max_memory_mb = 1024" "$POLICY"
	is "$?" 0 "$1 keeps the edited policy"
	ok "... with no .dpkg-new or .dpkg-dist beside it" \
		absent "$POLICY.dpkg-new" "$POLICY.dpkg-dist"
	is "$(mode_of "$HELPER")" "4750 root:symbi-exec" \
		"$1 keeps the statoverride on the helper"
	run $A "$C" -- python3 -c 'print(1)'
	is "$rc:$out" "0:1" "... and a member still runs jobs"
	run $M "$C" -- true
	is "$rc" 125 "... and a non-member still cannot"
}
apt install --reinstall "$DEB"
is "$rc" 0 "apt-get install --reinstall of the same .deb"
check_kept "a reinstall"
NEXT=$T_SCRATCH/symbi-exec_${VERSION}+check_$(dpkg --print-architecture).deb
repack "${VERSION}+check" "$NEXT"
apt install "$NEXT"
is "$rc:$(dpkg-query -W -f='${Version}' symbi-exec)" "0:${VERSION}+check" \
	"an upgrade to ${VERSION}+check"
check_kept "an upgrade"

# --- purge -----------------------------------------------------------------
mapfile -t owned < <(dpkg -L symbi-exec)
# What the package shipped (its files and own directories), what postinst
# and the helper made, and the statoverride: none of it may survive a purge.
leftovers() {
	local p
	for p in "${owned[@]}"; do
		[[ -d "$p" && ! -L "$p" ]] && continue # shared ones: /usr ...
		[[ -e "$p" || -L "$p" ]] && echo "$p"
	done
	for p in /etc/symbi-exec /usr/libexec/symbi-exec \
		/usr/share/doc/symbi-exec /var/log/symbi-exec; do
		[[ -e "$p" || -L "$p" ]] && echo "$p"
	done
	# On a shared machine a job of another install whose policy keeps
	# the default working_directory makes the work base anew: only the
	# directory that was there before the purge counts.
	if [[ -e "$WORK_BASE" ]]; then
		if [[ "$(stat -c %i "$WORK_BASE")" == "$base_inode" ]]; then
			echo "$WORK_BASE"
		else
			diag "$WORK_BASE was made anew since the purge, by another helper's job"
		fi
	fi
	dpkg-statoverride --list "$HELPER"
	dpkg-query -W -f='${db:Status-Status}\n' symbi-exec 2>/dev/null |
		grep -vx not-installed
}
# With no syslog daemon the helper keeps its audit lines in its fallback
# file, /var/log/symbi-exec/audit.log, in a directory of its own: a purge
# removes that too.
stop_syslog
run $A "$C" -- python3 -c 'print(1)'
is "$rc:$out" "0:1" "with no syslog daemon a job runs"
ok "... its audit lines in /var/log/symbi-exec/audit.log" \
	test -s /var/log/symbi-exec/audit.log
start_syslog
WORK_BASE=/var/lib/symbi-exec
base_inode=$(stat -c %i "$WORK_BASE")
apt purge symbi-exec
is "$rc" 0 "apt-get purge symbi-exec, with a user in the group"
is "$(leftovers)" "" "... leaves no file, directory or statoverride"
ok "... but keeps the group symbi-exec, $A being in it" in_group $A
like "$(cat "$T_SCRATCH/apt.log")" "keeping the group symbi-exec" "... and says so"

leave_group
apt install "$DEB"
is "$rc" 0 "installed again, the group now empty"
ok "... postinst takes the group as it is" getent group symbi-exec
base_inode=$(stat -c %i "$WORK_BASE")
apt purge symbi-exec
is "$rc" 0 "apt-get purge symbi-exec"
is "$(leftovers)" "" "... leaves no file, directory or statoverride"
not_ok "... and removes the empty group" getent group symbi-exec

done_testing
