/* service.c: the daemon. One loop: the crawler's sources on their timers, imports into the archive as they come, the
 * alerter collecting and delivering on a short tick, the web server, and three watchers of the service itself (disk
 * space, operator notices, signals). */
#include "service.h"
#include "lease.h"

#include "alert.h"
#include "archive.h"
#include "crawl.h"
#include "log.h"
#include "translate.h"
#include "web.h"
#include "accounts.h"
#include "comments.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

extern const char tbt_default_ini[];

struct svc_opts {
	double collect_interval; /* the alerter's tick */
	unsigned long long min_free; /* bytes free on the data directory's file system, below which new work stops */
	size_t db_cache;	     /* SQLite's page cache: the service's resident memory grows until it is full */
	const char *operator_email;
	double operator_after;   /* a source unhealthy this long, or deliveries failing, is told */
	double operator_renotify;
	double operator_check; /* how often problems are looked for */
	int staff_days[4];     /* remind analysts this many days before a comment deadline (descending; 0 ends) */
};

static void svc_opts_default(struct svc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->collect_interval = 5;
	o->min_free = 64ull << 20;
	o->db_cache = 16u << 20;
	o->operator_after = 3600;
	o->operator_renotify = 86400;
	o->operator_check = 60;
	o->staff_days[0] = 14;
	o->staff_days[1] = 3;
}

static int svc_opts_load(struct svc_opts *o, const struct ini *cfg, char *err, size_t errlen)
{
	static const char *const skeys[] = {"collect_interval", "min_free", "db_cache", "staff_reminders"};
	static const char *const okeys[] = {"email", "after", "renotify", "check"};
	const struct ini_section *s = ini_section(cfg, "service"), *op = ini_section(cfg, "operator");
	const char *v;
	if (ini_check_keys(cfg, s, skeys, 4, err, errlen) || ini_check_keys(cfg, op, okeys, 4, err, errlen))
		return -EINVAL;
	if (s && (v = ini_get(s, "staff_reminders"))) {
		/* "14,3": days before a comment deadline, at most four, each 1 to 90, in descending order; "none": never. */
		int k = 0, prev = 91, bad = 0;
		memset(o->staff_days, 0, sizeof(o->staff_days));
		for (const char *p = v; !bad && strcmp(v, "none") && *p;) {
			char *end;
			long d = strtol(p, &end, 10);
			bad = end == p || d < 1 || d >= prev || k == 4 || (*end && *end != ',');
			if (!bad) {
				o->staff_days[k++] = (int)d;
				prev = (int)d;
			}
			p = *end ? end + 1 : end;
		}
		if (bad) {
			errf(err, errlen, "%s:%d: staff_reminders wants days before a deadline, descending, such as 14,3 (or none), got '%s'",
			     cfg->path, ini_line(s, "staff_reminders"), v);
			return -EINVAL;
		}
	}
	if (s && (v = ini_get(s, "collect_interval")) && (ini_duration(v, &o->collect_interval) || o->collect_interval < 0.1)) {
		errf(err, errlen, "%s:%d: collect_interval wants a duration such as 5s, got '%s'", cfg->path,
		     ini_line(s, "collect_interval"), v);
		return -EINVAL;
	}
	size_t sz;
	if (s && (v = ini_get(s, "min_free"))) {
		if (ini_size(v, &sz)) {
			errf(err, errlen, "%s:%d: min_free wants a size such as 64M, got '%s'", cfg->path, ini_line(s, "min_free"), v);
			return -EINVAL;
		}
		o->min_free = sz;
	}
	if (s && (v = ini_get(s, "db_cache"))) {
		if (ini_size(v, &sz) || sz < (1u << 20)) {
			errf(err, errlen, "%s:%d: db_cache wants a size of at least 1M such as 16M, got '%s'", cfg->path,
			     ini_line(s, "db_cache"), v);
			return -EINVAL;
		}
		o->db_cache = sz;
	}
	if (op && (v = ini_get(op, "email"))) {
		if (!strchr(v, '@')) {
			errf(err, errlen, "%s:%d: email '%s' is not an e-mail address", cfg->path, ini_line(op, "email"), v);
			return -EINVAL;
		}
		o->operator_email = v;
	}
	static const char *const d[] = {"after", "renotify", "check"};
	double *dst[] = {&o->operator_after, &o->operator_renotify, &o->operator_check};
	for (int i = 0; i < 3; i++)
		if (op && (v = ini_get(op, d[i])) && (ini_duration(v, dst[i]) || *dst[i] <= 0)) {
			errf(err, errlen, "%s:%d: %s wants a duration such as 1h, got '%s'", cfg->path, ini_line(op, d[i]), d[i], v);
			return -EINVAL;
		}
	if ((v = getenv("TBTWARN_OPERATOR_EMAIL")) && *v)
		o->operator_email = v;
	return 0;
}

int service_check_config(const struct ini *cfg, char *err, size_t errlen)
{
	static const char *const known[] = {"crawler", "risk", "alert", "web", "service", "operator", "translate", "store"};
	for (size_t i = 0; i < cfg->n; i++) {
		const char *name = cfg->sections[i].name;
		size_t k = 0;
		while (k < sizeof(known) / sizeof(known[0]) && strcmp(known[k], name))
			k++;
		if (k == sizeof(known) / sizeof(known[0]) && !starts_with(name, "source ")) {
			errf(err, errlen, "%s:%d: unknown section [%s] (known: crawler, source NAME, risk, alert, web, service, operator, translate, store)",
			     cfg->path, cfg->sections[i].line, name);
			return -EINVAL;
		}
	}
	struct alert_opts ao;
	struct web_opts wo;
	struct svc_opts so;
	struct fetch_opts fo;
	struct risk_config rc;
	int r;
	alert_opts_default(&ao);
	web_opts_default(&wo);
	svc_opts_default(&so);
	fetch_opts_default(&fo);
	risk_config_default(&rc);
	r = alert_opts_load(&ao, cfg, NULL, err, errlen);
	alert_opts_release(&ao);
	if (!r) {
		r = web_opts_load(&wo, cfg, err, errlen);
		free(wo.owned_token);
	}
	if (!r)
		r = svc_opts_load(&so, cfg, err, errlen);
	if (!r)
		r = crawler_fetch_opts(cfg, &fo, err, errlen);
	if (!r)
		r = risk_config_load(&rc, cfg, err, errlen);
	risk_config_release(&rc);
	return r ? -EINVAL : 0;
}

int service_lock(const char *data, char *err, size_t errlen)
{
	char path[4096], pid[32];
	mkdir(data, 0755);
	snprintf(path, sizeof(path), "%s/tbtwarn.lock", data);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		errf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ssize_t n = read(fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		errf(err, errlen, "another tbtwarn is running on %s (pid %s): one service per data directory", data,
		     *pid ? pid : "unknown");
		close(fd);
		return -1;
	}
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n)
		log_msg("warn", "service", "cannot write the pid into %s", path);
	return fd;
}

/* ---- the running service ---- */

struct service {
	const char *data, *config_path;
	double staff_next; /* when staff reminders are next looked for */
	const struct catalog *cats;
	struct risk_config *risk;
	struct ev_loop *loop;
	struct archive *a;
	struct ini *cfg;
	struct ini **old_cfgs; /* configurations replaced by a reload, freed at exit (options borrow their strings) */
	size_t nold;
	struct alert_opts ao;
	struct web_opts wo;
	struct svc_opts so;
	struct crawler *cr, *next_cr; /* next_cr waits for the old one to be idle after a reload */
	struct fetcher *f;
	struct alerter *al;
	struct web *web;
	struct translator *tr; /* NULL without a [translate] provider */
	FILE *crawl_log, *alert_log, *translate_log;
	ev_timer tick, more, disk, ops, stopping, lease, follow;
	/* Several instances on one database: the crawler and the collector run where their lease is held. */
	int crawl_held, collect_held, crawling;
	ev_signal sig_int, sig_term, sig_hup;
	int paused;     /* the disk is (almost) full: no new work */
	char why[256];  /* why unhealthy, for /healthz */
	double stop_deadline;
};

/* The crawler runs when this instance holds its lease and the disk has room; one place decides. */
static void crawl_as_allowed(struct service *s)
{
	int want = s->crawl_held && !s->paused && !s->stop_deadline;
	if (want && !s->crawling)
		crawler_start(s->cr);
	else if (!want && s->crawling)
		crawler_stop(s->cr);
	s->crawling = want;
}

static struct ini *load_cfg(const char *path, char *err, size_t errlen)
{
	if (path && *path)
		return ini_load(path, err, errlen);
	return ini_parse("(built-in tbtwarn.ini)", tbt_default_ini, err, errlen);
}

static const char *health(void *arg)
{
	struct service *s = arg;
	return s->why[0] ? s->why : NULL;
}

static void on_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct service *s = t->data;
	char err[ERRBUF_SIZE];
	(void)loop;
	(void)revents;
	/* While the disk is full, nothing new is decided; deliveries of what is decided go on (they write little). */
	int rc = alerter_tick(s->al, !s->paused && s->collect_held, err, sizeof(err));
	if (rc < 0)
		log_msg("error", "alerter", "%s", err);
	/* A backlog is collected a slice per loop turn, the web and the crawler served in between. */
	if (rc > 0 && !ev_is_active(&s->more)) {
		ev_timer_set(&s->more, 0., 0.);
		ev_timer_start(loop, &s->more);
	}
}

static void on_disk(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct service *s = t->data;
	struct statvfs v;
	(void)loop;
	(void)revents;
	if (statvfs(s->data, &v))
		return;
	unsigned long long free_bytes = (unsigned long long)v.f_bavail * v.f_frsize;
	if (!s->paused && free_bytes < s->so.min_free) {
		s->paused = 1;
		snprintf(s->why, sizeof(s->why), "the disk of %s is almost full (%llu MiB free, %llu MiB needed): crawling and "
						 "matching are paused", s->data, free_bytes >> 20, s->so.min_free >> 20);
		log_msg("error", "service", "%s", s->why);
		crawl_as_allowed(s);
	} else if (s->paused && free_bytes >= s->so.min_free) {
		s->paused = 0;
		s->why[0] = '\0';
		log_msg("info", "service", "disk space is back (%llu MiB free): crawling and matching resume", free_bytes >> 20);
		crawl_as_allowed(s);
	}
	/* An index write that failed (its own disk full, say) left the index behind the store: it catches up here,
	 * without waiting for the next crawl round or a restart. */
	const char *why = NULL;
	int64_t lag = archive_index_lag(s->a, &why);
	if (lag > 0 && why) {
		char err[ERRBUF_SIZE];
		if (archive_commit(s->a, err, sizeof(err)))
			log_msg("error", "indexer", "the search index is %lld changes behind the store: %s", (long long)lag, err);
		else
			log_msg("info", "indexer", "the search index caught up with the store (%lld changes)", (long long)lag);
	}
}

/* Leases: taken or renewed every 10 s for 30 s, so that when an instance dies another takes its work over within a
 * minute. On SQLite (one instance per data directory) they are always this instance's. */
#define LEASE_TTL 30.
static void on_lease(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct service *s = t->data;
	char err[ERRBUF_SIZE], other[128] = "";
	(void)loop;
	(void)revents;
	static const char *const names[2] = {"crawler", "collector"};
	int *held[2] = {&s->crawl_held, &s->collect_held};
	for (int i = 0; i < 2; i++) {
		int rc = lease_hold(s->a, names[i], s->ao.instance, LEASE_TTL, other, sizeof(other), err, sizeof(err));
		if (rc < 0) {
			/* The database is away: keep working as before until the lease would expire anyway. */
			log_msg("error", "service", "%s", err);
			continue;
		}
		if (rc && !*held[i])
			log_msg("info", "service", "this instance (%s) now runs the %s", s->ao.instance, names[i]);
		else if (!rc && *held[i])
			log_msg("info", "service", "%s: another instance (%s) runs it", names[i], other);
		*held[i] = rc;
	}
	crawl_as_allowed(s);
}

/* The index follows the store: what another instance (or this one's crawler) stored is searchable within a second. */
static void on_follow(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct service *s = t->data;
	char err[ERRBUF_SIZE];
	(void)loop;
	(void)revents;
	if (archive_commit(s->a, err, sizeof(err)))
		log_msg("error", "indexer", "%s", err);
}

/*
 * Analysts (and admins) with an address are reminded before the comment deadline of each notification firms said
 * hurts them while its comment is not sent: once per person, notification and reminder day (the nearest of
 * staff_days at or above the days left), whatever restarts and however many instances run (the Message-ID is the
 * occasion's).
 */
static void remind_staff(struct service *s)
{
	char err[ERRBUF_SIZE], key[256], subj[512];
	/* Reminders are a matter of days: looked for at start, then every ten minutes (each look reads every
	 * notification firms reported on). */
	if (!s->so.staff_days[0] || now_epoch() < s->staff_next)
		return;
	s->staff_next = now_epoch() + 600;
	json_t *staff = accounts_emails(archive_store(s->a), ROLE_ANALYST | ROLE_ADMIN);
	if (!json_array_size(staff)) {
		json_decref(staff);
		return;
	}
	json_t *list = staff_list(s->a, 0), *it, *u;
	size_t i, j;
	int due = 0, queued = 0;
	json_array_foreach(list, i, it)
	{
		const char *sym = json_string_value(json_object_get(it, "symbol"));
		const char *dl = json_string_value(json_object_get(it, "comment_deadline"));
		const char *cs = json_string_value(json_object_get(it, "comment"));
		json_t *left = json_object_get(it, "days_left");
		long hit = (long)json_integer_value(json_object_get(it, "affected"));
		if (!dl || !json_is_integer(left) || json_integer_value(left) < 0 || hit < 1 || !cs ||
		    !strcmp(cs, "sent") || !strcmp(cs, "answered"))
			continue;
		long days = (long)json_integer_value(left);
		int at = 0;
		for (int k = 0; k < 4 && s->so.staff_days[k]; k++)
			if (days <= s->so.staff_days[k])
				at = s->so.staff_days[k];
		if (!at)
			continue;
		due++;
		json_t *v = json_object_get(it, "export_value_cny");
		const char *title = json_string_value(json_object_get(it, "title_zh"));
		struct buf text;
		buf_init(&text, BUF_NOMAX);
		buf_addf(&text, "%s 的通报 %s%s%s%s 评议截止日为 %s，还剩 %ld 天。\n\n", json_string_value(json_object_get(it, "member")),
			 sym, title ? "（" : "", title ? title : "", title ? "）" : "", dl, days);
		buf_addf(&text, "%lld 家企业反馈，其中 %ld 家表示受影响", (long long)json_integer_value(json_object_get(it, "reports")), hit);
		if (json_number_value(json_object_get(v, "min")) > 0)
			buf_addf(&text, "，涉及年出口额至少 %.0f 万元", json_number_value(json_object_get(v, "min")) / 1e4);
		buf_addf(&text, "。\n评议意见：%s。\n\n", !strcmp(cs, "draft") ? "草稿，尚未提交" : "尚未起草");
		buf_addf(&text, "查看企业反馈、起草评议意见：%s/n/%s\n评议意见草稿（Word）：%s/api/notifications/%s/comment?format=doc\n\n"
				"提交后请在页面上把状态改为“已提交”，不再提醒。\n",
			 s->ao.base_url, sym, s->ao.base_url, sym);
		snprintf(subj, sizeof(subj), "[TBT评议提醒] %s 评议截止 %s（还剩 %ld 天），%ld 家企业受影响", sym, dl, days, hit);
		json_array_foreach(staff, j, u)
		{
			const char *email = json_string_value(json_object_get(u, "email"));
			snprintf(key, sizeof(key), "comment.%s.%s.%d", sym, dl, at);
			int r = alert_staff_notice(s->a, email, key, subj, text.s, err, sizeof(err));
			if (r < 0)
				log_msg("error", "service", "%s", err);
			else if (r && ++queued)
				log_msg("info", "service", "reminded %s: %s", json_string_value(json_object_get(u, "name")), subj);
		}
		buf_release(&text);
	}
	log_msg("debug", "service", "staff reminders: %d due, %d new", due, queued);
	json_decref(list);
	json_decref(staff);
}

/* Problems that persist are told to the operator once (and again after renotify), and forgotten when they end. */
static void on_ops(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct service *s = t->data;
	char err[ERRBUF_SIZE], key[160], subj[256], text[1024];
	(void)loop;
	(void)revents;
	remind_staff(s);
	if (!s->so.operator_email)
		return;
	json_t *src = crawler_sources_json(s->cr);
	size_t i;
	json_t *o;
	double now = now_epoch();
	json_array_foreach(src, i, o)
	{
		const char *name = json_string_value(json_object_get(o, "name")), *h = json_string_value(json_object_get(o, "health"));
		const char *last = json_string_value(json_object_get(o, "last_success")), *lerr = json_string_value(json_object_get(o, "last_error"));
		int enabled = json_is_true(json_object_get(o, "enabled"));
		snprintf(key, sizeof(key), "source:%s", name);
		int bad = enabled && h && (!strcmp(h, "unhealthy") || !strcmp(h, "stale") || !strcmp(h, "failing"));
		if (!bad) {
			alert_operator_clear(s->a, key);
			continue;
		}
		double since = iso_time_epoch(last);
		if (since && now - since < s->so.operator_after && strcmp(h, "unhealthy"))
			continue;
		snprintf(subj, sizeof(subj), "[tbtwarn] source %s is %s", name, h);
		snprintf(text, sizeof(text), "The source %s is %s.\n\nLast success: %s\nLast error: %s\n\ntbtwarn sources shows all "
					     "sources; tbtwarn doctor checks each.\n",
			 name, h, last ? last : "never", lerr ? lerr : "-");
		int r = alert_operator_notice(s->a, s->so.operator_email, key, subj, text, s->so.operator_renotify, err, sizeof(err));
		if (r < 0)
			log_msg("error", "service", "%s", err);
		else if (r)
			log_msg("warn", "service", "told the operator: %s", subj);
		else
			log_msg("debug", "service", "operator already told: %s", subj);
	}
	json_decref(src);
	/* Deliveries failed for good. */
	long failed = alert_failed_count(s->a);
	if (failed >= 10) {
		snprintf(subj, sizeof(subj), "[tbtwarn] %ld deliveries have failed", failed);
		snprintf(text, sizeof(text), "%ld deliveries are in state failed.\n\ntbtwarn outbox lists them with the reason; "
					     "tbtwarn outbox retry ID sends one again.\n",
			 failed);
		if (alert_operator_notice(s->a, s->so.operator_email, "deliveries", subj, text, s->so.operator_renotify, err,
					  sizeof(err)) > 0)
			log_msg("warn", "service", "told the operator: %s", subj);
	} else {
		alert_operator_clear(s->a, "deliveries");
	}
}

/* A reload's new crawler replaces the old one once the old one has no round running. */
static void swap_crawler(struct service *s)
{
	if (!s->next_cr || crawler_busy(s->cr))
		return;
	crawler_free(s->cr);
	s->cr = s->next_cr;
	s->next_cr = NULL;
	crawler_set_report(s->cr, s->crawl_log);
	web_set_crawler(s->web, s->cr);
	s->crawling = 0;
	crawl_as_allowed(s);
	log_msg("info", "service", "the new sources are in use");
}

static void on_stopping(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct service *s = t->data;
	(void)revents;
	swap_crawler(s);
	if (s->stop_deadline == 0)
		return;
	int busy = crawler_busy(s->cr), flying = (int)alerter_in_flight(s->al);
	if ((!busy && !flying) || now_epoch() > s->stop_deadline) {
		if (busy || flying)
			log_msg("warn", "service", "stopping with %d rounds and %d deliveries unfinished: they run again at the next "
						   "start, under the same ids", busy, flying);
		ev_break(loop, EVBREAK_ALL);
	}
}

static void on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct service *s = w->data;
	(void)revents;
	if (s->stop_deadline)
		return;
	log_msg("info", "service", "signal %d: stopping (in-flight work may take up to 15 s)", w->signum);
	s->stop_deadline = now_epoch() + 15;
	/* No new requests, rounds or decisions; what is in flight is let finish. */
	web_free(s->web);
	s->web = NULL;
	crawl_as_allowed(s);
	ev_timer_stop(loop, &s->lease);
	ev_timer_stop(loop, &s->follow);
	ev_timer_stop(loop, &s->tick);
	ev_timer_stop(loop, &s->more);
	ev_timer_stop(loop, &s->disk);
	ev_timer_stop(loop, &s->ops);
	ev_timer_set(&s->stopping, 0.05, 0.05);
	ev_timer_again(loop, &s->stopping);
}

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct service *s = w->data;
	char err[ERRBUF_SIZE];
	(void)revents;
	if (!s->config_path) {
		log_msg("warn", "service", "SIGHUP: no configuration file to reload (the built-in one is in use)");
		return;
	}
	struct ini *cfg = load_cfg(s->config_path, err, sizeof(err));
	if (!cfg || service_check_config(cfg, err, sizeof(err))) {
		log_msg("error", "service", "SIGHUP: configuration not reloaded, the running one stays: %s", err);
		ini_free(cfg);
		return;
	}
	struct alert_opts ao;
	struct web_opts wo;
	struct svc_opts so;
	alert_opts_default(&ao);
	web_opts_default(&wo);
	svc_opts_default(&so);
	alert_opts_load(&ao, cfg, s->data, err, sizeof(err));
	web_opts_load(&wo, cfg, err, sizeof(err));
	svc_opts_load(&so, cfg, err, sizeof(err));
	struct crawler *cr = crawler_new(loop, s->a, cfg, err, sizeof(err));
	if (!cr) {
		log_msg("error", "service", "SIGHUP: sources not reloaded: %s", err);
		alert_opts_release(&ao);
		free(wo.owned_token);
		ini_free(cfg);
		return;
	}
	/* The alerter reads its options through a pointer: updating them in place takes effect at its next tick. */
	alert_opts_release(&s->ao);
	ao.collect_budget = 1000;
	s->ao = ao;
	if (strcmp(wo.listen, s->wo.listen))
		log_msg("warn", "service", "SIGHUP: listen changed to %s: that takes a restart", wo.listen);
	wo.access_log = s->wo.access_log;
	wo.draft_model = s->wo.draft_model; /* the translator is not reloaded */
	char *old_token = s->wo.owned_token;
	s->wo = wo;
	if (s->web)
		web_set_opts(s->web, &wo);
	free(old_token); /* the web server now holds the new one */
	s->so = so;
	store_set_cache(archive_store(s->a), s->so.db_cache);
	ev_timer_set(&s->tick, s->so.collect_interval, s->so.collect_interval);
	ev_timer_again(loop, &s->tick);
	if (s->next_cr)
		crawler_free(s->next_cr);
	s->next_cr = cr;
	crawler_stop(s->cr);
	s->crawling = 0;
	swap_crawler(s); /* now if idle, else from the stopping timer once the running rounds end */
	s->old_cfgs = xrealloc(s->old_cfgs, (s->nold + 1) * sizeof(*s->old_cfgs));
	s->old_cfgs[s->nold++] = s->cfg;
	s->cfg = cfg;
	log_msg("info", "service", "configuration reloaded from %s", s->config_path);
}

int service_run(const char *data, const char *config, const struct catalog *cats, struct risk_config *risk, char *err,
		size_t errlen)
{
	struct service s;
	int rc = 0;
	memset(&s, 0, sizeof(s));
	s.data = data;
	s.config_path = config && *config ? config : getenv("TBTWARN_CONFIG");
	if (s.config_path && !*s.config_path)
		s.config_path = NULL;
	s.cats = cats;
	s.risk = risk;
	if (!(s.cfg = load_cfg(s.config_path, err, errlen)))
		return -EINVAL;
	alert_opts_default(&s.ao);
	web_opts_default(&s.wo);
	svc_opts_default(&s.so);
	if (service_check_config(s.cfg, err, errlen) || alert_opts_load(&s.ao, s.cfg, data, err, errlen) ||
	    web_opts_load(&s.wo, s.cfg, err, errlen) || svc_opts_load(&s.so, s.cfg, err, errlen) ||
	    risk_config_load(risk, s.cfg, err, errlen)) {
		ini_free(s.cfg);
		return -EINVAL;
	}
	int lock = service_lock(data, err, errlen);
	if (lock < 0) {
		alert_opts_release(&s.ao);
		ini_free(s.cfg);
		return -EBUSY;
	}
	if ((rc = archive_open_with(data, ARCHIVE_WRITE, cats, risk, &s.a, err, errlen)))
		goto out_lock;
	store_set_cache(archive_store(s.a), s.so.db_cache);
	s.loop = ev_loop_new(EVFLAG_AUTO);
	if (!(s.cr = crawler_new(s.loop, s.a, s.cfg, err, errlen))) {
		rc = -EINVAL;
		goto out_parts;
	}
	s.crawl_log = log_stream("crawler");
	s.alert_log = log_stream("alerter");
	crawler_set_report(s.cr, s.crawl_log);
	struct fetch_opts fo;
	fetch_opts_default(&fo);
	fo.polite_delay = 0;
	fo.allow_file = 0;
	fo.timeout = 60;
	fo.max_host_connections = 8;
	s.f = fetcher_new(s.loop, &fo);
	s.ao.collect_budget = 1000;
	s.al = alerter_new(s.a, s.loop, s.f, &s.ao, s.alert_log, 0);
	s.wo.access_log = stderr;
	if (!(s.web = web_new(s.loop, s.a, s.cr, &s.ao, &s.wo, err, errlen))) {
		rc = -EADDRINUSE;
		goto out_parts;
	}
	web_set_status(s.web, health, &s);
	/* Machine translation, when a provider is configured: from the queue, beside the rest. */
	struct translate_opts to;
	translate_opts_default(&to);
	if (translate_opts_load(&to, s.cfg, err, errlen)) {
		rc = -EINVAL;
		goto out_web;
	}
	if (to.provider != TP_NONE) {
		if (!(s.tr = translator_new(s.loop, s.a, &to, err, errlen))) {
			rc = -EINVAL;
			goto out_web;
		}
		s.translate_log = log_stream("translator");
		translator_set_report(s.tr, s.translate_log);
		translator_start(s.tr);
		/* An OpenAI-compatible provider also writes machine drafts of analyses, on an analyst's request. */
		if (to.provider == TP_OPENAI) {
			s.wo.draft_model = to.model;
			web_set_opts(s.web, &s.wo);
		}
	}
	ev_timer_init(&s.tick, on_tick, 0.5, s.so.collect_interval);
	ev_timer_init(&s.more, on_tick, 0., 0.);
	s.more.data = &s;
	ev_timer_init(&s.disk, on_disk, 0., 5.);
	ev_timer_init(&s.ops, on_ops, s.so.operator_check, s.so.operator_check);
	ev_timer_init(&s.stopping, on_stopping, 1., 1.);
	ev_timer_init(&s.lease, on_lease, 10., 10.);
	ev_timer_init(&s.follow, on_follow, 1., 1.);
	s.tick.data = s.disk.data = s.ops.data = s.stopping.data = s.lease.data = s.follow.data = &s;
	ev_timer_start(s.loop, &s.lease);
	ev_timer_start(s.loop, &s.follow);
	ev_timer_start(s.loop, &s.tick);
	ev_timer_start(s.loop, &s.disk);
	ev_timer_start(s.loop, &s.ops);
	ev_timer_start(s.loop, &s.stopping);
	ev_signal_init(&s.sig_int, on_stop, SIGINT);
	ev_signal_init(&s.sig_term, on_stop, SIGTERM);
	ev_signal_init(&s.sig_hup, on_hup, SIGHUP);
	s.sig_int.data = s.sig_term.data = s.sig_hup.data = &s;
	ev_signal_start(s.loop, &s.sig_int);
	ev_signal_start(s.loop, &s.sig_term);
	ev_signal_start(s.loop, &s.sig_hup);
	on_disk(s.loop, &s.disk, 0);
	on_lease(s.loop, &s.lease, 0); /* takes the leases (or learns who has them) and starts the crawler if its own */
	log_msg("info", "service", "tbtwarn running: data %s, configuration %s, web http://%.*s:%u/", data,
		s.config_path ? s.config_path : "built-in", (int)strcspn(s.wo.listen, ":"), s.wo.listen, web_port(s.web));
	ev_run(s.loop, 0);
	log_msg("info", "service", "stopped");
	ev_signal_stop(s.loop, &s.sig_int);
	ev_signal_stop(s.loop, &s.sig_term);
	ev_signal_stop(s.loop, &s.sig_hup);
	ev_timer_stop(s.loop, &s.tick);
	ev_timer_stop(s.loop, &s.more);
	ev_timer_stop(s.loop, &s.disk);
	ev_timer_stop(s.loop, &s.ops);
	ev_timer_stop(s.loop, &s.stopping);
	ev_timer_stop(s.loop, &s.lease);
	ev_timer_stop(s.loop, &s.follow);
	/* A clean stop hands the work over at once instead of after the leases expire. */
	if (s.crawl_held)
		lease_release(s.a, "crawler", s.ao.instance);
	if (s.collect_held)
		lease_release(s.a, "collector", s.ao.instance);
out_web:
	translator_free(s.tr);
	if (s.translate_log)
		fclose(s.translate_log);
	web_free(s.web);
out_parts:
	alerter_free(s.al);
	fetcher_free(s.f);
	crawler_free(s.cr);
	crawler_free(s.next_cr);
	if (s.crawl_log)
		fclose(s.crawl_log);
	if (s.alert_log)
		fclose(s.alert_log);
	ev_loop_destroy(s.loop);
	archive_free(s.a);
out_lock:
	close(lock);
	alert_opts_release(&s.ao);
	free(s.wo.owned_token);
	for (size_t i = 0; i < s.nold; i++)
		ini_free(s.old_cfgs[i]);
	free(s.old_cfgs);
	ini_free(s.cfg);
	return rc;
}
