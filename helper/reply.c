/*
 * What goes back to the client (verdict, result) and to the audit trail
 * (one syslog line per decision, one per job end), and the cleanup that
 * must precede a final answer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "../shared/log.h"
#include "helper.h"

void set_message(struct verdict *v, int status, const char *fmt, ...)
{
	va_list ap;

	v->status = (uint8_t)status;
	va_start(ap, fmt);
	vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
}

static void send_or_warn(struct job *j, const uint8_t *buf, size_t len)
{
	char u[AUDIT_STR];

	if (len == 0 || proto_send(j->sock, buf, len) == -1)
		log_audit(LOG_WARNING, "user=%s: cannot answer the client",
			  AUDIT(u, j->id.user));
}

void reply_verdict(struct job *j)
{
	static uint8_t buf[PROTO_MAX_MSG];

	send_or_warn(j, buf, proto_encode_verdict(&j->v, buf, sizeof(buf)));
}

static bool plain_token(const char *s)
{
	for (const char *c = s; *c; c++)
		if (*c <= ' ' || *c == 0x7f || strchr("\"\\=", *c))
			return false;
	return s[0] != '\0';
}

/* A string from the user (or derived from one) as one audit field: bare
 * if it is a plain token, else quoted with '"', '\\' and control
 * characters escaped, so no value can forge another field. Long values
 * are cut (a syslog line holds 1024 bytes anyway). */
const char *audit_str(char *buf, size_t cap, const char *s, bool quote)
{
	size_t o = 0;

	if (!quote && plain_token(s))
		return s;
	buf[o++] = '"';
	for (; *s && o + 6 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, cap - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static const char *tier_of(const struct job *j)
{
	const char *t = tier_name(j->v.tier);

	return t ? t : "?";
}

static void audit_deny(const struct job *j)
{
	char u[AUDIT_STR], c[AUDIT_STR], m[AUDIT_STR];

	log_audit(LOG_NOTICE, "deny user=%s uid=%lu tier=%s cmd=%s status=%d "
		  "reason=%s", AUDIT(u, j->id.user), (unsigned long)j->id.uid,
		  tier_of(j), AUDIT(c, j->req.argv[0] ? j->req.argv[0] : "-"),
		  j->v.status, audit_str(m, sizeof(m), j->v.message, true));
}

void audit_allow(const struct job *j)
{
	const uint64_t *l = j->v.lim.v;
	char u[AUDIT_STR], c[AUDIT_STR], r[AUDIT_STR];

	log_audit(LOG_INFO, "allow user=%s uid=%lu tier=%s rule=line:%u "
		  "cmd=%s argc=%u mem=%llu cpu=%llum cpu_s=%llu timeout=%llu "
		  "procs=%llu fsize=%llu nofile=%llu run_as=%s job=%s %s",
		  AUDIT(u, j->id.user), (unsigned long)j->id.uid, tier_of(j),
		  j->v.rule_line,
		  AUDIT(c, j->v.executable[0] ? j->v.executable : "-"),
		  j->req.argc, (unsigned long long)l[LIM_MEMORY_MB],
		  (unsigned long long)l[LIM_CPU_MILLICORES],
		  (unsigned long long)l[LIM_CPU_SECONDS],
		  (unsigned long long)l[LIM_TIMEOUT_S],
		  (unsigned long long)l[LIM_PROCESSES],
		  (unsigned long long)l[LIM_FILE_SIZE_MB],
		  (unsigned long long)l[LIM_OPEN_FILES], AUDIT(r, j->v.run_as),
		  j->job_id[0] ? j->job_id : "-",
		  j->req.mode == MODE_DRY_RUN ? "dry-run" : "run");
}

void job_cleanup(struct job *j)
{
	static bool done;

	if (done)
		return;
	done = true;
	if (j->ops && j->ops->cleanup)
		j->ops->cleanup(j);
	workdir_remove(j);
	cg_kill(&j->cg);
	cg_destroy(&j->cg);
	if (j->exe_fd != -1)
		close(j->exe_fd);
	j->exe_fd = -1;
}

void reply_deny(struct job *j)
{
	job_cleanup(j);
	audit_deny(j);
	reply_verdict(j);
	exit(0);
}

static void audit_end(const struct job *j)
{
	const struct result *r = &j->res;
	const char *why = kill_reason_name(r->killed_reason);
	char u[AUDIT_STR];

	log_audit(LOG_INFO, "end user=%s job=%s status=%s:%d wall_ms=%llu "
		  "cpu_ms=%llu max_rss_kb=%llu killed=%s", AUDIT(u, j->id.user),
		  j->job_id, r->signal ? "signal" : "exit",
		  r->signal ? r->signal : r->exit_code,
		  (unsigned long long)r->wall_ms, (unsigned long long)r->cpu_ms,
		  (unsigned long long)r->max_rss_kb, why ? why : "none");
}

void reply_result(struct job *j)
{
	static uint8_t buf[PROTO_MAX_MSG];

	audit_end(j);
	send_or_warn(j, buf, proto_encode_result(&j->res, buf, sizeof(buf)));
}
