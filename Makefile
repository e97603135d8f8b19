# symbi-exec: a setuid-root helper and an unprivileged client.
# Targets: all check check-unit check-deb check-sanitize lint fuzz install
# uninstall clean.

PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR    ?=
# Group allowed to execute the helper (mode 4750); empty: everyone (4755).
HELPER_GROUP ?=
# Owner of the installed helper; empty in a package build run as a user
# (dpkg-deb makes every file root's).
INSTALL_OWNER ?= -o root -g root

POLICY_PATH = $(SYSCONFDIR)/symbi-exec/policy.toml
# Root's alone (helper/rundir.c): each running job's record (sweep.c),
# users/ the max_concurrent_jobs slots (userjobs.c), pool/ the
# run_as_pool uids, mnt/ the docker tiers' mount sources (stage.c).
RUN_DIR    ?= /run/symbi-exec
# Audit lines syslog does not take (helper/main.c, shared/log.c).
AUDIT_LOG  ?= /var/log/symbi-exec/audit.log
HELPER_PATH = $(LIBEXECDIR)/symbi-exec/symbi-exec-helper
# What the client executes for --check-policy (checker/main.c says why).
CHECK_PATH = $(LIBEXECDIR)/symbi-exec/symbi-exec-check
# The isolated tier's pid 1, executed as the job's account (init/main.c).
INIT_PATH  = $(LIBEXECDIR)/symbi-exec/symbi-exec-init
# One place for the version: the newest entry of debian/changelog.
VERSION    := $(shell head -n 1 debian/changelog | cut -d'(' -f2 | cut -d')' -f1)
ifeq ($(VERSION),)
$(error cannot read the version from debian/changelog)
endif

CC      ?= cc
PKGS     = libseccomp libbsd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
# The two programs start on every job, so each shared library is paid per
# job (about 0.1 ms each): the helper carries libbsd (vis(3) for audit
# fields; libmd is libbsd's own dependency) statically (rebuild it on
# its security updates); libseccomp runs at build time only
# (build/seccomp_gen). The client needs none of them.
HELPER_LIBS = -Wl,-Bstatic -lbsd -lmd -Wl,-Bdynamic

# Each function and object in its own section, so the setuid helper's
# link (--gc-sections) drops what only the client uses from the shared
# and policy objects (request encoders, reply decoders, the untrusted
# policy load ...): code that is not in the binary needs no audit.
HARDEN_CFLAGS = -fstack-protector-strong -fstack-clash-protection \
	-fcf-protection -fPIE -D_FORTIFY_SOURCE=2 -O2 \
	-ffunction-sections -fdata-sections
HARDEN_LDFLAGS = -pie $(RELRO_LDFLAGS)
RELRO_LDFLAGS = -Wl,-z,relro,-z,now,-z,noexecstack
# The client is a static PIE: no loader and no libc.so to map, relocate
# and fault in on every job (about 0.5 ms). It links the common objects
# from an archive, so only what it calls comes in, and a libc function
# that would need shared libraries at run time (NSS, iconv, dlopen: the
# linker warns of each) fails the build: those belong in the checker.
CLIENT_LDFLAGS = -static-pie $(RELRO_LDFLAGS) -Wl,--gc-sections \
	-Wl,--fatal-warnings $(LDFLAGS)
WARN = -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wvla \
	-Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS  ?= -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(HARDEN_CFLAGS) $(CFLAGS) $(PKG_CFLAGS) \
	-I. -Ibuild -D_GNU_SOURCE
ALL_LDFLAGS = $(HARDEN_LDFLAGS) $(LDFLAGS)

SHARED_SRC = $(sort $(wildcard shared/*.c))
POLICY_SRC = $(sort $(wildcard policy/*.c))
HELPER_SRC = $(sort $(wildcard helper/*.c))
CLIENT_SRC = $(sort $(wildcard client/*.c))
CHECK_SRC  = $(sort $(wildcard checker/*.c))
INIT_SRC   = $(sort $(wildcard init/*.c))
COMMON_OBJ = $(SHARED_SRC:%.c=build/%.o) $(POLICY_SRC:%.c=build/%.o)
HELPER_OBJ = $(HELPER_SRC:%.c=build/%.o)
CLIENT_OBJ = $(CLIENT_SRC:%.c=build/%.o)
CHECK_OBJ  = $(CHECK_SRC:%.c=build/%.o)
INIT_OBJ   = $(INIT_SRC:%.c=build/%.o)

UNIT_SRC = $(sort $(wildcard tests/unit/*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=build/tests/%)
# Small programs the integration tests use (a raw wire client, exec with
# argc 0, ...); never installed.
TOOL_SRC = $(sort $(wildcard tests/tools/*.c))
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=build/tools/%)
# What the tools share (starting the helper, reading its answers ...),
# linked into each; a subdirectory, so it is no tool of its own.
TOOL_LIB_SRC = $(sort $(wildcard tests/tools/lib/*.c))
TOOL_LIB_HDR = $(wildcard tests/tools/lib/*.h)
TOOL_LIB_OBJ = $(TOOL_LIB_SRC:%.c=build/%.o)

PROGRAMS = build/symbi-exec build/symbi-exec-helper build/symbi-exec-check \
	build/symbi-exec-init

all: $(PROGRAMS) $(UNIT_BIN) $(TOOL_BIN)

# Paths compiled into the programs; rewritten only when they change, so a
# different --prefix rebuilds everything that depends on them.
build/paths.h: FORCE
	@mkdir -p build
	@printf '#define POLICY_PATH "%s"\n#define HELPER_PATH "%s"\n#define CHECK_PATH "%s"\n#define INIT_PATH "%s"\n#define SYMBI_VERSION "%s"\n#define RUN_DIR "%s"\n#define AUDIT_LOG "%s"\n' \
		'$(POLICY_PATH)' '$(HELPER_PATH)' '$(CHECK_PATH)' '$(INIT_PATH)' '$(VERSION)' '$(RUN_DIR)' '$(AUDIT_LOG)' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

build/%.o: %.c build/paths.h $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/symbi-exec-helper: $(HELPER_OBJ) $(COMMON_OBJ)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -Wl,--gc-sections -o $@ $^ \
		$(HELPER_LIBS)

# The isolated tier's seccomp filter, the same for every job, compiled to
# BPF here once, so the setuid helper neither links libseccomp nor builds
# it per job (about 0.1 ms).
build/seccomp_gen: helper/gen/seccomp_gen.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lseccomp

build/seccomp_filter.h: build/seccomp_gen
	build/seccomp_gen > $@.tmp && mv $@.tmp $@

build/helper/seccomp.o build-san/helper/seccomp.o: build/seccomp_filter.h

build/libcommon.a: $(COMMON_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

build/symbi-exec: $(CLIENT_OBJ) build/libcommon.a
	$(CC) $(ALL_CFLAGS) $(CLIENT_LDFLAGS) -o $@ $^

# The isolated tier's init starts with every isolated job: a static PIE
# with no C library at all (init/sys.h says why), its canary read from
# AT_RANDOM, the stack protector's guard a global (x86-64's default is
# glibc's TLS). Position-independent code with no relocation to apply,
# since nothing would apply one: the link fails if one appears.
INIT_CFLAGS = -std=gnu11 $(WARN) -O2 -ffreestanding -fPIE \
	-fstack-protector-strong -fstack-clash-protection -fcf-protection \
	$(if $(filter x86_64-%,$(shell $(CC) -dumpmachine)),-mstack-protector-guard=global) \
	$(CFLAGS) -I.
INIT_LDFLAGS = -nostdlib -static-pie $(RELRO_LDFLAGS) -Wl,--gc-sections \
	$(LDFLAGS)

build/init/%.o: init/%.c $(wildcard init/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(INIT_CFLAGS) -c -o $@ $<

build/symbi-exec-init: $(INIT_OBJ)
	$(CC) $(INIT_CFLAGS) $(INIT_LDFLAGS) -o $@.tmp $^
	@if LC_ALL=C readelf -r $@.tmp | grep -q '^ *[0-9a-f]\{8,\} '; then \
		echo "$@: the link left relocations, which nothing applies" >&2; \
		rm -f $@.tmp; exit 1; fi
	mv $@.tmp $@

build/symbi-exec-check: $(CHECK_OBJ) $(COMMON_OBJ)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -Wl,--gc-sections -o $@ $^

build/tests/%: tests/unit/%.c $(COMMON_OBJ) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(COMMON_OBJ) $(PKG_LIBS)

# test_init runs the init just built.
build/tests/test_init: build/symbi-exec-init
# test_cgroup_proc includes helper/cgroup_proc.c: the parser, no I/O.
build/tests/test_cgroup_proc: helper/cgroup_proc.c helper/helper.h
# test_engine includes helper/engine.c: the engine's JSON, no I/O.
build/tests/test_engine: helper/engine.c helper/engine.h
# test_audit includes helper/message.c: audit fields, no I/O.
build/tests/test_audit: helper/message.c helper/helper.h
# test_vchild includes helper/vchild.c: children sharing the test's memory.
build/tests/test_vchild: helper/vchild.c helper/helper.h
# test_setid includes helper/seccomp.c: the set-id filter, loaded for real.
build/tests/test_setid: helper/seccomp.c helper/seccomp.h build/seccomp_filter.h
build-san/tests/test_setid: | build/seccomp_filter.h

build/tools/%: tests/tools/%.c $(TOOL_LIB_OBJ) $(COMMON_OBJ) $(TOOL_LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter-out %.h,$^) $(PKG_LIBS)

# The pattern rule's */*.h does not reach the library's header.
$(TOOL_LIB_OBJ): $(TOOL_LIB_HDR)

# test_json includes client/json.c: it tests the client's encoder alone.
build/tests/test_json: client/json.c client/json.h
# test_units includes client/units.c: the client's sizes and times.
build/tests/test_units: client/units.c client/units.h

# The whole suite, as root: missing packages installed, unit tests, then
# integration tests that install into a temporary prefix and run the
# client as unprivileged users; then the assurance targets (mk/): lint,
# the sanitizer run and a short fuzz of every parser. Every part runs even
# if an earlier one failed; any failure fails check. prove only warns
# about a script it cannot execute, so check refuses one itself.
FUZZ_SECONDS ?= 20
check:
	./tests/deps.sh
	$(MAKE) all
	@rc=0; \
	for t in tests/*.t; do \
		test -x "$$t" || { echo "check: $$t is not executable"; rc=1; }; \
	done; \
	prove -v --exec '' $(UNIT_BIN) $(sort $(wildcard tests/*.t)) || rc=1; \
	for t in check-deb lint check-sanitize fuzz; do \
		echo "check: make $$t"; \
		$(MAKE) --no-print-directory $$t FUZZ_SECONDS=$(FUZZ_SECONDS) || \
			{ echo "check: $$t FAILED"; rc=1; }; \
	done; \
	exit $$rc

# The Debian package, built from a clean export of the tree, linted,
# installed into /usr and /etc, tested there and purged (as root, under the
# tests' machine lock): tests/check-deb.sh.
check-deb:
	./tests/deps.sh
	./tests/check-deb.sh

# The unit tests alone: no root, nothing installed (the package build runs
# them).
check-unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do $$t || exit 1; done

# An installed helper loses its set-id bits before it is replaced or
# removed: install and rm unlink the old file, and a descriptor someone
# opened on it (O_PATH is enough) would still run the old binary as root.
DISARM_HELPER = h='$(DESTDIR)$(HELPER_PATH)'; \
	if [ -f "$$h" ] && [ ! -L "$$h" ]; then chmod 0000 "$$h"; fi

install: $(PROGRAMS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/symbi-exec
	@$(DISARM_HELPER)
	install -m 0755 build/symbi-exec $(DESTDIR)$(BINDIR)/symbi-exec
	install -m 0755 build/symbi-exec-check $(DESTDIR)$(CHECK_PATH)
	install -m 0711 $(INSTALL_OWNER) build/symbi-exec-init \
		$(DESTDIR)$(INIT_PATH)
	install -m 0700 $(INSTALL_OWNER) build/symbi-exec-helper \
		$(DESTDIR)$(HELPER_PATH)
	@if [ -n "$(HELPER_GROUP)" ]; then \
		chgrp '$(HELPER_GROUP)' $(DESTDIR)$(HELPER_PATH) && \
		chmod 4750 $(DESTDIR)$(HELPER_PATH); \
	else chmod 4755 $(DESTDIR)$(HELPER_PATH); fi
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/symbi-exec.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/symbi-exec.policy.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/symbi-exec-helper.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 completion/symbi-exec $(DESTDIR)$(BASHCOMPDIR)/symbi-exec

uninstall:
	@$(DISARM_HELPER)
	rm -f $(DESTDIR)$(BINDIR)/symbi-exec $(DESTDIR)$(HELPER_PATH) \
		$(DESTDIR)$(CHECK_PATH) $(DESTDIR)$(INIT_PATH) \
		$(DESTDIR)$(MANDIR)/man1/symbi-exec.1 \
		$(DESTDIR)$(MANDIR)/man5/symbi-exec.policy.5 \
		$(DESTDIR)$(MANDIR)/man8/symbi-exec-helper.8 \
		$(DESTDIR)$(BASHCOMPDIR)/symbi-exec
	-rmdir $(DESTDIR)$(LIBEXECDIR)/symbi-exec

clean:
	rm -rf build

FORCE:
.PHONY: all check check-unit check-deb install uninstall clean FORCE

# Assurance (lint, sanitizers, fuzzing) and benchmark targets live apart.
include $(wildcard mk/*.mk)
