/*
 * The end of every job, whatever happened: the tier's resources, the
 * work directory, the cgroup and the executable's descriptor go before
 * the final answer. Once any of them may exist, a failure ends through
 * reply_deny or job_fail here, never through die().
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "../shared/log.h"
#include "helper.h"

void job_cleanup(struct job *j)
{
	if (j->cleaned)
		return;
	j->cleaned = true;
	if (j->ops && j->ops->cleanup)
		j->ops->cleanup(j);
	workdir_remove(j);
	cg_kill(&j->cg);
	cg_destroy(&j->cg);
	if (j->exe_fd != -1)
		close(j->exe_fd);
	j->exe_fd = -1;
	if (j->cleaner == 0) {
		pool_release(j);
		sweep_forget(j);
	}
}

/* After the reply: a cleaner still emptying a big work directory gets
 * its time, with the client released (the helper lets go of its
 * descriptors); the job's record goes once nothing is left, or stays
 * for the next run's sweep. A pool uid is freed only then: the next
 * job of that uid must not find the tree still there. */
void job_finish(struct job *j)
{
	int null;

	if (j->cleaner == 0)
		return;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null != -1) {
		(void)dup2(null, 0);
		(void)dup2(null, 1);
		(void)dup2(null, 2);
		close(null);
	}
	close(j->sock);
	if (workdir_finish(j))
		sweep_forget(j);
	pool_release(j);
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
