/* collect.c: the alerter's decisions, taken once (on the instance holding the "collector" lease): store changes ->
 * matcher -> outbox rows (alerts now or held for a digest, reminders before deadlines), with the cursor, in one
 * transaction; and the held rows folded into digests when their hour comes. */
#include "alert.h"
#include "alert_impl.h"

#include "match.h"
#include "subs.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- digest times ---- */

double digest_due(double now, const char *tz, int hour, int weekly)
{
	/* Local dates from the zone's own rules (tz.c), never through the process's TZ: the web's search threads read
	 * the environment meanwhile. An unknown zone counts as UTC, as the C library would. */
	const char *zone = tz && *tz ? tz : "Asia/Shanghai";
	time_t t = (time_t)now, due = 0;
	int y, m, d, wday;
	if (tz_local(zone, t, &y, &m, &d, &wday)) {
		zone = "UTC";
		tz_local(zone, t, &y, &m, &d, &wday);
	}
	for (int i = 0; i < 9; i++) {
		int yy, mm, dd, wd;
		/* Day i after today: its civil date, from noon UTC of today's date plus i days (no DST edge at noon). */
		time_t noon = (time_t)((double)days_since_epoch(y, m, d) * 86400 + 43200 + (double)i * 86400);
		tz_local("UTC", noon, &yy, &mm, &dd, &wd);
		tz_mktime(zone, yy, mm, dd, hour, &due);
		if (due > t && (!weekly || wd == 1))
			break;
	}
	return (double)due;
}

/* ---- collect ---- */

struct sub_info {
	int64_t id, subscriber;
	enum frequency frequency;
	int hour;
	char tz[64];
};

struct collect_ctx {
	struct archive *a;
	const struct alert_opts *o;
	struct matcher *m;
	struct sub_info *subs;
	size_t nsubs, capsubs;
	struct alert_stats *st;
	struct db_stmt *ins;
	unsigned done;
	int64_t last_seq;
	double now;
	char today[11], nowiso[21];
	int rc;
	char *err;
	size_t errlen;
};

static int add_sub(void *arg, const struct subscription *s)
{
	struct collect_ctx *c = arg;
	char err[ERRBUF_SIZE];
	/* E-mail goes only to confirmed subscribers (double opt-in); robots and webhooks belong to the firm. */
	if (!s->status || !strcmp(s->status, "unsubscribed") || (s->channel == CH_EMAIL && strcmp(s->status, "confirmed")))
		return 0;
	if (matcher_add(c->m, s->id, &s->filter, err, sizeof(err))) {
		fprintf(stderr, "tbtwarn: subscription %lld skipped: %s\n", (long long)s->id, err);
		return 0;
	}
	if (c->nsubs == c->capsubs) {
		c->capsubs = c->capsubs ? 2 * c->capsubs : 256;
		c->subs = xrealloc(c->subs, c->capsubs * sizeof(*c->subs));
	}
	struct sub_info *i = &c->subs[c->nsubs++];
	i->id = s->id;
	i->subscriber = s->subscriber_id;
	i->frequency = s->frequency;
	i->hour = s->hour;
	snprintf(i->tz, sizeof(i->tz), "%s", s->tz ? s->tz : "Asia/Shanghai");
	return 0;
}

static const struct sub_info *sub_find(const struct collect_ctx *c, int64_t id)
{
	size_t lo = 0, hi = c->nsubs;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->subs[mid].id < id)
			lo = mid + 1;
		else if (c->subs[mid].id > id)
			hi = mid;
		else
			return &c->subs[mid];
	}
	return NULL;
}

/* Queues one row: now for immediate subscriptions, held until the digest hour for the others. */
static int queue(struct collect_ctx *c, const struct sub_info *si, const char *kind, int64_t nid, const char *symbol,
		 const char *deadline, const char *message_id)
{
	int held = si->frequency != FREQ_IMMEDIATE;
	struct db_stmt *q = c->ins;
	db_reset(q);
	db_bind_text(q, 1, kind);
	db_bind_int64(q, 2, si->subscriber);
	db_bind_int64(q, 3, si->id);
	db_bind_int64(q, 4, nid);
	db_bind_text(q, 5, symbol);
	db_bind_text(q, 6, deadline && *deadline ? deadline : NULL);
	db_bind_text(q, 7, c->today);
	db_bind_text(q, 8, message_id);
	db_bind_text(q, 9, held ? "held" : "pending");
	db_bind_double(q, 10, held ? digest_due(c->now, si->tz, si->hour, si->frequency == FREQ_WEEKLY) : 0);
	db_bind_text(q, 11, c->nowiso);
	if (db_step(q) != DB_DONE) {
		errf(c->err, c->errlen, "queue delivery: %s", db_errmsg(al_db(c->a)));
		return c->rc = -TBT_EDB;
	}
	return db_changes(al_db(c->a));
}

static int collect_one(void *arg, int64_t id, int64_t seq, struct notif *n)
{
	struct collect_ctx *c = arg;
	struct cat_result cats;
	struct risk risk;
	struct notif_effective e;
	/* Matched and queued at the measure's current dates (a shallow copy: only the inline dates differ). */
	struct notif cur = *n;
	archive_effective(c->a, n, &e);
	archive_apply_effective(&e, &cur);
	n = &cur;
	archive_classify(c->a, n, &cats, &risk);
	struct match_doc d = {n, &cats, risk.level};
	int64_t *ids = NULL;
	size_t nids = 0;
	matcher_match(c->m, &d, &ids, &nids);
	for (size_t i = 0; i < nids; i++) {
		char mid[256];
		const struct sub_info *si = sub_find(c, ids[i]);
		if (!si)
			continue;
		/* One message per subscription and change of the notification: the same id whatever happens later. */
		snprintf(mid, sizeof(mid), "<tbtwarn.%lld.%lld.%lld@tbtwarn>", (long long)ids[i], (long long)id, (long long)seq);
		int added = queue(c, si, "alert", id, n->symbol, n->dates[D_COMMENTS].iso, mid);
		if (added < 0)
			break;
		c->st->queued += (unsigned)added;
	}
	free(ids);
	if (c->rc)
		return c->rc;
	c->st->notifications++;
	c->last_seq = seq;
	/* A long backlog is taken in slices, so that a service's loop is never held for long; the cursor says where the
	 * next slice starts. */
	if (c->o->collect_budget && ++c->done >= c->o->collect_budget)
		return 1;
	return 0;
}

static int64_t cursor_get(struct archive *a)
{
	struct db_stmt *q;
	int64_t v = 0;
	if (db_prepare(al_db(a), "SELECT value FROM alert_state WHERE key = 'seq'", &q) == DB_OK) {
		if (db_step(q) == DB_ROW)
			v = db_col_int64(q, 0);
		db_finalize(q);
	}
	return v;
}

/*
 * Reminders. For each notification family (a base and its addenda) whose comment deadline, as the latest document
 * with one says, falls in the next reminder_days: every active subscription that was alerted to the family before
 * the reminder window opened gets one reminder for that deadline. A reminder not yet sent for another deadline
 * (an addendum moved it) is cancelled; the new deadline gets its own in its own window.
 */
static int plan_reminders(struct collect_ctx *c)
{
	struct db_stmt *fam = NULL, *eff = NULL, *cancel = NULL, *who = NULL;
	char until[11];
	int rc;
	iso_add_days(c->today, c->o->reminder_days, until);
	if ((rc = al_prep(c->a, "SELECT DISTINCT root_symbol FROM notifications WHERE comment_deadline >= ?1 AND comment_deadline <= ?2",
		       &fam, c->err, c->errlen)) ||
	    (rc = al_prep(c->a, "SELECT id, comment_deadline FROM notifications WHERE root_symbol = ?1 AND comment_deadline IS NOT NULL "
			     "ORDER BY distributed DESC, seq DESC LIMIT 1",
		       &eff, c->err, c->errlen)) ||
	    (rc = al_prep(c->a, "UPDATE outbox SET state = 'cancelled', last_error = 'the comment deadline moved to ' || ?2 "
			     "WHERE kind = 'reminder' AND state IN ('pending', 'held') AND deadline <> ?2 AND notification_id IN "
			     "(SELECT id FROM notifications WHERE root_symbol = ?1)",
		       &cancel, c->err, c->errlen)) ||
	    (rc = al_prep(c->a, "SELECT o.subscription_id, MIN(o.day) FROM outbox o JOIN notifications n ON n.id = o.notification_id "
			     "WHERE n.root_symbol = ?1 AND o.kind = 'alert' AND o.state IN ('sent', 'pending', 'held', 'digested') "
			     "GROUP BY o.subscription_id",
		       &who, c->err, c->errlen)))
		goto out;
	db_bind_text(fam, 1, c->today);
	db_bind_text(fam, 2, until);
	while (!rc && db_step(fam) == DB_ROW) {
		char *root = xstrdup(db_col_text(fam, 0)), deadline[11] = "", opens[11];
		int64_t eid = 0;
		db_reset(eff);
		db_bind_text(eff, 1, root);
		if (db_step(eff) == DB_ROW) {
			eid = db_col_int64(eff, 0);
			snprintf(deadline, sizeof(deadline), "%s", db_col_text(eff, 1));
		}
		db_reset(cancel);
		db_bind_text(cancel, 1, root);
		db_bind_text(cancel, 2, deadline);
		if (db_step(cancel) != DB_DONE) {
			errf(c->err, c->errlen, "cancel reminders: %s", db_errmsg(al_db(c->a)));
			rc = -TBT_EDB;
		}
		c->st->cancelled += (unsigned)db_changes(al_db(c->a));
		iso_add_days(deadline, -c->o->reminder_days, opens);
		if (!rc && eid && strcmp(deadline, c->today) >= 0 && strcmp(deadline, until) <= 0) {
			db_reset(who);
			db_bind_text(who, 1, root);
			while (!rc && db_step(who) == DB_ROW) {
				const struct sub_info *si = sub_find(c, db_col_int64(who, 0));
				const char *day = db_col_text(who, 1);
				/* Alerted inside the window: that alert already said how little time is left. */
				if (!si || !day || strcmp(day, opens) >= 0)
					continue;
				char mid[256];
				snprintf(mid, sizeof(mid), "<tbtwarn.reminder.%lld.%s.%s@tbtwarn>", (long long)si->id, root, deadline);
				int added = queue(c, si, "reminder", eid, root, deadline, mid);
				if (added < 0)
					rc = added;
				else
					c->st->reminders += (unsigned)added;
			}
		}
		free(root);
	}
out:
	db_finalize(fam);
	db_finalize(eff);
	db_finalize(cancel);
	db_finalize(who);
	return rc;
}

/* Whether collect has anything to do: changes after the cursor, or today's reminders not planned yet. A daemon ticks
 * often; loading every subscription for nothing would be its main cost. */
static int collect_needed(struct archive *a, const char *today)
{
	struct db_stmt *q;
	int need = 1;
	if (db_prepare(al_db(a), "SELECT (SELECT coalesce(max(seq), 0) FROM notifications) > "
				      "coalesce((SELECT CAST(value AS INTEGER) FROM alert_state WHERE key = 'seq'), 0) OR "
				      "coalesce((SELECT value FROM alert_state WHERE key = 'reminders_day'), '') <> ?1", &q) == DB_OK) {
		db_bind_text(q, 1, today);
		if (db_step(q) == DB_ROW)
			need = db_col_int(q, 0);
		db_finalize(q);
	}
	return need;
}

int alert_collect(struct archive *a, const struct alert_opts *o, struct alert_stats *st, char *err, size_t errlen)
{
	char today[11];
	today_iso(today);
	if (!collect_needed(a, today))
		return 0;
	struct matcher *m = matcher_new(err, errlen);
	int rc;
	if (!m)
		return -TBT_EIDX;
	struct collect_ctx c;
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.o = o;
	c.m = m;
	c.st = st;
	c.err = err;
	c.errlen = errlen;
	c.now = now_epoch();
	today_iso(c.today);
	now_iso(c.nowiso);
	if ((rc = subs_each(archive_store(a), add_sub, &c, err, errlen)))
		goto out;
	if ((rc = al_exec(a, "BEGIN IMMEDIATE", err, errlen)))
		goto out;
	if ((rc = al_prep(a, "INSERT OR IGNORE INTO outbox (kind, subscriber_id, subscription_id, notification_id, symbol, deadline, "
			  "day, message_id, state, next_attempt, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
		       &c.ins, err, errlen))) {
		al_exec(a, "ROLLBACK", NULL, 0);
		goto out;
	}
	int64_t from = cursor_get(a);
	c.last_seq = from;
	rc = store_changes_since(archive_store(a), from, collect_one, &c, err, errlen);
	if (!rc && c.rc)
		rc = c.rc;
	if (!rc && c.last_seq != from) {
		char sql[192];
		snprintf(sql, sizeof(sql), "INSERT INTO alert_state (key, value) VALUES ('seq', '%lld') "
					   "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			 (long long)c.last_seq);
		rc = al_exec(a, sql, err, errlen);
	}
	if (!rc && o->reminder_days > 0)
		rc = plan_reminders(&c);
	if (!rc) {
		char sql[192];
		snprintf(sql, sizeof(sql), "INSERT INTO alert_state (key, value) VALUES ('reminders_day', '%s') "
					   "ON CONFLICT (key) DO UPDATE SET value = excluded.value", c.today);
		rc = al_exec(a, sql, err, errlen);
	}
	db_finalize(c.ins);
	/* The decisions and the cursor become durable together, or not at all. */
	if (rc)
		al_exec(a, "ROLLBACK", NULL, 0);
	else
		rc = al_exec(a, "COMMIT", err, errlen);
	if (!rc && o->collect_budget && c.done >= o->collect_budget)
		rc = 1; /* more changes wait for the next slice */
out:
	free(c.subs);
	matcher_free(m);
	return rc;
}

/* ---- digests ---- */

/* Every subscription whose held rows are due gets one digest row carrying them, in one transaction each. */
int alert_fold_digests(struct archive *a, struct alert_stats *st, char *err, size_t errlen)
{
	struct db_stmt *groups, *ins = NULL, *upd = NULL;
	double now = now_epoch();
	char today[11], nowiso[21];
	int rc = 0;
	today_iso(today);
	now_iso(nowiso);
	if (al_prep(a, "SELECT subscription_id, MIN(subscriber_id), MAX(next_attempt) FROM outbox WHERE state = 'held' AND "
		    "next_attempt <= ?1 GROUP BY subscription_id",
		 &groups, err, errlen))
		return -TBT_EDB;
	db_bind_double(groups, 1, now);
	struct group {
		int64_t sub, who;
		long due;
	} *g = NULL;
	size_t ng = 0;
	while (db_step(groups) == DB_ROW) {
		g = xrealloc(g, (ng + 1) * sizeof(*g));
		g[ng].sub = db_col_int64(groups, 0);
		g[ng].who = db_col_int64(groups, 1);
		g[ng].due = (long)db_col_double(groups, 2);
		ng++;
	}
	db_finalize(groups);
	if (!ng)
		return 0;
	if ((rc = al_prep(a, "INSERT INTO outbox (kind, subscriber_id, subscription_id, day, message_id, created_at) "
			  "VALUES ('digest', ?1, ?2, ?3, ?4, ?5)",
		       &ins, err, errlen)) ||
	    (rc = al_prep(a, "UPDATE outbox SET state = 'digested', digest_id = ?1 WHERE subscription_id = ?2 AND state = 'held' "
			  "AND next_attempt <= ?3",
		       &upd, err, errlen)))
		goto out;
	for (size_t i = 0; i < ng && !rc; i++) {
		char mid[128];
		snprintf(mid, sizeof(mid), "<tbtwarn.digest.%lld.%ld@tbtwarn>", (long long)g[i].sub, g[i].due);
		if ((rc = al_exec(a, "BEGIN IMMEDIATE", err, errlen)))
			break;
		db_reset(ins);
		db_bind_int64(ins, 1, g[i].who);
		db_bind_int64(ins, 2, g[i].sub);
		db_bind_text(ins, 3, today);
		db_bind_text(ins, 4, mid);
		db_bind_text(ins, 5, nowiso);
		if (db_step(ins) != DB_DONE) {
			errf(err, errlen, "make digest: %s", db_errmsg(al_db(a)));
			rc = -TBT_EDB;
		} else {
			db_reset(upd);
			db_bind_int64(upd, 1, db_last_id(al_db(a)));
			db_bind_int64(upd, 2, g[i].sub);
			db_bind_double(upd, 3, now);
			if (db_step(upd) != DB_DONE) {
				errf(err, errlen, "make digest: %s", db_errmsg(al_db(a)));
				rc = -TBT_EDB;
			}
		}
		if (rc)
			al_exec(a, "ROLLBACK", NULL, 0);
		else if (!(rc = al_exec(a, "COMMIT", err, errlen)))
			st->digests++;
	}
out:
	db_finalize(ins);
	db_finalize(upd);
	free(g);
	return rc;
}

/* ---- delivery ---- */

/* One delivery run: what every delivery in it shares. Outcomes are written with one prepared statement, and those
 * of one loop iteration are committed together just before the loop waits again (an ev_prepare watcher): the window
 * between a peer's acceptance and our record stays within one iteration. */
