#!/bin/bash
# install.sh: layout, owners and modes, the policy never overwritten, the
# sudo user admitted, --group, --uninstall, --help; lint of the man pages
# and the shell scripts.
# Single quotes are meant: the job's shell expands them.
# shellcheck disable=SC2016,SC1003
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
t_setup

P=/opt/symbi-exec-install-test
T_CLEAN+=("$P")
rm -rf "$P"
# The installer's default group; remembered so the trap can undo what the
# test itself created.
group_existed=0
getent group symbi-exec >/dev/null && group_existed=1
bob_was_member=0
id -nG symbi-bob | tr ' ' '\n' | grep -qx symbi-exec && bob_was_member=1
undo_group() {
	[[ $bob_was_member -eq 1 ]] || gpasswd -d symbi-bob symbi-exec \
		>/dev/null 2>&1
	[[ $group_existed -eq 1 ]] || groupdel symbi-exec 2>/dev/null
	return 0
}
at_exit undo_group

installer() {
	"$T_TOP/install.sh" --prefix "$P" --sysconfdir "$P/etc" --no-deps "$@"
}

mode_of() {
	stat -c '%a %U:%G' "$1" 2>&1
}

CLIENT=$P/bin/symbi-exec
HELPER=$P/libexec/symbi-exec/symbi-exec-helper
CHECKER=$P/libexec/symbi-exec/symbi-exec-check
INIT=$P/libexec/symbi-exec/symbi-exec-init
POLICY=$P/etc/symbi-exec/policy.toml
MAN1=$P/share/man/man1/symbi-exec.1
MAN5=$P/share/man/man5/symbi-exec.policy.5
MAN8=$P/share/man/man8/symbi-exec-helper.8

# --- help and refusals --------------------------------------------------
out=$("$T_TOP/install.sh" --help 2>&1)
is "$?" 0 "--help exits 0"
like "$out" '--sysconfdir' "--help lists the options"
out=$("$T_TOP/install.sh" --bogus 2>&1)
not_ok "an unknown option is refused" [ $? -eq 0 ]
like "$out" "unknown option" "... naming it"
# As a user: a copy the user can read, since the tree may be private.
cp "$T_TOP/install.sh" "$T_SCRATCH/install.sh"
chmod 0755 "$T_SCRATCH/install.sh"
run symbi-alice "$T_SCRATCH/install.sh" --no-deps --prefix "$P"
not_ok "a non-root caller is refused" [ "$rc" -eq 0 ]
like "$err" "must be run as root" "... with a message"
ok "... and nothing installed" absent "$P"
# Root's chmod and chown follow paths: a directory on the way that
# another user owns or may write is refused, by name, before anything
# is built (the same harness installs into $P below).
U=/opt/symbi-exec-install-user
T_CLEAN+=("$U")
install -d -o symbi-alice -m 0755 "$U"
out=$("$T_TOP/install.sh" --no-deps --prefix "$U/p" --sysconfdir "$U/etc" 2>&1)
not_ok "a prefix under a directory of symbi-alice's is refused" [ $? -eq 0 ]
like "$out" "$U is not owned by root" "... naming it"
ok "... and nothing installed there" absent "$U/p"
chown root "$U"
chmod 0775 "$U"
out=$("$T_TOP/install.sh" --no-deps --prefix "$P" --sysconfdir "$U/etc" 2>&1)
not_ok "a group-writable sysconfdir parent is refused" [ $? -eq 0 ]
like "$out" "$U is writable by its group or others" "... naming it"
ok "... and nothing installed in the prefix" absent "$P"
ln -s /opt "$U-link"
T_CLEAN+=("$U-link")
out=$("$T_TOP/install.sh" --no-deps --prefix "$U-link/p" 2>&1)
not_ok "a prefix through a symbolic link is refused" [ $? -eq 0 ]
like "$out" "$U-link is not a directory" "... naming it"
out=$("$T_TOP/install.sh" --no-deps --prefix /tmp/symbi-exec-p 2>&1)
not_ok "a prefix under /tmp is refused" [ $? -eq 0 ]
like "$out" "/tmp is writable by its group or others" "... naming it"
out=$("$T_TOP/install.sh" --no-deps --prefix /tmp//symbi-exec-p 2>&1)
not_ok "a prefix with // is refused" [ $? -eq 0 ]
like "$out" "expected an absolute path" "... as a malformed path"
chmod 0755 "$U"
install -d -o symbi-alice -m 0755 "$U/p/libexec/symbi-exec"
out=$("$T_TOP/install.sh" --no-deps --prefix "$U/p" --sysconfdir "$P/etc" 2>&1)
not_ok "a directory of symbi-alice's below a root-owned prefix is refused" \
	[ $? -eq 0 ]
like "$out" "$U/p/libexec/symbi-exec is not owned by root" "... naming it"
ok "... and no helper installed there" \
	absent "$U/p/libexec/symbi-exec/symbi-exec-helper"
rm -f "$U-link"
rm -rf "$U"

# --- first install, through sudo by symbi-bob -------------------------------
out=$(SUDO_USER=symbi-bob installer 2>&1)
rc=$?
is "$rc" 0 "install.sh --prefix --sysconfdir --no-deps succeeds"
[[ $rc -eq 0 ]] || diag "$out"
is "$(mode_of "$CLIENT")" "755 root:root" "client is root:root 0755"
is "$(mode_of "$HELPER")" "4755 root:root" "helper is root:root 4755"
is "$(mode_of "$CHECKER")" "755 root:root" \
	"the --check-policy checker is root:root 0755"
is "$(mode_of "$INIT")" "711 root:root" \
	"the isolated tier's init is root:root 0711: unreadable, so the kernel makes it non-dumpable from its exec"
is "$(mode_of "$P/etc/symbi-exec")" "755 root:root" \
	"policy directory is root:root 0755"
is "$(mode_of "$POLICY")" "644 root:root" "policy is root:root 0644"
for m in "$MAN1" "$MAN5" "$MAN8"; do
	is "$(mode_of "$m")" "644 root:root" "man page ${m##*/} installed 0644"
done
ok "the helper reads the policy under --sysconfdir" \
	grep -qF "$POLICY" "$HELPER"
ok "the client runs the helper under --prefix" grep -qF "$HELPER" "$CLIENT"
ok "... and the checker" grep -qF "$CHECKER" "$CLIENT"
ok "the helper executes the init under --prefix" grep -qF "$INIT" "$HELPER"
ok "the default policy admits group symbi-exec" \
	grep -Eq '^groups = \["symbi-exec"\]' "$POLICY"
ok "the default policy names the sudo user" \
	grep -Eq '^users = \["symbi-bob"\]' "$POLICY"
ok "group symbi-exec exists" getent group symbi-exec
like "$(id -nG symbi-bob)" '(^| )symbi-exec( |$)' \
	"the sudo user is added to group symbi-exec"
like "$out" "next login" "install.sh says group membership needs a login"
run symbi-alice "$CLIENT" --check-policy
is "$rc:$out" "0:$POLICY: ok" \
	"the installed default policy passes --check-policy (the checker ran)"
run symbi-bob "$CLIENT" -- python3 -c 'print("hello")'
is "$rc:$out" "0:hello" "the sudo user runs a job at once (user rule)"
[[ $rc -eq 0 ]] || show_run
run symbi-mallory "$CLIENT" -- python3 -c 'print("hello")'
is "$rc" 125 "a user the default policy does not name is refused"

# --- second install: safe, policy kept ----------------------------------
echo "# local edit $$" >>"$POLICY"
before=$(sha256sum <"$POLICY")
# A descriptor on the installed helper, as any user may hold one: the
# file it names must not stay setuid once replaced.
exec {old_helper}<"$HELPER"
out=$(SUDO_USER=symbi-bob installer 2>&1)
is "$?" 0 "a second install succeeds"
is "$(sha256sum <"$POLICY")" "$before" "the existing policy is not overwritten"
like "$out" "kept the existing policy" "... and install.sh says so"
is "$(mode_of "$HELPER")" "4755 root:root" "helper still root:root 4755"
is "$(stat -L -c '%a' "/proc/self/fd/$old_helper")" 0 \
	"the replaced helper, still open, lost its set-id bits and every mode bit"
exec {old_helper}<&-

# --- --group ----------------------------------------------------------
out=$(installer --group symbi-agents 2>&1)
is "$?" 0 "install --group symbi-agents succeeds"
is "$(mode_of "$HELPER")" "4750 root:symbi-agents" \
	"--group makes the helper root:symbi-agents 4750"
run symbi-mallory "$HELPER"
is "$rc" 126 "the kernel refuses the helper to a non-member"
like "$err" "Permission denied" "... with EACCES"
run symbi-mallory "$CLIENT" -- python3 -c 'print(1)'
is "$rc" 125 "the client of a non-member fails with 125"
run symbi-bob "$CLIENT" -- python3 -c 'print("member")'
is "$rc:$out" "0:member" "a member still runs jobs"
out=$("$T_TOP/install.sh" --prefix "$P" --sysconfdir "$P/etc" --no-deps \
	--group no-such-group-x 2>&1)
not_ok "--group with an unknown group is refused" [ $? -eq 0 ]

# --- --uninstall ----------------------------------------------------------
exec {old_helper}<"$HELPER"
out=$(installer --uninstall 2>&1)
is "$?" 0 "--uninstall succeeds"
is "$(stat -L -c '%a' "/proc/self/fd/$old_helper")" 0 \
	"the removed helper, still open, lost its set-id bits"
exec {old_helper}<&-
ok "client removed" absent "$CLIENT"
ok "helper removed" absent "$HELPER"
ok "checker removed" absent "$CHECKER"
ok "init removed" absent "$INIT"
ok "man pages removed" absent "$MAN1" "$MAN5" "$MAN8"
ok "the policy is kept" [ -f "$POLICY" ]
like "$out" "kept the policy" "... and --uninstall says so"

# --- lint -------------------------------------------------------------
pages=("$T_TOP"/man/*.[1-8])
# Cross-references to pages not installed on this machine (our own among
# them) and a stale man database are facts of the machine, not the pages.
out=$(mandoc -Tlint "${pages[@]}" 2>&1 |
	grep -Ev 'referenced manual not found|mandoc\.db')
is "$out" "" "mandoc -Tlint is clean on man/* (${#pages[@]} pages)"
is "${#pages[@]}" 3 "three man pages in man/"
out=$(cd "$T_TOP" && shellcheck -x install.sh .ci/run tests/lib.sh \
	tests/[1-7]0-*.t 2>&1)
is "$out" "" "shellcheck is clean on install.sh, .ci/run and the tests"

done_testing
