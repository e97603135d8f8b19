/*
 * libFuzzer target: the input is decoded as every message type. Whatever
 * decodes must re-encode to the very same bytes (the encoding is
 * canonical) and decode again to the same contents.
 *
 * From the top directory, with clang: compile this file and shared's .c
 * files with -g -fsanitize=fuzzer,address,undefined -I. -Ibuild
 * -D_GNU_SOURCE, then run the
 * binary on tests/fuzz/corpus/request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[PROTO_MAX_MSG];

static void check(int cond)
{
	if (!cond)
		abort();
}

/* The encoder gave back exactly the input. */
static void check_same_bytes(const uint8_t *data, size_t size, size_t n)
{
	check(n == size);
	check(memcmp(out, data, size) == 0);
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_list(const char *const *a, const char *const *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		check(a[i] && str_eq(a[i], b[i]));
}

static int fuzz_request(const uint8_t *data, size_t size)
{
	static struct request a, b;

	if (proto_decode_request(data, size, &a) != 0)
		return 0;
	check_same_bytes(data, size, proto_encode_request(&a, out, sizeof(out)));
	check(proto_decode_request(out, size, &b) == 0);
	check(a.mode == b.mode && a.tier == b.tier && a.flags == b.flags);
	check(memcmp(&a.lim, &b.lim, sizeof(a.lim)) == 0);
	check(str_eq(a.workdir, b.workdir) && str_eq(a.image, b.image));
	check(a.argc == b.argc && a.envc == b.envc && a.volc == b.volc);
	check(b.argv[b.argc] == NULL);
	check_list(a.argv, b.argv, a.argc);
	check_list(a.env, b.env, a.envc);
	check_list(a.vol, b.vol, a.volc);
	return 1;
}

static int fuzz_verdict(const uint8_t *data, size_t size)
{
	static struct verdict a, b;

	if (proto_decode_verdict(data, size, &a) != 0)
		return 0;
	check_same_bytes(data, size, proto_encode_verdict(&a, out, sizeof(out)));
	check(proto_decode_verdict(out, size, &b) == 0);
	check(memcmp(&a, &b, sizeof(a)) == 0);
	return 1;
}

static int fuzz_result(const uint8_t *data, size_t size)
{
	struct result a, b;

	if (proto_decode_result(data, size, &a) != 0)
		return 0;
	check_same_bytes(data, size, proto_encode_result(&a, out, sizeof(out)));
	check(proto_decode_result(out, size, &b) == 0);
	check(memcmp(&a, &b, sizeof(a)) == 0);
	return 1;
}

static int fuzz_signal(const uint8_t *data, size_t size)
{
	int32_t a, b;

	if (proto_decode_signal(data, size, &a) != 0)
		return 0;
	check_same_bytes(data, size, proto_encode_signal(a, out, sizeof(out)));
	check(proto_decode_signal(out, size, &b) == 0 && a == b);
	return 1;
}

static int fuzz_listing(const uint8_t *data, size_t size)
{
	static struct listing a, b;

	if (proto_decode_listing(data, size, &a) != 0)
		return 0;
	check_same_bytes(data, size, proto_encode_listing(&a, out, sizeof(out)));
	check(proto_decode_listing(out, size, &b) == 0);
	check(memcmp(&a, &b, sizeof(a)) == 0);
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int type = proto_peek_type(data, size);
	int decoded = 0;

	/* At most one decoder accepts a record: the one peek_type names. */
	if (fuzz_request(data, size))
		check(type == MSG_REQUEST && !decoded++);
	if (fuzz_verdict(data, size))
		check(type == MSG_VERDICT && !decoded++);
	if (fuzz_result(data, size))
		check(type == MSG_RESULT && !decoded++);
	if (fuzz_signal(data, size))
		check(type == MSG_SIGNAL && !decoded++);
	if (fuzz_listing(data, size))
		check(type == MSG_LISTING && !decoded++);
	return 0;
}
