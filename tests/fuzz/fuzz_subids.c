/*
 * libFuzzer target: a line of /etc/subuid or /etc/subgid, which the
 * setuid helper reads as root before a run_as_pool job
 * (policy/subids.c: subid_line, subid_overlaps). The input is one line
 * (NULs included). Beyond "no crash":
 *  - the parse is deterministic and answers 1, 0 or -1;
 *  - 0 only for an empty line or one starting with '#';
 *  - an accepted range has a non-empty printable owner of at most
 *    SUBID_OWNER_MAX bytes without ':', bounds within 32 bits at the
 *    start, and renders back (OWNER:START:COUNT) to a line that parses
 *    to the same range;
 *  - overlap agrees with a plain id-by-id check on a window around
 *    the range's ends.
 * Seeds: tests/fuzz/corpus/subids.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/subids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool cond)
{
	if (!cond)
		abort();
}

static bool contains(const struct subid_range *r, uint64_t id)
{
	return r->first <= id && id <= r->last;
}

/* Pools of one to three ids near each end: overlap iff one id is in. */
static void check_overlap(const struct subid_range *r)
{
	const uint64_t ends[2] = { r->first, r->last };

	for (int e = 0; e < 2; e++)
		for (uint64_t a = ends[e] > 2 ? ends[e] - 2 : 0;
		     a <= ends[e] + 2; a++)
			for (uint64_t b = a; b < a + 3; b++) {
				bool any = false;

				for (uint64_t id = a; id <= b; id++)
					any |= contains(r, id);
				check(subid_overlaps(r, a, b) == any);
			}
}

static void check_range(const struct subid_range *r)
{
	struct subid_range back;
	char line[128];
	size_t n = strlen(r->owner);
	uint64_t count = r->first <= r->last ? r->last - r->first + 1 : 0;
	int len;

	check(n > 0 && n <= SUBID_OWNER_MAX && !strchr(r->owner, ':'));
	for (size_t i = 0; i < n; i++)
		check((unsigned char)r->owner[i] > ' ' &&
		      (unsigned char)r->owner[i] < 0x7f);
	check(count <= UINT32_MAX && (count == 0 || r->first <= UINT32_MAX));
	if (count == 0)
		return;
	len = snprintf(line, sizeof(line), "%s:%llu:%llu", r->owner,
		       (unsigned long long)r->first, (unsigned long long)count);
	check(subid_line(line, (size_t)len, &back) == 1);
	check(strcmp(back.owner, r->owner) == 0 && back.first == r->first &&
	      back.last == r->last);
	check_overlap(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct subid_range a, b;
	int ra = subid_line((const char *)data, size, &a);
	int rb = subid_line((const char *)data, size, &b);

	check(ra == rb && ra >= -1 && ra <= 1);
	check((ra == 0) == (size == 0 || data[0] == '#'));
	if (ra == 1) {
		check(strcmp(a.owner, b.owner) == 0 && a.first == b.first &&
		      a.last == b.last);
		check_range(&a);
	}
	return 0;
}
