/*
 * The wire between symbi-exec (client) and symbi-exec-helper (setuid).
 *
 * One message per SOCK_SEQPACKET record:
 *   header  u32 magic PROTO_MAGIC, u16 version PROTO_VERSION, u16 type,
 *           u32 payload length (must equal record length - PROTO_HDR_LEN)
 *   payload type-specific, little-endian fixed-width integers and
 *           strings as u32 length + bytes (no NUL on the wire; an embedded
 *           NUL is an error; decoded strings are NUL-terminated copies).
 * Every decoder checks every length against the bytes left and the caps
 * below, and rejects trailing bytes, unknown types and unknown flag bits.
 * The helper treats any decode failure as fatal. The only descriptor that
 * ever crosses is the job's pty slave, with a REQUEST that has REQ_PTY
 * (proto_send_fd, proto_recv_fd).
 */
#ifndef SYMBI_PROTO_H
#define SYMBI_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_MAGIC 0x53594d42u /* "SYMB" */
#define PROTO_VERSION 2u
#define PROTO_HDR_LEN 12u
#define PROTO_MAX_MSG 65536u    /* whole record, header included */
#define PROTO_MAX_ARGS 256u     /* argv entries, argv[0] included */
#define PROTO_MAX_ENV 64u       /* --env entries */
#define PROTO_MAX_VOLUMES 16u   /* --volume entries */
#define PROTO_MAX_STR 4096u     /* any one string, bytes */
#define PROTO_MAX_LIST 64u      /* strings in a listing */
#define PROTO_MSG_LEN 512u      /* verdict message buffer */

enum msg_type {
	MSG_REQUEST = 1, /* client -> helper, exactly once, first */
	MSG_VERDICT = 2, /* helper -> client, exactly once, answers REQUEST */
	MSG_RESULT = 3,  /* helper -> client, once, after the job ended */
	MSG_SIGNAL = 4,  /* client -> helper, while the job runs */
	MSG_LISTING = 5, /* helper -> client, answers a MODE_LIST REQUEST */
	MSG_JOB_STATE = 6, /* helper -> client, while the job runs */
};

/* MSG_JOB_STATE: the job's main process stopped (Ctrl-Z on its terminal)
 * or was continued, so the client can hand the terminal back. */
enum job_state {
	JOB_STOPPED = 1,
	JOB_CONTINUED = 2,
};

enum tier {
	TIER_NONE = 0,
	TIER_ISOLATED = 1,
	TIER_DOCKER = 2,
	TIER_GVISOR = 3,
	TIER_FIRECRACKER = 4,
	TIER_COUNT = 5,
};

/* Resource limits. Values are in the unit of the name; 0 is never a
 * valid value for any of them (policy and decoder refuse it). */
enum limit_id {
	LIM_MEMORY_MB = 0,
	LIM_CPU_MILLICORES = 1, /* --max-cpu=1.5 -> 1500 */
	LIM_CPU_SECONDS = 2,
	LIM_TIMEOUT_S = 3,
	LIM_PROCESSES = 4,
	LIM_FILE_SIZE_MB = 5,
	LIM_OPEN_FILES = 6,
	LIM_KILL_GRACE_S = 7, /* SIGTERM, then SIGKILL this much later */
	LIM_COUNT = 8,
};
#define LIM_ALL_MASK ((1u << LIM_COUNT) - 1u)

struct limits {
	uint64_t v[LIM_COUNT];
	uint32_t set; /* bit (1 << id): v[id] is given */
};

enum req_mode {
	MODE_RUN = 0,
	MODE_DRY_RUN = 1,
	MODE_LIST = 2,
};

enum req_flag {
	REQ_TIER_SET = 1u << 0,     /* tier given; else the policy default */
	REQ_NETWORK = 1u << 1,      /* --network */
	REQ_KEEP_WORKDIR = 1u << 2, /* --keep-workdir */
	REQ_CAPTURE = 1u << 3,      /* --json: client captures output */
	REQ_PTY = 1u << 4,          /* a pty slave comes with the request */
	REQ_WORKDIR_CHOSEN = 1u << 5, /* workdir from -C, not the caller's
				       * current directory by default */
};
#define REQ_ALL_FLAGS 0x3fu

/* Decoded strings live in arena; the pointers point into it. */
struct request {
	uint8_t mode;   /* enum req_mode */
	uint8_t tier;   /* enum tier, meaningful with REQ_TIER_SET */
	uint32_t flags; /* enum req_flag */
	struct limits lim;
	const char *workdir; /* the caller's directory (or -C DIR); NULL:
			      * a fresh private one (--private) */
	const char *image;   /* NULL: none given */
	uint32_t argc;       /* 0: no COMMAND (default_executable) */
	const char *argv[PROTO_MAX_ARGS + 1]; /* NULL-terminated */
	uint32_t envc;
	const char *env[PROTO_MAX_ENV]; /* "NAME=VALUE" */
	uint32_t volc;
	const char *vol[PROTO_MAX_VOLUMES]; /* "SRC:DST[:ro]" */
	char arena[PROTO_MAX_MSG + PROTO_MAX_ARGS + PROTO_MAX_ENV +
		   PROTO_MAX_VOLUMES + 2];
};

/* The helper's answer to a request. status 0 = allowed (for MODE_RUN the
 * job is starting); otherwise the exit status the client must use (125,
 * 126 or 127) and message says why, for the user. */
struct verdict {
	uint8_t status;
	uint8_t tier;
	uint8_t network;        /* network granted */
	uint32_t rule_line;     /* policy line of the deciding rule, 0 none */
	struct limits lim;      /* effective limits, all set when allowed */
	uint64_t max_output_bytes;
	char message[PROTO_MSG_LEN]; /* denial reason, or "" */
	char executable[PROTO_MAX_STR]; /* resolved path, or "" */
	char workdir[PROTO_MAX_STR];    /* job work directory, or "" */
	char job_id[64];
	char run_as[64]; /* account the job runs as */
};

enum kill_reason {
	KILL_NONE = 0,
	KILL_TIMEOUT = 1,
	KILL_MEMORY = 2,
	KILL_CPU = 3,
	KILL_OUTPUT = 4,
	KILL_CLIENT_GONE = 5,
	KILL_REASON_COUNT = 6,
};

struct result {
	int32_t exit_code; /* -1 when killed by a signal */
	int32_t signal;    /* 0 when not killed */
	uint8_t timed_out;
	uint8_t killed_reason; /* enum kill_reason */
	uint64_t wall_ms;
	uint64_t cpu_ms;
	uint64_t max_rss_kb;
};

/* What the policy grants the caller, for --list. */
struct listing_tier {
	uint8_t tier;
	uint8_t network; /* may ask for --network */
	uint32_t rule_line;
	struct limits ceil; /* all set */
	uint64_t max_output_bytes;
	char run_as[64];
};

struct listing {
	char user[64];
	uint8_t default_tier;
	uint32_t ntiers;
	struct listing_tier tiers[TIER_COUNT];
	uint32_t nexe;
	char exe[PROTO_MAX_LIST][256]; /* allowed executables, as written */
	uint32_t nenv;
	char env[PROTO_MAX_LIST][128]; /* env_keep, env_allow entries */
	uint32_t nimages;
	char images[PROTO_MAX_LIST][256];
};

/* Encoders write one whole record (header included) into out[cap] and
 * return its length, or 0 if it would not fit or a field breaks a cap. */
size_t proto_encode_request(const struct request *r, uint8_t *out, size_t cap);
size_t proto_encode_verdict(const struct verdict *v, uint8_t *out, size_t cap);
size_t proto_encode_result(const struct result *r, uint8_t *out, size_t cap);
size_t proto_encode_signal(int32_t signo, uint8_t *out, size_t cap);
size_t proto_encode_job_state(int state, uint8_t *out, size_t cap);
size_t proto_encode_listing(const struct listing *l, uint8_t *out, size_t cap);

/* Returns the message type of a well-formed header whose payload length
 * matches len, or 0. */
int proto_peek_type(const uint8_t *msg, size_t len);

/* Decoders take one whole record. Return 0 on success, -1 on any
 * malformation (wrong type, caps, lengths, NULs, trailing bytes, unknown
 * flags or enum values), leaving *out zeroed. */
int proto_decode_request(const uint8_t *msg, size_t len, struct request *out);
/* An empty request (every field but the arena zeroed). */
void proto_request_init(struct request *r);
int proto_decode_verdict(const uint8_t *msg, size_t len, struct verdict *out);
int proto_decode_result(const uint8_t *msg, size_t len, struct result *out);
int proto_decode_signal(const uint8_t *msg, size_t len, int32_t *signo);
int proto_decode_job_state(const uint8_t *msg, size_t len, int *state);
int proto_decode_listing(const uint8_t *msg, size_t len, struct listing *out);

/* Builder helpers for the client: append strings into r->arena. Return
 * -1 when a cap would be broken. */
int proto_request_set_workdir(struct request *r, const char *s);
int proto_request_set_image(struct request *r, const char *s);
int proto_request_add_arg(struct request *r, const char *s);
int proto_request_add_env(struct request *r, const char *s);
int proto_request_add_volume(struct request *r, const char *s);

/* Socket I/O on a SOCK_SEQPACKET fd. proto_send sends one record with
 * MSG_NOSIGNAL; returns 0 or -1. proto_recv receives one record into
 * buf[cap], refusing truncated records and any ancillary data (passed
 * fds are closed); returns its length, 0 on orderly EOF, -1 on error. */
int proto_send(int fd, const uint8_t *msg, size_t len);
long proto_recv(int fd, uint8_t *buf, size_t cap);
/* proto_send that fails rather than wait for room (a notice the peer may
 * miss, from a sender that must never block on it). */
int proto_send_nowait(int fd, const uint8_t *msg, size_t len);

/* The same, with one descriptor passed along (SCM_RIGHTS): the REQUEST
 * that asks for a terminal carries the pty slave. proto_recv_fd sets
 * *passed to the one descriptor received (close-on-exec) or -1; more
 * than one, or any other ancillary data, is an error and closes all. */
int proto_send_fd(int fd, const uint8_t *msg, size_t len, int passfd);
long proto_recv_fd(int fd, uint8_t *buf, size_t cap, int *passed);

/* Names. tier_from_name accepts the names and aliases of SPEC, case-
 * insensitive; returns -1 if unknown. */
int tier_from_name(const char *name);
const char *tier_name(int tier);
const char *limit_name(int id);   /* "max_memory_mb", ... policy key */
const char *limit_option(int id); /* "--max-memory", ... */
const char *limit_unit(int id);   /* "MB", "", "s" ... for messages */
const char *kill_reason_name(int reason); /* NULL for KILL_NONE */

#endif
