/*
 * The end of every job, whatever happened: the tier's resources, the
 * work directory, the cgroup and the executable's descriptor go before
 * the final answer. Once any of them may exist, a failure ends through
 * reply_deny or job_fail here, never through die().
 */
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
	pool_release(j);
	if (j->exe_fd != -1)
		close(j->exe_fd);
	j->exe_fd = -1;
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
