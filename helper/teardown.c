/*
 * The end of every job, whatever happened. A job that ran: once its
 * last process is provably gone (the tier's cleanup, then the kernel's
 * word that its cgroup is empty), its slot's running mark goes, the client gets
 * the result and is released, and only then go the work directory, the
 * cgroups, the pool uid and the record (job_answer, then job_cleanup and
 * job_finish): the caller does not wait for them, and a helper killed
 * meanwhile leaves its record for the next run's sweep. A refusal or a
 * failure releases everything before its answer. Once any of them may
 * exist, a failure ends through reply_deny or job_fail here, never
 * through die().
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "../shared/log.h"
#include "helper.h"

static void tier_cleanup(struct job *j)
{
	if (j->tier_cleaned)
		return;
	j->tier_cleaned = true;
	if (j->ops && j->ops->cleanup)
		j->ops->cleanup(j);
}

/* Nothing of the helper's stays open on the caller's side but the
 * socket: its stdio (the caller's, or the --json pipes) and the job's
 * terminal, so the client finds every stream ended with the result. */
static void release_streams(struct job *j)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null != -1) {
		(void)dup2(null, 0);
		(void)dup2(null, 1);
		(void)dup2(null, 2);
		close(null);
	}
	if (j->pty_fd != -1)
		close(j->pty_fd);
	j->pty_fd = -1;
}

/* The slot's running mark goes and a pool uid is marked as being
 * cleaned up: the caller's next job, and the uid's next holder, wait
 * a moment for this one's cleanup instead of being refused for it. */
void job_answer(struct job *j)
{
	tier_cleanup(j);
	if (!cg_gone(&j->cg))
		job_fail(j, "a process of job %s outlived the kill of its "
			 "cgroup", j->job_id);
	userjobs_release();
	pool_mark_cleaning(j);
	release_streams(j);
	reply_result(j);
	close(j->sock);
	j->sock = -1;
}

void job_cleanup(struct job *j)
{
	if (j->cleaned)
		return;
	j->cleaned = true;
	tier_cleanup(j);
	workdir_remove(j);
	cg_kill(&j->cg);
	cg_destroy(&j->cg);
	if (j->exe_fd != -1)
		close(j->exe_fd);
	j->exe_fd = -1;
	if (j->caller_dir_fd != -1)
		close(j->caller_dir_fd);
	j->caller_dir_fd = -1;
	if (j->cleaner == 0) {
		pool_release(j);
		sweep_forget(j);
	}
}

/* A cleaner still emptying a big work directory gets its time; the
 * job's record goes once nothing is left, or stays for the next run's
 * sweep. A pool uid is freed only then: the next job of that uid must
 * not find the tree still there. */
void job_finish(struct job *j)
{
	bool emptied;

	if (j->cleaner == 0)
		return;
	/* A pool job's directory its cleaner could not empty is set aside
	 * there at once. */
	emptied = workdir_finish(j);
	if (pool_release(j) || emptied)
		sweep_forget(j);
	else
		sweep_note_left("its work directory could not be emptied");
}

void job_fail(struct job *j, const char *fmt, ...)
{
	char msg[PROTO_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!j->answered) {
		set_message(&j->v, 125, "%s", msg);
		reply_deny(j);
	}
	/* The job ran: the client waits for a result that will not come;
	 * its socket closes and it reports the helper's failure. */
	job_cleanup(j);
	log_warn("%s", msg);
	log_audit(LOG_WARNING, "job=%s: %s", j->job_id, msg);
	_exit(125);
}

void reply_deny(struct job *j)
{
	job_cleanup(j);
	audit_deny(j);
	reply_verdict(j);
	exit(0);
}
