/* Unit tests of the wire protocol (shared/proto*.c, shared/buf.c). TAP. */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shared/buf.h"
#include "shared/proto.h"

#include "tests/unit/tap.h"

static uint8_t msg[PROTO_MAX_MSG + 64];
static uint8_t msg2[PROTO_MAX_MSG + 64];
static struct request req, req2;

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void sample_request(struct request *r)
{
	proto_request_init(r);
	r->mode = MODE_RUN;
	r->tier = TIER_DOCKER;
	r->flags = REQ_ALL_FLAGS;
	for (int id = 0; id < LIM_COUNT; id++) {
		r->lim.set |= 1u << id;
		r->lim.v[id] = (uint64_t)id * 1000 + 1;
	}
	r->lim.v[LIM_MEMORY_MB] = UINT64_MAX;
	proto_request_set_workdir(r, "/home/alice/work");
	proto_request_set_image(r, "python:3.12-slim");
	proto_request_add_arg(r, "python3");
	proto_request_add_arg(r, "task.py");
	proto_request_add_arg(r, "");
	proto_request_add_env(r, "LANG=C.UTF-8");
	proto_request_add_env(r, "FOO=bar=baz");
	proto_request_add_volume(r, "/srv/data:/data:ro");
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool list_eq(const char *const *a, const char *const *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!str_eq(a[i], b[i]))
			return false;
	return true;
}

static bool request_eq(const struct request *a, const struct request *b)
{
	return a->mode == b->mode && a->tier == b->tier &&
	       a->flags == b->flags &&
	       memcmp(&a->lim, &b->lim, sizeof(a->lim)) == 0 &&
	       str_eq(a->workdir, b->workdir) && str_eq(a->image, b->image) &&
	       a->argc == b->argc && list_eq(a->argv, b->argv, a->argc) &&
	       b->argv[b->argc] == NULL && a->envc == b->envc &&
	       list_eq(a->env, b->env, a->envc) && a->volc == b->volc &&
	       list_eq(a->vol, b->vol, a->volc);
}

/* Encode, decode, compare, and check the encoding is canonical. */
static bool request_round_trip(const struct request *r)
{
	size_t n = proto_encode_request(r, msg, sizeof(msg));
	size_t n2;

	if (n == 0 || proto_decode_request(msg, n, &req2) != 0)
		return false;
	if (!request_eq(r, &req2))
		return false;
	n2 = proto_encode_request(&req2, msg2, sizeof(msg2));
	return n2 == n && memcmp(msg, msg2, n) == 0;
}

static void test_request_round_trips(void)
{
	static struct request r;
	static char big[PROTO_MAX_STR + 1];
	size_t n;

	sample_request(&r);
	ok(request_round_trip(&r), "request round trip, every field set");
	ok(proto_peek_type(msg, proto_encode_request(&r, msg, sizeof(msg))) ==
		   MSG_REQUEST,
	   "peek_type sees a request");

	proto_request_init(&r);
	r.mode = MODE_LIST;
	ok(request_round_trip(&r), "MODE_LIST request with nothing in it");
	ok(req2.workdir == NULL && req2.image == NULL && req2.argv[0] == NULL,
	   "absent workdir and image decode as NULL");

	proto_request_init(&r);
	r.mode = MODE_RUN;
	ok(request_round_trip(&r) && req2.mode == MODE_RUN && req2.argc == 0 &&
		   req2.argv[0] == NULL,
	   "MODE_RUN without a command (default_executable) round-trips");

	proto_request_init(&r);
	r.mode = MODE_DRY_RUN;
	proto_request_set_workdir(&r, "");
	proto_request_add_arg(&r, "x");
	ok(request_round_trip(&r) && req2.workdir && !*req2.workdir,
	   "an empty present workdir stays present and empty");

	proto_request_init(&r);
	r.mode = MODE_LIST;
	proto_request_add_arg(&r, "x");
	ok(proto_encode_request(&r, msg, sizeof(msg)) == 0,
	   "MODE_LIST with a COMMAND does not encode");
	proto_request_init(&r);
	r.mode = MODE_DRY_RUN;
	r.flags = REQ_PTY;
	ok(proto_encode_request(&r, msg, sizeof(msg)) == 0,
	   "MODE_DRY_RUN with REQ_PTY does not encode");
	r.mode = MODE_RUN;
	n = proto_encode_request(&r, msg, sizeof(msg));
	for (uint8_t mode = MODE_DRY_RUN; mode <= MODE_LIST; mode++)
		for (uint32_t f = REQ_CAPTURE; f <= REQ_PTY; f <<= 1) {
			msg[12] = mode; /* the mode byte after the header */
			msg[14] = (uint8_t)f;
			ok(n > 0 && proto_decode_request(msg, n, &req2) == -1,
			   "mode %u with flag %#x is refused by the decoder",
			   (unsigned)mode, (unsigned)f);
		}
	proto_request_init(&r);
	r.mode = MODE_LIST;
	r.flags = REQ_NETWORK | REQ_KEEP_WORKDIR;
	proto_request_set_workdir(&r, "/w");
	ok(request_round_trip(&r),
	   "MODE_LIST with the options --list accepts round-trips");

	proto_request_init(&r);
	memset(big, 'a', PROTO_MAX_STR);
	ok(proto_request_add_arg(&r, big) == 0 && request_round_trip(&r),
	   "a string of exactly PROTO_MAX_STR bytes round-trips");

	proto_request_init(&r);
	for (unsigned i = 0; i < PROTO_MAX_ARGS; i++)
		proto_request_add_arg(&r, "arg");
	for (unsigned i = 0; i < PROTO_MAX_ENV; i++)
		proto_request_add_env(&r, "A=b");
	for (unsigned i = 0; i < PROTO_MAX_VOLUMES; i++)
		proto_request_add_volume(&r, "/a:/b");
	ok(r.argc == PROTO_MAX_ARGS && r.envc == PROTO_MAX_ENV &&
		   r.volc == PROTO_MAX_VOLUMES && request_round_trip(&r),
	   "request with every list at its cap round-trips");
	ok(proto_request_add_arg(&r, "x") == -1 &&
		   proto_request_add_env(&r, "X=1") == -1 &&
		   proto_request_add_volume(&r, "/x:/y") == -1,
	   "builder refuses entry 257 / 65 / 17");
	big[PROTO_MAX_STR] = '\0';
	proto_request_init(&r);
	memset(big, 'b', PROTO_MAX_STR);
	big[PROTO_MAX_STR] = '\0';
	ok(proto_request_add_arg(&r, big) == 0, "builder takes 4096 bytes");
	{
		static char big2[PROTO_MAX_STR + 2];

		memset(big2, 'c', PROTO_MAX_STR + 1);
		ok(proto_request_add_arg(&r, big2) == -1 &&
			   proto_request_set_workdir(&r, big2) == -1 && r.argc == 1,
		   "builder refuses a string of 4097 bytes");
	}
}

/* A request record with n args of len bytes each, written by hand. */
static size_t raw_args_record(uint32_t n, uint32_t len, uint8_t *out,
			      size_t cap)
{
	static char s[PROTO_MAX_STR + 2];
	struct buf_writer w;

	memset(s, 'z', len);
	s[len] = '\0';
	buf_writer_init(&w, out, cap);
	buf_put_u32(&w, PROTO_MAGIC);
	buf_put_u16(&w, PROTO_VERSION);
	buf_put_u16(&w, MSG_REQUEST);
	buf_put_u32(&w, 0);
	buf_put_u8(&w, MODE_RUN);
	buf_put_u8(&w, 0);
	buf_put_u32(&w, 0);
	buf_put_u32(&w, 0); /* limits.set */
	for (int i = 0; i < LIM_COUNT; i++)
		buf_put_u64(&w, 0);
	buf_put_u8(&w, 0);
	buf_put_u8(&w, 0);
	buf_put_u32(&w, n);
	for (uint32_t i = 0; i < n; i++) {
		/* bypass buf_put_str's cap to forge oversize strings */
		buf_put_u32(&w, len);
		for (uint32_t j = 0; j < len; j++)
			buf_put_u8(&w, 'z');
	}
	buf_put_u32(&w, 0);
	buf_put_u32(&w, 0);
	if (!buf_writer_ok(&w))
		return 0;
	put_le32(out + 8, (uint32_t)(w.len - PROTO_HDR_LEN));
	return w.len;
}

static void test_request_caps(void)
{
	static uint8_t big[PROTO_MAX_MSG * 2];
	static struct request r;
	size_t n;

	n = raw_args_record(1, 5, big, sizeof(big));
	ok(n && proto_decode_request(big, n, &req) == 0 && req.argc == 1 &&
		   strcmp(req.argv[0], "zzzzz") == 0,
	   "hand-written record decodes (sanity check of the forger)");
	n = raw_args_record(PROTO_MAX_ARGS + 1, 1, big, sizeof(big));
	ok(n && proto_decode_request(big, n, &req) == -1 && req.argc == 0,
	   "argc 257 refused, output zeroed");
	n = raw_args_record(1, PROTO_MAX_STR + 1, big, sizeof(big));
	ok(n && proto_decode_request(big, n, &req) == -1,
	   "string of 4097 bytes refused");
	n = raw_args_record(17, 4000, big, sizeof(big));
	ok(n > PROTO_MAX_MSG && proto_decode_request(big, n, &req) == -1,
	   "record larger than PROTO_MAX_MSG refused by decoder");
	ok(proto_peek_type(big, n) == 0, "peek_type refuses it too");

	proto_request_init(&r);
	for (int i = 0; i < 16; i++)
		proto_request_add_arg(&r, (const char *)memset(
			(char[PROTO_MAX_STR + 1]){0}, 'q', PROTO_MAX_STR));
	ok(r.argc == 16 && proto_encode_request(&r, big, sizeof(big)) == 0,
	   "encoder refuses a record larger than PROTO_MAX_MSG");
	sample_request(&r);
	n = proto_encode_request(&r, msg, sizeof(msg));
	ok(proto_encode_request(&r, msg, n - 1) == 0 &&
		   proto_encode_request(&r, msg, n) == n,
	   "encoder refuses a buffer one byte short, fits an exact one");
	r.argv[1] = NULL;
	ok(proto_encode_request(&r, msg, sizeof(msg)) == 0,
	   "encoder refuses a NULL argv entry below argc");
}

static void expect_request_refused(const char *what, void (*mutate)(
						struct request *))
{
	static struct request r;

	sample_request(&r);
	mutate(&r);
	ok(proto_encode_request(&r, msg, sizeof(msg)) == 0,
	   "encoder refuses %s", what);
}

static void m_flags(struct request *r) { r->flags |= REQ_ALL_FLAGS + 1; }
static void m_mode(struct request *r) { r->mode = 3; }
static void m_tier(struct request *r) { r->tier = TIER_COUNT; }
static void m_tier_unset(struct request *r) { r->flags &= ~REQ_TIER_SET; }
static void m_lim_zero(struct request *r) { r->lim.v[LIM_TIMEOUT_S] = 0; }
static void m_lim_bit(struct request *r) { r->lim.set |= 1u << LIM_COUNT; }
static void m_lim_stale(struct request *r) { r->lim.set &= ~1u; }

/* Offsets of the fixed request fields in the record. */
enum {
	OFF_MODE = 12,
	OFF_TIER = 13,
	OFF_FLAGS = 14,
	OFF_LIMSET = 18,
	OFF_LIMV = 22,
	OFF_WORKDIR = OFF_LIMV + 8 * LIM_COUNT,
};

/* Decode the sample request after fn patched its bytes. */
static int decode_patched(void (*fn)(uint8_t *, size_t *))
{
	static struct request r;
	size_t n;

	sample_request(&r);
	n = proto_encode_request(&r, msg, sizeof(msg));
	fn(msg, &n);
	return proto_decode_request(msg, n, &req);
}

static void p_flags(uint8_t *m, size_t *n) { m[OFF_FLAGS] |= REQ_ALL_FLAGS + 1; }
static void p_flags_high(uint8_t *m, size_t *n) { m[OFF_FLAGS + 3] = 0x80; }
static void p_mode(uint8_t *m, size_t *n) { m[OFF_MODE] = 3; }
static void p_tier(uint8_t *m, size_t *n) { m[OFF_TIER] = TIER_COUNT; }
static void p_limset(uint8_t *m, size_t *n) { m[OFF_LIMSET + 1] |= 0x80; }
static void p_limzero(uint8_t *m, size_t *n)
{
	memset(m + OFF_LIMV + 8 * LIM_PROCESSES, 0, 8);
}
static void p_presence(uint8_t *m, size_t *n) { m[OFF_WORKDIR] = 2; }
static void p_magic(uint8_t *m, size_t *n) { m[0] ^= 1; }
static void p_version(uint8_t *m, size_t *n) { m[4] = PROTO_VERSION + 1; }
static void p_type0(uint8_t *m, size_t *n) { m[6] = 0; }
static void p_type6(uint8_t *m, size_t *n) { m[6] = 6; }
static void p_type_verdict(uint8_t *m, size_t *n) { m[6] = MSG_VERDICT; }
static void p_len_plus(uint8_t *m, size_t *n)
{
	put_le32(m + 8, get_le32(m + 8) + 1);
}
static void p_len_minus(uint8_t *m, size_t *n)
{
	put_le32(m + 8, get_le32(m + 8) - 1);
}
static void p_trailing(uint8_t *m, size_t *n)
{
	m[(*n)++] = 0;
	put_le32(m + 8, (uint32_t)(*n - PROTO_HDR_LEN));
}
static void p_trailing_raw(uint8_t *m, size_t *n) { m[(*n)++] = 0; }
/* The first byte of the first argument, "python3". */
static void p_nul(uint8_t *m, size_t *n)
{
	uint8_t *p = memmem(m, *n, "python3", 7);

	p[3] = '\0';
}
static void p_nul_end(uint8_t *m, size_t *n)
{
	uint8_t *p = memmem(m, *n, "python3", 7);

	p[6] = '\0';
}
static void p_none(uint8_t *m, size_t *n) {}

static void test_request_refusals(void)
{
	expect_request_refused("unknown flag bits", m_flags);
	expect_request_refused("mode 3", m_mode);
	expect_request_refused("tier 5", m_tier);
	expect_request_refused("a tier without REQ_TIER_SET", m_tier_unset);
	expect_request_refused("a set limit of 0", m_lim_zero);
	expect_request_refused("an unknown limit bit", m_lim_bit);
	expect_request_refused("a value for an unset limit", m_lim_stale);

	ok(decode_patched(p_none) == 0, "unpatched sample decodes");
	ok(decode_patched(p_flags) == -1, "decoder refuses flag 0x20");
	ok(decode_patched(p_flags_high) == -1, "decoder refuses flag 1<<31");
	ok(decode_patched(p_mode) == -1, "decoder refuses mode 3");
	ok(decode_patched(p_tier) == -1, "decoder refuses tier 5");
	ok(decode_patched(p_limset) == -1, "decoder refuses limit bit 15");
	ok(decode_patched(p_limzero) == -1, "decoder refuses a set limit of 0");
	ok(decode_patched(p_presence) == -1, "decoder refuses presence byte 2");
	ok(decode_patched(p_magic) == -1 && req.argc == 0 && !req.workdir,
	   "decoder refuses a wrong magic, output zeroed");
	ok(decode_patched(p_version) == -1, "decoder refuses another version");
	ok(decode_patched(p_type0) == -1, "decoder refuses type 0");
	ok(decode_patched(p_type6) == -1, "decoder refuses unknown type 6");
	ok(proto_peek_type(msg, 0) == 0, "peek_type of an empty record is 0");
	ok(decode_patched(p_type_verdict) == -1,
	   "decoder refuses a record of another type");
	ok(decode_patched(p_len_plus) == -1, "payload length + 1 refused");
	ok(decode_patched(p_len_minus) == -1, "payload length - 1 refused");
	ok(decode_patched(p_trailing) == -1,
	   "trailing byte (length fixed up) refused");
	ok(decode_patched(p_trailing_raw) == -1,
	   "trailing byte (length not fixed up) refused");
	ok(decode_patched(p_nul) == -1, "embedded NUL in an argument refused");
	ok(decode_patched(p_nul_end) == -1, "NUL as a string's last byte refused");
}

static void test_truncations_and_mutations(void)
{
	static struct request r;
	static uint8_t orig[4096];
	size_t n, len, bad_trunc = 0, bad_mut = 0, accepted = 0;

	sample_request(&r);
	len = proto_encode_request(&r, orig, sizeof(orig));
	for (n = 0; n < len; n++) {
		memcpy(msg, orig, n);
		if (proto_decode_request(msg, n, &req) != -1)
			bad_trunc++;
	}
	ok(len > 0 && bad_trunc == 0,
	   "each of the %zu truncations of a request fails", len);

	/* Truncated, with the header's length made to match. */
	bad_trunc = 0;
	for (n = PROTO_HDR_LEN; n < len; n++) {
		memcpy(msg, orig, n);
		put_le32(msg + 8, (uint32_t)(n - PROTO_HDR_LEN));
		if (proto_decode_request(msg, n, &req) != -1)
			bad_trunc++;
	}
	ok(bad_trunc == 0, "each truncation with a consistent header fails");

	for (n = 0; n < len; n++) {
		for (unsigned v = 0; v < 256; v++) {
			size_t m;

			if (v == orig[n])
				continue;
			memcpy(msg, orig, len);
			msg[n] = (uint8_t)v;
			if (proto_decode_request(msg, len, &req) != 0)
				continue;
			accepted++;
			m = proto_encode_request(&req, msg2, sizeof(msg2));
			if (m != len || memcmp(msg, msg2, len) != 0)
				bad_mut++;
		}
	}
	ok(bad_mut == 0,
	   "every single-byte mutation fails or re-encodes to itself "
	   "(%zu of %zu accepted)", accepted, len * 255);
}

static void sample_verdict(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->status = 0;
	v->tier = TIER_NONE;
	v->network = 1;
	v->rule_line = 42;
	v->lim.set = LIM_ALL_MASK;
	for (int id = 0; id < LIM_COUNT; id++)
		v->lim.v[id] = UINT64_MAX - (uint64_t)id;
	v->max_output_bytes = 10485760;
	memset(v->message, 'm', sizeof(v->message) - 1);
	memset(v->executable, 'e', sizeof(v->executable) - 1);
	strcpy(v->workdir, "/tmp/symbiont-native/job-1");
	memset(v->job_id, 'j', sizeof(v->job_id) - 1);
	strcpy(v->run_as, "alice");
}

static void test_verdict(void)
{
	static struct verdict v, d;
	size_t n;

	sample_verdict(&v);
	n = proto_encode_verdict(&v, msg, sizeof(msg));
	ok(n && proto_decode_verdict(msg, n, &d) == 0 &&
		   memcmp(&v, &d, sizeof(v)) == 0,
	   "verdict round trip, every field at its longest");
	ok(proto_peek_type(msg, n) == MSG_VERDICT, "peek_type sees a verdict");
	for (size_t i = 0, bad = 0;; i++) {
		if (i == n) {
			ok(bad == 0, "every truncation of a verdict fails");
			break;
		}
		bad += proto_decode_verdict(msg, i, &d) != -1;
	}
	memset(&v, 0, sizeof(v));
	v.status = 127;
	strcpy(v.message, "command not found: nope");
	n = proto_encode_verdict(&v, msg, sizeof(msg));
	ok(n && proto_decode_verdict(msg, n, &d) == 0 &&
		   memcmp(&v, &d, sizeof(v)) == 0,
	   "denial verdict with empty fields round-trips");
	v.status = 1;
	ok(proto_encode_verdict(&v, msg, sizeof(msg)) == 0,
	   "verdict status 1 refused by the encoder");
	v.status = 125;
	n = proto_encode_verdict(&v, msg, sizeof(msg));
	msg[PROTO_HDR_LEN] = 124;
	ok(proto_decode_verdict(msg, n, &d) == -1 && d.status == 0,
	   "verdict status 124 refused by the decoder");
	sample_verdict(&v);
	v.job_id[sizeof(v.job_id) - 1] = 'x';
	ok(proto_encode_verdict(&v, msg, sizeof(msg)) == 0,
	   "verdict with an unterminated field refused");
	sample_verdict(&v);
	v.network = 2;
	ok(proto_encode_verdict(&v, msg, sizeof(msg)) == 0,
	   "verdict network 2 refused");
	sample_verdict(&v);
	v.tier = TIER_COUNT;
	ok(proto_encode_verdict(&v, msg, sizeof(msg)) == 0,
	   "verdict tier 5 refused");
}

static bool result_round_trip(const struct result *r)
{
	struct result d;
	size_t n = proto_encode_result(r, msg, sizeof(msg));

	return n && proto_decode_result(msg, n, &d) == 0 &&
	       memcmp(r, &d, sizeof(d)) == 0;
}

static void test_result_and_signal(void)
{
	struct result r = { .exit_code = 3, .wall_ms = 1234, .cpu_ms = 99,
			    .max_rss_kb = UINT64_MAX };
	int32_t sig;
	size_t n;

	ok(result_round_trip(&r), "result round trip, exited 3");
	r = (struct result){ .exit_code = -1, .signal = 9, .timed_out = 1,
			     .killed_reason = KILL_TIMEOUT };
	ok(result_round_trip(&r), "result round trip, killed on timeout");
	r.killed_reason = KILL_CLIENT_GONE;
	ok(result_round_trip(&r), "result round trip, client gone");
	r.killed_reason = KILL_REASON_COUNT;
	ok(proto_encode_result(&r, msg, sizeof(msg)) == 0,
	   "killed_reason 6 refused");
	r.killed_reason = 0;
	r.timed_out = 2;
	ok(proto_encode_result(&r, msg, sizeof(msg)) == 0, "timed_out 2 refused");
	r = (struct result){ .exit_code = 0, .signal = 9 };
	ok(proto_encode_result(&r, msg, sizeof(msg)) == 0,
	   "a signal with an exit code refused");
	r = (struct result){ .exit_code = 256 };
	ok(proto_encode_result(&r, msg, sizeof(msg)) == 0, "exit code 256 refused");
	r = (struct result){ .exit_code = 0 };
	n = proto_encode_result(&r, msg, sizeof(msg));
	msg[PROTO_HDR_LEN + 9] = KILL_REASON_COUNT;
	ok(proto_decode_result(msg, n, &r) == -1,
	   "decoder refuses killed_reason 6");

	n = proto_encode_signal(2, msg, sizeof(msg));
	ok(n && proto_decode_signal(msg, n, &sig) == 0 && sig == 2,
	   "signal round trip");
	ok(proto_peek_type(msg, n) == MSG_SIGNAL, "peek_type sees a signal");
	ok(proto_decode_signal(msg, n - 1, &sig) == -1 && sig == 0,
	   "truncated signal refused, output cleared");
	ok(proto_encode_signal(0, msg, sizeof(msg)) == 0 &&
		   proto_encode_signal(65, msg, sizeof(msg)) == 0,
	   "signals 0 and 65 refused");
	put_le32(msg + PROTO_HDR_LEN, 0xffffffffu);
	ok(proto_decode_signal(msg, n, &sig) == -1,
	   "decoder refuses signal -1");
}

static void test_job_state(void)
{
	uint8_t rec[64];
	size_t n;
	int st;

	n = proto_encode_job_state(JOB_STOPPED, rec, sizeof(rec));
	ok(n && proto_peek_type(rec, n) == MSG_JOB_STATE &&
		   proto_decode_job_state(rec, n, &st) == 0 && st == JOB_STOPPED,
	   "job state round trip (stopped)");
	n = proto_encode_job_state(JOB_CONTINUED, rec, sizeof(rec));
	ok(n && proto_decode_job_state(rec, n, &st) == 0 &&
		   st == JOB_CONTINUED,
	   "job state round trip (continued)");
	ok(proto_encode_job_state(0, rec, sizeof(rec)) == 0 &&
		   proto_encode_job_state(3, rec, sizeof(rec)) == 0,
	   "job states 0 and 3 refused");
	rec[PROTO_HDR_LEN] = 3;
	ok(proto_decode_job_state(rec, n, &st) == -1 && st == 0,
	   "decoder refuses job state 3, output cleared");
	ok(proto_decode_job_state(rec, n - 1, &st) == -1,
	   "truncated job state refused");
}

static void sample_listing(struct listing *l)
{
	memset(l, 0, sizeof(*l));
	strcpy(l->user, "alice");
	l->default_tier = TIER_ISOLATED;
	l->ntiers = TIER_COUNT;
	for (uint32_t i = 0; i < TIER_COUNT; i++) {
		struct listing_tier *t = &l->tiers[i];

		t->tier = (uint8_t)i;
		t->network = i & 1;
		t->rule_line = i * 10;
		t->ceil.set = LIM_ALL_MASK;
		for (int id = 0; id < LIM_COUNT; id++)
			t->ceil.v[id] = 1000 + i;
		t->max_output_bytes = 1 << 20;
		memset(t->run_as, 'r', sizeof(t->run_as) - 1);
	}
	l->nexe = l->nenv = l->nimages = PROTO_MAX_LIST;
	for (uint32_t i = 0; i < PROTO_MAX_LIST; i++) {
		memset(l->exe[i], 'x', sizeof(l->exe[i]) - 1);
		memset(l->env[i], 'E', sizeof(l->env[i]) - 1);
		memset(l->images[i], 'i', sizeof(l->images[i]) - 1);
	}
}

static void test_listing(void)
{
	static struct listing l, d;
	size_t n, i, bad = 0;

	sample_listing(&l);
	n = proto_encode_listing(&l, msg, sizeof(msg));
	ok(n && proto_decode_listing(msg, n, &d) == 0 &&
		   memcmp(&l, &d, sizeof(l)) == 0,
	   "listing round trip, every list full (%zu bytes)", n);
	for (i = 0; i < n; i += 7)
		bad += proto_decode_listing(msg, i, &d) != -1;
	ok(bad == 0, "truncations of a listing fail");
	memset(&l, 0, sizeof(l));
	n = proto_encode_listing(&l, msg, sizeof(msg));
	ok(n && proto_decode_listing(msg, n, &d) == 0 &&
		   memcmp(&l, &d, sizeof(l)) == 0,
	   "empty listing round-trips");
	l.ntiers = TIER_COUNT + 1;
	ok(proto_encode_listing(&l, msg, sizeof(msg)) == 0, "ntiers 6 refused");
	l.ntiers = 0;
	l.nexe = PROTO_MAX_LIST + 1;
	ok(proto_encode_listing(&l, msg, sizeof(msg)) == 0, "nexe 65 refused");
	l.nexe = 0;
	l.default_tier = TIER_COUNT;
	ok(proto_encode_listing(&l, msg, sizeof(msg)) == 0,
	   "default tier 5 refused");
	sample_listing(&l);
	l.tiers[2].ceil.v[LIM_OPEN_FILES] = 0;
	ok(proto_encode_listing(&l, msg, sizeof(msg)) == 0,
	   "listing with a zero ceiling refused");
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Send one record carrying nfds copies of /dev/null as SCM_RIGHTS. */
static int send_with_fd(int sock, const uint8_t *m, size_t n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)m, .iov_len = n };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ssize_t rc;

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	rc = sendmsg(sock, &mh, MSG_NOSIGNAL);
	close(fd);
	return rc == (ssize_t)n ? 0 : -1;
}

static void test_socket_io(void)
{
	static struct request r;
	static uint8_t small[100];
	int sv[2], before, pfd = -1;
	size_t n;
	long got;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		ok(false, "socketpair");
		return;
	}
	sample_request(&r);
	n = proto_encode_request(&r, msg, sizeof(msg));
	ok(proto_send(sv[0], msg, n) == 0, "proto_send a request");
	got = proto_recv(sv[1], msg2, sizeof(msg2));
	ok(got == (long)n && memcmp(msg, msg2, n) == 0 &&
		   proto_decode_request(msg2, (size_t)got, &req) == 0,
	   "proto_recv gets the same record, which decodes");

	ok(n > sizeof(small) && proto_send(sv[0], msg, n) == 0 &&
		   proto_recv(sv[1], small, sizeof(small)) == -1,
	   "a record larger than the receive buffer is refused");
	ok(proto_send(sv[0], msg, PROTO_MAX_MSG + 1) == -1,
	   "proto_send refuses a record over PROTO_MAX_MSG");

	before = count_fds();
	ok(send_with_fd(sv[0], msg, n) == 0 &&
		   proto_recv(sv[1], msg2, sizeof(msg2)) == -1,
	   "a record carrying an SCM_RIGHTS fd is refused");
	ok(before > 0 && count_fds() == before,
	   "the passed fd was closed (%d fds before and after)", before);
	ok(proto_send_fd(sv[0], msg, n, 0) == 0 &&
		   proto_recv_fd(sv[1], msg2, sizeof(msg2), &pfd) == (long)n &&
		   pfd > 2 && (fcntl(pfd, F_GETFD) & FD_CLOEXEC),
	   "proto_recv_fd takes the one fd passed, close-on-exec");
	if (pfd >= 0)
		close(pfd);
	ok(proto_send(sv[0], msg, n) == 0 &&
		   proto_recv_fd(sv[1], msg2, sizeof(msg2), &pfd) == (long)n &&
		   pfd == -1,
	   "proto_recv_fd without a passed fd gives -1");

	n = proto_encode_signal(15, msg, sizeof(msg));
	ok(proto_send(sv[0], msg, n) == 0 &&
		   proto_recv(sv[1], msg2, sizeof(msg2)) == (long)n,
	   "the socket still works after a refused record");
	shutdown(sv[0], SHUT_WR);
	ok(proto_recv(sv[1], msg2, sizeof(msg2)) == 0, "orderly EOF gives 0");
	close(sv[0]);
	close(sv[1]);
	ok(proto_recv(-1, msg2, sizeof(msg2)) == -1 &&
		   proto_send(-1, msg, n) == -1,
	   "a bad fd gives -1");
}

static void test_names(void)
{
	ok(tier_from_name("none") == TIER_NONE &&
		   tier_from_name("Native") == TIER_NONE &&
		   tier_from_name("ISOLATED") == TIER_ISOLATED &&
		   tier_from_name("docker") == TIER_DOCKER &&
		   tier_from_name("Tier1") == TIER_DOCKER &&
		   tier_from_name("gVisor") == TIER_GVISOR &&
		   tier_from_name("tier2") == TIER_GVISOR &&
		   tier_from_name("firecracker") == TIER_FIRECRACKER &&
		   tier_from_name("TIER3") == TIER_FIRECRACKER,
	   "tier_from_name: names and aliases, any case");
	ok(tier_from_name("") == -1 && tier_from_name("tier0") == -1 &&
		   tier_from_name("none ") == -1 && tier_from_name(NULL) == -1,
	   "tier_from_name refuses unknown names");
	ok(strcmp(tier_name(TIER_GVISOR), "gvisor") == 0 &&
		   tier_name(TIER_COUNT) == NULL && tier_name(-1) == NULL,
	   "tier_name");
	ok(strcmp(limit_name(LIM_TIMEOUT_S), "max_execution_time_seconds") == 0 &&
		   strcmp(limit_name(LIM_CPU_MILLICORES), "max_cpu_cores") == 0 &&
		   limit_name(LIM_COUNT) == NULL,
	   "limit_name");
	ok(strcmp(limit_option(LIM_TIMEOUT_S), "--timeout") == 0 &&
		   strcmp(limit_option(LIM_OPEN_FILES), "--max-open-files") == 0,
	   "limit_option");
	ok(strcmp(limit_unit(LIM_MEMORY_MB), "MB") == 0 &&
		   strcmp(limit_unit(LIM_CPU_MILLICORES), "cores") == 0 &&
		   strcmp(limit_unit(LIM_PROCESSES), "") == 0,
	   "limit_unit");
	ok(kill_reason_name(KILL_NONE) == NULL &&
		   strcmp(kill_reason_name(KILL_CLIENT_GONE), "client-gone") == 0 &&
		   kill_reason_name(KILL_REASON_COUNT) == NULL,
	   "kill_reason_name");
}

static void test_buf(void)
{
	uint8_t b[16];
	char s[8];
	struct buf_writer w;
	struct buf_reader r;
	uint32_t v32 = 7;
	uint64_t v64 = 7;
	size_t used = 9;

	buf_writer_init(&w, b, 5);
	buf_put_u32(&w, 0x01020304);
	ok(buf_writer_ok(&w) && b[0] == 4 && b[3] == 1, "buf: little-endian");
	buf_put_u16(&w, 1);
	buf_put_u8(&w, 1);
	ok(!buf_writer_ok(&w) && w.len == 4,
	   "buf: overflow latches, later puts are no-ops");
	buf_writer_init(&w, b, sizeof(b));
	buf_put_str(&w, "abc", 2);
	ok(!buf_writer_ok(&w), "buf: put_str over its max latches");

	buf_reader_init(&r, b, 3);
	buf_get_u32(&r, &v32);
	buf_get_u64(&r, &v64);
	ok(!buf_reader_ok(&r) && v32 == 0 && v64 == 0,
	   "buf: short read latches and clears outputs");
	buf_writer_init(&w, b, sizeof(b));
	buf_put_str(&w, "abcdefgh", PROTO_MAX_STR);
	buf_reader_init(&r, b, w.len);
	buf_get_str(&r, s, sizeof(s), &used);
	ok(!buf_reader_ok(&r) && used == 0 && s[0] == '\0',
	   "buf: string that does not fit with its NUL refused");
	buf_writer_init(&w, b, sizeof(b));
	buf_put_str(&w, "abcdefg", PROTO_MAX_STR);
	buf_put_u8(&w, 1);
	buf_reader_init(&r, b, w.len);
	buf_get_str(&r, s, sizeof(s), &used);
	ok(buf_reader_ok(&r) && used == 8 && strcmp(s, "abcdefg") == 0 &&
		   !buf_reader_done(&r),
	   "buf: string fits exactly; trailing byte detected");
}

int main(void)
{
	printf("1..114\n");
	test_request_round_trips();
	test_request_caps();
	test_request_refusals();
	test_truncations_and_mutations();
	test_verdict();
	test_result_and_signal();
	test_job_state();
	test_listing();
	test_socket_io();
	test_names();
	test_buf();
	if (test_no != 114)
		printf("# ran %d tests, planned 114\n", test_no);
	return failures || test_no != 114;
}
