/*
 * The one place that maps a tier to its mechanisms (see helper.h, "THE
 * TIER SEAM"). A tier without ops is refused as not available yet.
 */
#include <stddef.h>

#include "helper.h"

static const struct tier_ops tier_none_ops = {
	.prepare = exe_resolve,
};

extern const struct tier_ops tier_isolated_ops;
extern const struct tier_ops tier_docker_ops;

const struct tier_ops *tier_ops_for(int tier)
{
	switch (tier) {
	case TIER_NONE:
		return &tier_none_ops;
	case TIER_ISOLATED:
		return &tier_isolated_ops;
	case TIER_DOCKER:
	case TIER_GVISOR:
		return &tier_docker_ops;
	default:
		return NULL;
	}
}
