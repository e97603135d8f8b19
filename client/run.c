/* The client's side of the protocol and the poll loop of a running job. */
#include "client/run.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "client/capture.h"
#include "client/json.h"
#include "client/render.h"
#include "client/spawn.h"
#include "client/term.h"
#include "shared/log.h"

/* After the result, how long the job's pipes, its terminal and the
 * helper may take to end: a straggler must not hold the client forever. */
#define GRACE_MS 5000

static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static uint8_t msg[PROTO_MAX_MSG];
static struct verdict verdict;
static bool have_verdict;
static struct listing listing;
/* --json: the object goes out as the job's stdout comes in. */
static struct json_out report_out;
static struct json_text report_stdout;
static bool report_begun, report_ended;

struct session;
static struct session *current; /* for a die() while it runs */
static void on_die(const char *text);

struct session {
	const struct opts *o;
	struct helper h;
	int sigfd;
	sigset_t oldmask;
	struct capture out, err; /* --json only; out streams to report_stdout */
	struct term t;           /* the job's terminal; t.master -1 without */
	struct result res;
	bool have_result, helper_done;
};

/* A signal the caller ignores (nohup, a shell's background job) is not
 * forwarded: the job must not die of what the caller chose to ignore.
 * With a terminal for the job, the client also handles SIGWINCH (the
 * size), SIGTSTP and SIGCONT (job control) itself. */
static void forwarded_set(sigset_t *set, bool term)
{
	struct sigaction sa;
	size_t i;

	sigemptyset(set);
	for (i = 0; i < sizeof(forwarded_signals) / sizeof(int); i++)
		if (sigaction(forwarded_signals[i], NULL, &sa) == 0 &&
		    sa.sa_handler != SIG_IGN)
			sigaddset(set, forwarded_signals[i]);
	if (term) {
		sigaddset(set, SIGWINCH);
		sigaddset(set, SIGTSTP);
		sigaddset(set, SIGCONT);
	}
}

static bool local_signal(int signo)
{
	return signo == SIGWINCH || signo == SIGTSTP || signo == SIGCONT;
}

static void put_stdout(void *arg, const char *p, size_t n)
{
	json_text_put(arg, p, n);
}

/* Signals arrive through a signalfd, read in the poll loop: no handler
 * runs at an arbitrary point (and none may be installed: spawn.c's
 * child shares our memory). The helper gets the caller's own mask. */
static void session_start(struct session *s, const struct opts *o)
{
	sigset_t set;

	memset(s, 0, sizeof(*s));
	s->o = o;
	s->t.master = s->t.slave = -1;
	if (o->pty)
		term_open(&s->t);
	forwarded_set(&set, o->pty);
	if (sigprocmask(SIG_BLOCK, &set, &s->oldmask) < 0)
		die("cannot block signals: %s", strerror(errno));
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sigfd < 0)
		die("cannot create a signalfd: %s", strerror(errno));
	current = s;
	log_set_die_hook(on_die);
	helper_spawn(&s->h, o->json, o->pty ? &s->t : NULL, &s->oldmask);
	capture_init_sink(&s->out, s->h.out, 0, put_stdout, &report_stdout);
	capture_init(&s->err, s->h.err, 0);
	s->helper_done = s->h.pidfd < 0; /* nothing to wait on then */
}

/* block: wait for the helper to exit; else only reap it if it already
 * did (a helper that misbehaves must not hold the client). */
static void session_end(struct session *s, bool block)
{
	term_restore(&s->t);
	helper_reap(&s->h, block);
	capture_free(&s->out);
	capture_free(&s->err);
	close(s->sigfd);
}

/* A signal before the job runs ends the client as that signal would
 * have; the helper sees the socket close and abandons the request. */
static void __attribute__((noreturn)) die_of_signal(struct session *s,
						    int signo)
{
	sigset_t set;

	term_restore(&s->t);
	close(s->h.sock);
	signal(signo, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, signo);
	raise(signo);
	/* raise() returns: signo is still blocked; unblocking delivers it. */
	// cppcheck-suppress unreachableCode
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	exit(128 + signo);
}

/* The next pending signal, or 0. */
static int next_signal(struct session *s)
{
	struct signalfd_siginfo si;

	if (read(s->sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

static void forward_signal(struct session *s, int signo)
{
	uint8_t buf[64];
	size_t n = proto_encode_signal(signo, buf, sizeof(buf));

	/* A send failure means the helper is gone: the loop sees it. */
	if (n > 0)
		(void)proto_send(s->h.sock, buf, n);
}

static bool socket_ready(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

/* With --json the helper's own reason went into the stderr pipe: show
 * what is there, without waiting on a job that may still hold it. */
static void show_helper_stderr(struct session *s)
{
	struct pollfd p = { .fd = s->err.fd, .events = POLLIN };

	if (s->err.limit == 0)
		s->err.limit = 65536;
	while (s->err.fd >= 0 && poll(&p, 1, 100) > 0 &&
	       capture_read(&s->err) > 0)
		;
	if (s->err.len > 0)
		(void)!write(2, s->err.buf, s->err.len);
}

static void fail_json(struct session *s, int status, const char *why);

static int no_result(struct session *s)
{
	static const char why[] = "the helper ended without a result";

	term_drain(&s->t);
	term_restore(&s->t);
	show_helper_stderr(s);
	log_warn("%s", why);
	fail_json(s, 125, why);
	session_end(s, true);
	return 125;
}

static int malformed(struct session *s)
{
	static const char why[] = "malformed message from the helper";

	term_restore(&s->t);
	log_warn("%s", why);
	fail_json(s, 125, why);
	session_end(s, false);
	return 125;
}

/* Waits for the helper's one answer. Returns its length, or 0 when the
 * helper ended without one. */
static size_t await_answer(struct session *s)
{
	struct pollfd p[3] = {
		{ .fd = s->h.sock, .events = POLLIN },
		{ .fd = s->sigfd, .events = POLLIN },
		{ .fd = s->h.pidfd, .events = POLLIN },
	};
	long n;
	int signo;

	for (;;) {
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (p[1].revents && (signo = next_signal(s)) != 0) {
			if (signo == SIGWINCH)
				term_winsize(&s->t);
			else if (!local_signal(signo))
				die_of_signal(s, signo);
		}
		if (p[2].revents && !socket_ready(s->h.sock))
			return 0;
		if (p[0].revents || p[2].revents)
			break;
	}
	n = proto_recv(s->h.sock, msg, sizeof(msg));
	return n > 0 ? (size_t)n : 0;
}

static int denial_status(uint8_t status)
{
	return status == 126 || status == 127 ? status : 125;
}

static int answer_list(struct session *s, size_t n)
{
	int type = proto_peek_type(msg, n);

	if (type == MSG_VERDICT && proto_decode_verdict(msg, n, &verdict) == 0 &&
	    verdict.status != 0) {
		have_verdict = true;
		log_warn("%s", verdict.message);
		session_end(s, true);
		return denial_status(verdict.status);
	}
	if (type != MSG_LISTING || proto_decode_listing(msg, n, &listing) != 0)
		return malformed(s);
	session_end(s, true);
	render_listing(stdout, &listing);
	return 0;
}

static int answer_dry_run(struct session *s, size_t n)
{
	if (proto_decode_verdict(msg, n, &verdict) != 0)
		return malformed(s);
	session_end(s, true);
	render_dry_run(stdout, &verdict);
	return verdict.status == 0 ? 0 : denial_status(verdict.status);
}

static int exit_status_of(const struct result *r)
{
	if (r->timed_out)
		return 124;
	if (r->signal > 0 && r->signal < 128)
		return 128 + r->signal;
	if (r->exit_code >= 0 && r->exit_code <= 255)
		return r->exit_code;
	return 125;
}

/* The job runs: from here on its stdout streams into the object. */
static void begin_json(void)
{
	json_out_init(&report_out, STDOUT_FILENO);
	json_report_begin(&report_out, &report_stdout);
	report_begun = true;
}

/* The one object, whatever happened: a result, or (error set) why there
 * is none. s is NULL before the helper started. */
static int end_json(const struct session *s, const struct result *res,
		    const char *workdir, const char *error)
{
	struct json_report r = {
		.out = { NULL, 0, s && s->out.truncated,
			 verdict.max_output_bytes },
		.err = { s ? s->err.buf : NULL, s ? s->err.len : 0,
			 s && s->err.truncated, verdict.max_output_bytes },
		.tier = have_verdict ? tier_name(verdict.tier) : NULL,
		.res = res,
		.workdir = workdir,
		.error = error,
	};

	if (report_ended)
		return 0;
	if (!report_begun)
		begin_json();
	report_ended = true;
	json_report_end(&report_stdout, &r);
	if (json_out_flush(&report_out) != 0) {
		log_warn("cannot write the JSON result: %s", strerror(errno));
		return 125;
	}
	return 0;
}

/* A refusal or failure as an object, so stdout parses (--json only). */
static void fail_json(struct session *s, int status, const char *why)
{
	struct result res = { .exit_code = status };

	if (s->o->json)
		(void)end_json(s, &res, NULL, why);
}

static bool json_errors;

/* die() ends with _exit, which runs no atexit handler: the user's
 * terminal comes back out of raw mode here (its line was written with
 * CR LF), then the --json object. */
static void on_die(const char *text)
{
	struct result res = { .exit_code = 125 };

	if (current)
		term_restore(&current->t);
	if (json_errors)
		(void)end_json(current, &res, NULL, text);
}

void run_report_errors_as_json(void)
{
	json_errors = true;
	log_set_die_hook(on_die);
}


enum { P_SOCK, P_PIDFD, P_SIG, P_OUT, P_ERR, P_KEYS, P_JOBTTY, P_COUNT };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void fill_pollfds(const struct session *s, struct pollfd *p)
{
	int i;

	p[P_SOCK].fd = s->have_result ? -1 : s->h.sock;
	p[P_PIDFD].fd = s->helper_done ? -1 : s->h.pidfd;
	p[P_SIG].fd = s->sigfd;
	p[P_OUT].fd = s->out.fd;
	p[P_ERR].fd = s->err.fd;
	p[P_KEYS].fd = term_reading(&s->t) ? s->t.in : -1;
	p[P_JOBTTY].fd = s->t.master;
	for (i = 0; i < P_COUNT; i++) {
		p[i].events = POLLIN;
		p[i].revents = 0;
	}
	if (s->t.len > 0)
		p[P_JOBTTY].events |= POLLOUT;
}

/* The result says the job's last process is gone; the helper sends it
 * before its cleanup (work directory, cgroups), and the client still
 * waits for the helper's exit, up to GRACE_MS: under a Slurm step or a
 * systemd unit the end of the client ends the step or the unit, whose
 * manager then kills whatever is left in it, a helper still removing
 * its cgroups from inside the step's included. */
static bool run_finished(const struct session *s)
{
	return s->have_result && s->helper_done && s->out.fd < 0 &&
	       s->err.fd < 0 && s->t.master < 0;
}

enum { RUN_OK = 0, RUN_NO_RESULT = -1, RUN_MALFORMED = -2 };

/* Give the terminal back to the shell: stop the client's process group
 * as the terminal's ^Z would have (SIGTSTP waits in the signalfd's mask:
 * this one is let through). The SIGCONT of fg or bg resumes it. */
static void suspend_client(struct session *s)
{
	sigset_t tstp;

	term_drain(&s->t);
	term_restore(&s->t);
	sigemptyset(&tstp);
	sigaddset(&tstp, SIGTSTP);
	sigprocmask(SIG_UNBLOCK, &tstp, NULL);
	(void)kill(0, SIGTSTP);
	sigprocmask(SIG_BLOCK, &tstp, NULL);
}

/* The job stopped on its terminal (^Z): the client stops too, so the
 * shell gets its prompt back and the keystrokes typed to it go to it,
 * never to the job. Without a shell that could resume the client, the
 * job is resumed at once. */
static void job_stopped(struct session *s)
{
	if (s->t.master < 0)
		return;
	if (term_can_suspend(&s->t))
		suspend_client(s);
	else
		forward_signal(s, SIGCONT);
}

/* fg or bg: the terminal again if in the foreground, and the job goes
 * on. */
static void client_resumed(struct session *s)
{
	term_take(&s->t);
	if (!s->have_result)
		forward_signal(s, SIGCONT);
}

static void local_event(struct session *s, int signo)
{
	if (signo == SIGWINCH)
		term_winsize(&s->t);
	else if (signo == SIGTSTP)
		suspend_client(s);
	else if (signo == SIGCONT)
		client_resumed(s);
}

static int read_result(struct session *s)
{
	long n = proto_recv(s->h.sock, msg, sizeof(msg));
	int state;

	if (n <= 0)
		return RUN_NO_RESULT;
	if (proto_peek_type(msg, (size_t)n) == MSG_JOB_STATE) {
		if (proto_decode_job_state(msg, (size_t)n, &state) != 0)
			return RUN_MALFORMED;
		if (state == JOB_STOPPED)
			job_stopped(s);
		return RUN_OK;
	}
	if (proto_peek_type(msg, (size_t)n) != MSG_RESULT ||
	    proto_decode_result(msg, (size_t)n, &s->res) != 0)
		return RUN_MALFORMED;
	s->have_result = true;
	return RUN_OK;
}

static void drain(struct capture *c)
{
	if (capture_read(c) < 0)
		log_warn("reading the job's output: %s", strerror(errno));
}

static int handle_events(struct session *s, const struct pollfd *p)
{
	int signo, rc;

	if (p[P_SIG].revents) {
		while ((signo = next_signal(s)) != 0) {
			if (local_signal(signo))
				local_event(s, signo);
			else if (!s->have_result)
				forward_signal(s, signo);
		}
	}
	if (p[P_KEYS].revents)
		term_from_user(&s->t);
	if (p[P_JOBTTY].revents & POLLOUT)
		term_to_job(&s->t);
	if (p[P_JOBTTY].revents & (POLLIN | POLLHUP | POLLERR))
		(void)term_from_job(&s->t);
	if (p[P_OUT].revents)
		drain(&s->out);
	if (p[P_ERR].revents)
		drain(&s->err);
	if (p[P_SOCK].revents && (rc = read_result(s)) != RUN_OK)
		return rc;
	if (p[P_PIDFD].revents) {
		s->helper_done = true;
		if (!s->have_result && !socket_ready(s->h.sock))
			return RUN_NO_RESULT;
	}
	return RUN_OK;
}

/* One loop for everything while the job runs: the helper's messages and
 * exit, the caller's signals, and the job's output (--json). */
static int supervise(struct session *s)
{
	struct pollfd p[P_COUNT];
	uint64_t deadline = 0, now;
	int rc = RUN_OK, timeout;

	while (rc == RUN_OK && !run_finished(s)) {
		fill_pollfds(s, p);
		timeout = -1;
		if (s->have_result) {
			now = now_ms();
			if (deadline == 0)
				deadline = now + GRACE_MS;
			if (now >= deadline)
				break;
			timeout = (int)(deadline - now);
		}
		if (poll(p, P_COUNT, timeout) < 0) {
			if (errno != EINTR)
				die("poll: %s", strerror(errno));
			continue;
		}
		rc = handle_events(s, p);
	}
	return rc;
}

/* Why symbi-exec ended the job, in one line; a job that ended by
 * itself, or whose client went away, gets none. */
static void say_why_killed(const struct result *r)
{
	const uint64_t *v = verdict.lim.v;

	switch (r->killed_reason) {
	case KILL_TIMEOUT:
		log_warn("job killed: wall-clock limit of %" PRIu64
			 " s reached", v[LIM_TIMEOUT_S]);
		break;
	case KILL_MEMORY:
		log_warn("job killed: memory limit of %" PRIu64 " MB reached",
			 v[LIM_MEMORY_MB]);
		break;
	case KILL_CPU:
		log_warn("job killed: CPU time limit of %" PRIu64
			 " s reached", v[LIM_CPU_SECONDS]);
		break;
	case KILL_OUTPUT:
		log_warn("job killed: output limit of %" PRIu64
			 " bytes reached", verdict.max_output_bytes);
		break;
	default:
		break;
	}
}

static int answer_run(struct session *s, size_t n)
{
	const char *kept;
	int rc, status;

	if (proto_peek_type(msg, n) != MSG_VERDICT ||
	    proto_decode_verdict(msg, n, &verdict) != 0)
		return malformed(s);
	have_verdict = true;
	if (verdict.status != 0) {
		log_warn("%s", verdict.message);
		fail_json(s, denial_status(verdict.status), verdict.message);
		session_end(s, true);
		return denial_status(verdict.status);
	}
	s->out.limit = s->err.limit = verdict.max_output_bytes;
	/* Before raw mode, where a bare LF would not return the carriage. */
	if (s->o->verbose) {
		render_summary(stderr, &verdict);
		fflush(stderr);
	}
	term_take(&s->t);
	if (s->o->json)
		begin_json();
	rc = supervise(s);
	term_drain(&s->t);
	term_restore(&s->t);
	/* Without a result the object ends with exit_code 125 and the
	 * error, so that no consumer takes what was streamed for a result. */
	if (rc == RUN_NO_RESULT)
		return no_result(s);
	if (rc == RUN_MALFORMED)
		return malformed(s);
	status = exit_status_of(&s->res);
	if (!s->o->quiet && s->res.killed_reason != KILL_NONE) {
		term_end_line(&s->t);
		say_why_killed(&s->res);
	}
	kept = s->o->keep_workdir && !s->o->workdir && verdict.workdir[0]
		       ? verdict.workdir : NULL;
	if (s->o->json && end_json(s, &s->res, kept, NULL) != 0)
		status = 125;
	/* Even with -q: the user must learn what to clean up. */
	if (kept)
		log_warn("work directory kept: %s", kept);
	session_end(s, s->helper_done);
	return status;
}

int run_request(const struct opts *o, const struct request *req)
{
	static struct session s;
	size_t len = proto_encode_request(req, msg, sizeof(msg));

	if (len == 0)
		die("cannot encode the request: a value breaks a protocol "
		    "limit");
	session_start(&s, o);
	if ((o->pty ? proto_send_fd(s.h.sock, msg, len, s.t.slave)
		    : proto_send(s.h.sock, msg, len)) != 0)
		return no_result(&s);
	/* The job's terminal is the helper's now: the master sees its end
	 * once the last holder of the slave is gone. */
	if (s.t.slave >= 0) {
		close(s.t.slave);
		s.t.slave = -1;
	}
	len = await_answer(&s);
	if (len == 0)
		return no_result(&s);
	switch (o->action) {
	case ACT_LIST: return answer_list(&s, len);
	case ACT_DRY_RUN: return answer_dry_run(&s, len);
	default: return answer_run(&s, len);
	}
}
