/* --help and --version: the short form of symbi-exec(1). */
#include "client/usage.h"

#include <stdio.h>

#include "paths.h"

static const char help_text[] =
	"usage: symbi-exec [OPTIONS] [--] [COMMAND [ARG...]]\n"
	"       symbi-exec --dry-run [OPTIONS] [COMMAND [ARG...]]\n"
	"       symbi-exec --list\n"
	"       symbi-exec --check-policy[=FILE]\n"
	"\n"
	"Run COMMAND under the limits and isolation of the policy\n"
	"  " POLICY_PATH "\n"
	"in the current directory; without COMMAND, the policy's\n"
	"default_executable reads the program from standard input.\n"
	"\n"
	"  -t, --sandbox-tier=TIER   none (native), isolated, docker (tier1),\n"
	"                            gvisor (tier2), firecracker (tier3)\n"
	"      --native              same as --sandbox-tier=none\n"
	"      --max-memory=SIZE     memory, swap included: MiB, or 512M, 2G\n"
	"      --max-cpu=CORES       CPU cores, e.g. 0.5 or 2\n"
	"      --max-cpu-seconds=T   CPU time: seconds, or 90s, 10m, 2h\n"
	"      --timeout=T           wall-clock time; the whole job is killed\n"
	"      --max-processes=N     processes and threads\n"
	"      --max-file-size=SIZE  largest file the job may write\n"
	"      --max-open-files=N    open file descriptors\n"
	"  -C, --workdir=DIR         run in DIR instead of the current directory\n"
	"      --private             run in a fresh private work directory\n"
	"      --keep-workdir        --private, and keep the directory afterwards\n"
	"  -e, --env=NAME[=VALUE]    pass a variable, or the caller's NAME\n"
	"      --network             ask for network access\n"
	"      --image=IMAGE         container image (docker tiers)\n"
	"  -v, --volume=SRC[:DST][:ro|:rw] extra mount (isolated and docker tiers)\n"
	"      --json                capture the output, print one JSON object\n"
	"      --pty, --no-pty       force or refuse a terminal for the job\n"
	"  -l, --list                show what the policy allows you\n"
	"      --dry-run             show the decision and limits, run nothing\n"
	"      --check-policy[=FILE] check a policy file and report its errors\n"
	"  -q, --quiet               no informational messages\n"
	"      --verbose             show the decision before the job runs\n"
	"      --version             show the version\n"
	"  -h, --help                show this help\n"
	"\n"
	"Defaults: SYMBIONT_DEFAULT_SANDBOX_TIER, SYMBIONT_NATIVE_MAX_MEMORY_MB,\n"
	"SYMBIONT_NATIVE_MAX_CPU_CORES, SYMBIONT_NATIVE_WORKING_DIR.\n"
	"Exit status: the job's; 128+N if killed by signal N; 124 timeout;\n"
	"125 refused or failed; 126 cannot run COMMAND; 127 COMMAND not found\n"
	"or not allowed. See symbi-exec(1).\n";

void usage_help(void)
{
	fputs(help_text, stdout);
}

void usage_version(void)
{
	printf("symbi-exec %s\npolicy: %s\nhelper: %s\n", SYMBI_VERSION,
	       POLICY_PATH, HELPER_PATH);
}
