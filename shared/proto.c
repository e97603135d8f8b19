/*
 * Record framing, limits, and the request and signal messages. The replies
 * (verdict, result, listing) are in proto_reply.c, the client's request
 * builder in proto_build.c, socket I/O in proto_io.c.
 *
 * Encoders check every field the decoder checks, so that a record one side
 * can write, the other side can read, and the encoding is canonical: a
 * decoded record re-encodes to the same bytes.
 */
#include "shared/proto_wire.h"

#include <stddef.h>
#include <string.h>

void wire_begin(struct buf_writer *w, uint8_t *out, size_t cap, int type)
{
	buf_writer_init(w, out, cap < PROTO_MAX_MSG ? cap : PROTO_MAX_MSG);
	buf_put_u32(w, PROTO_MAGIC);
	buf_put_u16(w, PROTO_VERSION);
	buf_put_u16(w, (uint16_t)type);
	buf_put_u32(w, 0); /* payload length, patched by wire_end */
}

size_t wire_end(struct buf_writer *w)
{
	if (!buf_writer_ok(w) || w->len < PROTO_HDR_LEN)
		return 0;
	buf_patch_u32(w, 8, (uint32_t)(w->len - PROTO_HDR_LEN));
	return buf_writer_ok(w) ? w->len : 0;
}

static bool wire_type_known(uint16_t type)
{
	return type >= MSG_REQUEST && type <= MSG_JOB_STATE;
}

bool wire_open(struct buf_reader *r, const uint8_t *msg, size_t len, int type)
{
	uint32_t magic, paylen;
	uint16_t version, t;

	if (len > PROTO_MAX_MSG)
		len = 0; /* the reads below then fail */
	buf_reader_init(r, msg, len);
	buf_get_u32(r, &magic);
	buf_get_u16(r, &version);
	buf_get_u16(r, &t);
	buf_get_u32(r, &paylen);
	return buf_reader_ok(r) && magic == PROTO_MAGIC &&
	       version == PROTO_VERSION && wire_type_known(t) &&
	       (type == 0 || t == type) && paylen == len - PROTO_HDR_LEN;
}

int proto_peek_type(const uint8_t *msg, size_t len)
{
	struct buf_reader r;

	if (!wire_open(&r, msg, len, 0))
		return 0;
	return msg[6] | msg[7] << 8;
}

bool wire_bool_ok(uint8_t b)
{
	return b <= 1;
}

bool wire_limits_ok(const struct limits *l)
{
	int id;

	if (l->set & ~LIM_ALL_MASK)
		return false;
	for (id = 0; id < LIM_COUNT; id++) {
		bool set = l->set & (1u << id);

		if (set != (l->v[id] != 0))
			return false;
	}
	return true;
}

void wire_put_limits(struct buf_writer *w, const struct limits *l)
{
	int id;

	if (!wire_limits_ok(l)) {
		w->err = true;
		return;
	}
	buf_put_u32(w, l->set);
	for (id = 0; id < LIM_COUNT; id++)
		buf_put_u64(w, l->v[id]);
}

void wire_get_limits(struct buf_reader *r, struct limits *l)
{
	int id;

	buf_get_u32(r, &l->set);
	for (id = 0; id < LIM_COUNT; id++)
		buf_get_u64(r, &l->v[id]);
	if (buf_reader_ok(r) && !wire_limits_ok(l))
		r->err = true;
}

/* The fixed part of a request, shared by the encoder and decoder checks. */
static bool request_fields_ok(const struct request *q)
{
	if (q->mode > MODE_LIST || q->tier >= TIER_COUNT)
		return false;
	if (q->flags & ~REQ_ALL_FLAGS)
		return false;
	/* No stray tier the helper might act on without REQ_TIER_SET. */
	if (!(q->flags & REQ_TIER_SET) && q->tier != 0)
		return false;
	/* Mode combinations no client sends: --list and --dry-run run
	 * nothing, so there is no output to capture and no terminal, and
	 * --list judges no COMMAND. */
	if (q->mode != MODE_RUN && (q->flags & (REQ_CAPTURE | REQ_PTY)))
		return false;
	if (q->mode == MODE_LIST && q->argc != 0)
		return false;
	/* argc 0 is a request for the policy's default_executable. */
	return q->argc <= PROTO_MAX_ARGS && q->envc <= PROTO_MAX_ENV &&
	       q->volc <= PROTO_MAX_VOLUMES;
}

static void put_opt_str(struct buf_writer *w, const char *s)
{
	buf_put_u8(w, s != NULL);
	if (s)
		buf_put_str(w, s, PROTO_MAX_STR);
}

static void put_str_list(struct buf_writer *w, const char *const *v,
			 uint32_t n)
{
	uint32_t i;

	buf_put_u32(w, n);
	for (i = 0; i < n; i++)
		buf_put_str(w, v[i], PROTO_MAX_STR);
}

size_t proto_encode_request(const struct request *q, uint8_t *out, size_t cap)
{
	struct buf_writer w;

	if (!request_fields_ok(q))
		return 0;
	wire_begin(&w, out, cap, MSG_REQUEST);
	buf_put_u8(&w, q->mode);
	buf_put_u8(&w, q->tier);
	buf_put_u32(&w, q->flags);
	wire_put_limits(&w, &q->lim);
	put_opt_str(&w, q->workdir);
	put_opt_str(&w, q->image);
	put_str_list(&w, q->argv, q->argc);
	put_str_list(&w, q->env, q->envc);
	put_str_list(&w, q->vol, q->volc);
	return wire_end(&w);
}

/* Decoded strings go one after the other into the request's arena. */
struct arena {
	char *next;
	size_t left;
};

static const char *get_arena_str(struct buf_reader *r, struct arena *a)
{
	char *s = a->next;
	size_t used;

	buf_get_str(r, s, a->left, &used);
	if (!used)
		return NULL;
	a->next += used;
	a->left -= used;
	return s;
}

static const char *get_opt_str(struct buf_reader *r, struct arena *a)
{
	uint8_t present;

	buf_get_u8(r, &present);
	if (!buf_reader_ok(r) || !present)
		return NULL;
	if (!wire_bool_ok(present)) {
		r->err = true;
		return NULL;
	}
	return get_arena_str(r, a);
}

/* A count, then that many strings; refuses a count above max before
 * reading any of them. */
static void get_str_list(struct buf_reader *r, struct arena *a,
			 const char **v, uint32_t *n, uint32_t max)
{
	uint32_t i;

	buf_get_u32(r, n);
	if (*n > max) {
		*n = 0;
		r->err = true;
	}
	for (i = 0; i < *n && buf_reader_ok(r); i++)
		v[i] = get_arena_str(r, a);
}

/* Everything but the arena, whose bytes are only read through the
 * pointers into it: zeroing its 64 KB would cost a page fault for every
 * page a request never uses. */
void proto_request_init(struct request *r)
{
	memset(r, 0, offsetof(struct request, arena));
}

int proto_decode_request(const uint8_t *msg, size_t len, struct request *q)
{
	struct buf_reader r;
	struct arena a;

	proto_request_init(q);
	a.next = q->arena;
	a.left = sizeof(q->arena);
	if (!wire_open(&r, msg, len, MSG_REQUEST))
		goto fail;
	buf_get_u8(&r, &q->mode);
	buf_get_u8(&r, &q->tier);
	buf_get_u32(&r, &q->flags);
	wire_get_limits(&r, &q->lim);
	q->workdir = get_opt_str(&r, &a);
	q->image = get_opt_str(&r, &a);
	get_str_list(&r, &a, q->argv, &q->argc, PROTO_MAX_ARGS);
	get_str_list(&r, &a, q->env, &q->envc, PROTO_MAX_ENV);
	get_str_list(&r, &a, q->vol, &q->volc, PROTO_MAX_VOLUMES);
	if (!buf_reader_done(&r) || !request_fields_ok(q))
		goto fail;
	return 0;
fail:
	proto_request_init(q);
	return -1;
}

/* Signals a client may forward: 1..64 (SIGRTMAX on Linux). */
static bool signo_ok(int32_t signo)
{
	return signo >= 1 && signo <= 64;
}

size_t proto_encode_signal(int32_t signo, uint8_t *out, size_t cap)
{
	struct buf_writer w;

	if (!signo_ok(signo))
		return 0;
	wire_begin(&w, out, cap, MSG_SIGNAL);
	buf_put_u32(&w, (uint32_t)signo);
	return wire_end(&w);
}

int proto_decode_signal(const uint8_t *msg, size_t len, int32_t *signo)
{
	struct buf_reader r;
	uint32_t v = 0;

	*signo = 0;
	if (!wire_open(&r, msg, len, MSG_SIGNAL))
		return -1;
	buf_get_u32(&r, &v);
	if (!buf_reader_done(&r) || !signo_ok((int32_t)v))
		return -1;
	*signo = (int32_t)v;
	return 0;
}

size_t proto_encode_job_state(int state, uint8_t *out, size_t cap)
{
	struct buf_writer w;

	if (state != JOB_STOPPED && state != JOB_CONTINUED)
		return 0;
	wire_begin(&w, out, cap, MSG_JOB_STATE);
	buf_put_u8(&w, (uint8_t)state);
	return wire_end(&w);
}

int proto_decode_job_state(const uint8_t *msg, size_t len, int *state)
{
	struct buf_reader r;
	uint8_t v = 0;

	*state = 0;
	if (!wire_open(&r, msg, len, MSG_JOB_STATE))
		return -1;
	buf_get_u8(&r, &v);
	if (!buf_reader_done(&r) || (v != JOB_STOPPED && v != JOB_CONTINUED))
		return -1;
	*state = v;
	return 0;
}
