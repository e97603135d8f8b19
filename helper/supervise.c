/*
 * Step 10: supervision. One poll loop over the job's pidfd, a timerfd
 * for the wall-clock limit, the client's socket, and a signalfd for the
 * signals that tell the helper to stop (SIGTERM, SIGHUP, SIGINT: an
 * admin, a shutdown, Slurm's scancel); no signal handlers, so nothing
 * races. The helper is a child subreaper: whatever the job
 * double-forks or setsid()s away reparents here, and is killed and
 * reaped before the result goes out. The helper's uids are all 0, so
 * the caller can neither signal nor trace it to escape the limits.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../shared/log.h"
#include "../shared/util.h"
#include "helper.h"

enum client_event { CLIENT_OK, CLIENT_END, CLIENT_GONE, CLIENT_BAD };

/* Before the job has any resource: from here on a signal telling the
 * helper to stop waits, blocked, until the loop reads it and ends the
 * job; before, it finds nothing to leave behind. Every child resets its
 * mask before it execs. */
void supervise_prepare(struct job *j)
{
	sigset_t sigs;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1)
		job_fail(j, "PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGINT);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) == -1 ||
	    (j->stop_fd = signalfd(-1, &sigs, SFD_CLOEXEC)) == -1)
		job_fail(j, "signalfd: %s", strerror(errno));
}

/* A pid as /proc writes it, or 0. */
static pid_t pid_of(const char *s)
{
	uint64_t v;

	return parse_u64(s, INT_MAX, &v) == 0 ? (pid_t)v : 0;
}

static void signal_pids_in(FILE *f, int sig)
{
	char tok[24];
	pid_t pid;

	while (fscanf(f, "%23s", tok) == 1)
		if ((pid = pid_of(tok)) > 1)
			(void)kill(pid, sig);
}

/* Scan /proc when the kernel lacks /proc/PID/task/TID/children. */
static void signal_children_scan(pid_t self, int sig)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	while (d && (e = readdir(d)) != NULL) {
		char path[300], comm_end[512], ppid[24];
		FILE *f;
		char *p;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		/* comm may hold spaces and parens: parse after the last ')'. */
		if (fgets(comm_end, sizeof(comm_end), f) &&
		    (p = strrchr(comm_end, ')')) != NULL &&
		    sscanf(p + 1, " %*c %23s", ppid) == 1 &&
		    pid_of(ppid) == self && pid_of(e->d_name) > 1)
			(void)kill(pid_of(e->d_name), sig);
		fclose(f);
	}
	if (d)
		closedir(d);
}

static void signal_children(int sig)
{
	char path[64];
	pid_t self = getpid();
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", self, self);
	if ((f = fopen(path, "re")) == NULL) {
		signal_children_scan(self, sig);
		return;
	}
	signal_pids_in(f, sig);
	fclose(f);
}

/* The whole job: the tier's own kill, the cgroup, the process group
 * (while its leader is unreaped), and everything reparented to the
 * helper. */
static void kill_job(struct job *j)
{
	if (j->ops->kill)
		j->ops->kill(j);
	cg_kill(&j->cg);
	if (!j->main_reaped)
		(void)kill(-j->pid, SIGKILL);
	signal_children(SIGKILL);
}

/* sig to every process of the job, the same ones kill_job reaches, and
 * to each once: a second copy reaches a handler that ran in between
 * twice (a job that takes a second SIGTERM for "stop now"). The job's
 * cgroup lists all of them (nothing leaves it without privilege);
 * without one, the process group and what reparented to the helper. */
static void signal_job(struct job *j, int sig)
{
	if (j->ops->signal) {
		j->ops->signal(j, sig);
		return;
	}
	if (cg_signal(&j->cg, sig))
		return;
	if (!j->main_reaped)
		(void)kill(-j->pid, sig);
	signal_children(sig);
}

/* SIGCONT: the client resumes a job stopped on its terminal (fg). */
static bool forwardable(int32_t signo)
{
	return signo == SIGINT || signo == SIGTERM || signo == SIGHUP ||
	       signo == SIGQUIT || signo == SIGCONT;
}

static enum client_event client_message(struct job *j)
{
	static uint8_t buf[PROTO_MAX_MSG];
	long n = proto_recv(j->sock, buf, sizeof(buf));
	int32_t signo;

	if (n <= 0)
		return CLIENT_GONE;
	if (proto_peek_type(buf, (size_t)n) != MSG_SIGNAL ||
	    proto_decode_signal(buf, (size_t)n, &signo) == -1 ||
	    !forwardable(signo))
		return CLIENT_BAD;
	/* Ctrl-C or a kill of the client asks for the end of the job: it
	 * ends as on a timeout, so a job that ignores the signal cannot
	 * outlive the grace period. */
	if (signo == SIGINT || signo == SIGTERM)
		return CLIENT_END;
	if (j->ops->signal)
		j->ops->signal(j, signo);
	else
		(void)kill(-j->pid, signo);
	return CLIENT_OK;
}

/* The timeout counts from the fork, so it covers the job's start. */
uint64_t supervise_deadline(const struct job *j)
{
	return j->start_ms + j->dec.lim.v[LIM_TIMEOUT_S] * 1000;
}

static int arm_timer(uint64_t deadline_ms)
{
	struct itimerspec its = {
		.it_value = {(time_t)(deadline_ms / 1000),
			     (long)(deadline_ms % 1000) * 1000000},
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	if (fd == -1 ||
	    timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		return -1;
	return fd;
}

/* What wait_main polls. */
enum { W_JOB, W_TIMER, W_CLIENT, W_STATE, W_STOP, W_COUNT };

struct watch {
	struct pollfd pf[W_COUNT];
	bool ending; /* SIGTERM sent: the timer now ends the grace period */
};

/* Ending the job, whatever the reason (timeout, the client gone or
 * interrupted, KILL_NONE: the job's own status is the result):
 * SIGTERM to every process of it now, SIGKILL when the grace period is
 * over, as timeout(1) --kill-after and docker stop do. SIGCONT lets a
 * stopped process see the SIGTERM. The first reason is the one
 * reported. */
static void end_job(struct job *j, struct watch *w, int reason)
{
	struct itimerspec grace = {
		.it_value = {(time_t)j->dec.lim.v[LIM_KILL_GRACE_S], 0},
	};

	if (j->res.killed_reason == KILL_NONE)
		j->res.killed_reason = (uint8_t)reason;
	if (w->ending)
		return;
	w->ending = true;
	signal_job(j, SIGTERM);
	signal_job(j, SIGCONT);
	if (timerfd_settime(w->pf[W_TIMER].fd, 0, &grace, NULL) == -1)
		kill_job(j);
}

/* Now, without a grace period: the loop cannot go on. */
static void kill_now(struct job *j, int reason)
{
	if (j->res.killed_reason == KILL_NONE)
		j->res.killed_reason = (uint8_t)reason;
	kill_job(j);
}

static void timer_expired(struct job *j, struct watch *w)
{
	if (w->ending) {
		kill_job(j);
		w->pf[W_TIMER].fd = -1;
		return;
	}
	j->res.timed_out = 1;
	end_job(j, w, KILL_TIMEOUT);
}

/* Job control, only for a job with a terminal: SIGCHLD tells that the
 * main process (the helper's child) may have stopped or continued. */
static int state_fd(struct job *j)
{
	sigset_t set;

	if (j->pty_fd < 0)
		return -1;
	if (j->ops->state_fd)
		return j->ops->state_fd(j);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* The main process's last change of state, without reaping it. */
static int main_state(struct job *j, int fd)
{
	struct signalfd_siginfo ssi;
	siginfo_t si;
	int state = 0;

	while (read(fd, &ssi, sizeof(ssi)) == (ssize_t)sizeof(ssi))
		;
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PIDFD, (id_t)j->pidfd, &si,
			   WSTOPPED | WCONTINUED | WNOHANG) == -1 ||
		    si.si_pid == 0)
			return state;
		state = si.si_code == CLD_CONTINUED ? JOB_CONTINUED
						   : JOB_STOPPED;
	}
}

/* Tell the client, which hands the terminal back to the shell. Never
 * waiting: a stopped client must not hold the loop (and its timeout)
 * while a job stops and continues itself over and over. */
static void state_changed(struct job *j, struct watch *w)
{
	uint8_t buf[64];
	int state = j->ops->state ? j->ops->state(j)
				  : main_state(j, w->pf[W_STATE].fd);
	size_t n;

	if (state == -1) {
		w->pf[W_STATE].fd = -1;
		return;
	}
	if (state != 0 && (n = proto_encode_job_state(state, buf,
						      sizeof(buf))) > 0)
		(void)proto_send_nowait(j->sock, buf, n);
}

/* A signal to the helper itself: said on the caller's stderr and in the
 * audit trail, then the job ends as any other, grace period included
 * (no kill reason: the lines say why). */
static void told_to_stop(struct job *j, struct watch *w)
{
	struct signalfd_siginfo si;

	if (read(j->stop_fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	log_warn("job %s ended: the helper got SIG%s from pid %u", j->job_id,
		 sigabbrev_np((int)si.ssi_signo), si.ssi_pid);
	log_audit(LOG_WARNING, "job=%s: SIG%s from pid=%u uid=%u: job ended",
		  j->job_id, sigabbrev_np((int)si.ssi_signo), si.ssi_pid,
		  si.ssi_uid);
	w->pf[W_STOP].fd = -1;
	end_job(j, w, KILL_NONE);
}

/* Until the main process ends. Returns false on a protocol error. */
static bool wait_main(struct job *j)
{
	int tfd = arm_timer(supervise_deadline(j)), sfd = state_fd(j);
	struct watch w = {.pf = {
		[W_JOB] = {.fd = j->pidfd, .events = POLLIN},
		[W_TIMER] = {.fd = tfd, .events = POLLIN},
		[W_CLIENT] = {.fd = j->sock, .events = POLLIN},
		[W_STATE] = {.fd = sfd, .events = POLLIN},
		[W_STOP] = {.fd = j->stop_fd, .events = POLLIN},
	}};
	bool ok = true;

	if (tfd == -1) {
		kill_now(j, KILL_CLIENT_GONE);
		job_fail(j, "timerfd: %s", strerror(errno));
	}
	while (!(w.pf[W_JOB].revents & (POLLIN | POLLHUP | POLLERR))) {
		if (poll(w.pf, W_COUNT, -1) == -1) {
			if (errno == EINTR)
				continue;
			kill_now(j, KILL_CLIENT_GONE);
			job_fail(j, "poll: %s", strerror(errno));
		}
		if (w.pf[W_TIMER].revents & POLLIN)
			timer_expired(j, &w);
		if (w.pf[W_STATE].revents)
			state_changed(j, &w);
		if (w.pf[W_CLIENT].revents) {
			enum client_event ev = client_message(j);

			if (ev == CLIENT_BAD) {
				ok = false;
				kill_now(j, KILL_CLIENT_GONE);
			} else if (ev == CLIENT_GONE) {
				end_job(j, &w, KILL_CLIENT_GONE);
			} else if (ev == CLIENT_END) {
				end_job(j, &w, KILL_NONE);
			}
			if (ev == CLIENT_GONE || ev == CLIENT_BAD)
				w.pf[W_CLIENT].fd = -1;
		}
		if (w.pf[W_STOP].revents & POLLIN)
			told_to_stop(j, &w);
	}
	close(tfd);
	if (sfd != -1 && !j->ops->state_fd)
		close(sfd);
	return ok;
}

static uint64_t tv_ms(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000 + (uint64_t)tv->tv_usec / 1000;
}

/* Whatever the main process left behind, until the helper has no child
 * left at all. */
static void reap_everything(struct job *j)
{
	for (;;) {
		kill_job(j);
		if (waitpid(-1, NULL, 0) == -1 && errno == ECHILD)
			return;
	}
}

static void fill_reason(struct job *j, int status, uint64_t main_cpu_ms)
{
	struct result *r = &j->res;
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;

	if (r->killed_reason != KILL_NONE)
		return;
	if (cg_oom_killed(&j->cg))
		r->killed_reason = KILL_MEMORY;
	else if (sig == SIGXCPU ||
		 (sig == SIGKILL &&
		  main_cpu_ms >= j->dec.lim.v[LIM_CPU_SECONDS] * 1000))
		r->killed_reason = KILL_CPU;
}

static void collect(struct job *j)
{
	struct result *r = &j->res;
	struct rusage ru, all;
	int status = 0;
	uint64_t main_cpu;

	while (wait4(j->pid, &status, 0, &ru) == -1 && errno == EINTR)
		;
	j->main_reaped = true;
	if (j->ops->status)
		status = j->ops->status(j, status);
	r->wall_ms = now_ms() - j->start_ms;
	reap_everything(j);
	main_cpu = tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime);
	r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	r->max_rss_kb = (uint64_t)ru.ru_maxrss;
	if (cg_cpu_ms(&j->cg, &r->cpu_ms) == -1) {
		/* Every descendant was reaped here, so this covers them. */
		getrusage(RUSAGE_CHILDREN, &all);
		r->cpu_ms = tv_ms(&all.ru_utime) + tv_ms(&all.ru_stime);
	}
	fill_reason(j, status, main_cpu);
	if (j->ops->finish)
		j->ops->finish(j, status);
}

void supervise(struct job *j)
{
	bool ok = wait_main(j);

	collect(j);
	close(j->pidfd);
	j->pidfd = -1;
	if (!ok)
		job_fail(j, "unexpected message from the client; job killed");
}
