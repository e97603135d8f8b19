#!/bin/bash
# Build and install symbi-exec: the client, the setuid helper, the man
# pages and (only if none exists) a default policy. Run as root, from the
# source tree. Safe to run twice. See README.md and --help.
set -euo pipefail

readonly DEFAULT_GROUP=symbi-exec
readonly DEPS=(build-essential pkg-config libseccomp-dev libbsd-dev)

prefix=/usr/local
sysconfdir=/etc
with_deps=1
helper_group=
uninstall=0

say() { printf 'install.sh: %s\n' "$*"; }
die() {
	printf 'install.sh: %s\n' "$*" >&2
	exit 1
}

usage() {
	cat <<'EOF'
usage: install.sh [--prefix DIR] [--sysconfdir DIR] [--no-deps]
                  [--group NAME] [--uninstall] [--help]

Build and install symbi-exec. Run as root from the source tree.

  --prefix DIR      install under DIR (default /usr/local)
  --sysconfdir DIR  the policy is DIR/symbi-exec/policy.toml, a path compiled
                    into the helper (default /etc)
  --no-deps         do not install the Debian build dependencies
  --group NAME      only members of NAME may execute the helper (mode 4750)
  --uninstall       remove the programs and man pages; keep the policy and
                    the audit lines syslog did not take (/var/log/symbi-exec)
  --help            show this help

An existing policy is never overwritten. A new default policy admits the
group symbi-exec (created if missing) and, when run through sudo, the
invoking user by name.
EOF
}

# Accepts "--opt VALUE" and "--opt=VALUE".
parse_args() {
	local opt val
	while [[ $# -gt 0 ]]; do
		opt=$1
		val=
		if [[ "$opt" == --*=* ]]; then
			val=${opt#*=}
			opt=${opt%%=*}
		elif [[ "$opt" =~ ^--(prefix|sysconfdir|group)$ ]]; then
			[[ $# -ge 2 ]] || die "$opt needs a value"
			val=$2
			shift
		fi
		case "$opt" in
		--prefix) prefix=$val ;;
		--sysconfdir) sysconfdir=$val ;;
		--group) helper_group=$val ;;
		--no-deps) with_deps=0 ;;
		--uninstall) uninstall=1 ;;
		--help | -h)
			usage
			exit 0
			;;
		*) die "unknown option '$1' (see --help)" ;;
		esac
		shift
	done
}

check_args() {
	# Paths end up in C string literals and in make: keep them plain.
	local dir
	for dir in "$prefix" "$sysconfdir"; do
		[[ "$dir" =~ ^/[A-Za-z0-9._/+-]*$ && "$dir" != *..* &&
			"$dir" != *//* ]] ||
			die "'$dir': expected an absolute path of letters, digits and ._/+-"
	done
	if [[ -n "$helper_group" ]]; then
		getent group "$helper_group" >/dev/null ||
			die "--group: no group named '$helper_group'"
	fi
}

# Every existing directory on the way to DIR must be root's own, a real
# directory, writable by no one else: root installs a setuid program and
# the policy there, and its chmod and chown follow a path another user
# could swap (README: never under /tmp). What does not exist yet is
# made by root, 0755.
check_install_dir() {
	local dir=$1 path='' part meta rest
	rest=${dir#/}
	while :; do
		part=${rest%%/*}
		path=$path/$part
		[[ -n "$part" ]] || path=/
		[[ -e "$path" || -L "$path" ]] || return 0
		[[ ! -L "$path" && -d "$path" ]] ||
			die "'$dir': $path is not a directory (a symbolic link or a file)"
		meta=$(stat -c '%u %a' "$path")
		[[ "${meta%% *}" == 0 ]] ||
			die "'$dir': $path is not owned by root"
		(((8#${meta#* } & 8#022) == 0)) ||
			die "'$dir': $path is writable by its group or others"
		[[ "$rest" == */* ]] || return 0
		rest=${rest#*/}
	done
}

install_deps() {
	say "installing build dependencies: ${DEPS[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq "${DEPS[@]}" >/dev/null 2>&1; then
		# A fresh machine has no package lists yet.
		apt-get update -qq >/dev/null
		apt-get install -y -qq "${DEPS[@]}" >/dev/null
	fi
}

make_vars() {
	printf '%s\n' "PREFIX=$prefix" "SYSCONFDIR=$sysconfdir"
}

build_and_install() {
	local vars
	mapfile -t vars < <(make_vars)
	# Not inherited from a make that runs us (the test suite does).
	unset MAKEFLAGS MFLAGS MAKELEVEL
	say "building for $prefix (policy $policy)"
	make -s -j"$(nproc)" "${vars[@]}"
	make -s install "${vars[@]}" HELPER_GROUP="$helper_group"
	if [[ -n "$helper_group" ]]; then
		say "installed $helper (root:$helper_group 4750: only members of $helper_group may run it)"
	else
		say "installed $helper (root:root 4755)"
	fi
	say "installed $prefix/bin/symbi-exec (a static program)," \
		"$prefix/libexec/symbi-exec/symbi-exec-check (what" \
		"--check-policy runs) and the man pages"
}

ensure_group() {
	getent group "$DEFAULT_GROUP" >/dev/null && return 0
	groupadd --system "$DEFAULT_GROUP"
	say "created group $DEFAULT_GROUP"
}

# The user who ran "sudo ./install.sh", if any (and not root).
invoking_user() {
	local u=${SUDO_USER:-}
	[[ -n "$u" && "$u" != root ]] || return 1
	id "$u" >/dev/null 2>&1 || return 1
	printf '%s\n' "$u"
}

policy_text() {
	local user=$1
	cat policy/examples/default.toml
	[[ -n "$user" ]] || return 0
	cat <<EOF

# Added by install.sh for the user who ran it through sudo, so that user
# can run jobs at once (membership of $DEFAULT_GROUP needs a new login).
[[rule]]
users = ["$user"]
tiers = ["none", "isolated"]
EOF
}

install_policy() {
	local user=$1 dir tmp
	dir=$(dirname "$policy")
	install -d -o root -g root -m 0755 "$sysconfdir" "$dir"
	if [[ -e "$policy" || -L "$policy" ]]; then
		say "kept the existing policy $policy (never overwritten)"
		return 0
	fi
	policy_new=1
	tmp=$(mktemp "$dir/.policy.toml.XXXXXX")
	policy_text "$user" >"$tmp"
	chown root:root "$tmp"
	chmod 0644 "$tmp"
	mv -f "$tmp" "$policy"
	say "installed the default policy $policy (group $DEFAULT_GROUP${user:+, user $user}: tiers none and isolated)"
}

admit_user() {
	local user=$1
	[[ -n "$user" ]] || return 0
	if id -nG "$user" | tr ' ' '\n' | grep -qx "$DEFAULT_GROUP"; then
		return 0
	fi
	usermod -a -G "$DEFAULT_GROUP" "$user"
	say "added $user to group $DEFAULT_GROUP: that takes effect at $user's next login"
	if [[ $policy_new -eq 1 ]]; then
		say "the new policy's rule naming $user lets $user run jobs now"
	else
		say "check that the existing policy admits $user"
	fi
}

do_uninstall() {
	local vars
	mapfile -t vars < <(make_vars)
	make -s uninstall "${vars[@]}"
	say "removed the programs and man pages from $prefix"
	if [[ -e "$policy" ]]; then
		say "kept the policy $policy (remove it by hand if you wish)"
	fi
}

main() {
	parse_args "$@"
	[[ $EUID -eq 0 ]] || die "must be run as root (try: sudo $0 $*)"
	check_args
	# Each directory make install and the policy write into, whole: one
	# of another user's below the prefix is as bad as above it.
	local d
	for d in "$prefix/bin" "$prefix/libexec/symbi-exec" \
		"$prefix/share/man/man1" "$prefix/share/man/man5" \
		"$prefix/share/man/man8" \
		"$prefix/share/bash-completion/completions" \
		"$sysconfdir/symbi-exec"; do
		check_install_dir "$d"
	done
	cd "$(dirname "$(readlink -f "$0")")"
	policy=$sysconfdir/symbi-exec/policy.toml
	helper=$prefix/libexec/symbi-exec/symbi-exec-helper
	if [[ $uninstall -eq 1 ]]; then
		do_uninstall
		return 0
	fi
	[[ $with_deps -eq 1 ]] && install_deps
	build_and_install
	ensure_group
	local user=
	user=$(invoking_user) || user=
	install_policy "$user"
	admit_user "$user"
	say "done: try  $prefix/bin/symbi-exec -- python3 -c 'print(\"hello\")'"
}

policy=
helper=
policy_new=0
main "$@"
