/*
 * rawclient: a hostile symbi-exec client, for the adversarial tests only
 * (never installed). It starts the helper exactly as the real client does
 * (socketpair SOCK_SEQPACKET, fork, the socket on fd 3, exec) and then
 * sends the wire traffic a MODE names, or probes a running helper.
 *
 *   rawclient [OPTIONS] HELPER MODE [-- COMMAND [ARG...]]
 *   rawclient probe PID
 *
 * The exit status says whether the expected outcome happened: 0 yes, 1 no
 * (a violation, described on stdout), 2 usage or setup error. Expected:
 * "valid" runs the job (and, with -m, the job wrote into the marker
 * directory); every other mode is refused: the helper exits by itself,
 * not by a signal, with status 125 or after a denial verdict, within the
 * deadline, and nothing appears in the marker directory. "forbidden"
 * sends the request as built (-t, -l, -e ... ask for what the policy
 * denies) and expects that refusal. "repeat" sends the request twice:
 * the first may be answered, the second must end the job and the helper
 * with 125 before the job writes its marker (give it a slow job and -W).
 * "mutate" sends N mutated copies of the valid request: a copy the
 * decoder refuses must be refused as above; a copy that still decodes is
 * a legal request, and it must only end in time without the helper
 * crashing.
 *
 * -c sets REQ_WORKDIR_CHOSEN (as -C DIR does), -K REQ_KEEP_WORKDIR, -j
 * REQ_CAPTURE (as --json does), -i an image.
 *
 * -M list|dry-run sends the request, built as a run, in that mode (the
 * byte is patched on the wire, so combinations the encoder refuses go
 * out too; with -M list and no COMMAND, none is sent). Then "valid"
 * expects the answer alone: the listing (list) or an allowing verdict
 * (dry-run), exit 0, nothing run; a refusal expects no listing either.
 *
 * -P WHAT asks for a terminal (REQ_PTY) and passes WHAT with the
 * request: "new" a fresh pty slave (the sound case), "master" a fresh
 * pty's master, "stdin" the caller's fd 0, "fd:N" an inherited fd,
 * "none" nothing at all, else a path opened read-write.
 *
 * One line per helper run on stdout:
 *   run MODE verdict=S|none exit=N|signal=N marker=yes|no -> ok|VIOLATION
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shared/proto.h"
#include "shared/util.h"
#include "tests/tools/lib/toolkit.h"

#define REC_MAX (PROTO_MAX_MSG + 4096)
#define OFF_MODE 12
#define OFF_TIER 13
#define OFF_FLAGS 14
#define OFF_LIMITS 18 /* u32 set, then LIM_COUNT u64 */
#define OFF_AFTER_LIMITS (OFF_LIMITS + 4 + 8 * LIM_COUNT)

struct opts {
	const char *helper;
	const char *mode;
	const char *marker_dir; /* NULL: no marker check */
	const char *argv0;      /* argv[0] given to the helper */
	bool argc0;             /* exec the helper with argc 0 */
	bool quiet;             /* helper's stdout and stderr to /dev/null */
	unsigned iterations;    /* mutate */
	uint64_t seed;          /* mutate */
	int deadline_s;         /* per helper run */
	int settle_s;           /* wait this long before the marker check */
	int pty_fd;             /* -P: passed with the request, or -1 */
	int wire_mode;          /* -M: the mode byte sent, or -1 */
	struct request req;
};

static const char usage_text[] =
	"usage: rawclient [-q] [-m DIR] [-W SECONDS] [-N COUNT] [-s SEED] [-T SECONDS]\n"
	"                 [-t TIER] [-l LIMIT=VALUE] [-n] [-w DIR] [-c] [-K] [-j]\n"
	"                 [-M list|dry-run]\n"
	"                 [-i IMAGE] [-e NAME=VALUE]\n"
	"                 [-v VOLUME] [-A ARGV0 | -0] [-P new|master|stdin|fd:N|none|PATH]\n"
	"                 HELPER MODE [-- COMMAND...]\n"
	"       rawclient probe PID\n"
	"modes: valid bad-magic bad-version short-header length-mismatch\n"
	"       truncated truncate-all oversized trailing empty eof repeat\n"
	"       signal-first unknown-type reply-type fd-pass zero-limit\n"
	"       unknown-flag bad-tier bad-mode nul-arg huge-count long-string\n"
	"       forbidden mutate\n";

/* ------------------------------------------------------------ request */

/* "-l max_memory_mb=4096": raw values, 0 included (patched on the wire). */
static uint64_t zero_limits; /* bit id: send v[id] = 0 with its set bit */

static void set_limit(struct request *r, const char *arg)
{
	const char *value;
	int id = tk_limit_arg(arg, &value);
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(value, &end, 0);
	if (errno || *end || end == value)
		tk_usage();
	r->lim.set |= 1u << id;
	r->lim.v[id] = v ? v : 1;
	if (!v)
		zero_limits |= 1u << id;
}

static size_t encode(const struct opts *o, uint8_t *buf)
{
	size_t n = tk_encode(&o->req, buf, REC_MAX);
	int id;

	for (id = 0; id < LIM_COUNT; id++)
		if (zero_limits & (1u << id))
			memset(buf + OFF_LIMITS + 4 + (size_t)id * 8, 0, 8);
	if (o->wire_mode >= 0)
		buf[OFF_MODE] = (uint8_t)o->wire_mode;
	return n;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Make the header's payload length agree with a record of len bytes. */
static void fix_length(uint8_t *buf, size_t len)
{
	if (len >= PROTO_HDR_LEN)
		put_u32(buf + 8, (uint32_t)(len - PROTO_HDR_LEN));
}

/* Offset of argc: after the limits and the two optional strings. */
static size_t argc_offset(const struct request *r)
{
	size_t off = OFF_AFTER_LIMITS + 2;

	if (r->workdir)
		off += 4 + strlen(r->workdir);
	if (r->image)
		off += 4 + strlen(r->image);
	return off;
}

/* ------------------------------------------------------------- helper */

static pid_t spawn_helper(const struct opts *o, int *sock)
{
	char *argv[] = { (char *)(o->argv0 ? o->argv0 : "symbi-exec-helper"),
			 NULL };
	char *empty[] = { NULL };

	return tk_spawn(o->helper, o->argc0 ? empty : argv, o->quiet, -1, sock);
}

static void send_with_fd(int sock, const uint8_t *buf, size_t len, int fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		tk_fail("sendmsg SCM_RIGHTS");
}

static bool refused(const struct tk_outcome *o)
{
	return !o->hung && o->exited && !o->marker && o->verdict != 0 &&
	       !o->listing_seen && (o->code == 125 || o->verdict > 0);
}

/* -M list: the listing; -M dry-run: an allowing verdict; nothing run. */
static bool answered(const struct tk_outcome *o, int mode)
{
	return !o->hung && o->exited && o->code == 0 && !o->marker &&
	       !o->result_seen &&
	       (mode == MODE_LIST ? o->listing_seen && !o->verdict_seen
				  : o->verdict == 0 && !o->listing_seen);
}

static bool ran(const struct tk_outcome *o, bool want_marker)
{
	return !o->hung && o->exited && o->verdict == 0 &&
	       (o->marker || !want_marker);
}

/* Answered, then ended with 125 before the job could do anything. */
static bool killed_mid_run(const struct tk_outcome *o)
{
	return !o->hung && o->exited && o->code == 125 && !o->marker;
}

static void report(const char *mode, const struct tk_outcome *o, bool good)
{
	printf("run %s verdict=", mode);
	if (o->verdict < 0)
		printf("none");
	else
		printf("%d", o->verdict);
	printf(" %s=%d marker=%s%s%s -> %s", o->exited ? "exit" : "signal",
	       o->code, o->marker ? "yes" : "no",
	       o->listing_seen ? " listing" : "", o->hung ? " HUNG" : "",
	       good ? "ok" : "VIOLATION");
	if (o->message[0])
		printf(" (%s)", o->message);
	putchar('\n');
	fflush(stdout);
}

/* One helper run: send what the mode calls for, then watch the outcome. */
typedef void (*sender)(int sock, uint8_t *buf, size_t len, const struct opts *o);

static struct tk_outcome run_one(const struct opts *o, sender send_fn,
				 uint8_t *buf, size_t len)
{
	struct tk_outcome out = { .verdict = -1 };
	int sock;
	pid_t pid = spawn_helper(o, &sock);

	send_fn(sock, buf, len, o);
	tk_collect(sock, pid, o->deadline_s, &out);
	if (o->settle_s > 0)
		sleep((unsigned)o->settle_s);
	out.marker = tk_marker_seen(o->marker_dir);
	return out;
}

/* -------------------------------------------------------------- modes */

static void s_plain(int sock, uint8_t *buf, size_t len, const struct opts *o)
{
	if (o->pty_fd >= 0)
		send_with_fd(sock, buf, len, o->pty_fd);
	else
		tk_send(sock, buf, len);
}

static void s_repeat(int sock, uint8_t *buf, size_t len, const struct opts *o)
{
	tk_send(sock, buf, len);
	tk_send(sock, buf, len);
}

static void s_signal_first(int sock, uint8_t *buf, size_t len,
			   const struct opts *o)
{
	uint8_t sig[64];
	size_t n = proto_encode_signal(SIGTERM, sig, sizeof(sig));

	tk_send(sock, sig, n);
	tk_send(sock, buf, len);
}

static void s_fd_pass(int sock, uint8_t *buf, size_t len, const struct opts *o)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		tk_fail("open /");
	send_with_fd(sock, buf, len, fd);
	close(fd);
}

static void s_eof(int sock, uint8_t *buf, size_t len, const struct opts *o)
{
	shutdown(sock, SHUT_WR);
}

static void s_empty(int sock, uint8_t *buf, size_t len, const struct opts *o)
{
	tk_send(sock, buf, 0);
	tk_send(sock, buf, len);
}

/* Rewrite the valid record in buf (len) for a mode; returns the new
 * length, or 0 if the mode is not a rewrite. */
static size_t rewrite(const char *mode, uint8_t *buf, size_t len,
		      const struct request *r)
{
	size_t ac = argc_offset(r);

	if (strcmp(mode, "bad-magic") == 0)
		buf[0] ^= 0x20;
	else if (strcmp(mode, "bad-version") == 0)
		buf[4] = PROTO_VERSION + 1;
	else if (strcmp(mode, "short-header") == 0)
		return 8;
	else if (strcmp(mode, "length-mismatch") == 0)
		put_u32(buf + 8, (uint32_t)(len - PROTO_HDR_LEN + 1));
	else if (strcmp(mode, "truncated") == 0)
		fix_length(buf, --len);
	else if (strcmp(mode, "trailing") == 0) {
		memset(buf + len, 0, 4);
		fix_length(buf, len += 4);
	} else if (strcmp(mode, "oversized") == 0) {
		memset(buf + len, 'A', PROTO_MAX_MSG + 1 - len);
		fix_length(buf, len = PROTO_MAX_MSG + 1);
	} else if (strcmp(mode, "unknown-type") == 0)
		buf[6] = 99;
	else if (strcmp(mode, "reply-type") == 0)
		buf[6] = MSG_VERDICT;
	else if (strcmp(mode, "unknown-flag") == 0)
		buf[OFF_FLAGS + 3] |= 0x80;
	else if (strcmp(mode, "bad-tier") == 0) {
		buf[OFF_TIER] = 77;
		buf[OFF_FLAGS] |= REQ_TIER_SET;
	} else if (strcmp(mode, "bad-mode") == 0)
		buf[OFF_MODE] = 9;
	else if (strcmp(mode, "zero-limit") == 0) {
		buf[OFF_LIMITS] |= 1; /* memory set, value 0 */
		memset(buf + OFF_LIMITS + 4, 0, 8);
	} else if (strcmp(mode, "nul-arg") == 0)
		buf[ac + 8] = '\0'; /* argv[0]'s first byte */
	else if (strcmp(mode, "huge-count") == 0)
		put_u32(buf + ac, 0xffffffffu);
	else if (strcmp(mode, "long-string") == 0)
		put_u32(buf + ac + 4, 0xfffffff0u);
	else
		return 0;
	return len;
}

static sender sender_for(const char *mode)
{
	static const struct {
		const char *name;
		sender fn;
	} t[] = {
		{ "valid", s_plain },	     { "forbidden", s_plain },
		{ "repeat", s_repeat },
		{ "signal-first", s_signal_first },
		{ "fd-pass", s_fd_pass },    { "eof", s_eof },
		{ "empty", s_empty },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(mode, t[i].name) == 0)
			return t[i].fn;
	return NULL;
}

/* xorshift64*: a fixed seed gives the same mutations on every run. */
static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32) % n;
}

static size_t mutate_once(uint8_t *buf, size_t len)
{
	static const uint32_t odd[] = { 0, 1, 0x7f, 0x80, 0xff, 0xffff,
					0x7fffffff, 0xffffffff, 4096, 65536 };
	uint32_t at = rnd((uint32_t)len);

	switch (rnd(5)) {
	case 0: /* flip a bit */
		buf[at] ^= (uint8_t)(1u << rnd(8));
		break;
	case 1: /* an odd byte */
		buf[at] = (uint8_t)odd[rnd(10)];
		break;
	case 2: /* an odd u32 */
		if (at + 4 <= len)
			put_u32(buf + at, odd[rnd(10)]);
		break;
	case 3: /* cut */
		return at;
	default: /* insert random bytes */
		if (len + 8 < REC_MAX) {
			uint32_t k = 1 + rnd(8), i;

			memmove(buf + at + k, buf + at, len - at);
			for (i = 0; i < k; i++)
				buf[at + i] = (uint8_t)rnd(256);
			return len + k;
		}
	}
	return len;
}

static int run_mutate(const struct opts *o, const uint8_t *base, size_t blen)
{
	static uint8_t buf[REC_MAX];
	static struct request scratch;
	unsigned i, refusals = 0, legal = 0, bad = 0;

	rng_state = o->seed ? o->seed : 1;
	for (i = 0; i < o->iterations; i++) {
		size_t len = blen;
		unsigned k = 1 + rnd(4), j;
		struct tk_outcome out;
		bool decodes, good;

		memcpy(buf, base, blen);
		for (j = 0; j < k && len > 0; j++)
			len = mutate_once(buf, len);
		if (rnd(2))
			fix_length(buf, len); /* reach past the framing check */
		decodes = proto_decode_request(buf, len, &scratch) == 0;
		out = run_one(o, s_plain, buf, len);
		good = decodes ? !out.hung && out.exited : refused(&out);
		if (!good) {
			bad++;
			report(decodes ? "mutate(decodes)" : "mutate", &out,
			       false);
		}
		refusals += !decodes;
		legal += decodes;
	}
	printf("mutate runs=%u undecodable=%u decodable=%u violations=%u\n",
	       o->iterations, refusals, legal, bad);
	return bad ? 1 : 0;
}

/* Every proper prefix, each framed as a whole record, must be refused. */
static int run_truncate_all(const struct opts *o, const uint8_t *base,
			    size_t blen)
{
	static uint8_t buf[REC_MAX];
	size_t len;
	unsigned bad = 0;

	for (len = 0; len < blen; len++) {
		struct tk_outcome out;

		memcpy(buf, base, blen);
		fix_length(buf, len);
		out = run_one(o, s_plain, buf, len);
		if (!refused(&out)) {
			bad++;
			report("truncate-all", &out, false);
		}
	}
	printf("truncate-all runs=%zu violations=%u\n", blen, bad);
	return bad ? 1 : 0;
}

/* -------------------------------------------------------------- probe */

/* Only a permission error counts as refused: EFAULT, EBADF, ETXTBSY...
 * come after the permission check, so they mean it was passed. */
static bool attempt(const char *what, int rc)
{
	if (rc == 0) {
		printf("probe %s: SUCCEEDED\n", what);
		return false;
	}
	if (errno != EPERM && errno != EACCES) {
		printf("probe %s: got past the permission check (%s)\n", what,
		       strerror(errno));
		return false;
	}
	printf("probe %s: refused (%s)\n", what, strerror(errno));
	return true;
}

static int open_rc(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd >= 0 ? 0 : -1;
}

/* What an unprivileged caller might do to a running helper. Non-fatal
 * attempts first; a stop that worked is undone so the test goes on. */
static int run_probe(pid_t pid)
{
	char path[64], byte;
	struct iovec local = { .iov_base = &byte, .iov_len = 1 };
	struct iovec remote = { .iov_base = (void *)0x400000, .iov_len = 1 };
	int pidfd = pidfd_open(pid, 0);
	bool ok = true;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	ok &= attempt("open mem O_RDONLY", open_rc(path, O_RDONLY));
	ok &= attempt("open mem O_RDWR", open_rc(path, O_RDWR));
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ok &= attempt("open exe O_WRONLY", open_rc(path, O_WRONLY));
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	ok &= attempt("open environ", open_rc(path, O_RDONLY));
	ok &= attempt("process_vm_readv",
		      process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0 ? -1 : 0);
	ok &= attempt("ptrace attach",
		      ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0 ? -1 : 0);
	ok &= attempt("ptrace seize",
		      ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0 ? -1 : 0);
	if (pidfd >= 0)
		ok &= attempt("pidfd_getfd 3",
			      (int)syscall(SYS_pidfd_getfd, pidfd, 3, 0) < 0 ? -1 : 0);
	if (!attempt("kill SIGSTOP", kill(pid, SIGSTOP))) {
		ok = false;
		kill(pid, SIGCONT);
	}
	ok &= attempt("kill SIGTERM", kill(pid, SIGTERM));
	if (pidfd >= 0)
		ok &= attempt("pidfd_send_signal SIGKILL",
			      (int)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL,
					   NULL, 0));
	ok &= attempt("kill SIGKILL", kill(pid, SIGKILL));
	return ok ? 0 : 1;
}

/* --------------------------------------------------------------- main */

static uint64_t number(const char *s, uint64_t max)
{
	uint64_t v;

	if (parse_u64(s, max, &v) == -1)
		tk_usage();
	return v;
}

/* -P WHAT: the descriptor to pass as the job's terminal. */
static int pty_to_pass(const char *what)
{
	int m, fd;

	if (strcmp(what, "none") == 0)
		return -1;
	if (strcmp(what, "stdin") == 0)
		return 0;
	if (strncmp(what, "fd:", 3) == 0)
		return (int)number(what + 3, 1023);
	if (strcmp(what, "new") != 0 && strcmp(what, "master") != 0) {
		fd = open(what, O_RDWR | O_NOCTTY);
		if (fd < 0)
			tk_fail(what);
		return fd;
	}
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m))
		tk_fail("posix_openpt");
	if (strcmp(what, "master") == 0)
		return m;
	fd = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (fd < 0)
		tk_fail("open the pty slave");
	return fd; /* the master stays open, unread: enough for a test */
}

static void add_or_die(int rc, const char *what)
{
	if (rc < 0)
		errx(2, "%s breaks a protocol cap", what);
}

/* -M: the modes other than a run, as the client's --list and --dry-run. */
static int wire_mode(const char *name)
{
	if (strcmp(name, "list") == 0)
		return MODE_LIST;
	if (strcmp(name, "dry-run") == 0)
		return MODE_DRY_RUN;
	tk_usage();
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	char **command;
	int c;

	*o = (struct opts){ .iterations = 100, .seed = 1, .deadline_s = 20,
			    .pty_fd = -1, .wire_mode = -1 };
	proto_request_init(&o->req);
	while ((c = getopt(argc, argv, "+qm:W:N:s:T:t:l:nw:cKji:e:v:A:0P:M:")) != -1) {
		switch (c) {
		case 'q': o->quiet = true; break;
		case 'm': o->marker_dir = optarg; break;
		case 'W': o->settle_s = (int)number(optarg, 3600); break;
		case 'N': o->iterations = (unsigned)number(optarg, 1000000); break;
		case 's': o->seed = number(optarg, UINT64_MAX); break;
		case 'T': o->deadline_s = (int)number(optarg, 3600); break;
		case 't': tk_set_tier(&o->req, optarg); break;
		case 'l': set_limit(&o->req, optarg); break;
		case 'n': o->req.flags |= REQ_NETWORK; break;
		case 'w': add_or_die(proto_request_set_workdir(&o->req, optarg), "-w"); break;
		case 'c': o->req.flags |= REQ_WORKDIR_CHOSEN; break;
		case 'K': o->req.flags |= REQ_KEEP_WORKDIR; break;
		case 'j': o->req.flags |= REQ_CAPTURE; break;
		case 'M': o->wire_mode = wire_mode(optarg); break;
		case 'i': add_or_die(proto_request_set_image(&o->req, optarg), "-i"); break;
		case 'e': add_or_die(proto_request_add_env(&o->req, optarg), "-e"); break;
		case 'v': add_or_die(proto_request_add_volume(&o->req, optarg), "-v"); break;
		case 'A': o->argv0 = optarg; break;
		case '0': o->argc0 = true; break;
		case 'P':
			o->req.flags |= REQ_PTY;
			o->pty_fd = pty_to_pass(optarg);
			break;
		default: tk_usage();
		}
	}
	command = tk_operands(argv + optind, &o->helper, &o->mode);
	if (*command || o->wire_mode != MODE_LIST)
		add_or_die(tk_add_command(&o->req, command), "argv");
}

int main(int argc, char **argv)
{
	static struct opts o;
	static uint8_t base[REC_MAX], buf[REC_MAX];
	struct tk_outcome out;
	size_t blen, len;
	sender fn;
	bool good;

	tk_usage_text = usage_text;
	if (argc == 3 && strcmp(argv[1], "probe") == 0)
		return run_probe((pid_t)number(argv[2], INT32_MAX));
	parse_opts(argc, argv, &o);
	if (o.marker_dir)
		tk_marker_seen(o.marker_dir); /* start from an empty directory */
	blen = encode(&o, base);
	if (strcmp(o.mode, "mutate") == 0) {
		o.quiet = true;
		return run_mutate(&o, base, blen);
	}
	if (strcmp(o.mode, "truncate-all") == 0) {
		o.quiet = true;
		return run_truncate_all(&o, base, blen);
	}
	memcpy(buf, base, blen);
	fn = sender_for(o.mode);
	len = fn ? blen : rewrite(o.mode, buf, blen, &o.req);
	if (!fn && !len)
		tk_usage();
	out = run_one(&o, fn ? fn : s_plain, buf, len);
	if (strcmp(o.mode, "valid") == 0 && o.wire_mode >= 0)
		good = answered(&out, o.wire_mode);
	else if (strcmp(o.mode, "valid") == 0)
		good = ran(&out, o.marker_dir != NULL);
	else if (strcmp(o.mode, "repeat") == 0)
		good = killed_mid_run(&out);
	else
		good = refused(&out);
	report(o.mode, &out, good);
	return good ? 0 : 1;
}
