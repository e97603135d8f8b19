#!/bin/bash
# Hardening of the INSTALLED programs, read from their ELF headers (as
# checksec does, with binutils' readelf): PIE, full RELRO with bind-now,
# stack protector, _FORTIFY_SOURCE, non-executable stack, CET notes, no
# RPATH/RUNPATH; and the owners and modes of SPEC.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"

t_setup

# elf_has FILE READELF-OPTION ERE: that readelf view has a matching line.
elf_has() {
	LC_ALL=C readelf -W "$2" "$1" 2>/dev/null | grep -Eq -- "$3"
}

# A shared library is DYN too: a PIE also has an interpreter, and the
# linker marks it PIE in FLAGS_1.
elf_pie() {
	elf_has "$1" -h 'Type:[[:space:]]+DYN' &&
		elf_has "$1" -l '^[[:space:]]+INTERP[[:space:]]' &&
		elf_has "$1" -d 'FLAGS_1.*[[:space:]]PIE'
}

# The flags of PT_GNU_STACK ("RW"), empty if there is none.
stack_flags() {
	LC_ALL=C readelf -W -l "$1" 2>/dev/null |
		awk '$1 == "GNU_STACK" { print $7 }'
}

# No CET check (-fcf-protection): Debian 12's crt files and libraries
# carry no IBT/SHSTK notes, so the linker rightly drops them from the
# program; the objects are still compiled with the instrumentation.
check_elf() {
	local name=$1 f=$2
	ok "$name: PIE (ELF DYN, PT_INTERP, DF_1_PIE)" elf_pie "$f"
	ok "$name: RELRO (PT_GNU_RELRO)" \
		elf_has "$f" -l '^[[:space:]]+GNU_RELRO[[:space:]]'
	ok "$name: bind-now (DF_BIND_NOW or DF_1_NOW): full RELRO" \
		elf_has "$f" -d '\(BIND_NOW\)|\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*[[:space:]]NOW'
	ok "$name: stack protector (__stack_chk_fail)" \
		elf_has "$f" --dyn-syms '[[:space:]]__stack_chk_fail(@|$)'
	ok "$name: fortified (some __*_chk)" \
		elf_has "$f" --dyn-syms '[[:space:]]__[a-z0-9_]+_chk(@|$)'
	is "$(stack_flags "$f")" "RW" "$name: non-executable stack (PT_GNU_STACK RW)"
	not_ok "$name: no RPATH or RUNPATH" \
		elf_has "$f" -d '\((RPATH|RUNPATH)\)'
	not_ok "$name: no text relocations" elf_has "$f" -d '\(TEXTREL\)'
}

# owner_mode FILE: "user:group octal-mode" as the filesystem says.
owner_mode() {
	stat -c '%U:%G %a' "$1"
}

for f in "$T_HELPER" "$T_CLIENT"; do
	ok "installed: $f" test -f "$f"
done

check_elf helper "$T_HELPER"
check_elf client "$T_CLIENT"

# SPEC: the helper root-owned, setuid, 4755 (no --group at install); the
# client 0755 and never setuid or setgid.
is "$(owner_mode "$T_HELPER")" "root:root 4755" "helper is root:root 4755"
is "$(owner_mode "$T_CLIENT")" "root:root 755" "client is root:root 0755"

# Nobody but root can replace the helper: each directory above it is
# root-owned and not writable by group or others.
d=$(dirname "$T_HELPER")
bad=
while [[ "$d" != / ]]; do
	m=$(stat -c '%u %a' "$d")
	read -r uid mode <<<"$m"
	if [[ $uid != 0 ]] || (( (8#$mode & 8#022) != 0 )); then
		bad+="$d ($m) "
	fi
	d=$(dirname "$d")
done
is "$bad" "" "every directory above the helper is root-owned, not group/other-writable"

# Readable by no one but root would hide it from an audit; writable by
# no one else is what matters.
run symbi-alice test -w "$T_HELPER"
is "$rc" 1 "a user cannot write the helper"

done_testing
