/* metrics.c: /metrics in Prometheus' text format and /healthz, from the store's tables and the crawler's sources. */
#include "http.h"
#include "alert.h"

#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

/* A gauge by state from the owner's counts ({state: n}), every state of states (NULL-ended) written, 0 when absent. */
static void by_state(struct buf *o, const char *metric, const char *help, json_t *counts, const char *const *states)
{
	buf_addf(o, "# HELP %s %s\n# TYPE %s gauge\n", metric, help, metric);
	for (size_t k = 0; states[k]; k++)
		buf_addf(o, "%s{state=\"%s\"} %lld\n", metric, states[k],
			 (long long)json_integer_value(json_object_get(counts, states[k])));
	json_decref(counts);
}

/* Label values: backslash, quote and newline escaped. */
static void label(struct buf *o, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_addch(o, '\\');
		if (*v == '\n') {
			buf_addstr(o, "\\n");
			continue;
		}
		buf_addch(o, *v);
	}
}

static enum MHD_Result metrics(struct req *r)
{
	struct buf o;
	double now = now_epoch();
	struct store *store = archive_store(r->w->a);
	/* Every table is read through its owner: the archive's store, the alerter, the translator's state. */
	json_t *al = alert_metrics_json(r->w->a);
	buf_init(&o, BUF_NOMAX);
	buf_addf(&o, "# HELP tbtwarn_up 1 while the service answers.\n# TYPE tbtwarn_up gauge\ntbtwarn_up 1\n");
	buf_addf(&o, "# HELP tbtwarn_uptime_seconds Seconds since the web server started.\n# TYPE tbtwarn_uptime_seconds gauge\n"
		     "tbtwarn_uptime_seconds %.0f\n",
		 now - r->w->started);
	buf_addf(&o, "# HELP tbtwarn_notifications Notifications in the archive.\n# TYPE tbtwarn_notifications gauge\n"
		     "tbtwarn_notifications %.0f\n",
		 (double)store_count(store));
	buf_addf(&o, "# HELP tbtwarn_index_lag Store changes the search index has not durably taken in.\n"
		     "# TYPE tbtwarn_index_lag gauge\ntbtwarn_index_lag %lld\n",
		 (long long)archive_index_lag(r->w->a, NULL));
	buf_addf(&o, "# HELP tbtwarn_web_refused_total Requests refused by the web's defences.\n"
		     "# TYPE tbtwarn_web_refused_total counter\n"
		     "tbtwarn_web_refused_total{reason=\"rate_limit\"} %lu\n"
		     "tbtwarn_web_refused_total{reason=\"csrf\"} %lu\n"
		     "tbtwarn_web_refused_total{reason=\"slow_client\"} %lu\n",
		 r->w->rate_limited, r->w->csrf_refused, r->w->slow_cut);
	buf_addf(&o, "# HELP tbtwarn_subscriptions Active subscriptions.\n# TYPE tbtwarn_subscriptions gauge\n"
		     "tbtwarn_subscriptions %.0f\n",
		 (double)json_integer_value(json_object_get(al, "subscriptions")));
	buf_addf(&o, "# HELP tbtwarn_matches_total Alerts decided (one per subscription and change of a notification).\n"
		     "# TYPE tbtwarn_matches_total counter\ntbtwarn_matches_total %.0f\n",
		 (double)json_integer_value(json_object_get(al, "alerts")));
	buf_addstr(&o, "# HELP tbtwarn_deliveries Outbox rows by state, kind and channel.\n# TYPE tbtwarn_deliveries gauge\n");
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(al, "deliveries"), i, row)
	{
		buf_addstr(&o, "tbtwarn_deliveries{state=\"");
		label(&o, json_string_value(json_object_get(row, "state")));
		buf_addstr(&o, "\",kind=\"");
		label(&o, json_string_value(json_object_get(row, "kind")));
		buf_addstr(&o, "\",channel=\"");
		label(&o, json_string_value(json_object_get(row, "channel")));
		buf_addf(&o, "\"} %lld\n", (long long)json_integer_value(json_object_get(row, "count")));
	}
	int64_t cur = store_memory_used();
	if (cur >= 0)
		buf_addf(&o, "# HELP tbtwarn_sqlite_memory_bytes Memory SQLite holds (page caches of every connection, bounded by "
			     "[service] db_cache).\n# TYPE tbtwarn_sqlite_memory_bytes gauge\ntbtwarn_sqlite_memory_bytes %lld\n",
			 (long long)cur);
	double oldest = json_number_value(json_object_get(al, "oldest_pending"));
	buf_addf(&o, "# HELP tbtwarn_outbox_oldest_pending_seconds Age of the oldest undelivered row (0: none).\n"
		     "# TYPE tbtwarn_outbox_oldest_pending_seconds gauge\ntbtwarn_outbox_oldest_pending_seconds %.0f\n",
		 oldest > 0 ? now - oldest : 0);
	static const char *const draft_states[] = {"pending", "done", "failed", "skipped", NULL};
	static const char *const queue_states[] = {"pending", "done", "failed", NULL};
	by_state(&o, "tbtwarn_draft_texts", "Draft texts linked by notifications, by state of their fetch.",
		 store_draft_counts(store), draft_states);
	by_state(&o, "tbtwarn_translate_queue",
		 "Notifications in the machine translation queue, by state (failed: left for a person).", store_tq_counts(store),
		 queue_states);
	buf_addf(&o, "# HELP tbtwarn_translation_memory_segments Segments the translation memory answers.\n"
		     "# TYPE tbtwarn_translation_memory_segments gauge\ntbtwarn_translation_memory_segments %.0f\n",
		 (double)store_tm_count(store));
	/* The translation provider, like a source: health, failures in a row, staleness, the day's characters. */
	{
		char today[11];
		today_iso(today);
		json_t *providers = store_ts_get(store, NULL), *p;
		struct buf h, f, st, ch;
		buf_init(&h, BUF_NOMAX);
		buf_init(&f, BUF_NOMAX);
		buf_init(&st, BUF_NOMAX);
		buf_init(&ch, BUF_NOMAX);
		json_array_foreach(providers, i, p)
		{
			const char *prov = json_string_value(json_object_get(p, "provider")),
				   *health = json_string_value(json_object_get(p, "health")),
				   *day = json_string_value(json_object_get(p, "day"));
			double ok = iso_time_epoch(json_string_value(json_object_get(p, "last_success")));
			buf_addstr(&h, "tbtwarn_translate_provider_healthy{provider=\"");
			label(&h, prov);
			buf_addstr(&h, "\",health=\"");
			label(&h, health);
			buf_addf(&h, "\"} %d\n", health && !strcmp(health, "ok"));
			buf_addstr(&f, "tbtwarn_translate_provider_failures{provider=\"");
			label(&f, prov);
			buf_addf(&f, "\"} %lld\n", (long long)json_integer_value(json_object_get(p, "failures")));
			buf_addstr(&st, "tbtwarn_translate_provider_staleness_seconds{provider=\"");
			label(&st, prov);
			buf_addf(&st, "\"} %.0f\n", ok > 0 ? now - ok : -1);
			buf_addstr(&ch, "tbtwarn_translate_chars_today{provider=\"");
			label(&ch, prov);
			buf_addf(&ch, "\"} %lld\n",
				 day && !strcmp(day, today) ? (long long)json_integer_value(json_object_get(p, "chars_day")) : 0);
		}
		json_decref(providers);
		if (h.len) {
			buf_addf(&o, "# HELP tbtwarn_translate_provider_healthy 1 when the translation provider's health is ok.\n"
				     "# TYPE tbtwarn_translate_provider_healthy gauge\n%s"
				     "# HELP tbtwarn_translate_provider_failures Failed requests in a row to the translation provider.\n"
				     "# TYPE tbtwarn_translate_provider_failures gauge\n%s"
				     "# HELP tbtwarn_translate_provider_staleness_seconds Seconds since the provider last answered "
				     "well (-1: never).\n# TYPE tbtwarn_translate_provider_staleness_seconds gauge\n%s"
				     "# HELP tbtwarn_translate_chars_today Characters sent to the provider today (UTC), against "
				     "[translate] max_chars_per_day.\n# TYPE tbtwarn_translate_chars_today gauge\n%s",
				 h.s, f.s, st.s, ch.s);
		}
		buf_release(&h);
		buf_release(&f);
		buf_release(&st);
		buf_release(&ch);
	}
	if (r->w->cr) {
		json_t *src = crawler_sources_json(r->w->cr);
		json_t *s;
		buf_addstr(&o, "# HELP tbtwarn_source_fetches_total Fetches by source.\n# TYPE tbtwarn_source_fetches_total counter\n");
		json_array_foreach(src, i, s)
		{
			buf_addstr(&o, "tbtwarn_source_fetches_total{source=\"");
			label(&o, json_string_value(json_object_get(s, "name")));
			buf_addf(&o, "\"} %lld\n", (long long)json_integer_value(json_object_get(s, "fetches")));
		}
		buf_addstr(&o, "# HELP tbtwarn_source_failures Failures in a row by source.\n# TYPE tbtwarn_source_failures gauge\n");
		json_array_foreach(src, i, s)
		{
			buf_addstr(&o, "tbtwarn_source_failures{source=\"");
			label(&o, json_string_value(json_object_get(s, "name")));
			buf_addf(&o, "\"} %lld\n", (long long)json_integer_value(json_object_get(s, "failures")));
		}
		buf_addstr(&o, "# HELP tbtwarn_source_staleness_seconds Seconds since the last successful round (-1: never).\n"
			       "# TYPE tbtwarn_source_staleness_seconds gauge\n");
		json_array_foreach(src, i, s)
		{
			double t = iso_time_epoch(json_string_value(json_object_get(s, "last_success")));
			buf_addstr(&o, "tbtwarn_source_staleness_seconds{source=\"");
			label(&o, json_string_value(json_object_get(s, "name")));
			buf_addf(&o, "\"} %.0f\n", t > 0 ? now - t : -1);
		}
		buf_addstr(&o, "# HELP tbtwarn_source_healthy 1 when a source's health is ok.\n# TYPE tbtwarn_source_healthy gauge\n");
		json_array_foreach(src, i, s)
		{
			const char *h = json_string_value(json_object_get(s, "health"));
			buf_addstr(&o, "tbtwarn_source_healthy{source=\"");
			label(&o, json_string_value(json_object_get(s, "name")));
			buf_addstr(&o, "\",health=\"");
			label(&o, h);
			buf_addf(&o, "\"} %d\n", h && !strcmp(h, "ok"));
		}
		json_decref(src);
	}
	json_decref(al);
	const char *hd[] = {"Cache-Control", "no-store", NULL};
	enum MHD_Result rc = respond(r, 200, "text/plain; version=0.0.4; charset=utf-8", o.s, o.len, hd);
	buf_release(&o);
	return rc;
}

static enum MHD_Result healthz(struct req *r)
{
	json_t *j = json_object();
	const char *why = r->w->status_fn ? r->w->status_fn(r->w->status_arg) : NULL;
	double n = (double)store_count(archive_store(r->w->a));
	if (n < 0)
		why = "the database cannot be read";
	const char *ierr = NULL;
	char iwhy[ERRBUF_SIZE + 96];
	int64_t lag = archive_index_lag(r->w->a, &ierr);
	if (!why && lag > 0 && ierr) {
		/* Searches miss what the index failed to take in: say so until it has caught up. */
		snprintf(iwhy, sizeof(iwhy), "the search index is %lld changes behind the store: %s", (long long)lag, ierr);
		why = iwhy;
	}
	json_object_set_new(j, "index_lag", json_integer((json_int_t)lag));
	json_object_set_new(j, "status", json_string(why ? "unhealthy" : "ok"));
	if (why)
		json_object_set_new(j, "reason", json_string(why));
	json_object_set_new(j, "notifications", json_integer((json_int_t)n));
	return respond_json(r, why ? 503 : 200, j);
}

int ops_handle(struct req *r)
{
	if (strcmp(r->method, "GET") && !r->head)
		return -1;
	if (!strcmp(r->path, "/metrics"))
		return metrics(r);
	if (!strcmp(r->path, "/healthz"))
		return healthz(r);
	return -1;
}
