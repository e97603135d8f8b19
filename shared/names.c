/* Names of tiers, limits and kill reasons, as SPEC spells them. */
#include "shared/proto.h"

#include <strings.h>

static const struct {
	const char *name;
	int tier;
} tier_aliases[] = {
	{ "none", TIER_NONE },
	{ "native", TIER_NONE },
	{ "isolated", TIER_ISOLATED },
	{ "docker", TIER_DOCKER },
	{ "tier1", TIER_DOCKER },
	{ "gvisor", TIER_GVISOR },
	{ "tier2", TIER_GVISOR },
	{ "firecracker", TIER_FIRECRACKER },
	{ "tier3", TIER_FIRECRACKER },
};

static const char *const tier_names[TIER_COUNT] = {
	"none", "isolated", "docker", "gvisor", "firecracker",
};

static const char *const limit_names[LIM_COUNT] = {
	"max_memory_mb",   "max_cpu_cores",  "max_cpu_seconds",
	"max_execution_time_seconds",        "max_processes",
	"max_file_size_mb", "max_open_files", "kill_grace_seconds",
};

static const char *const limit_options[LIM_COUNT] = {
	"--max-memory",    "--max-cpu",       "--max-cpu-seconds", "--timeout",
	"--max-processes", "--max-file-size", "--max-open-files",
	"--kill-after",
};

static const char *const limit_units[LIM_COUNT] = {
	"MB", "cores", "s", "s", "", "MB", "", "s",
};

static const char *const kill_reasons[KILL_REASON_COUNT] = {
	NULL, "timeout", "memory", "cpu", "output", "client-gone",
};

int tier_from_name(const char *name)
{
	size_t i;

	if (!name)
		return -1;
	for (i = 0; i < sizeof(tier_aliases) / sizeof(tier_aliases[0]); i++)
		if (strcasecmp(name, tier_aliases[i].name) == 0)
			return tier_aliases[i].tier;
	return -1;
}

const char *tier_name(int tier)
{
	return tier >= 0 && tier < TIER_COUNT ? tier_names[tier] : NULL;
}

const char *limit_name(int id)
{
	return id >= 0 && id < LIM_COUNT ? limit_names[id] : NULL;
}

const char *limit_option(int id)
{
	return id >= 0 && id < LIM_COUNT ? limit_options[id] : NULL;
}

const char *limit_unit(int id)
{
	return id >= 0 && id < LIM_COUNT ? limit_units[id] : NULL;
}

const char *kill_reason_name(int reason)
{
	return reason >= 0 && reason < KILL_REASON_COUNT ? kill_reasons[reason]
							 : NULL;
}
