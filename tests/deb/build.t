#!/bin/bash
# The Debian package from a clean export of the tree: build-dep, build as
# an unprivileged user (Rules-Requires-Root: no), lintian, the .deb's
# contents, then apt-get install and what postinst made. Part of
# make check-deb (tests/check-deb.sh), which holds the machine lock and
# gives SYMBI_DEB_DIR; tests/deb/package.t goes on from the installed
# package.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

[[ $EUID -eq 0 ]] || bail "the package tests run as root"
D=${SYMBI_DEB_DIR:-}
[[ -d "$D" ]] || bail "run through make check-deb (no SYMBI_DEB_DIR)"
take_machine_lock
T_SCRATCH=$(mktemp -d /tmp/symbi-test.XXXXXX)
trap t_cleanup EXIT
BUILDER=nobody
SRC=$D/symbi-exec
HELPER=/usr/libexec/symbi-exec/symbi-exec-helper

as_builder() {
	(cd "$SRC" && setpriv --reuid=$BUILDER --regid="$(id -g $BUILDER)" \
		--clear-groups -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="$D" LANG=C.UTF-8 "$@")
}

# Tracked files as they are in the working tree (uncommitted changes
# included; untracked files are not part of the source), or HEAD when
# nothing changed; a copy without build/ outside git.
export_tree() {
	local git=(git -c safe.directory='*' -C "$T_TOP") rev
	mkdir -p "$SRC"
	if "${git[@]}" rev-parse --git-dir >/dev/null 2>&1; then
		rev=$("${git[@]}" stash create) && [[ -n "$rev" ]] || rev=HEAD
		diag "export: git archive $rev"
		"${git[@]}" archive --format=tar "$rev" | tar -C "$SRC" -xf -
	else
		diag "export: a copy of $T_TOP without build/"
		tar -C "$T_TOP" --exclude=./build --exclude=./build-san \
			-cf - . | tar -C "$SRC" -xf -
	fi
}

seconds_since() {
	echo $((($(date +%s%N) - $1) / 1000000000))
}

# --- export and build ------------------------------------------------------
export_tree
ok "a clean export of the tree has debian/" test -f "$SRC/debian/control"
ok "... and no build products" absent "$SRC/build"
DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq "$SRC" \
	</dev/null >"$T_SCRATCH/build-dep.log" 2>&1
rc=$?
is "$rc" 0 "apt-get build-dep ./ installs the Build-Depends"
[[ $rc -eq 0 ]] || diag "$(tail -n 20 "$T_SCRATCH/build-dep.log")"

VERSION=$(cd "$SRC" && dpkg-parsechangelog -SVersion)
ARCH=$(dpkg --print-architecture)
DEB=$D/symbi-exec_${VERSION}_$ARCH.deb
chown -R $BUILDER: "$D"
start=$(date +%s%N)
as_builder env DEB_BUILD_OPTIONS="noautodbgsym parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b </dev/null >"$T_SCRATCH/build.log" 2>&1
rc=$?
is "$rc" 0 "dpkg-buildpackage -us -uc -b as $BUILDER (took $(seconds_since "$start") s)"
[[ $rc -eq 0 ]] || diag "$(tail -n 30 "$T_SCRATCH/build.log")"
ok "... gives $(basename "$DEB")" test -f "$DEB"
like "$(grep -E 'make .*check-unit$' "$T_SCRATCH/build.log")" check-unit \
	"... its test step ran the unit tests"
unlike "$(cat "$T_SCRATCH/build.log")" 'tests/[0-9]+-[a-z-]+\.t' \
	"... and no integration test"

# --- lintian ---------------------------------------------------------------
start=$(date +%s%N)
# (--show-overrides would make the overridden tag fail the run.)
lint=$(as_builder lintian -I --fail-on error,warning "$DEB" 2>&1)
rc=$?
is "$rc" 0 "lintian: no error, no warning (took $(seconds_since "$start") s)"
[[ $rc -eq 0 ]] || diag "$lint"
unlike "$lint" '^[EW]: ' "... none printed"
unlike "$lint" '(unused|mismatched)-override' "... every override is used"
overrides=$(dpkg-deb --fsys-tarfile "$DEB" |
	tar -xOf - ./usr/share/lintian/overrides/symbi-exec | grep -v '^#')
is "$overrides" "symbi-exec: elevated-privileges 4755 root/root [usr/libexec/symbi-exec/symbi-exec-helper]
symbi-exec: shared-library-lacks-prerequisites [usr/bin/symbi-exec]
symbi-exec: shared-library-lacks-prerequisites [usr/libexec/symbi-exec/symbi-exec-init]
symbi-exec: executable-is-not-world-readable 0711 [usr/libexec/symbi-exec/symbi-exec-init]
symbi-exec: non-standard-executable-perm 0711 != 0755 [usr/libexec/symbi-exec/symbi-exec-init]" \
	"... and the overrides are the setuid helper, the static PIE client and init, and the init's 0711"

# --- contents ----------------------------------------------------------------
contents=$(dpkg-deb -c "$DEB")
entry() { # the mode and owner dpkg-deb -c shows for ./PATH
	awk -v p="./$1" '$6 == p { print $1, $2 }' <<<"$contents"
}
is "$(entry usr/bin/symbi-exec)" "-rwxr-xr-x root/root" "the client: 0755 root"
is "$(entry ${HELPER#/})" "-rwsr-xr-x root/root" "the helper: setuid root, 4755"
is "$(entry usr/libexec/symbi-exec/symbi-exec-check)" "-rwxr-xr-x root/root" \
	"the --check-policy checker: 0755 root"
is "$(entry usr/libexec/symbi-exec/symbi-exec-init)" "-rwx--x--x root/root" \
	"the isolated tier's init: 0711 root, not setuid"
like "$(dpkg-deb -f "$DEB" Built-Using)" '(^|, )glibc \(= ' \
	"Built-Using names glibc (the client is a static PIE)"
is "$(entry etc/symbi-exec/policy.toml)" "-rw-r--r-- root/root" "the policy: 0644 root"
is "$(dpkg-deb -f "$DEB" Version)" "$VERSION" "the version is debian/changelog's"
ok "the policy is a conffile" \
	grep -qx /etc/symbi-exec/policy.toml <(dpkg-deb --ctrl-tarfile "$DEB" |
		tar -xOf - ./conffiles)
ok "... the shipped default (policy/examples/default.toml)" \
	cmp -s <(dpkg-deb --fsys-tarfile "$DEB" |
		tar -xOf - ./etc/symbi-exec/policy.toml) \
	"$SRC/policy/examples/default.toml"
for f in man1/symbi-exec.1 man5/symbi-exec.policy.5 man8/symbi-exec-helper.8; do
	ok "man page $f" test -n "$(entry "usr/share/man/$f.gz")"
done
for f in README.md.gz SECURITY.md.gz changelog.gz copyright; do
	ok "/usr/share/doc/symbi-exec/$f" \
		test -n "$(entry "usr/share/doc/symbi-exec/$f")"
done
# Whatever make install installs is packaged: the bash completion too,
# once the tree has one.
if [[ -f "$SRC/completion/symbi-exec" ]]; then
	ok "the bash completion" test -n \
		"$(entry usr/share/bash-completion/completions/symbi-exec)"
fi

# --- install -------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB" \
	</dev/null >"$T_SCRATCH/install.log" 2>&1
rc=$?
is "$rc" 0 "apt-get install ./$(basename "$DEB")"
[[ $rc -eq 0 ]] || diag "$(cat "$T_SCRATCH/install.log")"
is "$(stat -c '%a %U:%G' "$HELPER" 2>&1)" "4755 root:root" \
	"the installed helper is setuid root, 4755"
gid=$(getent group symbi-exec | cut -d: -f3)
ok "postinst made the group symbi-exec, a system group (gid $gid)" \
	test -n "$gid" -a "${gid:-1000}" -lt 1000
is "$(stat -c '%a %U:%G' /var/lib/symbi-exec /var/lib/symbi-exec/work 2>&1)" \
	$'711 root:root\n711 root:root' "... and the work base, root 0711"
out=$(/usr/bin/symbi-exec --version)
like "$out" "^symbi-exec $VERSION\$" "symbi-exec --version prints the package's version"
like "$out" "^policy: /etc/symbi-exec/policy.toml\$" "... the policy it reads"
like "$out" "^helper: $HELPER\$" "... and its helper"

done_testing
