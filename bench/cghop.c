/*
 * The setuid hop of issue 15's floor plus the kernel work every tier-none
 * job needs and no design can skip: the job's own cgroups
 * (bench/cgfloor.h). Installed setuid root and run as
 * `hop cghop /bin/true`. Nothing else: no policy, no request, no checks,
 * no audit. Tier none's distance to this row is what symbi-exec itself
 * costs; this row's distance to the plain floor is what the kernel
 * charges for the cgroups. A benchmark tool, never installed by the
 * product.
 */
#include "cgfloor.h"

int main(int argc, char **argv)
{
	return argc < 2 ? 125 : cgfloor_run(argv + 1, 0, NULL);
}
