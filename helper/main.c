/*
 * symbi-exec-helper: the setuid-root half of symbi-exec. The privileged
 * path, one function per step, in the order it must happen; helper.h
 * maps each step to its file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "../policy/subids.h"
#include "../shared/log.h"
#include "../shared/util.h"
#include "build/paths.h"
#include "helper.h"

#define CLIENT_FD 3

static void load_policy(struct job *j)
{
	static struct policy_errors errs;
	char line[PROTO_MSG_LEN];

	if (policy_load(POLICY_PATH, &j->pol, &errs) == 0) {
		j->pol_ok = true;
		return;
	}
	for (unsigned i = 0; i < errs.count && i < POLICY_MAX_ERRORS; i++) {
		policy_error_format(&errs.e[i], line, sizeof(line));
		log_audit(LOG_ERR, "policy %s: %s", POLICY_PATH, line);
	}
	if (errs.count == 0)
		(void)copy_str(j->pol_error, sizeof(j->pol_error), "unreadable");
	else
		policy_error_format(&errs.e[0], j->pol_error,
				    sizeof(j->pol_error));
}

/* The request, and the pty slave that comes with it exactly when it
 * asks for a terminal. */
static void read_request(struct job *j)
{
	static uint8_t buf[PROTO_MAX_MSG];
	long n = proto_recv_fd(j->sock, buf, sizeof(buf), &j->pty_fd);

	if (n <= 0 || proto_decode_request(buf, (size_t)n, &j->req) == -1 ||
	    ((j->req.flags & REQ_PTY) != 0) != (j->pty_fd >= 0))
		die("malformed request");
}

static void answer_listing(struct job *j)
{
	static struct listing l;
	static uint8_t buf[PROTO_MAX_MSG];
	char u[AUDIT_STR];
	size_t len;

	policy_listing(&j->pol, &j->id, &l);
	len = proto_encode_listing(&l, buf, sizeof(buf));
	if (len == 0 || proto_send(j->sock, buf, len) == -1)
		die("cannot send the listing");
	log_audit(LOG_INFO, "list user=%s uid=%lu", AUDIT(u, j->id.user),
		  (unsigned long)j->id.uid);
	exit(0);
}

static void fill_verdict(struct job *j)
{
	const struct decision *d = &j->dec;

	j->v.tier = (uint8_t)d->tier;
	j->v.network = d->network;
	j->v.rule_line = d->rule ? d->rule->line : 0;
	j->v.lim = d->lim;
	j->v.max_output_bytes = d->max_output_bytes;
}

static void judge(struct job *j)
{
	if (!j->pol_ok) {
		set_message(&j->v, 125, "the policy %s is invalid: %s (run "
			    "symbi-exec --check-policy)", POLICY_PATH,
			    j->pol_error);
		reply_deny(j);
	}
	if (j->req.mode == MODE_LIST)
		answer_listing(j);
	policy_judge(&j->pol, &j->id, &j->req, &j->dec);
	fill_verdict(j);
	if (j->dec.status != 0) {
		set_message(&j->v, j->dec.status, "%s", j->dec.message);
		reply_deny(j);
	}
	j->ops = tier_ops_for(j->dec.tier);
	if (j->ops == NULL) {
		set_message(&j->v, 125, "tier %s is not available yet",
			    tier_name(j->dec.tier));
		reply_deny(j);
	}
}

/* The caller, the rule's run_as account, or a uid of the rule's pool.
 * Returns 0, or -1 with a message in msg. */
static int account_for(struct job *j, char *msg, size_t cap)
{
	static const struct subid_files host_subids = SUBID_HOST;
	const char *run_as = j->dec.run_as;

	if (j->dec.pool_last == 0)
		return id_account(&j->inv, run_as && run_as[0] ? run_as : NULL,
				  &j->user, msg, cap);
	if (subid_pool_refusal(&host_subids, j->dec.pool_first,
			       j->dec.pool_last, msg, cap))
		return -1;
	if (j->req.mode == MODE_RUN)
		return pool_acquire(j, msg, cap);
	/* A dry run takes no uid, but resolves as the pool's first one:
	 * never with root's file access. */
	j->user.c.uid = j->dec.pool_first;
	j->user.c.gid = (gid_t)j->dec.pool_first;
	snprintf(j->user.name, sizeof(j->user.name), "run_as_pool %lu-%lu",
		 (unsigned long)j->dec.pool_first,
		 (unsigned long)j->dec.pool_last);
	return 0;
}

static void choose_account(struct job *j)
{
	char msg[PROTO_MSG_LEN];

	if (account_for(j, msg, sizeof(msg)) == -1) {
		set_message(&j->v, 125, "%s", msg);
		reply_deny(j);
	}
	(void)copy_str(j->v.run_as, sizeof(j->v.run_as), j->user.name);
}

static void prepare(struct job *j)
{
	if (j->pty_fd >= 0 && pty_check(j, j->pty_fd) == -1)
		reply_deny(j);
	if (j->ops->prepare && j->ops->prepare(j) == -1)
		reply_deny(j);
}

static void answer_dry_run(struct job *j)
{
	if (workdir_describe_dry(j) == -1)
		reply_deny(j);
	audit_allow(j);
	reply_verdict(j);
	job_cleanup(j);
	exit(0);
}

static void start(struct job *j)
{
	/* audit_required: no job while no audit line can be kept. */
	if (j->pol.audit_required && !log_audit_writable()) {
		set_message(&j->v, 125, "no audit line can be kept (no "
			    "syslog daemon, and %s cannot be written), and "
			    "the policy requires one", AUDIT_LOG);
		reply_deny(j);
	}
	/* What killed helpers left, swept by a detached process (before the
	 * helper becomes the reaper of orphans). Then, before anything the
	 * job holds exists, the stop signals. The work directory first: it
	 * is HOME in tier isolated, and it names the job (its ID names a
	 * systemd host's scope for it). */
	sweep_leftovers();
	supervise_prepare(j);
	if (userjobs_claim(j) == -1 || workdir_make(j) == -1 ||
	    cg_choose_parent(j) == -1 || env_build(j) == -1)
		reply_deny(j);
	cg_create(j);
	sweep_record(j);
	if ((j->ops->start ? j->ops->start(j) : spawn_job(j)) == -1)
		reply_deny(j);
	audit_allow(j);
	reply_verdict(j);
}

int main(int argc, char **argv)
{
	/* Zero-initialised (bss), its descriptors set here: with an
	 * initializer the whole struct, policy included, would be ~600 KB of
	 * .data, each page a copy-on-write fault from the file when touched;
	 * in bss a page costs only when used. */
	static struct job j;

	j.sock = CLIENT_FD;
	j.exe_fd = j.base_fd = j.work_fd = j.caller_dir_fd = j.pidfd = -1;
	j.cg.fd = j.pty_fd = j.pool_fd = j.stop_fd = -1;
	log_init("symbi-exec-helper");
	log_set_fallback(AUDIT_LOG);
	inv_sanitize(argc, argv, &j.inv);
	id_from_kernel(&j.inv, j.sock, &j.id);
	load_policy(&j);
	read_request(&j);
	judge(&j);
	choose_account(&j);
	prepare(&j);
	if (j.req.mode == MODE_DRY_RUN)
		answer_dry_run(&j);
	start(&j);
	supervise(&j);
	job_answer(&j);
	job_cleanup(&j);
	job_finish(&j);
	return 0;
}
