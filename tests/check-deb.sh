#!/bin/bash
# make check-deb: the Debian package, built from a clean export of the
# tree and tested as an administrator installs it, under one hold of the
# tests' machine lock (it installs into /usr and /etc):
#   tests/deb/build.t    export, build-dep, build as a user, lintian, install
#   tests/20-run.t, tests/95-hardening.t: the integration tests (jobs,
#                        the binaries' hardening) against /usr and /etc
#   tests/deb/package.t  the group gate, conffile, statoverride, purge
# What the machine already had at symbi-exec's system paths (an install.sh
# install, a test's leftovers: /etc/symbi-exec, /var/lib/symbi-exec,
# /var/log/symbi-exec, the group symbi-exec) is set aside first and put back at the end; an
# installed symbi-exec package is never touched: the run refuses.
# Run as root from the tree.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

SAVED=/var/tmp/symbi-exec-check-deb.saved
SYSTEM_PATHS=(/etc/symbi-exec /var/lib/symbi-exec /var/log/symbi-exec)
DEB_DIR=

package_state() {
	dpkg-query -W -f='${db:Status-Status}' symbi-exec 2>/dev/null
}

set_aside() {
	local p entry
	[[ -e "$SAVED" ]] &&
		bail "$SAVED holds what an interrupted check-deb set aside: put it back by hand first"
	case "$(package_state)" in
	'' | not-installed) ;;
	*) bail "the package symbi-exec is on this machine ($(package_state)): check-deb would replace and purge it" ;;
	esac
	mkdir -m 0700 "$SAVED"
	for p in "${SYSTEM_PATHS[@]}"; do
		[[ -e "$p" || -L "$p" ]] || continue
		mkdir -p "$SAVED$(dirname "$p")"
		mv "$p" "$SAVED$p" || bail "cannot set $p aside"
		echo "check-deb: set $p aside"
	done
	if entry=$(getent group symbi-exec); then
		echo "$entry" >"$SAVED/group"
		groupdel symbi-exec || bail "cannot set the group symbi-exec aside"
		echo "check-deb: set the group symbi-exec aside ($entry)"
	fi
}

# A path made anew meanwhile is not ours to remove (on a shared machine,
# another install's job makes its work base): what was set aside goes
# back only where nothing is, or is dropped if it held no file.
put_back() {
	local p name gid members keep=0
	[[ -d "$SAVED" ]] || return 0
	for p in "${SYSTEM_PATHS[@]}"; do
		[[ -e "$SAVED$p" || -L "$SAVED$p" ]] || continue
		if [[ ! -e "$p" && ! -L "$p" ]]; then
			mv "$SAVED$p" "$p" && echo "check-deb: put $p back"
		elif [[ -z "$(find "$SAVED$p" ! -type d)" ]]; then
			rm -rf "${SAVED:?}$p"
			echo "check-deb: $p was made anew meanwhile; dropped the empty one set aside"
		else
			keep=1
			echo "check-deb: $p was made anew meanwhile: put $SAVED$p back by hand"
		fi
	done
	if [[ -f "$SAVED/group" ]]; then
		IFS=: read -r name _ gid members <"$SAVED/group"
		getent group "$name" >/dev/null && groupdel "$name"
		groupadd -g "$gid" "$name" &&
			{ [[ -z "$members" ]] || gpasswd -M "$members" "$name"; } &&
			echo "check-deb: put the group $name back (gid $gid)"
	fi
	[[ $keep -eq 1 ]] || rm -rf "$SAVED"
}

# A run that failed half-way leaves its package installed: purge it.
finish() {
	local rc=$?
	case "$(package_state)" in
	'' | not-installed) ;;
	*) apt-get purge -y -qq symbi-exec </dev/null >/dev/null 2>&1 ||
		echo "check-deb: apt-get purge symbi-exec failed" ;;
	esac
	put_back
	[[ -n "$DEB_DIR" ]] && rm -rf "$DEB_DIR"
	exit "$rc"
}

[[ $EUID -eq 0 ]] || bail "make check-deb runs as root"
take_machine_lock
export SYMBI_TEST_LOCK_FD=$T_LOCK_FD
trap finish EXIT
trap 'exit 130' INT TERM
set_aside
# The build user (nobody) reads and writes here.
DEB_DIR=$(mktemp -d /tmp/symbi-exec-deb.XXXXXX)
chmod 0755 "$DEB_DIR"
export SYMBI_DEB_DIR=$DEB_DIR SYMBI_TEST_SYSTEM=1
# prove runs under make: not its jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL
cd "$T_TOP" && prove -v --timer tests/deb/build.t tests/20-run.t tests/95-hardening.t \
	tests/deb/package.t
