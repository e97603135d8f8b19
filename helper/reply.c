/*
 * What goes back to the client (verdict, result) and to the audit trail
 * (one syslog line per decision, one per job end).
 */
#include <syslog.h>

#include "../shared/log.h"
#include "helper.h"

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

	j->answered = true;
	send_or_warn(j, buf, proto_encode_verdict(&j->v, buf, sizeof(buf)));
}

static const char *tier_of(const struct job *j)
{
	const char *t = tier_name(j->v.tier);

	return t ? t : "?";
}

void audit_deny(const struct job *j)
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
