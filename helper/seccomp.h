/*
 * The isolated tier's seccomp filter: default allow, with one table
 * (seccomp.c) of the system calls a job must never make, each failing
 * with EPERM (or ENOSYS for clone3), and every foreign syscall ABI (i386
 * through int 0x80, x32) killing the whole process.
 *
 * Usage, in the job child:
 *   parent, before fork (optional, saves the build in the child):
 *       seccomp_prepare_job_filter(err, sizeof err);
 *   child, after the privilege drop (no_new_privs set) and chdir, as the
 *   very last step before execveat:
 *       if (seccomp_load_job_filter(err, sizeof err) == -1) fail;
 * Every later system call, including the execveat itself, is filtered.
 */
#ifndef SYMBI_SECCOMP_H
#define SYMBI_SECCOMP_H

#include <stddef.h>

/* Build the filter into memory (BPF) once; later loads in this process
 * and in its forked children only install it. Returns 0, or -1 with a
 * message in err. */
int seccomp_prepare_job_filter(char *err, size_t errlen);

/* Install the filter on the calling thread (building it first if not
 * prepared). Requires no_new_privs (or CAP_SYS_ADMIN). Returns 0, or -1
 * with a message in err; the caller must then not exec. */
int seccomp_load_job_filter(char *err, size_t errlen);

#endif
