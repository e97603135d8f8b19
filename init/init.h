/*
 * The contract between the helper (helper/ns.c) and symbi-exec-init, the
 * pid 1 of an isolated job's namespaces (init/main.c says what it does).
 *
 * The helper's namespace child execs it, as the job's account, with the
 * job's seccomp filter, in the job's new root, from a descriptor opened
 * before the pivot, with an empty environment and
 *   argv[0]            "symbi-exec-init"
 *   argv[1]            REPORT: the write end of the report pipe
 *   argv[2]            STATUS: the write end of the job's exec status
 *                      pipe (spawn.c), struct init_exec_status
 *   argv[3]            EXE: O_PATH of the job's checked file
 *   argv[4]            PTY: the job's terminal, already the init's
 *                      controlling terminal, or "-" without one
 *   argv[5]            N: the job's argument count, >= 1
 *   argv[6 .. 6+N-1]   the job's argv
 *   argv[6+N]          "--"
 *   argv[6+N+1 ..]     the job's environment, up to the NULL
 * Descriptors are decimal numbers of descriptors the init inherits.
 */
#ifndef SYMBI_INIT_H
#define SYMBI_INIT_H

#include <stdint.h>

#define INIT_NAME "symbi-exec-init"
#define INIT_ARG_REPORT 1
#define INIT_ARG_STATUS 2
#define INIT_ARG_EXE 3
#define INIT_ARG_PTY 4
#define INIT_ARG_ARGC 5
#define INIT_ARG_JOB 6
#define INIT_NO_PTY "-"
#define INIT_ENV_MARK "--"

enum init_report_kind {
	INIT_READY = 1,     /* the job process was started */
	INIT_FAILED = 2,    /* the namespace could not be built; msg */
	INIT_EXITED = 3,    /* the job process ended; status */
	INIT_STOPPED = 4,   /* job control: the job process stopped */
	INIT_CONTINUED = 5, /* ... and was continued */
};

/* One write each, well under PIPE_BUF, so never torn. */
struct init_report {
	int32_t kind;
	int32_t status; /* INIT_EXITED: the job's wait status; INIT_FAILED:
			   an errno the helper words after msg, or 0 */
	char msg[256];  /* INIT_FAILED: what failed */
};

/* What the job child reports on STATUS when a step before its exec
 * fails (spawn.c's steps; the init reports only the exec's). EOF on the
 * pipe means the job's exec succeeded. */
struct init_exec_status {
	int32_t step;
	int32_t err;
};

/* spawn.c's numbers of the steps the init's job child may fail. */
#define INIT_STEP_TTY 9
#define INIT_STEP_EXEC 12

#endif
