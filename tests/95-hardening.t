#!/bin/bash
# Hardening of the INSTALLED programs, read from their ELF headers (as
# checksec does, with binutils' readelf): PIE, full RELRO with bind-now,
# stack protector, _FORTIFY_SOURCE, non-executable stack, CET notes, no
# RPATH/RUNPATH; the client a static PIE, the isolated tier's init one
# without a C library; and the owners and modes of SPEC.
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

# A static PIE (gcc -static-pie): DYN and marked PIE, relocating itself,
# with no interpreter and no shared library.
elf_static_pie() {
	elf_has "$1" -h 'Type:[[:space:]]+DYN' &&
		! elf_has "$1" -l '^[[:space:]]+INTERP[[:space:]]' &&
		! elf_has "$1" -d '\(NEEDED\)' &&
		elf_has "$1" -d 'FLAGS_1.*[[:space:]]PIE'
}

# In a static program libc's functions are its own, listed in .symtab
# until the program is stripped (the package's is); stripped, libc's
# messages show which of them it carries: "stack smashing detected"
# comes only with __stack_chk_fail, "buffer overflow detected" only with
# __chk_fail, which only the __*_chk functions call.
static_has() {
	elf_has "$1" --syms "$2" || grep -aqF "$3" "$1"
}

# The flags of PT_GNU_STACK ("RW"), empty if there is none.
stack_flags() {
	LC_ALL=C readelf -W -l "$1" 2>/dev/null |
		awk '$1 == "GNU_STACK" { print $7 }'
}

# No CET check (-fcf-protection): Debian 12's crt files and libraries
# carry no IBT/SHSTK notes, so the linker rightly drops them from the
# program; the objects are still compiled with the instrumentation.
# check_elf NAME FILE [static|freestanding]
check_elf() {
	local name=$1 f=$2 kind=${3:-dynamic}
	if [[ $kind == freestanding ]]; then
		# No C library (init/sys.h): no libc function to fortify; the
		# canary is its own (AT_RANDOM), checked in the objects since a
		# package strips the program's symbols.
		ok "$name: static PIE (ELF DYN, DF_1_PIE, no PT_INTERP, no NEEDED)" \
			elf_static_pie "$f"
		ok "$name: no relocation left for nothing to apply" \
			elf_has "$f" -r 'There are no relocations'
		ok "$name: stack protector (its code reads the canary)" \
			grep -q '__stack_chk_guard' \
			<(LC_ALL=C readelf -W -r "$T_TOP"/build/init/*.o)
	elif [[ $kind == static ]]; then
		ok "$name: static PIE (ELF DYN, DF_1_PIE, no PT_INTERP, no NEEDED)" \
			elf_static_pie "$f"
		ok "$name: stack protector (__stack_chk_fail)" static_has "$f" \
			'[[:space:]]__stack_chk_fail$' 'stack smashing detected'
		ok "$name: fortified (some __*_chk)" static_has "$f" \
			'[[:space:]]__[a-z0-9_]+_chk$' 'buffer overflow detected'
	else
		ok "$name: PIE (ELF DYN, PT_INTERP, DF_1_PIE)" elf_pie "$f"
		ok "$name: stack protector (__stack_chk_fail)" \
			elf_has "$f" --dyn-syms '[[:space:]]__stack_chk_fail(@|$)'
		ok "$name: fortified (some __*_chk)" \
			elf_has "$f" --dyn-syms '[[:space:]]__[a-z0-9_]+_chk(@|$)'
	fi
	ok "$name: RELRO (PT_GNU_RELRO)" \
		elf_has "$f" -l '^[[:space:]]+GNU_RELRO[[:space:]]'
	ok "$name: bind-now (DF_BIND_NOW or DF_1_NOW): full RELRO" \
		elf_has "$f" -d '\(BIND_NOW\)|\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*[[:space:]]NOW'
	is "$(stack_flags "$f")" "RW" "$name: non-executable stack (PT_GNU_STACK RW)"
	not_ok "$name: no RPATH or RUNPATH" \
		elf_has "$f" -d '\((RPATH|RUNPATH)\)'
	not_ok "$name: no text relocations" elf_has "$f" -d '\(TEXTREL\)'
}

# owner_mode FILE: "user:group octal-mode" as the filesystem says.
owner_mode() {
	stat -c '%U:%G %a' "$1"
}

for f in "$T_HELPER" "$T_CLIENT" "$T_CHECKER" "$T_INIT"; do
	ok "installed: $f" test -f "$f"
done

check_elf helper "$T_HELPER"
check_elf client "$T_CLIENT" static
check_elf checker "$T_CHECKER"
check_elf init "$T_INIT" freestanding

# NSS modules cannot be loaded safely into a static program (the build
# refuses the functions that would); glibc's NSS code names its file.
not_ok "the client carries no NSS code (no /etc/nsswitch.conf in it)" \
	grep -aqF /etc/nsswitch.conf "$T_CLIENT"

# The static client's own code, not only libc's, is compiled with the
# canary and the checked copies (the objects just built, with the flags
# every object gets).
ok "the client's objects call __stack_chk_fail" \
	grep -q ' U __stack_chk_fail$' <(nm "$T_TOP"/build/client/*.o)
ok "... and __*_chk functions" \
	grep -Eq ' U __[a-z0-9_]+_chk$' <(nm "$T_TOP"/build/client/*.o)

# SPEC: the helper root-owned, setuid, 4755 (no --group at install); the
# client 0755 and never setuid or setgid; the checker and the init,
# unprivileged too.
is "$(owner_mode "$T_HELPER")" "root:root 4755" "helper is root:root 4755"
is "$(owner_mode "$T_CLIENT")" "root:root 755" "client is root:root 0755"
is "$(owner_mode "$T_CHECKER")" "root:root 755" "checker is root:root 0755"
is "$(owner_mode "$T_INIT")" "root:root 711" \
	"the isolated tier's init is root:root 0711, not setuid (unreadable: non-dumpable from its exec)"

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
