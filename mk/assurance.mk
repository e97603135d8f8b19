# Assurance: fuzzing, sanitizers, static analysis (issue 5).
#
#   make fuzz [FUZZ_SECONDS=60]   libFuzzer + ASan + UBSan on every
#                                 tests/fuzz/fuzz_NAME.c (one: fuzz-NAME)
#   make check-sanitize           unit tests and client checks, ASan + UBSan
#   make lint                     every linter below; each runs alone too:
#     lint-cppcheck lint-tidy lint-analyzer lint-shell lint-man
#
# The lint targets print nothing and exit 0 when they find nothing; any
# finding is printed and fails the target. fuzz prints one line of stats
# per target; any crash, leak or sanitizer report fails it. Outputs live
# in build/fuzz/ and build-san/, never in build/, so the product build is
# never mixed with an instrumented one. Included by the Makefile, whose
# variables (ALL_CFLAGS, COMMON_OBJ, UNIT_BIN, *_SRC ...) are used here.

NPROC ?= $(shell nproc 2>/dev/null || echo 2)

# ---------------------------------------------------------------- fuzz --
# clang only: a flag set of its own, not gcc's (-fstack-clash-protection
# and friends are gcc's; -Werror stays out so a clang-only warning in
# someone's file does not hide a crash). Library objects are instrumented
# for coverage (fuzzer-no-link); only the target links libFuzzer's main.

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=gnu11 -g -O1 $(FUZZ_SAN) $(PKG_CFLAGS) -I. -Ibuild \
		-D_GNU_SOURCE
FUZZ_SRC      = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES    = $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_BIN      = $(FUZZ_NAMES:%=build/fuzz/fuzz_%)
# The helper's own parsers, helper/engine.c (docker's answers) and
# helper/cgroup_proc.c (/proc/PID/cgroup), and helper/vchild.c, with
# which the file fuzz_slice includes (cgroup_systemd.c) starts busctl;
# the setuid main stays out; --volume specs are policy/volume.c's.
FUZZ_OBJ      = $(SHARED_SRC:%.c=build/fuzz/obj/%.o) \
		$(POLICY_SRC:%.c=build/fuzz/obj/%.o) \
		build/fuzz/obj/helper/engine.o build/fuzz/obj/helper/cgroup_proc.o \
		build/fuzz/obj/helper/vchild.o
# Seeds beyond tests/fuzz/corpus/NAME: the policy corpus of the unit tests.
FUZZ_SEEDS_policy = tests/policy/ok tests/policy/bad
# Longest input per target: a request just past PROTO_MAX_MSG, so the size
# cap itself is crossed; a policy of a few pages (the parser is linear).
FUZZ_MAXLEN_request = 66000
FUZZ_MAXLEN_policy = 16384
# libFuzzer: a crash, leak, timeout, OOM or sanitizer report is exit 77;
# one input may take 10 s and 2 GB at most.
FUZZ_RUN_FLAGS = -max_total_time=$(FUZZ_SECONDS) -error_exitcode=77 \
		-timeout_exitcode=77 -timeout=10 -rss_limit_mb=2048 \
		-malloc_limit_mb=2048 -print_final_stats=1 -detect_leaks=1

build/fuzz/obj/%.o: %.c build/paths.h $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

# Runs on a copy of the seed corpus (new inputs stay out of the tree); the
# log is kept in build/fuzz/NAME.log and shown in full on failure, its
# last stats line on success. Crashing inputs: build/fuzz/artifacts-NAME/.
fuzz-%: build/fuzz/fuzz_%
	@rm -rf build/fuzz/corpus-$* build/fuzz/artifacts-$*
	@mkdir -p build/fuzz/corpus-$* build/fuzz/artifacts-$*
	@for d in tests/fuzz/corpus/$* $(FUZZ_SEEDS_$*); do \
		if [ -d "$$d" ]; then cp -R "$$d"/. build/fuzz/corpus-$*/; fi; \
	done
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:symbolize=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	./build/fuzz/fuzz_$* $(FUZZ_RUN_FLAGS) \
		-max_len=$(or $(FUZZ_MAXLEN_$*),8192) \
		-artifact_prefix=build/fuzz/artifacts-$*/ \
		build/fuzz/corpus-$* > build/fuzz/$*.log 2>&1 || { \
		cat build/fuzz/$*.log; \
		echo "fuzz-$*: FAILED; inputs in build/fuzz/artifacts-$*/" >&2; \
		exit 1; }
	@grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE).*cov:' build/fuzz/$*.log \
		| tail -n 1 | sed 's/^/fuzz-$*: /'
	@grep -E '^stat::(number_of_executed_units|peak_rss_mb)' \
		build/fuzz/$*.log | sed 's/^/fuzz-$*: /'

# Keep the instrumented objects between runs.
.PRECIOUS: build/fuzz/fuzz_% build/fuzz/obj/%.o

fuzz: $(FUZZ_NAMES:%=fuzz-%)
	@test -n '$(FUZZ_NAMES)' || { echo 'fuzz: no tests/fuzz/fuzz_*.c' >&2; exit 1; }

# ------------------------------------------------------------ sanitize --
# gcc with ASan + UBSan into build-san/. Fortify is turned off there: its
# checked copies and ASan's interceptors overlap and hide each other.
# The helper is built (it must compile this way) but never run: ASan in a
# setuid program is unsafe (it reads ASAN_OPTIONS, writes log files) and
# the loader drops it anyway. The client is, on every client-only path.

SAN_DIR     = build-san
SAN_CFLAGS  = -fsanitize=address,undefined -fno-sanitize-recover=all \
	      -fno-omit-frame-pointer -U_FORTIFY_SOURCE -O1
SAN_ENV     = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
	      UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
SAN_COMMON  = $(COMMON_OBJ:build/%=$(SAN_DIR)/%)
SAN_UNIT    = $(UNIT_BIN:build/%=$(SAN_DIR)/%)

$(SAN_DIR)/%.o: %.c build/paths.h $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_CFLAGS) -c -o $@ $<

$(SAN_DIR)/symbi-exec-helper: $(HELPER_SRC:%.c=$(SAN_DIR)/%.o) $(SAN_COMMON)
	$(CC) $(ALL_CFLAGS) $(SAN_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(SAN_DIR)/symbi-exec: $(CLIENT_SRC:%.c=$(SAN_DIR)/%.o) $(SAN_COMMON)
	$(CC) $(ALL_CFLAGS) $(SAN_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(SAN_DIR)/symbi-exec-check: $(CHECK_SRC:%.c=$(SAN_DIR)/%.o) $(SAN_COMMON)
	$(CC) $(ALL_CFLAGS) $(SAN_CFLAGS) $(ALL_LDFLAGS) -o $@ $^

$(SAN_DIR)/tests/test_init: | build/symbi-exec-init

$(SAN_DIR)/tests/%: tests/unit/%.c $(SAN_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

check-sanitize: $(SAN_DIR)/symbi-exec $(SAN_DIR)/symbi-exec-helper \
		$(SAN_DIR)/symbi-exec-check $(SAN_UNIT)
	$(SAN_ENV) prove --exec '' $(SAN_UNIT)
	$(SAN_ENV) sh mk/sanitize-client.sh $(SAN_DIR)/symbi-exec \
		$(SAN_DIR)/symbi-exec-check

# ---------------------------------------------------------------- lint --
LINT_C      = $(SHARED_SRC) $(POLICY_SRC) $(HELPER_SRC) $(CLIENT_SRC) \
	      $(CHECK_SRC) $(INIT_SRC) \
	      $(TOOL_SRC) $(TOOL_LIB_SRC)
LINT_ALL_C  = $(LINT_C) $(UNIT_SRC) $(FUZZ_SRC)
LINT_SH     = $(wildcard install.sh .ci/run completion/symbi-exec \
		tests/*.t tests/*.sh tests/deb/*.t \
		debian/*.postinst debian/*.postrm \
		tests/*/*.sh bench/*.sh mk/*.sh)
LINT_MAN    = $(wildcard man/*.[158])

# cppcheck over every C file, tests included. Suppressions, with reasons:
#  missingIncludeSystem: system headers are not given to cppcheck (the
#    compilers check them); without them it cannot find <stdio.h> & co.
#  variableScope: the project declares locals at the top of a function,
#    as doas and OpenSSH do; where a variable lives is taste, not a defect.
# -D__GNUC__ & co: check the one configuration we build, not every #ifdef.
CPPCHECK_FLAGS = --enable=warning,style,performance,portability \
	--error-exitcode=1 --inline-suppr --quiet --std=c11 \
	--template=gcc -j $(NPROC) -I. -Ibuild -D_GNU_SOURCE \
	-D__GNUC__=12 -D__linux__ -D__x86_64__ \
	--suppress=missingIncludeSystem --suppress=variableScope

# clang-tidy: checks in .clang-tidy, compiled as the Makefile compiles
# (minus gcc-only flags). The "N warnings generated." chatter of clang
# for warnings in system headers (not ours, already filtered) is dropped.
TIDY_CHATTER = ^$$|^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$$
TIDY        ?= clang-tidy-14
TIDY_CFLAGS  = -std=gnu11 -Wall -Wextra $(PKG_CFLAGS) -I. -Ibuild \
	       -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -O2

# gcc's static analyzer with the product flags (-Werror included).
ANALYZER_CC ?= gcc

lint: build/paths.h
	@fail=0; for t in lint-cppcheck lint-tidy lint-analyzer lint-shell \
		lint-man lint-deps; do \
		$(MAKE) --no-print-directory $$t || fail=1; done; exit $$fail

# The helper's files call each other without a circle.
lint-deps: $(HELPER_OBJ)
	@mk/helper-deps.sh build/helper

lint-cppcheck: build/paths.h
	@cppcheck $(CPPCHECK_FLAGS) $(LINT_ALL_C)

lint-tidy: build/paths.h
	@printf '%s\n' $(LINT_C) | xargs -r -P $(NPROC) -n 4 sh -c \
		'out=$$($(TIDY) --quiet "$$@" -- $(TIDY_CFLAGS) 2>&1); rc=$$?; \
		printf "%s\n" "$$out" | grep -Ev "$(TIDY_CHATTER)" >&2; \
		exit $$rc' tidy

lint-analyzer: build/paths.h
	@printf '%s\n' $(LINT_C) | xargs -r -P $(NPROC) -I{} \
		$(ANALYZER_CC) $(ALL_CFLAGS) -fanalyzer -c -o /dev/null {}

lint-shell:
	@shellcheck -x -P SCRIPTDIR -S style $(LINT_SH)

lint-man:
	@test -z '$(LINT_MAN)' || mandoc -Tlint -Wwarning $(LINT_MAN)

.PHONY: fuzz check-sanitize lint lint-cppcheck lint-tidy lint-analyzer \
	lint-shell lint-man lint-deps
