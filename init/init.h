/*
 * The contract between the helper (helper/ns.c) and symbi-exec-init, the
 * pid 1 of an isolated job's namespaces (init/main.c says what it does).
 *
 * The helper's namespace child starts the job process first (pid 2 of
 * the namespace, its child: a process group of its own, the terminal's
 * foreground one when there is a terminal) and then execs the init over
 * itself, as the job's account, under the job's seccomp filter, in the
 * job's new root, from a descriptor opened before the pivot, with an
 * empty environment, every signal blocked since before the job process
 * existed (a blocked signal is never discarded, even for a pid
 * namespace's init: none sent since is lost, the job's end included),
 * and
 *   argv[1]  REPORT: the write end of the report pipe, inherited
 *   argv[2]  JOB: the job process's pid, decimal, a child of the init
 *   argv[3]  TTY: INIT_TTY when the job has a terminal (its stops and
 *            continues are reported), INIT_NO_TTY otherwise
 * and no more.
 */
#ifndef SYMBI_INIT_H
#define SYMBI_INIT_H

#include <stdint.h>

#define INIT_NAME "symbi-exec-init"
#define INIT_ARG_REPORT 1
#define INIT_ARG_JOB 2
#define INIT_ARG_TTY 3
#define INIT_ARGC 4
#define INIT_TTY "tty"
#define INIT_NO_TTY "-"

enum init_report_kind {
	INIT_READY = 1,     /* the init took over the job process */
	INIT_FAILED = 2,    /* the namespace could not be built; msg */
	INIT_EXITED = 3,    /* the job process ended; status */
	INIT_STOPPED = 4,   /* job control: the job process stopped */
	INIT_CONTINUED = 5, /* ... and was continued */
	/* Not the init's: its parent's, before the job process exists. From
	 * then on a start that fails ends a job that may have run. */
	INIT_STARTING = 6,
};

/* One write each, well under PIPE_BUF, so never torn. */
struct init_report {
	int32_t kind;
	int32_t status; /* INIT_EXITED: the job's wait status; INIT_FAILED:
			   an errno the helper words after msg, or 0 */
	char msg[256];  /* INIT_FAILED: what failed */
};

#endif
