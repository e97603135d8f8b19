/*
 * Step 6: which file the job runs. Every path the user supplies is
 * resolved with the caller's file credentials (a root lookup would let a
 * user probe or reach paths they cannot). The file is opened O_PATH and
 * checked on that descriptor; the job is exec'd from the same descriptor,
 * so replacing the path after the check changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "../shared/log.h"
#include "../shared/trust.h"
#include "../shared/util.h"
#include "helper.h"

/* realpath(3) for a path the policy names, walked on descriptors
 * (shared/trust.c): every directory on the way, symlink targets
 * included, must be one that only root can change (else -1 with EPERM).
 * Otherwise whoever can write there could point the name at any
 * root-owned file, perl say, and the allowlist would follow. The file
 * itself is checked later, as the job's user would exec it. */
static int resolve_trusted(const char *path, char out[PATH_MAX])
{
	char why[160];
	int fd = trust_open(path, TRUST_FOLLOW | TRUST_ANY_LEAF, 0, out, why,
			    sizeof(why));

	if (fd == -1)
		return -1;
	close(fd);
	return 0;
}

/* The first secure_path entry holding name, canonical, into out. A
 * directory others can write is skipped, and logged. */
static int search_secure_path(const char *secure_path, const char *name,
			      char out[PATH_MAX])
{
	const char *dir = secure_path;

	while (dir && *dir) {
		const char *end = strchr(dir, ':');
		size_t len = end ? (size_t)(end - dir) : strlen(dir);
		char cand[PATH_MAX];

		if (len > 0 && dir[0] == '/' &&
		    snprintf(cand, sizeof(cand), "%.*s/%s", (int)len, dir,
			     name) < (int)sizeof(cand)) {
			if (resolve_trusted(cand, out) == 0)
				return 0;
			if (errno == EPERM)
				log_audit(LOG_WARNING, "secure_path: %s is "
					  "reached through a directory others "
					  "can write: skipped", cand);
		}
		dir = end ? end + 1 : NULL;
	}
	errno = ENOENT;
	return -1;
}

/* A name the caller gave: their own path as they see it, or a bare name
 * in secure_path. */
static int canonical(const struct policy *p, const char *name,
		     char out[PATH_MAX])
{
	if (strchr(name, '/'))
		return realpath(name, out) ? 0 : -1;
	return search_secure_path(p->native.secure_path, name, out);
}

/* A name the policy gave, resolved through trusted directories only. */
static int canonical_trusted(const struct policy *p, const char *name,
			     char out[PATH_MAX])
{
	int rc;

	if (!strchr(name, '/'))
		return search_secure_path(p->native.secure_path, name, out);
	rc = resolve_trusted(name, out);
	if (rc == -1 && errno == EPERM)
		log_audit(LOG_WARNING, "allowed_executables: %s is reached "
			  "through a directory others can write: ignored",
			  name);
	return rc;
}

/* A path is allowed when it is, canonically, the file some allowlist
 * entry names, resolved through trusted directories. */
static bool allowed(const struct policy *p, const char *path)
{
	const struct strlist *l = &p->native.allowed_executables;

	for (unsigned i = 0; i < l->n; i++) {
		char c[PATH_MAX];

		if (canonical_trusted(p, l->s[i], c) == 0 &&
		    strcmp(c, path) == 0)
			return true;
	}
	return false;
}

static bool listed(const struct policy *p, const char *name)
{
	const struct strlist *l = &p->native.allowed_executables;

	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->s[i], name) == 0)
			return true;
	return false;
}

/* A bare name the list does not hold as written (python3.11) is allowed
 * when it resolves to what an entry resolves to, as its path would. */
static void deny_bare(struct job *j, const char *name)
{
	const struct strlist *l = &j->pol.native.allowed_executables;
	char list[320];
	size_t n = 0;

	list[0] = '\0';
	for (unsigned i = 0; i < l->n && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
				      i ? ", " : "", l->s[i]);
	set_message(&j->v, 127, "%s: command not allowed by the policy "
		    "(allowed: %s)", name[0] ? name : "\"\"",
		    l->n ? list : "none");
}

/* ---- scripts ------------------------------------------------------- */

/* A script's "#!INTERP [ARG]" line, read as the caller. */
struct shebang {
	char interp[PATH_MAX];
	char arg[NAME_MAX + 1]; /* "" none */
};

static int read_shebang(const char *path, struct shebang *sb)
{
	char line[PATH_MAX + NAME_MAX + 8], *p, *end;
	/* path is canonical: a link on the way now was swapped in since
	 * (review7 LOW-1). */
	int fd = open_no_links(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	ssize_t n = -1;

	if (fd != -1 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		n = read(fd, line, sizeof(line) - 1);
	if (fd != -1)
		close(fd);
	if (n < 3 || line[0] != '#' || line[1] != '!')
		return -1;
	line[n] = '\0';
	end = strchr(line, '\n');
	if (!end)
		return -1; /* a line longer than any path: not ours to guess */
	*end = '\0';
	p = line + 2 + strspn(line + 2, " \t");
	n = (ssize_t)strcspn(p, " \t");
	if (n == 0 || copy_str(sb->interp, sizeof(sb->interp), p) == -1)
		return -1;
	sb->interp[n] = '\0';
	p += n;
	p += strspn(p, " \t");
	/* As Linux: the rest of the line is one argument, blanks trimmed. */
	for (end = p + strlen(p); end > p && (end[-1] == ' ' ||
					       end[-1] == '\t' ||
					       end[-1] == '\r'); end--)
		*(end - 1) = '\0';
	return copy_str(sb->arg, sizeof(sb->arg), p) == -1 ? -1 : 0;
}

/* "#!/usr/bin/env NAME": the interpreter is NAME, found in secure_path. */
static bool env_form(const struct shebang *sb)
{
	const char *base = strrchr(sb->interp, '/');

	return base && strcmp(base, "/env") == 0 && sb->arg[0] &&
	       sb->arg[0] != '-' && !strpbrk(sb->arg, "/ \t=");
}

/* The job runs the interpreter, as if the user had typed it:
 * INTERP [ARG] SCRIPT [ARGS...], the script by its canonical path. */
static void script_argv(struct job *j, const struct shebang *sb,
			const char *script)
{
	static char a0[PATH_MAX], a1[NAME_MAX + 1], a2[PATH_MAX];
	static char *argv[PROTO_MAX_ARGS + 3];
	unsigned n = 0;

	(void)copy_str(a0, sizeof(a0), env_form(sb) ? sb->arg : sb->interp);
	(void)copy_str(a1, sizeof(a1), sb->arg);
	(void)copy_str(a2, sizeof(a2), script);
	argv[n++] = a0;
	if (a1[0] && !env_form(sb))
		argv[n++] = a1;
	argv[n++] = a2;
	for (uint32_t i = 1; i < j->req.argc && n < PROTO_MAX_ARGS + 2; i++)
		argv[n++] = (char *)j->req.argv[i];
	argv[n] = NULL;
	j->argv = argv;
}

/* A file the allowlist does not name, with a "#!" line: judged by its
 * interpreter, resolved as an allowlist entry is (through root-only
 * directories) and allowed only if some entry names it. On success
 * exe_path is the interpreter's. */
static int judge_script(struct job *j)
{
	static struct shebang sb;
	char script[PATH_MAX], interp[PATH_MAX];
	const char *name;
	int rc;

	if (read_shebang(j->exe_path, &sb) == -1)
		return 0;
	(void)copy_str(script, sizeof(script), j->exe_path);
	name = env_form(&sb) ? sb.arg : sb.interp;
	rc = sb.interp[0] == '/' ? canonical_trusted(&j->pol, name, interp)
				 : -1;
	if (rc == -1 || !allowed(&j->pol, interp)) {
		set_message(&j->v, 127, "%s is not an allowed executable, "
			    "nor is its interpreter %s", script, name);
		return -1;
	}
	(void)copy_str(j->exe_path, sizeof(j->exe_path), interp);
	script_argv(j, &sb, script);
	return 1;
}

/* As the caller: find, canonicalize, match the allowlist, open. */
static int find_and_open(struct job *j, const char *name)
{
	struct verdict *v = &j->v;
	bool bare = !strchr(name, '/');
	int rc = 0;

	if (name[0] == '\0') {
		deny_bare(j, name);
		return -1;
	}
	if (canonical(&j->pol, name, j->exe_path) == -1) {
		if (bare && !listed(&j->pol, name))
			deny_bare(j, name);
		else if (errno == ENOENT || errno == ENOTDIR)
			set_message(v, 127, "%s: command not found", name);
		else
			set_message(v, 126, "%s: %s", name, strerror(errno));
		return -1;
	}
	if ((!bare || !listed(&j->pol, name)) &&
	    !allowed(&j->pol, j->exe_path)) {
		if (bare)
			deny_bare(j, name);
		else if ((rc = judge_script(j)) == 0)
			set_message(v, 127, "%s is not an allowed executable",
				    j->exe_path);
		if (rc <= 0)
			return -1;
	}
	j->exe_fd = open(j->exe_path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (j->exe_fd == -1 || !trust_fd_is_path(j->exe_fd, j->exe_path)) {
		set_message(v, 126, "%s: changed while being checked",
			    j->exe_path);
		return -1;
	}
	return 0;
}

static int check_file(struct job *j)
{
	struct stat st;
	const char *path = j->exe_path;

	if (fstat(j->exe_fd, &st) == -1) {
		set_message(&j->v, 126, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		set_message(&j->v, 126, "%s is not a regular file", path);
		return -1;
	}
	if (st.st_uid != 0) {
		set_message(&j->v, 126, "%s is not owned by root", path);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		set_message(&j->v, 126, "%s is writable by others", path);
		return -1;
	}
	return 0;
}

static int check_executable(struct job *j)
{
	int rc;

	if (priv_fs_enter(&j->user.c) == -1)
		job_fail(j, "cannot take the credentials of %s: %s",
			 j->user.name, strerror(errno));
	rc = faccessat(j->exe_fd, "", X_OK, AT_EMPTY_PATH | AT_EACCESS);
	priv_fs_leave();
	if (rc == -1) {
		set_message(&j->v, 126, "%s is not executable by %s",
			    j->exe_path, j->user.name);
		return -1;
	}
	return 0;
}

/* No COMMAND: the policy's default_executable, which reads the program
 * from stdin (the seeds' execute_code). The judge found it listed. */
static const char *default_command(struct job *j)
{
	static char *argv[2];

	argv[0] = j->pol.native.default_executable;
	argv[1] = NULL;
	j->argv = argv;
	return argv[0];
}

int exe_resolve(struct job *j)
{
	const char *name = j->req.argv[0];
	int rc;

	j->argv = (char *const *)j->req.argv;
	if (name == NULL && j->req.mode == MODE_RUN)
		name = default_command(j);
	if (name == NULL)
		return 0;
	if (priv_fs_enter(&j->inv.caller) == -1)
		job_fail(j, "cannot take the caller's credentials: %s",
			 strerror(errno));
	rc = find_and_open(j, name);
	priv_fs_leave();
	if (rc == 0)
		rc = check_file(j);
	if (rc == 0)
		rc = check_executable(j);
	if (rc == 0)
		(void)copy_str(j->v.executable, sizeof(j->v.executable),
			       j->exe_path);
	return rc;
}
