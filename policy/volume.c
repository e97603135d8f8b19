/* --volume specs: see volume.h for the syntax and the rules. */
#include "policy/volume.h"

#include <stdio.h>
#include <string.h>

#include "shared/util.h"

#define SYNTAX "SRC[:DST][:ro|:rw]"

/* Host paths no job may mount, nor anything under them: the engines'
 * control sockets and state (a container with the docker socket is root
 * on the host), kernel interfaces, host secrets and boot files. The
 * seeds' DANGEROUS_HOST_PATHS plus the run and state directories of
 * docker, containerd, CRI-O and gVisor, and /dev. The host root "/" is
 * refused on its own. */
static const char *const dangerous_paths[] = {
	"/var/run/docker.sock", "/run/docker.sock", "/var/run/docker",
	"/run/docker", "/var/run/containerd", "/run/containerd",
	"/var/run/crio", "/run/crio", "/run/runc", "/run/runsc",
	"/var/run", "/run", "/proc", "/sys", "/dev", "/boot", "/etc", "/root",
	"/var/lib/docker", "/var/lib/containerd", "/var/lib/kubelet",
	"/var/lib/rancher", "/var/lib/crio",
};

/* Where no volume may land inside the job: it would hide or expose the
 * kernel's views the runtime sets up. */
static const char *const forbidden_targets[] = { "/proc", "/sys", "/dev" };

bool volume_path_under(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return path[0] == '/';
	return strncmp(path, root, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/');
}

static const char *first_under(const char *path, const char *const *list,
			       size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (volume_path_under(path, list[i]))
			return list[i];
	return NULL;
}

static const char *dangerous_match(const char *path)
{
	if (strcmp(path, "/") == 0)
		return "/";
	return first_under(path, dangerous_paths,
			   sizeof(dangerous_paths) / sizeof(*dangerous_paths));
}

bool volume_path_dangerous(const char *path)
{
	return dangerous_match(path) != NULL;
}

static bool has_control_char(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* One field of spec, p[n], as a canonical absolute path into out: the
 * slashes and "." components are dropped, ".." refused. */
static int canon_path(const char *spec, const char *p, size_t n,
		      const char *what, char out[PATH_MAX], char *err,
		      size_t errlen)
{
	size_t o = 0, i = 0, len;

	if (n == 0 || p[0] != '/') {
		fmt_msg(err, errlen, n ? "--volume %s: the %s must be an "
			"absolute path" : "--volume %s: the %s is empty",
			spec, what);
		return -1;
	}
	while (i < n) {
		while (i < n && p[i] == '/')
			i++;
		for (len = 0; i + len < n && p[i + len] != '/'; len++)
			;
		if (len == 2 && p[i] == '.' && p[i + 1] == '.') {
			fmt_msg(err, errlen, "--volume %s: \"..\" in the %s is "
				"refused", spec, what);
			return -1;
		}
		if (len > 0 && !(len == 1 && p[i] == '.')) {
			if (o + 1 + len >= PATH_MAX) {
				fmt_msg(err, errlen, "--volume %.64s...: the %s "
					"is too long", spec, what);
				return -1;
			}
			out[o++] = '/';
			memcpy(out + o, p + i, len);
			o += len;
		}
		i += len;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

static bool is_mode(const char *f, size_t n)
{
	return n == 2 && (memcmp(f, "ro", 2) == 0 || memcmp(f, "rw", 2) == 0);
}

int volume_parse(const char *spec, struct volume *out, char *err,
		 size_t errlen)
{
	const char *f[4];
	size_t n[4];
	unsigned nf = 0, i;
	const char *c = spec;

	memset(out, 0, sizeof(*out));
	out->src_fd = -1;
	/* First, and without echoing spec: every later message names it,
	 * and it goes to the caller's terminal and to syslog. */
	if (has_control_char(spec)) {
		fmt_msg(err, errlen, "--volume: control characters are refused");
		return -1;
	}
	if (!spec[0]) {
		fmt_msg(err, errlen, "--volume: empty value (expected "
			SYNTAX ")");
		return -1;
	}
	for (; nf < 4; c++) {
		f[nf] = c;
		c += strcspn(c, ":");
		n[nf] = (size_t)(c - f[nf]);
		nf++;
		if (*c == '\0')
			break;
	}
	if (nf == 4) {
		fmt_msg(err, errlen, "--volume %s: too many ':' (expected "
			SYNTAX ")", spec);
		return -1;
	}
	if (nf == 3 && !is_mode(f[2], n[2])) {
		fmt_msg(err, errlen, "--volume %s: the mode must be ro or rw, "
			"not \"%.*s\"", spec, (int)n[2], f[2]);
		return -1;
	}
	i = nf > 1 && is_mode(f[nf - 1], n[nf - 1]) ? nf - 1 : nf;
	out->read_only = i < nf && f[i][1] == 'o';
	if (canon_path(spec, f[0], n[0], "source", out->src, err, errlen) ||
	    (i == 2 && canon_path(spec, f[1], n[1], "target", out->dst, err,
				  errlen)))
		return -1;
	if (i == 1)
		memcpy(out->dst, out->src, sizeof(out->dst));
	return 0;
}

int volume_absolute(const char *spec, const char *cwd, char *out,
		    size_t cap)
{
	int n;

	/* Absolute, or no source at all: the parse says what is wrong. */
	if (spec[0] == '/' || spec[0] == ':' || spec[0] == '\0' || !cwd)
		n = snprintf(out, cap, "%s", spec);
	else
		n = snprintf(out, cap, "%s/%s", cwd, spec);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static bool under_a_root(const char *src, const struct strlist *roots)
{
	unsigned i;

	for (i = 0; i < roots->n; i++)
		if (volume_path_under(src, roots->s[i]))
			return true;
	return false;
}

/* The docker tiers mount /workspace and /tmp themselves, and --mount
 * reads its value as CSV. */
static int admit_container(const char *spec, const struct volume *v,
			   char *err, size_t errlen)
{
	if (strpbrk(v->src, ",\"") || strpbrk(v->dst, ",\"")) {
		fmt_msg(err, errlen, "--volume %s: ',' and '\"' cannot reach "
			"docker's --mount", spec);
		return -1;
	}
	if (volume_path_under(v->dst, "/workspace") ||
	    strcmp(v->dst, "/tmp") == 0) {
		fmt_msg(err, errlen, "--volume %s: target %s is the "
			"container's own", spec, v->dst);
		return -1;
	}
	return 0;
}

int volume_admit_source(const char *what, const char *src,
			const struct policy *p, char *err, size_t errlen)
{
	const struct strlist *roots = &p->isolated.volume_roots;
	const char *bad = dangerous_match(src);

	if (roots->n == 0) {
		fmt_msg(err, errlen, "%s: the policy allows no volumes "
			"(volume_roots is empty)", what);
		return -1;
	}
	if (bad) {
		fmt_msg(err, errlen, "%s: the host path %s is never mounted "
			"into a job", what, bad);
		return -1;
	}
	if (!under_a_root(src, roots)) {
		fmt_msg(err, errlen, "%s: %s is not under any of the policy's "
			"volume_roots", what, src);
		return -1;
	}
	return 0;
}

int volume_admit(const char *spec, const struct volume *v, int tier,
		 const struct policy *p, char *err, size_t errlen)
{
	char what[80];
	const char *bad;

	snprintf(what, sizeof(what), "--volume %s", spec);
	if (volume_admit_source(what, v->src, p, err, errlen) != 0)
		return -1;
	if (strcmp(v->dst, "/") == 0) {
		fmt_msg(err, errlen, "--volume %s: target / is refused", spec);
		return -1;
	}
	bad = first_under(v->dst, forbidden_targets, sizeof(forbidden_targets) /
			  sizeof(*forbidden_targets));
	if (bad) {
		fmt_msg(err, errlen, "--volume %s: target in %s is refused",
			spec, bad);
		return -1;
	}
	if ((tier == TIER_DOCKER || tier == TIER_GVISOR) &&
	    admit_container(spec, v, err, errlen) != 0)
		return -1;
	if (!v->read_only && !p->isolated.writable_volumes) {
		fmt_msg(err, errlen, "--volume %s: the policy allows read-only "
			"volumes only (add :ro)", spec);
		return -1;
	}
	return 0;
}
