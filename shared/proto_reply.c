/*
 * The helper's replies: verdict, result and listing. Fixed-size string
 * fields travel as strings and must fit their field with the NUL.
 */
#include "shared/proto_wire.h"

#include <string.h>

/* A fixed char field: it must be NUL-terminated within its size. */
static void put_field(struct buf_writer *w, const char *s, size_t size)
{
	if (strnlen(s, size) == size) {
		w->err = true;
		return;
	}
	buf_put_str(w, s, size - 1);
}

static bool status_ok(uint8_t status)
{
	return status == 0 || status == 125 || status == 126 || status == 127;
}

static bool verdict_ok(const struct verdict *v)
{
	return status_ok(v->status) && v->tier < TIER_COUNT &&
	       wire_bool_ok(v->network) && wire_limits_ok(&v->lim);
}

size_t proto_encode_verdict(const struct verdict *v, uint8_t *out, size_t cap)
{
	struct buf_writer w;

	if (!verdict_ok(v))
		return 0;
	wire_begin(&w, out, cap, MSG_VERDICT);
	buf_put_u8(&w, v->status);
	buf_put_u8(&w, v->tier);
	buf_put_u8(&w, v->network);
	buf_put_u32(&w, v->rule_line);
	wire_put_limits(&w, &v->lim);
	buf_put_u64(&w, v->max_output_bytes);
	put_field(&w, v->message, sizeof(v->message));
	put_field(&w, v->executable, sizeof(v->executable));
	put_field(&w, v->workdir, sizeof(v->workdir));
	put_field(&w, v->job_id, sizeof(v->job_id));
	put_field(&w, v->run_as, sizeof(v->run_as));
	return wire_end(&w);
}

int proto_decode_verdict(const uint8_t *msg, size_t len, struct verdict *v)
{
	struct buf_reader r;

	memset(v, 0, sizeof(*v));
	if (!wire_open(&r, msg, len, MSG_VERDICT))
		return -1;
	buf_get_u8(&r, &v->status);
	buf_get_u8(&r, &v->tier);
	buf_get_u8(&r, &v->network);
	buf_get_u32(&r, &v->rule_line);
	wire_get_limits(&r, &v->lim);
	buf_get_u64(&r, &v->max_output_bytes);
	buf_get_str(&r, v->message, sizeof(v->message), NULL);
	buf_get_str(&r, v->executable, sizeof(v->executable), NULL);
	buf_get_str(&r, v->workdir, sizeof(v->workdir), NULL);
	buf_get_str(&r, v->job_id, sizeof(v->job_id), NULL);
	buf_get_str(&r, v->run_as, sizeof(v->run_as), NULL);
	if (buf_reader_done(&r) && verdict_ok(v))
		return 0;
	memset(v, 0, sizeof(*v));
	return -1;
}

/* Either exited (code 0..255, no signal) or killed (code -1, signal
 * 1..64); a kill reason only names one of enum kill_reason. */
static bool result_ok(const struct result *res)
{
	bool killed = res->signal != 0;

	if (res->signal < 0 || res->signal > 64)
		return false;
	if (killed ? res->exit_code != -1
		   : res->exit_code < 0 || res->exit_code > 255)
		return false;
	return wire_bool_ok(res->timed_out) &&
	       res->killed_reason < KILL_REASON_COUNT;
}

size_t proto_encode_result(const struct result *res, uint8_t *out, size_t cap)
{
	struct buf_writer w;

	if (!result_ok(res))
		return 0;
	wire_begin(&w, out, cap, MSG_RESULT);
	buf_put_u32(&w, (uint32_t)res->exit_code);
	buf_put_u32(&w, (uint32_t)res->signal);
	buf_put_u8(&w, res->timed_out);
	buf_put_u8(&w, res->killed_reason);
	buf_put_u64(&w, res->wall_ms);
	buf_put_u64(&w, res->cpu_ms);
	buf_put_u64(&w, res->max_rss_kb);
	return wire_end(&w);
}

int proto_decode_result(const uint8_t *msg, size_t len, struct result *res)
{
	struct buf_reader r;
	uint32_t code = 0, sig = 0;

	memset(res, 0, sizeof(*res));
	if (!wire_open(&r, msg, len, MSG_RESULT))
		return -1;
	buf_get_u32(&r, &code);
	buf_get_u32(&r, &sig);
	buf_get_u8(&r, &res->timed_out);
	buf_get_u8(&r, &res->killed_reason);
	buf_get_u64(&r, &res->wall_ms);
	buf_get_u64(&r, &res->cpu_ms);
	buf_get_u64(&r, &res->max_rss_kb);
	res->exit_code = (int32_t)code;
	res->signal = (int32_t)sig;
	if (buf_reader_done(&r) && result_ok(res))
		return 0;
	memset(res, 0, sizeof(*res));
	return -1;
}

static bool listing_tier_ok(const struct listing_tier *t)
{
	return t->tier < TIER_COUNT && wire_bool_ok(t->network) &&
	       wire_limits_ok(&t->ceil);
}

static bool listing_ok(const struct listing *l)
{
	uint32_t i;

	if (l->default_tier >= TIER_COUNT || l->ntiers > TIER_COUNT ||
	    l->nexe > PROTO_MAX_LIST || l->nenv > PROTO_MAX_LIST ||
	    l->nimages > PROTO_MAX_LIST)
		return false;
	for (i = 0; i < l->ntiers; i++)
		if (!listing_tier_ok(&l->tiers[i]))
			return false;
	return true;
}

static void put_listing_tier(struct buf_writer *w, const struct listing_tier *t)
{
	buf_put_u8(w, t->tier);
	buf_put_u8(w, t->network);
	buf_put_u32(w, t->rule_line);
	wire_put_limits(w, &t->ceil);
	buf_put_u64(w, t->max_output_bytes);
	put_field(w, t->run_as, sizeof(t->run_as));
}

size_t proto_encode_listing(const struct listing *l, uint8_t *out, size_t cap)
{
	struct buf_writer w;
	uint32_t i;

	if (!listing_ok(l))
		return 0;
	wire_begin(&w, out, cap, MSG_LISTING);
	put_field(&w, l->user, sizeof(l->user));
	buf_put_u8(&w, l->default_tier);
	buf_put_u32(&w, l->ntiers);
	for (i = 0; i < l->ntiers; i++)
		put_listing_tier(&w, &l->tiers[i]);
	buf_put_u32(&w, l->nexe);
	for (i = 0; i < l->nexe; i++)
		put_field(&w, l->exe[i], sizeof(l->exe[i]));
	buf_put_u32(&w, l->nenv);
	for (i = 0; i < l->nenv; i++)
		put_field(&w, l->env[i], sizeof(l->env[i]));
	buf_put_u32(&w, l->nimages);
	for (i = 0; i < l->nimages; i++)
		put_field(&w, l->images[i], sizeof(l->images[i]));
	return wire_end(&w);
}

static void get_listing_tier(struct buf_reader *r, struct listing_tier *t)
{
	buf_get_u8(r, &t->tier);
	buf_get_u8(r, &t->network);
	buf_get_u32(r, &t->rule_line);
	wire_get_limits(r, &t->ceil);
	buf_get_u64(r, &t->max_output_bytes);
	buf_get_str(r, t->run_as, sizeof(t->run_as), NULL);
}

/* A count no larger than max; the error latches otherwise. */
static uint32_t get_count(struct buf_reader *r, uint32_t max)
{
	uint32_t n;

	buf_get_u32(r, &n);
	if (n <= max)
		return n;
	r->err = true;
	return 0;
}

int proto_decode_listing(const uint8_t *msg, size_t len, struct listing *l)
{
	struct buf_reader r;
	uint32_t i;

	memset(l, 0, sizeof(*l));
	if (!wire_open(&r, msg, len, MSG_LISTING))
		return -1;
	buf_get_str(&r, l->user, sizeof(l->user), NULL);
	buf_get_u8(&r, &l->default_tier);
	l->ntiers = get_count(&r, TIER_COUNT);
	for (i = 0; i < l->ntiers && buf_reader_ok(&r); i++)
		get_listing_tier(&r, &l->tiers[i]);
	l->nexe = get_count(&r, PROTO_MAX_LIST);
	for (i = 0; i < l->nexe && buf_reader_ok(&r); i++)
		buf_get_str(&r, l->exe[i], sizeof(l->exe[i]), NULL);
	l->nenv = get_count(&r, PROTO_MAX_LIST);
	for (i = 0; i < l->nenv && buf_reader_ok(&r); i++)
		buf_get_str(&r, l->env[i], sizeof(l->env[i]), NULL);
	l->nimages = get_count(&r, PROTO_MAX_LIST);
	for (i = 0; i < l->nimages && buf_reader_ok(&r); i++)
		buf_get_str(&r, l->images[i], sizeof(l->images[i]), NULL);
	if (buf_reader_done(&r) && listing_ok(l))
		return 0;
	memset(l, 0, sizeof(*l));
	return -1;
}
