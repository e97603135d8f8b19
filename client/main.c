/*
 * symbi-exec: the unprivileged client. It parses the command line, asks
 * symbi-exec-helper (setuid) to judge and run the request, and reports.
 * Whatever needs no privilege stays here, out of the helper.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "client/checkpolicy.h"
#include "client/options.h"
#include "client/run.h"
#include "shared/log.h"

/* Closed 0-2 would let the socket or a pipe land there and be taken for
 * stdio by the helper or the job. */
static void ensure_std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			_exit(125);
	}
}

/* The client must never run with privileges (installed setuid or setgid
 * by mistake): everything it does would be done for the caller as root. */
static void refuse_privileges(void)
{
	if (getauxval(AT_SECURE) || getuid() != geteuid() ||
	    getgid() != getegid())
		die("refusing to run with privileges: the client must not be "
		    "setuid or setgid");
}

int main(int argc, char **argv)
{
	static struct opts o;
	static struct request req;
	int status;

	ensure_std_fds();
	log_init("symbi-exec");
	if (opts_want_json(argc, argv))
		run_report_errors_as_json();
	refuse_privileges();
	opts_parse(argc, argv, &o);
	if (o.action == ACT_CHECK_POLICY)
		check_policy_exec(o.policy_file, o.quiet);
	opts_build_request(&o, &req);
	status = run_request(&o, &req);
	if (fflush(stdout) != 0) {
		log_warn("cannot write to standard output: %s",
			 strerror(errno));
		return 125;
	}
	return status;
}
