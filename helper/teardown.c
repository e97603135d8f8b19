/*
 * The end of every job, whatever happened: the tier's resources, the
 * work directory, the cgroup and the executable's descriptor go before
 * the final answer. Once any of them may exist, a failure ends through
 * reply_deny here, never through die().
 */
#include <stdlib.h>
#include <unistd.h>

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
}

void reply_deny(struct job *j)
{
	job_cleanup(j);
	audit_deny(j);
	reply_verdict(j);
	exit(0);
}
