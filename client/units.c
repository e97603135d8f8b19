/* Sizes and times with a unit: see units.h. No side effects. */
#include "client/units.h"

#include <string.h>

#include "shared/util.h"

/* Splits s into its leading digits, read as a number (any value from 1
 * up), and what follows. */
static int split(const char *s, uint64_t *num, const char **suffix)
{
	char digits[21]; /* UINT64_MAX has 20 */
	size_t n;

	if (!s)
		return -1;
	n = strspn(s, "0123456789");
	if (n == 0 || n >= sizeof(digits))
		return -1;
	memcpy(digits, s, n);
	digits[n] = '\0';
	*suffix = s + n;
	return parse_u64(digits, UINT64_MAX, num);
}

/* n * mult, or -1 on overflow. */
static int scale(uint64_t n, uint64_t mult, uint64_t *out)
{
	if (n > UINT64_MAX / mult)
		return -1;
	*out = n * mult;
	return 0;
}

static enum units_rc in_range(uint64_t v, uint64_t max, uint64_t *out)
{
	if (v < 1 || v > max)
		return UNITS_BAD;
	*out = v;
	return UNITS_OK;
}

enum units_rc units_size_mib(const char *s, uint64_t max_mib, uint64_t *out)
{
	const char *suffix;
	uint64_t n, mib;

	if (split(s, &n, &suffix) != 0 || (suffix[0] && suffix[1]))
		return UNITS_BAD;
	switch (suffix[0]) {
	case '\0': case 'M': case 'm':
		mib = n;
		break;
	case 'K': case 'k':
		if (n % 1024 != 0)
			return UNITS_FRACTION;
		mib = n / 1024;
		break;
	case 'G': case 'g':
		if (scale(n, 1024, &mib) != 0)
			return UNITS_BAD;
		break;
	default:
		return UNITS_BAD;
	}
	return in_range(mib, max_mib, out);
}

enum units_rc units_seconds(const char *s, uint64_t max_s, uint64_t *out)
{
	const char *suffix;
	uint64_t n, mult, secs;

	if (split(s, &n, &suffix) != 0 || (suffix[0] && suffix[1]))
		return UNITS_BAD;
	switch (suffix[0]) {
	case '\0': case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	default: return UNITS_BAD;
	}
	if (scale(n, mult, &secs) != 0)
		return UNITS_BAD;
	return in_range(secs, max_s, out);
}
