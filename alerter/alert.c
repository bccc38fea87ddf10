/* alert.c: the alerter's options, its deliveries and the outbox. deliver: due rows (claimed by this instance) -> e-mail,
 * signed webhook or group robot through the fetcher -> sent, retrying, failed or cancelled. The decisions (collect,
 * digests) are in collect.c; the transports in transport.c. */
#include "alert.h"
#include "alert_impl.h"
#include "advice.h"
#include "net/smtp.h"
#include "subs.h"
#include "translate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

void alert_opts_default(struct alert_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mail_from = "tbtwarn@localhost";
	o->base_url = "http://127.0.0.1:8080";
	o->retry_base = 60;
	o->retry_max = 6 * 3600;
	o->give_up_after = 3 * 86400;
	o->reminder_days = 7;
	o->pause_after = 10;
	o->claim_ttl = 120;
	netguard_init(&o->targets);
	/* This process's name among the instances sharing a database. */
	char host[64] = "";
	unsigned char rnd[4] = {0};
	gethostname(host, sizeof(host) - 1);
	RAND_bytes(rnd, sizeof(rnd));
	snprintf(o->instance, sizeof(o->instance), "%.60s-%d-%02x%02x%02x%02x", host[0] ? host : "host", (int)getpid(), rnd[0],
		 rnd[1], rnd[2], rnd[3]);
}

/* The data directory's secret: read, or made once (O_EXCL, so that two processes starting together agree). */
static int data_secret(struct alert_opts *o, const char *data, char *err, size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/secret", data);
	for (int tries = 0; tries < 50; tries++) {
		char *s = read_first_line(path);
		if (s && strlen(s) >= 32) {
			free(o->owned_secret);
			o->owned_secret = s;
			o->secret = s;
			o->secret_generated = 1;
			return 0;
		}
		free(s);
		if (access(path, F_OK) == 0) {
			/* Being written by another process that started at the same time: a moment. */
			struct timespec ts = {0, 20 * 1000000};
			nanosleep(&ts, NULL);
			continue;
		}
		unsigned char raw[32];
		char hex[65];
		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			errf(err, errlen, "no random bytes for the secret of '%s'", path);
			return -EIO;
		}
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", raw[i]);
		mkdir(data, 0755);
		hex[64] = '\n';
		int rc = write_private_file(path, hex, 65, 1, err, errlen);
		if (rc == -EEXIST)
			continue; /* made by another process meanwhile: read it */
		if (rc)
			return rc;
	}
	errf(err, errlen, "the secret file '%s' is shorter than 32 characters: remove it and start again", path);
	return -EINVAL;
}

const char *alert_secret_weak(const char *secret)
{
	if (!strcmp(secret, "tbtwarn-unsubscribe"))
		return "it is the constant older versions of tbtwarn used, known to anyone who reads the source";
	if (strlen(secret) < 32)
		return "it is shorter than 32 characters";
	return NULL;
}

int alert_opts_load(struct alert_opts *o, const struct ini *cfg, const char *data, char *err, size_t errlen)
{
	static const char *const keys[] = {"smtp_url", "smtp_ca_file", "mail_from", "base_url", "secret", "secret_file", "retry_base",
					   "retry_max", "give_up_after", "reminder_days", "allow_private_webhooks",
					   "allow_targets", "pause_after", "claim_ttl"};
	const struct ini_section *s = ini_section(cfg, "alert");
	const char *v;
	if (ini_check_keys(cfg, s, keys, sizeof(keys) / sizeof(keys[0]), err, errlen))
		return -EINVAL;
	struct translate_opts to;
	translate_opts_default(&to);
	if (translate_opts_load(&to, cfg, err, errlen))
		return -EINVAL;
	o->translate_wait = to.provider != TP_NONE ? to.wait : 0;
	if (s) {
		if ((v = ini_get(s, "smtp_url")))
			o->smtp_url = v;
		if ((v = ini_get(s, "smtp_ca_file")))
			o->smtp_ca_file = v;
		if ((v = ini_get(s, "mail_from")))
			o->mail_from = v;
		if ((v = ini_get(s, "base_url")))
			o->base_url = v;
		if ((v = ini_get(s, "secret")))
			o->secret = v;
		if ((v = ini_get(s, "secret_file"))) {
			free(o->owned_secret);
			if (!(o->owned_secret = read_first_line(v))) {
				errf(err, errlen, "%s:%d: secret_file '%s' cannot be read", cfg->path, ini_line(s, "secret_file"), v);
				return -EINVAL;
			}
			o->secret = o->owned_secret;
		}
		static const char *const durations[] = {"retry_base", "retry_max", "give_up_after", "claim_ttl"};
		double *dst[] = {&o->retry_base, &o->retry_max, &o->give_up_after, &o->claim_ttl};
		for (int i = 0; i < 4; i++)
			if ((v = ini_get(s, durations[i])) && (ini_duration(v, dst[i]) || *dst[i] <= 0)) {
				errf(err, errlen, "%s:%d: %s wants a duration such as 1m or 3d, got '%s'", cfg->path,
				     ini_line(s, durations[i]), durations[i], v);
				return -EINVAL;
			}
		long days;
		if ((v = ini_get(s, "reminder_days"))) {
			if (parse_long(v, 0, 365, &days)) {
				errf(err, errlen, "%s:%d: reminder_days wants 0 to 365, got '%s'", cfg->path, ini_line(s, "reminder_days"), v);
				return -EINVAL;
			}
			o->reminder_days = (int)days;
		}
		int any = 0;
		if ((v = ini_get(s, "allow_private_webhooks")) && ini_bool(v, &any)) {
			errf(err, errlen, "%s:%d: allow_private_webhooks wants yes or no, got '%s'", cfg->path,
			     ini_line(s, "allow_private_webhooks"), v);
			return -EINVAL;
		}
		if (any) /* the older switch: every address, as "allow_targets = any" */
			o->targets.allow_all = 1;
		char sub[ERRBUF_SIZE];
		if ((v = ini_get(s, "allow_targets")) && netguard_add(&o->targets, v, sub, sizeof(sub))) {
			errf(err, errlen, "%s:%d: allow_targets: %s", cfg->path, ini_line(s, "allow_targets"), sub);
			return -EINVAL;
		}
		long attempts;
		if ((v = ini_get(s, "pause_after"))) {
			if (parse_long(v, 1, 1000, &attempts)) {
				errf(err, errlen, "%s:%d: pause_after wants 1 to 1000 failed attempts in a row, got '%s'", cfg->path,
				     ini_line(s, "pause_after"), v);
				return -EINVAL;
			}
			o->pause_after = (int)attempts;
		}
	}
	/* The environment overrides the file: secrets need not be written down. */
	if ((v = getenv("TBTWARN_SMTP_URL")) && *v)
		o->smtp_url = v;
	if ((v = getenv("TBTWARN_MAIL_FROM")) && *v)
		o->mail_from = v;
	if ((v = getenv("TBTWARN_BASE_URL")) && *v)
		o->base_url = v;
	if ((v = getenv("TBTWARN_SECRET")) && *v)
		o->secret = v;
	if ((v = getenv("TBTWARN_ALLOW_PRIVATE_WEBHOOKS")) && *v && (!strcmp(v, "1") || !strcmp(v, "yes")))
		o->targets.allow_all = 1;
	if ((v = getenv("TBTWARN_ALLOW_TARGETS")) && *v) {
		char sub[ERRBUF_SIZE];
		if (netguard_add(&o->targets, v, sub, sizeof(sub))) {
			errf(err, errlen, "TBTWARN_ALLOW_TARGETS: %s", sub);
			return -EINVAL;
		}
	}
	if ((v = getenv("TBTWARN_RETRY_BASE")) && *v && ini_duration(v, &o->retry_base)) {
		errf(err, errlen, "TBTWARN_RETRY_BASE wants a duration such as 1m, got '%s'", v);
		return -EINVAL;
	}
	long days;
	if ((v = getenv("TBTWARN_REMINDER_DAYS")) && *v) {
		if (parse_long(v, 0, 365, &days)) {
			errf(err, errlen, "TBTWARN_REMINDER_DAYS wants 0 to 365, got '%s'", v);
			return -EINVAL;
		}
		o->reminder_days = (int)days;
	}
	if (data) {
		/* An instance is its host and data directory (whose lock admits one writing process at a time): a restart is
		 * the same instance, and takes its own claims back at once instead of waiting for them to expire. */
		char host[64] = "", *real = realpath(data, NULL);
		unsigned char h[32];
		gethostname(host, sizeof(host) - 1);
		const char *d = real ? real : data;
		SHA256((const unsigned char *)d, strlen(d), h);
		snprintf(o->instance, sizeof(o->instance), "%.60s-%02x%02x%02x%02x%02x%02x", host[0] ? host : "host", h[0], h[1],
			 h[2], h[3], h[4], h[5]);
		free(real);
	}
	if (!o->secret && data)
		return data_secret(o, data, err, errlen);
	return 0;
}

void alert_opts_release(struct alert_opts *o)
{
	free(o->owned_secret);
	o->owned_secret = NULL;
	netguard_release(&o->targets);
}

struct db *al_db(struct archive *a)
{
	return store_db(archive_store(a));
}

int al_exec(struct archive *a, const char *sql, char *err, size_t errlen)
{
	if (db_exec(al_db(a), sql) != DB_OK) {
		errf(err, errlen, "%s", db_errmsg(al_db(a)));
		return -TBT_EDB;
	}
	return 0;
}

int al_prep(struct archive *a, const char *sql, struct db_stmt **q, char *err, size_t errlen)
{
	if (db_prepare(al_db(a), sql, q) != DB_OK) {
		errf(err, errlen, "%s", db_errmsg(al_db(a)));
		return -TBT_EDB;
	}
	return 0;
}

#define NOTIF_CACHE 32
struct cached_notif {
	int64_t id;
	struct notif *n; /* at its measure's current dates */
	struct cat_result cats;
	struct risk risk;
	char change_zh[400], change_en[400];
	unsigned machine_zh; /* bit k: field k's Chinese (title, description, products) is a machine's */
};

struct run {
	struct archive *a;
	const struct alert_opts *o;
	struct alert_stats *st;
	FILE *report;
	struct ev_loop *loop;
	struct db_stmt *upd;
	int in_txn;
	unsigned commit_failures; /* COMMITs of outcomes that failed while the transaction stayed open */
	ev_prepare commit_w;
	/* Many subscribers are alerted to the same notification: it is read and classified once. */
	struct cached_notif cache[NOTIF_CACHE];
	unsigned cache_next;
	/* Rows whose transfer is running (a long-lived run must not start them twice). */
	int64_t *flying;
	size_t nflying, capflying;
	int only_account; /* deliver only confirmation and manage mails */
	int relay_down;   /* the last e-mail failed for a temporary reason */
	int mail_flying;  /* e-mail transfers running */
	unsigned skipped; /* due rows left for a refill (window full, relay down) */
	ev_timer refill;  /* a long-lived alerter starts the next rows as soon as transfers end */
	struct fetcher *f;
	struct smtp *smtp; /* the relay's sessions, made at the first e-mail */
	/* The published analyses (with the accepted advice) read in this batch, by symbol (null: none): read once per
	 * batch, not once per alert; a publication is seen by the next batch. */
	json_t *analyses;
};

/* E-mails handed to the relay at once: many times its connections, so that it is never idle, yet bounded, so that
 * the order of urgency holds across refills and little is queued for a relay that goes down. A refill happens when
 * the window is half empty (each refill is a query over the due rows). */
enum { MAIL_WINDOW = 256 };
/* Sessions with the relay at once (postfix's default smtpd_client_connection_count_limit is 50). */
enum { MAIL_SESSIONS = 8 };

static int flying(const struct run *r, int64_t id)
{
	for (size_t i = 0; i < r->nflying; i++)
		if (r->flying[i] == id)
			return 1;
	return 0;
}

static void fly(struct run *r, int64_t id)
{
	if (r->nflying == r->capflying) {
		r->capflying = r->capflying ? 2 * r->capflying : 64;
		r->flying = xrealloc(r->flying, r->capflying * sizeof(*r->flying));
	}
	r->flying[r->nflying++] = id;
}

static void land(struct run *r, int64_t id)
{
	for (size_t i = 0; i < r->nflying; i++)
		if (r->flying[i] == id) {
			r->flying[i] = r->flying[--r->nflying];
			return;
		}
}

struct delivery {
	struct run *run;
	int64_t id, subscription;
	int attempts;
	double created;
	char *message_id;
	enum channel channel;
	int counted; /* counted in mail_flying */
};

/* Commits the outcomes recorded since the last loop turn. A COMMIT that fails while the transaction is still open
 * (busy) is tried again at the next turn; one that rolled it back (disk full, I/O error) loses those outcomes, and is
 * said: the rows stay due and go again under the same Message-IDs and webhook-ids, which receivers deduplicate. */
static void run_commit(struct run *r)
{
	if (!r->in_txn)
		return;
	if (db_exec(al_db(r->a), "COMMIT") == DB_OK) {
		r->in_txn = 0;
		return;
	}
	if (!db_in_txn(al_db(r->a))) {
		r->in_txn = 0;
		fprintf(stderr, "tbtwarn: alert: the outcomes of the last deliveries could not be saved (%s): they will be "
				"sent again under the same ids\n", db_errmsg(al_db(r->a)));
	} else if (!r->commit_failures++) {
		fprintf(stderr, "tbtwarn: alert: cannot save the outcomes of deliveries yet (%s): trying again\n",
			db_errmsg(al_db(r->a)));
	}
}

static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	run_commit(w->data);
}

static void on_refill(struct ev_loop *loop, ev_timer *t, int revents);

static void run_init(struct run *r, struct archive *a, struct ev_loop *loop, const struct alert_opts *o,
		     struct alert_stats *st, FILE *report)
{
	memset(r, 0, sizeof(*r));
	r->a = a;
	r->o = o;
	r->st = st;
	r->report = report;
	r->loop = loop;
	ev_timer_init(&r->refill, on_refill, 0., 0.);
	r->refill.data = r;
	ev_prepare_init(&r->commit_w, on_prepare);
	r->commit_w.data = r;
	ev_prepare_start(loop, &r->commit_w);
	ev_unref(loop); /* the watcher alone does not keep the loop running */
}

static void run_release(struct run *r)
{
	ev_timer_stop(r->loop, &r->refill);
	run_commit(r);
	if (r->in_txn) {
		/* Still not saved: rolled back, so that no transaction stays open; those rows stay due. */
		db_exec(al_db(r->a), "ROLLBACK");
		r->in_txn = 0;
		fprintf(stderr, "tbtwarn: alert: the outcomes of the last deliveries could not be saved: they will be sent "
				"again under the same ids\n");
	}
	ev_ref(r->loop);
	ev_prepare_stop(r->loop, &r->commit_w);
	smtp_free(r->smtp);
	db_finalize(r->upd);
	for (unsigned i = 0; i < NOTIF_CACHE; i++)
		notif_free(r->cache[i].n);
	free(r->flying);
	json_decref(r->analyses);
}

/* The published analysis of symbol, with the experts' advice an analyst accepted, or NULL: a new reference. */
static json_t *batch_analysis(struct run *r, const char *symbol)
{
	if (!r->analyses)
		r->analyses = json_object();
	json_t *an = json_object_get(r->analyses, symbol);
	if (!an) {
		an = store_analysis_get(archive_store(r->a), symbol, 1);
		if (an) {
			json_t *adv = advice_list(archive_store(r->a), symbol, 1);
			if (json_array_size(adv))
				json_object_set(an, "advice", adv);
			json_decref(adv);
		}
		json_object_set_new(r->analyses, symbol, an ? an : json_null());
	}
	return json_is_null(an) ? NULL : json_incref(an);
}

static void record(struct delivery *d, const char *state, double next, const char *error)
{
	struct run *r = d->run;
	char now[21];
	now_iso(now);
	if (!r->upd && db_prepare(al_db(r->a), "UPDATE outbox SET state = ?2, attempts = attempts + ?6, next_attempt = ?3, "
						      "last_error = ?4, sent_at = CASE WHEN ?2 = 'sent' THEN ?5 ELSE sent_at END, "
						      "claimed_until = 0 WHERE id = ?1", &r->upd) != DB_OK)
		return;
	if (!r->in_txn && db_exec(al_db(r->a), "BEGIN IMMEDIATE") == DB_OK)
		r->in_txn = 1;
	struct db_stmt *q = r->upd;
	db_reset(q);
	db_bind_int64(q, 1, d->id);
	db_bind_text(q, 2, state);
	db_bind_double(q, 3, next);
	db_bind_text(q, 4, error);
	db_bind_text(q, 5, now);
	db_bind_int64(q, 6, strcmp(state, "cancelled") != 0);
	if (db_step(q) != DB_DONE)
		fprintf(stderr, "tbtwarn: alert: cannot record the outcome of %s: %s\n", d->message_id, db_errmsg(al_db(r->a)));
}

static void delivery_free(struct delivery *d)
{
	land(d->run, d->id);
	if (d->counted)
		d->run->mail_flying--;
	free(d->message_id);
	free(d);
}

/* A delivery that cannot even start: recorded as failed (or cancelled), with the reason, and reported. */
static void stop_now(struct delivery *d, const char *state, const char *why)
{
	record(d, state, 0, why);
	if (!strcmp(state, "cancelled"))
		d->run->st->cancelled++;
	else
		d->run->st->failed++;
	if (d->run->report)
		fprintf(d->run->report, "%s %s: %s\n", state, d->message_id, why);
}

/* Keeps count of a webhook's or robot's failed attempts in a row. At o->pause_after the subscription is paused (it
 * stops being matched and its waiting rows are cancelled at their turn) and its owner is told by e-mail, once: a
 * target that keeps failing is not hammered for days. A success resets the count. In the run's transaction. */
static void target_outcome(struct delivery *d, int ok, const char *error)
{
	struct run *r = d->run;
	struct db_stmt *q;
	if (d->channel == CH_EMAIL || !d->subscription)
		return;
	if (ok) {
		subs_target_ok(archive_store(r->a), d->subscription);
		return;
	}
	if (subs_target_failed(archive_store(r->a), d->subscription, r->o->pause_after, error) != 1)
		return;
	if (r->report)
		fprintf(r->report, "paused subscription %lld after %d failed attempts in a row: %s\n", (long long)d->subscription,
			r->o->pause_after, error);
	/* The owner's notice: an e-mail in their language, once per pause (the Message-ID names the subscription and
	 * the time of the pause). */
	if (db_prepare(al_db(r->a), "INSERT OR IGNORE INTO outbox (kind, subscriber_id, day, message_id, note, created_at) "
					 "SELECT 'operator', p.id, ?2, ?3, CASE WHEN p.lang = 'en' THEN ?5 ELSE ?4 END, ?6 "
					 "FROM subscriptions s JOIN subscribers p ON p.id = s.subscriber_id WHERE s.id = ?1", &q) == DB_OK) {
		char mid[128], today[11], now[21];
		struct buf zh, en;
		buf_init(&zh, BUF_NOMAX);
		buf_init(&en, BUF_NOMAX);
		today_iso(today);
		now_iso(now);
		snprintf(mid, sizeof(mid), "<tbtwarn.paused.%lld.%lld@tbtwarn>", (long long)d->subscription,
			 (long long)(now_epoch() * 1000));
		buf_addf(&zh, "[tbtwarn] 您的预警推送已暂停（订阅 %lld）\n"
			      "您的%s订阅（编号 %lld）的接收地址连续 %d 次投递失败，为避免反复请求，我们已暂停向其推送。\n"
			      "最后一次错误：%s\n\n"
			      "请检查机器人或接收地址是否仍然有效，然后通过任意一封预警邮件中的“管理订阅”链接重新添加该订阅。\n",
			 (long long)d->subscription, channel_name(d->channel), (long long)d->subscription, r->o->pause_after, error);
		buf_addf(&en, "[tbtwarn] Alerts paused (subscription %lld)\n"
			      "The target of your %s subscription %lld failed %d deliveries in a row, so we stopped sending to it.\n"
			      "Last error: %s\n\n"
			      "Check that the robot or endpoint still exists, then add the subscription again from the "
			      "\"Manage subscriptions\" link of any alert.\n",
			 (long long)d->subscription, channel_name(d->channel), (long long)d->subscription, r->o->pause_after, error);
		db_bind_int64(q, 1, d->subscription);
		db_bind_text(q, 2, today);
		db_bind_text(q, 3, mid);
		db_bind_text(q, 4, zh.s);
		db_bind_text(q, 5, en.s);
		db_bind_text(q, 6, now);
		if (db_step(q) != DB_DONE)
			fprintf(stderr, "tbtwarn: alert: cannot queue the notice of the pause of subscription %lld: %s\n",
				(long long)d->subscription, db_errmsg(al_db(r->a)));
		db_finalize(q);
		buf_release(&zh);
		buf_release(&en);
	}
}

static void on_sent(void *arg, struct fetch_result *r)
{
	struct delivery *d = arg;
	const struct transport *t = transport_for(d->channel);
	int failed = r->failed, temporary = 0, answered = !failed && t->answer;
	if (answered && t->answer(r, &temporary))
		failed = 1;
	if (!failed) {
		record(d, "sent", 0, NULL);
		target_outcome(d, 1, NULL);
		if (d->channel == CH_EMAIL && d->run->relay_down) {
			/* The relay is back: what waited for it is due now, and goes in order of urgency rather than in the
			 * order of its backoff timers. */
			d->run->relay_down = 0;
			db_exec(al_db(d->run->a), "UPDATE outbox SET next_attempt = 0 WHERE state = 'pending' AND attempts > 0 AND "
						    "(subscription_id IS NULL OR subscription_id IN (SELECT id FROM subscriptions "
						    "WHERE channel = 'email'))");
			if (d->run->report)
				fprintf(d->run->report, "the mail relay answers again: the waiting e-mails are due now\n");
		}
		d->run->st->sent++;
		if (d->run->report)
			fprintf(d->run->report, "delivered %s (%s)\n", d->message_id, t->name);
	} else {
		/* Permanent: what the transport says is final (SMTP 5xx, HTTP 4xx except 408 and 429, a robot's error other
		 * than a rate limit). Everything else is retried with exponential backoff and jitter until give_up_after. */
		int permanent = answered ? !temporary : t->permanent(r);
		if (r->refused)
			permanent = 1; /* the target's address is not allowed: asking again will not change that */
		if (d->channel == CH_EMAIL && !permanent)
			d->run->relay_down = 1;
		target_outcome(d, 0, r->error);
		double now = now_epoch();
		if (!permanent && now - d->created < d->run->o->give_up_after) {
			double delay = fmin(d->run->o->retry_max, d->run->o->retry_base * pow(2.0, d->attempts));
			delay *= 0.5 + (double)rand() / RAND_MAX;
			if (r->retry_after > delay)
				delay = r->retry_after;
			record(d, "pending", now + delay, r->error);
			d->run->st->retrying++;
			if (d->run->report)
				fprintf(d->run->report, "retrying %s in %.0f s: %s\n", d->message_id, delay, r->error);
		} else {
			record(d, "failed", 0, r->error);
			d->run->st->failed++;
			if (d->run->report)
				fprintf(d->run->report, "failed %s: %s\n", d->message_id, r->error);
			/* 410 Gone: the endpoint is no more; stop sending to it. */
			if (d->channel != CH_EMAIL && r->status == 410) {
				subs_disable(archive_store(d->run->a), d->subscription, "its endpoint answered 410 Gone");
				if (d->run->report)
					fprintf(d->run->report, "disabled subscription %lld: its endpoint answered 410 Gone\n",
						(long long)d->subscription);
			}
		}
	}
	struct run *run = d->run;
	delivery_free(d);
	if (run->skipped && run->f && !run->relay_down && !ev_is_active(&run->refill) && run->mail_flying <= MAIL_WINDOW / 2) {
		ev_timer_set(&run->refill, 0., 0.);
		ev_timer_start(run->loop, &run->refill);
	}
}

/* Writes a message into the Maildir dir (dir/tmp, then renamed into dir/new, as Maildir readers expect). The file
 * is named after the Message-ID, so a message sent again after a crash replaces itself instead of doubling. */
static int maildir_put(const char *dir, const char *message_id, const char *body, char *err, size_t errlen)
{
	char name[256], tmp[PATH_MAX], fin[PATH_MAX];
	size_t k = 0;
	for (const char *p = message_id; *p && k + 1 < sizeof(name); p++)
		name[k++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ? *p : '_';
	name[k] = '\0';
	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	mkdir(dir, 0755);
	mkdir(tmp, 0755);
	snprintf(fin, sizeof(fin), "%s/new", dir);
	mkdir(fin, 0755);
	snprintf(fin, sizeof(fin), "%s/cur", dir);
	mkdir(fin, 0755);
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name);
	snprintf(fin, sizeof(fin), "%s/new/%s", dir, name);
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		errf(err, errlen, "maildir %s: %s", dir, strerror(errno));
		return -1;
	}
	size_t len = strlen(body);
	int bad = fwrite(body, 1, len, f) != len;
	bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, fin)) {
		errf(err, errlen, "maildir %s: %s", dir, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static const struct cached_notif *cached(struct run *r, int64_t id)
{
	for (unsigned i = 0; i < NOTIF_CACHE; i++)
		if (r->cache[i].n && r->cache[i].id == id)
			return &r->cache[i];
	struct notif *n;
	char err[ERRBUF_SIZE];
	if (store_get_by_id(archive_store(r->a), id, &n, err, sizeof(err)))
		return NULL;
	json_t *prov;
	archive_overlay_zh(r->a, n, &prov); /* the Chinese a person or a machine wrote, where the source had none */
	struct cached_notif *c = &r->cache[r->cache_next++ % NOTIF_CACHE];
	static const char *const zf[3] = {"title", "description", "products"};
	c->machine_zh = 0;
	for (int k = 0; k < 3; k++) {
		const char *by = json_string_value(json_object_get(json_object_get(prov, zf[k]), "by"));
		if (by && !strcmp(by, "machine"))
			c->machine_zh |= 1u << k;
	}
	json_decref(prov);
	notif_free(c->n);
	c->id = id;
	c->n = n;
	/* What this document changed, then the measure's current dates for the rest of the message. */
	struct notif_effective e;
	archive_change_note(r->a, n, &e, c->change_zh, sizeof(c->change_zh), c->change_en, sizeof(c->change_en));
	archive_apply_effective(&e, n);
	archive_classify(r->a, n, &c->cats, &c->risk);
	return c;
}

/* Loads the notifications a row speaks of: its own, or a digest's items. Returns the number loaded. */
static size_t load_items(struct run *r, int64_t row, const char *kind, int64_t nid, const char *deadline,
			 struct alert_item **out)
{
	struct alert_item *items = NULL;
	size_t n = 0;
	struct db_stmt *q = NULL;
	int digest = !strcmp(kind, "digest");
	if (digest && db_prepare(al_db(r->a), "SELECT notification_id, kind, deadline FROM outbox WHERE digest_id = ?1 ORDER BY id", &q) != DB_OK)
		return 0;
	if (q)
		db_bind_int64(q, 1, row);
	for (;;) {
		int64_t id = nid;
		const char *k = kind, *dl = deadline;
		if (digest) {
			if (db_step(q) != DB_ROW)
				break;
			id = db_col_int64(q, 0);
			k = db_col_text(q, 1);
			dl = db_col_text(q, 2);
		}
		const struct cached_notif *c = cached(r, id);
		if (c) {
			items = xrealloc(items, (n + 1) * sizeof(*items));
			struct alert_item *it = &items[n++];
			/* Borrowed from the cache, which outlives the message. */
			it->n = c->n;
			it->cats = c->cats;
			it->risk = c->risk;
			it->kind = !strcmp(k, "reminder") ? ITEM_REMINDER : ITEM_ALERT;
			it->change_zh = it->kind == ITEM_ALERT ? c->change_zh : NULL;
			it->machine_zh = c->machine_zh;
			it->relevant = 0;
			it->change_en = it->kind == ITEM_ALERT ? c->change_en : NULL;
			snprintf(it->deadline, sizeof(it->deadline), "%s", dl ? dl : c->n->dates[D_COMMENTS].iso);
		}
		if (!digest)
			break;
	}
	db_finalize(q);
	*out = items;
	return n;
}

/* Starts one row's delivery; returns 1 when a transfer was started, 0 when the row was settled at once. */
/* How long an alert created at `created` may still wait for the Chinese of its notifications: > 0 while one of them
 * has no Chinese title and waits in the translation queue, and [translate] wait has not run out. */
/* A notification read again at its next use: its translation is coming, and the cached copy has none. */
static void uncache(struct run *r, const struct notif *n)
{
	for (unsigned i = 0; i < NOTIF_CACHE; i++)
		if (r->cache[i].n == n) {
			notif_free(r->cache[i].n);
			r->cache[i].n = NULL;
			r->cache[i].id = 0;
		}
}

static double translation_wait(struct run *r, const struct message *m, double created)
{
	double left = r->o->translate_wait - (now_epoch() - created);
	if (r->o->translate_wait <= 0 || left <= 0)
		return 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct notif *n = m->items[i].n;
		if (n->text[LANG_ZH].title)
			continue;
		json_t *row = store_tq_row(archive_store(r->a), n->symbol);
		const char *state = json_string_value(json_object_get(row, "state"));
		int waiting = state && !strcmp(state, "pending");
		json_decref(row);
		if (waiting)
			return left;
	}
	return 0;
}

/* A row put off without counting an attempt (it is not a failure). */
static void hold(struct delivery *d, double next, const char *why)
{
	struct run *r = d->run;
	struct db_stmt *q;
	if (!r->in_txn && db_exec(al_db(r->a), "BEGIN IMMEDIATE") == DB_OK)
		r->in_txn = 1;
	if (db_prepare(al_db(r->a), "UPDATE outbox SET next_attempt = ?2, last_error = ?3 WHERE id = ?1", &q) !=
	    DB_OK)
		return;
	db_bind_int64(q, 1, d->id);
	db_bind_double(q, 2, next);
	db_bind_text(q, 3, why);
	if (db_step(q) != DB_DONE)
		fprintf(stderr, "tbtwarn: alert: cannot put %s off: %s\n", d->message_id, db_errmsg(al_db(r->a)));
	db_finalize(q);
}

/* The rows due now: pending, their time come, most urgent first (confirmations, then the nearest comment deadline,
 * read in that order from the partial index outbox_urgency; SQLite would rather take outbox_due and sort every due
 * row at each refill). ?1 now, ?2 one row only (0: all), ?3 e-mail can go, ?4 how many, ?5 account messages only,
 * ?6 this instance. */
#define DUE_FROM                                                                                                         \
	"FROM outbox o INDEXED BY outbox_urgency JOIN subscribers p ON p.id = o.subscriber_id "                          \
	"LEFT JOIN subscriptions s ON s.id = o.subscription_id "                                                          \
	"WHERE o.state = 'pending' AND o.next_attempt <= ?1 AND (?2 = 0 OR o.id = ?2) "                                  \
	"AND (?3 = 1 OR (o.kind NOT IN ('confirm', 'manage', 'operator') AND s.channel <> 'email')) "                    \
	"AND (?5 = 0 OR o.kind IN ('confirm', 'manage')) "
#define DUE_ORDER "ORDER BY o.kind NOT IN ('confirm', 'manage', 'operator'), o.deadline IS NULL, o.deadline, o.id LIMIT ?4"

/* Several instances on one database: the due rows are first claimed, in one statement of their own (rows another
 * instance is claiming at that moment are skipped, not waited for; a claim that outlives its instance expires after
 * claim_ttl), then read; each instance sends only what it claimed. */
static const char claim_sql[] = "UPDATE outbox SET claimed_by = ?6, claimed_until = ?7 WHERE id IN (SELECT o.id " DUE_FROM
				"AND (o.claimed_until < ?1 OR o.claimed_by = ?6) " DUE_ORDER " FOR UPDATE OF o SKIP LOCKED)";

/* The claimed rows, each with its subscription and subscriber, read by name through struct due_row (due_read). */
static const char due_sql[] =
	"SELECT o.id, o.kind, o.subscriber_id, o.subscription_id, o.notification_id, o.deadline, o.message_id, o.attempts, "
	"strftime('%s', o.created_at), s.channel, s.url, s.secret, s.frequency, s.active, p.status, p.email, p.name, p.org, p.lang, "
	"o.note, p.interests " DUE_FROM "AND o.claimed_by = ?6 AND o.claimed_until >= ?1 " DUE_ORDER;

/* due_sql's columns, in its order. */
enum due_col {
	DUE_ID, DUE_KIND, DUE_SUBSCRIBER, DUE_SUBSCRIPTION, DUE_NOTIFICATION, DUE_DEADLINE, DUE_MESSAGE_ID, DUE_ATTEMPTS,
	DUE_CREATED, DUE_CHANNEL, DUE_URL, DUE_SECRET, DUE_FREQUENCY, DUE_ACTIVE, DUE_STATUS, DUE_EMAIL, DUE_NAME,
	DUE_ORG, DUE_LANG, DUE_NOTE, DUE_INTERESTS
};

/* One due row by name; its strings are the statement's (valid until the next step). */
struct due_row {
	int64_t id, subscriber, subscription, notification;
	const char *kind, *deadline, *message_id, *channel, *url, *secret, *frequency, *status, *email, *name, *org,
		*lang, *note, *interests;
	int attempts, active;
	double created;
};

static void due_read(struct db_stmt *q, struct due_row *w)
{
	w->id = db_col_int64(q, DUE_ID);
	w->kind = db_col_text(q, DUE_KIND);
	w->subscriber = db_col_int64(q, DUE_SUBSCRIBER);
	w->subscription = db_col_int64(q, DUE_SUBSCRIPTION);
	w->notification = db_col_int64(q, DUE_NOTIFICATION);
	w->deadline = db_col_text(q, DUE_DEADLINE);
	w->message_id = db_col_text(q, DUE_MESSAGE_ID);
	w->attempts = db_col_int(q, DUE_ATTEMPTS);
	w->created = db_col_double(q, DUE_CREATED);
	w->channel = db_col_text(q, DUE_CHANNEL);
	w->url = db_col_text(q, DUE_URL);
	w->secret = db_col_text(q, DUE_SECRET);
	w->frequency = db_col_text(q, DUE_FREQUENCY);
	w->active = db_col_null(q, DUE_ACTIVE) || db_col_int(q, DUE_ACTIVE); /* no subscription (account mails): active */
	w->status = db_col_text(q, DUE_STATUS);
	w->email = db_col_text(q, DUE_EMAIL);
	w->name = db_col_text(q, DUE_NAME);
	w->org = db_col_text(q, DUE_ORG);
	w->lang = db_col_text(q, DUE_LANG);
	w->note = db_col_text(q, DUE_NOTE);
	w->interests = db_col_text(q, DUE_INTERESTS);
}


static int start_row(struct run *r, struct fetcher *f, struct db_stmt *q)
{
	const struct alert_opts *o = r->o;
	struct due_row w;
	due_read(q, &w);
	if (flying(r, w.id))
		return 0;
	struct delivery *d = xcalloc(1, sizeof(*d));
	d->run = r;
	d->id = w.id;
	fly(r, d->id);
	const char *kind = w.kind, *status = w.status;
	d->subscription = w.subscription;
	d->message_id = xstrdup(w.message_id);
	d->attempts = w.attempts;
	d->created = w.created;
	/* A request to confirm, or a link to manage (for a known address that used the subscribe form): e-mails about
	 * the subscription itself. */
	int confirm = !strcmp(kind, "confirm") || !strcmp(kind, "manage") || !strcmp(kind, "operator");
	int ch = confirm ? CH_EMAIL : w.channel ? channel_from_name(w.channel) : -1;
	if (ch < 0) {
		stop_now(d, "failed", "the subscription is gone");
		delivery_free(d);
		return 0;
	}
	d->channel = (enum channel)ch;
	if (!strcmp(status, "unsubscribed") || !w.active) {
		stop_now(d, "cancelled", !w.active ? "the subscription is disabled" : "unsubscribed");
		delivery_free(d);
		return 0;
	}
	/* Nothing but the request to confirm goes anywhere before the subscriber confirmed the address: a webhook or a
	 * robot from the public form could otherwise be aimed at a third party by anyone. */
	if (!confirm && strcmp(status, "confirmed")) {
		stop_now(d, "cancelled", "the subscriber has not confirmed the address");
		delivery_free(d);
		return 0;
	}
	if (d->channel == CH_EMAIL && !o->smtp_url) {
		/* No relay configured: the row waits, nothing is lost. */
		delivery_free(d);
		return 0;
	}
	if (d->channel == CH_EMAIL && !starts_with(o->smtp_url, "maildir:") &&
	    (r->mail_flying >= MAIL_WINDOW || (r->relay_down && r->mail_flying))) {
		/* A window of e-mails is handed to the relay at a time, so that the order of urgency holds and a relay that
		 * goes down has little queued for it; when it is down, one message at a time probes it. The others wait,
		 * due, for the next refill. */
		r->skipped++;
		delivery_free(d);
		return 0;
	}
	/* The subscriber came with the row (no query per delivery); borrowed for the call. */
	struct subscriber who = {w.subscriber, (char *)w.email, (char *)w.name, (char *)w.org, (char *)w.lang, NULL,
				 (char *)status};
	struct message m;
	json_t *analysis = NULL;
	memset(&m, 0, sizeof(m));
	m.kind = !strcmp(kind, "digest")     ? MSG_DIGEST
		 : !strcmp(kind, "reminder") ? MSG_REMINDER
		 : !strcmp(kind, "test")     ? MSG_TEST
		 : !strcmp(kind, "analysis") ? MSG_ANALYSIS
					     : MSG_ALERT;
	m.message_id = d->message_id;
	m.subscription = d->subscription;
	m.who = &who;
	m.base_url = o->base_url;
	m.secret = o->secret;
	m.mail_from = o->mail_from;
	int fq = w.frequency ? frequency_from_name(w.frequency) : 0;
	m.frequency = fq < 0 ? FREQ_DAILY : (enum frequency)fq;
	today_iso(m.today);
	if (!confirm) {
		m.n = load_items(r, d->id, kind, w.notification, w.deadline, &m.items);
		if (!m.n) {
			stop_now(d, "failed", "its notification is no longer in the archive");
			delivery_free(d);
			return 0;
		}
		/* What the firm said matters to it (its impact reports) comes first, and says so. */
		message_mark_interests(&m, w.interests);
		message_sort(&m);
		/* A follow-up is about the published analysis; a later alert carries it. */
		if (m.kind == MSG_ANALYSIS || (m.kind == MSG_ALERT && m.n == 1))
			analysis = batch_analysis(r, m.items[0].n->symbol);
		m.analysis = analysis;
		if (m.kind == MSG_ANALYSIS && !analysis) {
			stop_now(d, "cancelled", "its analysis is no longer published");
			free(m.items);
			delivery_free(d);
			return 0;
		}
		/* A Chinese reader's alert waits a while for its notification's Chinese, when a translation is coming. */
		double left = m.kind == MSG_ALERT && !strcmp(who.lang ? who.lang : "zh", "zh") ? translation_wait(r, &m, d->created) : 0;
		if (left > 0) {
			/* Looked at again every 10 s: a translation usually comes within seconds of the crawl. */
			hold(d, now_epoch() + (left < 10 ? left : 10), "waiting for its Chinese translation");
			for (size_t i = 0; i < m.n; i++)
				uncache(r, m.items[i].n);
			json_decref(analysis);
			free(m.items);
			delivery_free(d);
			return 0;
		}
	}
	/* The transport writes the body and the request. */
	const struct transport *t = transport_for(d->channel);
	struct outgoing out;
	outgoing_init(&out);
	struct outgoing_in in = {kind, &m, &who, d->message_id, w.url, w.secret, w.note, o, (long)time(NULL)};
	t->write(&in, &out);
	out.req.guard = &o->targets;
	out.req.body = out.body;
	out.req.body_len = strlen(out.body);
	int ok = 1;
	if (t->smtp && starts_with(o->smtp_url, "maildir:")) {
		/* A local capture instead of a relay (the offline demo, tests): the message is a file, delivered at once. */
		struct fetch_result res;
		memset(&res, 0, sizeof(res));
		const char *dir = o->smtp_url + 8;
		if (starts_with(dir, "//"))
			dir += 2; /* maildir:///abs/path or maildir://relative/path or maildir:relative/path */
		if (maildir_put(dir, d->message_id, out.body, res.error, sizeof(res.error))) {
			res.failed = 1;
			res.status = 451;
		}
		on_sent(d, &res);
		ok = 0;
	} else {
		/* Counted in the relay's window while it runs (delivery_free takes it off). */
		d->counted = t->smtp;
		r->mail_flying += d->counted;
		const char *why = NULL;
		if (t->smtp) {
			if (!r->smtp)
				r->smtp = smtp_new(r->loop, f, o->smtp_url, o->smtp_ca_file, MAIL_SESSIONS, 60);
			if (!r->smtp)
				why = "the mail relay is not an smtp:// or smtps:// URL";
			else if (smtp_send(r->smtp, o->mail_from, who.email, out.body, out.req.body_len, on_sent, d))
				why = "the sender or the recipient address cannot be written in SMTP";
			if (r->smtp)
				out.body = NULL; /* the sender's now, sent or not */
		} else if (fetch_start(f, &out.req, on_sent, d)) {
			why = "the target URL is not http or https";
		}
		if (why) {
			stop_now(d, "failed", why);
			delivery_free(d);
			ok = 0;
		}
	}
	outgoing_release(&out);
	free(m.items); /* the notifications belong to the cache */
	json_decref(analysis);
	return ok;
}

/* Delivers due rows in batches, so that memory stays bounded however long the outbox: each batch is started, then
 * the loop runs until every transfer of it has ended. Rows that cannot go now (e-mail without a relay) are left out
 * of the query, so that every row a batch takes is settled by it. */
/* Starts the due rows (most urgent first) that are not on their way; returns how many the query gave, and in *limit
 * how many it could have given. While e-mail flows, a refill reads little more than the room in the relay's window
 * (the rows beyond would be read only to be skipped, and a refill comes each time half the window has gone); while
 * the relay is down, a page of 512, so that webhooks and robots behind the waiting e-mails go. */
static int start_due(struct run *r, int64_t only, size_t *got, size_t *limit, char *err, size_t errlen)
{
	struct db_stmt *q;
	*got = 0;
	*limit = 512;
	if (!r->relay_down && r->mail_flying < MAIL_WINDOW && r->o->smtp_url && !starts_with(r->o->smtp_url, "maildir:"))
		*limit = r->nflying + (size_t)(MAIL_WINDOW - r->mail_flying) + 64; /* the rows in flight come first */
	double now = now_epoch();
	/* The claim commits on its own, before anything is sent (and outside the outcomes' transaction, so that two
	 * instances never wait on each other's rows). */
	run_commit(r);
	for (int pass = 0; pass < 2; pass++) {
		if (al_prep(r->a, pass ? due_sql : claim_sql, &q, err, errlen))
			return -TBT_EDB;
		db_bind_double(q, 1, now);
		db_bind_int64(q, 2, only);
		db_bind_int64(q, 3, r->o->smtp_url != NULL);
		db_bind_int64(q, 4, (int64_t)*limit);
		db_bind_int64(q, 5, r->only_account);
		db_bind_text(q, 6, r->o->instance);
		if (!pass) {
			db_bind_double(q, 7, now + r->o->claim_ttl);
			int rc = db_step(q);
			db_finalize(q);
			if (rc != DB_DONE) {
				errf(err, errlen, "claim the due deliveries: %s", db_errmsg(al_db(r->a)));
				return -TBT_EDB;
			}
		}
	}
	r->skipped = 0;
	if (r->analyses)
		json_object_clear(r->analyses); /* this batch reads them afresh */
	while (db_step(q) == DB_ROW) {
		start_row(r, r->f, q);
		(*got)++;
	}
	db_finalize(q);
	run_commit(r);
	return 0;
}

static void on_refill(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct run *r = t->data;
	char err[ERRBUF_SIZE];
	size_t got, limit;
	(void)loop;
	(void)revents;
	if (start_due(r, 0, &got, &limit, err, sizeof(err)) && r->report)
		fprintf(r->report, "failed to start deliveries: %s\n", err);
}

/* Delivers due rows: started a window at a time, each ending transfer refilling it, until none is due (rows that
 * cannot go now, e-mail without a relay, are left out of the query). */
static int deliver_due(struct run *r, int64_t only, char *err, size_t errlen)
{
	for (;;) {
		size_t got, limit;
		int rc = start_due(r, only, &got, &limit, err, errlen);
		if (rc)
			return rc;
		ev_run(r->loop, 0);
		run_commit(r);
		/* A relay that is down is not probed again and again within one run: what waits goes at the next. */
		if ((got < limit && !r->skipped) || only || r->relay_down)
			return 0;
	}
}

int alert_deliver(struct archive *a, struct ev_loop *loop, struct fetcher *f, const struct alert_opts *o,
		  struct alert_stats *st, FILE *report, char *err, size_t errlen)
{
	struct run r;
	int rc = alert_fold_digests(a, st, err, errlen);
	if (rc)
		return rc;
	run_init(&r, a, loop, o, st, report);
	r.f = f;
	rc = deliver_due(&r, 0, err, errlen);
	run_release(&r);
	return rc;
}

int alert_deliver_row(struct archive *a, struct ev_loop *loop, struct fetcher *f, const struct alert_opts *o, int64_t row,
		      struct alert_stats *st, FILE *report, char *err, size_t errlen)
{
	struct run r;
	run_init(&r, a, loop, o, st, report);
	r.f = f;
	int rc = deliver_due(&r, row, err, errlen);
	run_release(&r);
	return rc;
}

int alert_queue_analysis(struct archive *a, const char *symbol, char *err, size_t errlen)
{
	/* Every subscription alerted to the notification (an alert sent, or folded into a digest) gets one follow-up; its
	 * Message-ID names the subscription and the notification, so that a second publication adds nothing. */
	static const char sql[] =
		"INSERT OR IGNORE INTO outbox (kind, subscriber_id, subscription_id, notification_id, symbol, day, message_id, "
		"state, next_attempt, created_at) "
		"SELECT 'analysis', o.subscriber_id, o.subscription_id, max(o.notification_id), o.symbol, CAST(?2 AS TEXT), "
		"'<tbtwarn.analysis.' || o.subscription_id || '.' || o.symbol || '@tbtwarn>', 'pending', 0, CAST(?3 AS TEXT) "
		"FROM outbox o WHERE o.symbol = ?1 AND o.kind = 'alert' AND o.state IN ('sent', 'digested') "
		"AND o.subscription_id IS NOT NULL GROUP BY o.subscriber_id, o.subscription_id, o.symbol";
	struct db_stmt *q;
	char today[11], now[21];
	if (al_prep(a, sql, &q, err, errlen))
		return -TBT_EDB;
	today_iso(today);
	now_iso(now);
	db_bind_text(q, 1, symbol);
	db_bind_text(q, 2, today);
	db_bind_text(q, 3, now);
	int rc = db_step(q);
	int64_t n = db_changes(al_db(a));
	db_finalize(q);
	if (rc != DB_DONE) {
		errf(err, errlen, "queue the follow-ups of %s: %s", symbol, db_errmsg(al_db(a)));
		return -TBT_EDB;
	}
	return (int)n;
}

int alert_first_sent(struct archive *a, const char *symbol, char out[21])
{
	struct db_stmt *q;
	out[0] = '\0';
	if (db_prepare(al_db(a), "SELECT min(sent_at) FROM outbox WHERE symbol = ?1 AND kind = 'alert' AND state = 'sent'", &q))
		return -TBT_EDB;
	db_bind_text(q, 1, symbol);
	if (db_step(q) == DB_ROW && db_col_text(q, 0))
		snprintf(out, 21, "%s", db_col_text(q, 0));
	db_finalize(q);
	return out[0] ? 0 : -ENOENT;
}

json_t *alert_first_sent_since(struct archive *a, const char *since)
{
	static const char *const keys[] = {"symbol", "distributed", "at"};
	return store_rows_json(archive_store(a), "SELECT n.symbol, n.distributed, min(o.sent_at) FROM outbox o JOIN "
						 "notifications n ON n.symbol = o.symbol WHERE o.kind = 'alert' AND "
						 "o.state = 'sent' AND n.distributed >= ?1 GROUP BY n.symbol, n.distributed",
			       since, keys, 3);
}

int outbox_add_confirm(struct store *st, int64_t subscriber, long long nth, char *err, size_t errlen)
{
	struct db *d = store_db(st);
	struct db_stmt *q;
	char mid[96], now[21];
	/* The first request keeps the id it always had; the later ones are numbered. */
	if (nth <= 1)
		snprintf(mid, sizeof(mid), "<tbtwarn.confirm.%lld@tbtwarn>", (long long)subscriber);
	else
		snprintf(mid, sizeof(mid), "<tbtwarn.confirm.%lld.%lld@tbtwarn>", (long long)subscriber, nth);
	now_iso(now);
	if (db_prepare(d, "INSERT INTO outbox (kind, subscriber_id, message_id, created_at) VALUES ('confirm', ?1, ?2, ?3)",
		       &q)) {
		errf(err, errlen, "queue the confirmation: %s", db_errmsg(d));
		return -TBT_EDB;
	}
	db_bind_int64(q, 1, subscriber);
	db_bind_text(q, 2, mid);
	db_bind_text(q, 3, now);
	int rc = db_step(q);
	db_finalize(q);
	if (rc != DB_DONE) {
		errf(err, errlen, "queue the confirmation: %s", db_errmsg(d));
		return -TBT_EDB;
	}
	return 0;
}

int alert_queue_manage(struct archive *a, int64_t subscriber, char *err, size_t errlen)
{
	struct db_stmt *q;
	double t = now_epoch();
	int rc;
	if ((rc = al_prep(a, "SELECT coalesce(sum(CASE WHEN created_at >= ?2 THEN 1 ELSE 0 END), 0), count(*) "
			  "FROM outbox WHERE subscriber_id = ?1 AND kind IN ('confirm', 'manage') "
			  "AND created_at >= ?3 "
			  /* Once the owner confirmed, what came before was theirs to ask for, not a flood. */
			  "AND created_at > coalesce((SELECT confirmed_at FROM subscribers WHERE id = ?1), '')",
		       &q, err, errlen)))
		return rc;
	char ten_min[21], a_day[21];
	epoch_iso(t - 600, ten_min);
	epoch_iso(t - 86400, a_day);
	db_bind_int64(q, 1, subscriber);
	db_bind_text(q, 2, ten_min);
	db_bind_text(q, 3, a_day);
	int recent = 0, today = 0;
	if (db_step(q) == DB_ROW) {
		recent = db_col_int(q, 0);
		today = db_col_int(q, 1);
	}
	db_finalize(q);
	if (recent >= 1 || today >= 5)
		return 0;
	char mid[128], now[21];
	snprintf(mid, sizeof(mid), "<tbtwarn.manage.%lld.%lld@tbtwarn>", (long long)subscriber, (long long)(t * 1000));
	now_iso(now);
	if ((rc = al_prep(a, "INSERT INTO outbox (kind, subscriber_id, message_id, created_at) VALUES ('manage', ?1, ?2, ?3)", &q,
		       err, errlen)))
		return rc;
	db_bind_int64(q, 1, subscriber);
	db_bind_text(q, 2, mid);
	db_bind_text(q, 3, now);
	rc = db_step(q) == DB_DONE ? 1 : -TBT_EDB;
	if (rc < 0)
		errf(err, errlen, "queue a manage message: %s", db_errmsg(al_db(a)));
	db_finalize(q);
	return rc;
}

/* ---- notices to the operator ---- */

int alert_operator_notice(struct archive *a, const char *email, const char *key, const char *subject, const char *text,
			  double renotify, char *err, size_t errlen)
{
	struct db_stmt *q;
	char skey[160], now[21], mid[256], today[11];
	double t = now_epoch();
	int64_t who = 0;
	int rc;
	snprintf(skey, sizeof(skey), "operator:%s", key);
	/* Told already, and not long enough ago to tell again. */
	if (!al_prep(a, "SELECT CAST(value AS REAL) FROM alert_state WHERE key = ?1", &q, err, errlen)) {
		db_bind_text(q, 1, skey);
		double last = db_step(q) == DB_ROW ? db_col_double(q, 0) : 0;
		db_finalize(q);
		if (last > 0 && t - last < renotify)
			return 0;
	}
	if ((rc = al_exec(a, "BEGIN IMMEDIATE", err, errlen)))
		return rc;
	now_iso(now);
	today_iso(today);
	if (subs_operator(archive_store(a), email, &who, err, errlen))
		who = 0;
	size_t k = 0;
	char clean[96];
	for (const char *p = key; *p && k + 1 < sizeof(clean); p++)
		clean[k++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ? *p : '-';
	clean[k] = '\0';
	snprintf(mid, sizeof(mid), "<tbtwarn.operator.%s.%lld@tbtwarn>", clean, (long long)t);
	struct buf note;
	buf_init(&note, BUF_NOMAX);
	buf_addf(&note, "%s\n%s", subject, text);
	rc = -TBT_EDB;
	if (who && !al_prep(a, "INSERT OR IGNORE INTO outbox (kind, subscriber_id, day, message_id, note, created_at) "
			    "VALUES ('operator', ?1, ?2, ?3, ?4, ?5)",
			 &q, err, errlen)) {
		db_bind_int64(q, 1, who);
		db_bind_text(q, 2, today);
		db_bind_text(q, 3, mid);
		db_bind_text(q, 4, note.s);
		db_bind_text(q, 5, now);
		rc = db_step(q) == DB_DONE ? 0 : -TBT_EDB;
		db_finalize(q);
	}
	buf_release(&note);
	if (!rc && !al_prep(a, "INSERT INTO alert_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", &q, err, errlen)) {
		char v[32];
		snprintf(v, sizeof(v), "%.0f", t);
		db_bind_text(q, 1, skey);
		db_bind_text(q, 2, v);
		rc = db_step(q) == DB_DONE ? 0 : -TBT_EDB;
		db_finalize(q);
	}
	if (rc) {
		errf(err, errlen, "operator notice: %s", db_errmsg(al_db(a)));
		al_exec(a, "ROLLBACK", NULL, 0);
		return rc;
	}
	return al_exec(a, "COMMIT", err, errlen) ? -TBT_EDB : 1;
}

int alert_staff_notice(struct archive *a, const char *email, const char *key, const char *subject, const char *text,
		       char *err, size_t errlen)
{
	struct db_stmt *q;
	char now[21], mid[256], today[11], clean[160];
	int64_t who = 0;
	size_t k = 0;
	if (subs_internal(archive_store(a), email, "tbtwarn staff", "zh", &who, err, errlen))
		return -TBT_EDB;
	for (const char *p = key; *p && k + 1 < sizeof(clean); p++)
		clean[k++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ? *p : '-';
	clean[k] = '\0';
	/* The key names the occasion: its Message-ID makes the notice once-only, whoever asks and however often. */
	snprintf(mid, sizeof(mid), "<tbtwarn.staff.%s.%lld@tbtwarn>", clean, (long long)who);
	now_iso(now);
	today_iso(today);
	struct buf note;
	buf_init(&note, BUF_NOMAX);
	buf_addf(&note, "%s\n%s", subject, text);
	int rc = al_prep(a, "INSERT OR IGNORE INTO outbox (kind, subscriber_id, day, message_id, note, created_at) "
			    "VALUES ('operator', ?1, ?2, ?3, ?4, ?5)",
			 &q, err, errlen);
	if (!rc) {
		db_bind_int64(q, 1, who);
		db_bind_text(q, 2, today);
		db_bind_text(q, 3, mid);
		db_bind_text(q, 4, note.s);
		db_bind_text(q, 5, now);
		rc = db_step(q) == DB_DONE ? (db_changes(al_db(a)) ? 1 : 0) : -TBT_EDB;
		if (rc < 0)
			errf(err, errlen, "staff notice: %s", db_errmsg(al_db(a)));
		db_finalize(q);
	}
	buf_release(&note);
	return rc;
}

long alert_failed_count(struct archive *a)
{
	struct db_stmt *q;
	long n = 0;
	if (db_prepare(al_db(a), "SELECT count(*) FROM outbox WHERE state = 'failed' AND kind <> 'operator'", &q) ==
	    DB_OK) {
		if (db_step(q) == DB_ROW)
			n = (long)db_col_int64(q, 0);
		db_finalize(q);
	}
	return n;
}

void alert_operator_clear(struct archive *a, const char *key)
{
	struct db_stmt *q;
	char skey[160];
	snprintf(skey, sizeof(skey), "operator:%s", key);
	if (db_prepare(al_db(a), "DELETE FROM alert_state WHERE key = ?1", &q) == DB_OK) {
		db_bind_text(q, 1, skey);
		db_step(q);
		db_finalize(q);
	}
}

/* ---- a long-lived alerter on a loop shared with other stages ---- */

struct alerter {
	struct run r;
	struct fetcher *f;
	struct alert_stats st;
};

struct alerter *alerter_new(struct archive *a, struct ev_loop *loop, struct fetcher *f, const struct alert_opts *o,
			    FILE *report, int only_account)
{
	struct alerter *al = xcalloc(1, sizeof(*al));
	al->f = f;
	run_init(&al->r, a, loop, o, &al->st, report);
	al->r.only_account = only_account;
	al->r.f = f;
	return al;
}

int alerter_tick(struct alerter *al, int collect, char *err, size_t errlen)
{
	struct run *r = &al->r;
	int rc;
	int more = 0;
	if (collect) {
		if ((rc = alert_collect(r->a, r->o, &al->st, err, errlen)) < 0 || (more = rc, rc = alert_fold_digests(r->a, &al->st, err, errlen)))
			return rc;
	}
	/* Start what is due and not already on its way; the outcomes arrive on the loop. */
	size_t got, limit;
	rc = start_due(r, 0, &got, &limit, err, errlen);
	return rc ? rc : more;
}

size_t alerter_in_flight(const struct alerter *al)
{
	return al->r.nflying;
}

const struct alert_stats *alerter_stats(const struct alerter *al)
{
	return &al->st;
}

void alerter_free(struct alerter *al)
{
	if (!al)
		return;
	run_release(&al->r);
	free(al);
}

int alert_test(struct archive *a, struct ev_loop *loop, struct fetcher *f, const struct alert_opts *o, int64_t subscription,
	       FILE *report, char *err, size_t errlen)
{
	struct subscription s;
	int rc;
	if ((rc = subs_get_subscription(archive_store(a), subscription, &s, err, errlen)))
		return rc;
	if (s.channel == CH_EMAIL && strcmp(s.status, "confirmed")) {
		errf(err, errlen, "subscription %lld is by e-mail and its subscriber has not confirmed the address (%s): nothing is "
				  "sent before that", (long long)subscription, s.status);
		subscription_release(&s);
		return -EPERM;
	}
	if (s.channel == CH_EMAIL && !o->smtp_url) {
		errf(err, errlen, "no mail relay is configured (TBTWARN_SMTP_URL or [alert] smtp_url)");
		subscription_release(&s);
		return -EINVAL;
	}
	/* The newest notification the subscription matches among the latest thousand, else the newest of all. */
	struct matcher *m = matcher_new(err, errlen);
	if (!m || matcher_add(m, s.id, &s.filter, err, errlen)) {
		matcher_free(m);
		subscription_release(&s);
		return -EINVAL;
	}
	struct db_stmt *q;
	int64_t pick = 0, newest = 0;
	if ((rc = al_prep(a, "SELECT id FROM notifications ORDER BY distributed DESC, id DESC LIMIT 1000", &q, err, errlen))) {
		matcher_free(m);
		subscription_release(&s);
		return rc;
	}
	while (!pick && db_step(q) == DB_ROW) {
		int64_t id = db_col_int64(q, 0);
		struct notif *n;
		char e2[ERRBUF_SIZE];
		if (!newest)
			newest = id;
		if (store_get_by_id(archive_store(a), id, &n, e2, sizeof(e2)))
			continue;
		struct cat_result cats;
		struct risk risk;
		archive_classify(a, n, &cats, &risk);
		struct match_doc d = {n, &cats, risk.level};
		int64_t *ids = NULL;
		size_t nids = 0;
		matcher_match(m, &d, &ids, &nids);
		if (nids)
			pick = id;
		free(ids);
		notif_free(n);
	}
	db_finalize(q);
	matcher_free(m);
	if (!pick)
		pick = newest;
	if (!pick) {
		errf(err, errlen, "the archive is empty: import or crawl notifications first");
		subscription_release(&s);
		return -ENOENT;
	}
	char mid[128], nowiso[21], today[11];
	snprintf(mid, sizeof(mid), "<tbtwarn.test.%lld.%lld@tbtwarn>", (long long)subscription, (long long)(now_epoch() * 1000));
	now_iso(nowiso);
	today_iso(today);
	if ((rc = al_prep(a, "INSERT INTO outbox (kind, subscriber_id, subscription_id, notification_id, symbol, day, message_id, "
			  "created_at) SELECT 'test', ?1, ?2, id, symbol, ?3, ?4, ?5 FROM notifications WHERE id = ?6",
		       &q, err, errlen))) {
		subscription_release(&s);
		return rc;
	}
	db_bind_int64(q, 1, s.subscriber_id);
	db_bind_int64(q, 2, subscription);
	db_bind_text(q, 3, today);
	db_bind_text(q, 4, mid);
	db_bind_text(q, 5, nowiso);
	db_bind_int64(q, 6, pick);
	rc = db_step(q) == DB_DONE ? 0 : -TBT_EDB;
	if (rc)
		errf(err, errlen, "queue the test: %s", db_errmsg(al_db(a)));
	db_finalize(q);
	subscription_release(&s);
	if (rc)
		return rc;
	int64_t row = db_last_id(al_db(a));
	/* Deliver that row alone, once: a test is not retried (the row stays in the outbox with its outcome). */
	struct alert_opts once = *o;
	once.give_up_after = 0;
	struct alert_stats st = {0};
	if ((rc = alert_deliver_row(a, loop, f, &once, row, &st, report, err, errlen)))
		return rc;
	if (st.sent == 1)
		return 0;
	errf(err, errlen, "the test was not delivered (see tbtwarn outbox)");
	return -EIO;
}

json_t *alert_metrics_json(struct archive *a)
{
	struct db *d = al_db(a);
	struct db_stmt *q;
	json_t *o = json_object(), *rows = json_array();
	json_object_set_new(o, "subscriptions", json_integer(subs_count_active(archive_store(a))));
	json_object_set_new(o, "alerts", json_integer(db_scalar(d, "SELECT count(*) FROM outbox WHERE kind = 'alert'", 0)));
	json_object_set_new(o, "oldest_pending",
			    json_integer(db_scalar(d, "SELECT min(strftime('%s', created_at)) FROM outbox WHERE state = 'pending'", 0)));
	if (db_prepare(d, "SELECT CASE WHEN o.state = 'pending' AND o.attempts > 0 THEN 'retrying' ELSE o.state END, o.kind, "
			  "COALESCE(s.channel, 'email'), count(*) FROM outbox o LEFT JOIN subscriptions s ON s.id = o.subscription_id "
			  "GROUP BY 1, 2, 3",
		       &q) == DB_OK) {
		while (db_step(q) == DB_ROW)
			json_array_append_new(rows, json_pack("{s:s?, s:s?, s:s?, s:I}", "state", db_col_text(q, 0), "kind",
							      db_col_text(q, 1), "channel", db_col_text(q, 2), "count",
							      (json_int_t)db_col_int64(q, 3)));
		db_finalize(q);
	}
	json_object_set_new(o, "deliveries", rows);
	return o;
}

json_t *alert_outbox_json(struct archive *a)
{
	struct db_stmt *q;
	json_t *arr = json_array();
	if (db_prepare(al_db(a), "SELECT id, subscription_id, symbol, message_id, state, attempts, next_attempt, last_error, "
				      "sent_at, kind, subscriber_id, deadline, digest_id FROM outbox ORDER BY id", &q) != DB_OK)
		return arr;
	while (db_step(q) == DB_ROW) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(db_col_int64(q, 0)));
		json_object_set_new(o, "kind", json_string(db_col_text(q, 9)));
		json_object_set_new(o, "subscriber", json_integer(db_col_int64(q, 10)));
		json_object_set_new(o, "subscription",
				    db_col_null(q, 1) ? json_null() : json_integer(db_col_int64(q, 1)));
		json_object_set_new(o, "symbol", db_col_text(q, 2) ? json_string(db_col_text(q, 2)) : json_null());
		json_object_set_new(o, "deadline", db_col_text(q, 11) ? json_string(db_col_text(q, 11)) : json_null());
		json_object_set_new(o, "digest",
				    db_col_null(q, 12) ? json_null() : json_integer(db_col_int64(q, 12)));
		json_object_set_new(o, "message_id", json_string(db_col_text(q, 3)));
		const char *state = db_col_text(q, 4);
		int attempts = db_col_int(q, 5);
		/* A pending row that has been tried is retrying. */
		json_object_set_new(o, "state", json_string(!strcmp(state, "pending") && attempts ? "retrying" : state));
		json_object_set_new(o, "attempts", json_integer(attempts));
		json_object_set_new(o, "next_attempt", json_real(db_col_double(q, 6)));
		const char *e = db_col_text(q, 7), *s = db_col_text(q, 8);
		json_object_set_new(o, "last_error", e ? json_string((const char *)e) : json_null());
		json_object_set_new(o, "sent_at", s ? json_string((const char *)s) : json_null());
		json_array_append_new(arr, o);
	}
	db_finalize(q);
	return arr;
}

int alert_outbox_retry(struct archive *a, int64_t id, char *err, size_t errlen)
{
	struct db_stmt *q;
	if (db_prepare(al_db(a), "UPDATE outbox SET state = 'pending', next_attempt = 0 WHERE id = ?1 AND state IN ('pending', 'failed')", &q) != DB_OK) {
		errf(err, errlen, "%s", db_errmsg(al_db(a)));
		return -TBT_EDB;
	}
	db_bind_int64(q, 1, id);
	db_step(q);
	db_finalize(q);
	if (!db_changes(al_db(a))) {
		errf(err, errlen, "no undelivered outbox row %lld", (long long)id);
		return -ENOENT;
	}
	return 0;
}
