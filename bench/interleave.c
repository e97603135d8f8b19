/*
 * Interleaved startup timing (issue 15): every case once per round, in an
 * order rotated by one each round, so a drift of the machine (frequency, a
 * neighbour's build, page cache) lands on every case alike instead of on
 * whichever hyperfine batch ran last. Each run is fork, exec and wait of
 * the command itself, timed with CLOCK_MONOTONIC; nothing else (no shell,
 * no setpriv) is between the clock and the command, so run this program
 * as the user the cases are measured for.
 *
 *   interleave [-i IDLE_MS] [-w WARMUP] ROUNDS OUTDIR CASEFILE
 *
 * CASEFILE: one case a line, "ID<TAB>PROGRAM ARG...", words split at
 * spaces. Writes OUTDIR/ID.r1.json in hyperfine's export shape
 * ({"results":[{"times":[seconds...]}]}), which bench/stats.py reads. A
 * run that does not exit 0 stops the program: a failing case measures
 * nothing worth reporting.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CASES 32
#define MAX_WORDS 64

struct bcase {
	char id[64];
	char *argv[MAX_WORDS + 1];
	double *times;
};

static struct bcase cases[MAX_CASES];
static int ncases;

static void parse_line(char *line, int lineno)
{
	struct bcase *c = &cases[ncases];
	char *tab = strchr(line, '\t'), *save = NULL, *w;
	int n = 0;

	if (ncases == MAX_CASES)
		errx(2, "more than %d cases", MAX_CASES);
	if (!tab || (size_t)(tab - line) >= sizeof(c->id))
		errx(2, "line %d: want ID<TAB>COMMAND", lineno);
	*tab = '\0';
	snprintf(c->id, sizeof(c->id), "%s", line);
	for (w = strtok_r(tab + 1, " \n", &save); w;
	     w = strtok_r(NULL, " \n", &save)) {
		if (n == MAX_WORDS)
			errx(2, "line %d: more than %d words", lineno,
			     MAX_WORDS);
		c->argv[n++] = strdup(w);
	}
	if (n == 0)
		errx(2, "line %d: no command", lineno);
	ncases++;
}

static void read_cases(const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		err(2, "%s", path);
	while (getline(&line, &cap, f) > 0)
		if (line[0] != '\n' && line[0] != '#')
			parse_line(line, ++lineno);
	free(line);
	fclose(f);
	if (ncases == 0)
		errx(2, "%s: no case", path);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One timed run; the child's stdio goes to /dev/null as hyperfine's. */
static double run_once(const struct bcase *c)
{
	double t0 = now();
	int status;
	pid_t pid = fork();

	if (pid == -1)
		err(1, "fork");
	if (pid == 0) {
		execv(c->argv[0], c->argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		errx(1, "%s: %s failed (status 0x%x)", c->id, c->argv[0],
		     status);
	return now() - t0;
}

static void idle(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	if (ms > 0)
		nanosleep(&ts, NULL);
}

static void write_json(const char *dir, const struct bcase *c, int n)
{
	char path[4096];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/%s.r1.json", dir, c->id);
	f = fopen(path, "w");
	if (!f)
		err(1, "%s", path);
	fprintf(f, "{\"results\":[{\"command\":\"%s\",\"times\":[", c->id);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%.9f", i ? "," : "", c->times[i]);
	fprintf(f, "]}]}\n");
	if (fclose(f) != 0)
		err(1, "%s", path);
}

int main(int argc, char **argv)
{
	long idle_ms = 0;
	int warmup = 1, rounds, r, k, opt;

	while ((opt = getopt(argc, argv, "i:w:")) != -1) {
		if (opt == 'i')
			idle_ms = atol(optarg);
		else if (opt == 'w')
			warmup = atoi(optarg);
		else
			return 2;
	}
	if (argc - optind != 3 || (rounds = atoi(argv[optind])) < 2)
		errx(2, "usage: interleave [-i IDLE_MS] [-w WARMUP] ROUNDS "
			"OUTDIR CASEFILE");
	read_cases(argv[optind + 2]);
	for (k = 0; k < ncases; k++) {
		cases[k].times = calloc((size_t)rounds, sizeof(double));
		if (!cases[k].times)
			err(1, "calloc");
		for (r = 0; r < warmup; r++)
			run_once(&cases[k]);
	}
	for (r = 0; r < rounds; r++)
		for (k = 0; k < ncases; k++) {
			struct bcase *c = &cases[(k + r) % ncases];

			idle(idle_ms);
			c->times[r] = run_once(c);
		}
	for (k = 0; k < ncases; k++)
		write_json(argv[optind + 1], &cases[k], rounds);
	return 0;
}
