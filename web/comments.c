/* comments.c: comment drafts and their status (comments.h). */
#include "comments.h"
#include "alert.h"
#include "impact.h"
#include "db.h"
#include "norm.h"
#include "text.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* This module's table, its step of the schema (17). */
static const struct db_migration comments_schema[] = {
	{17, "comments",
	 "CREATE TABLE comment_drafts ("
	 "  symbol TEXT PRIMARY KEY,"
	 "  status TEXT NOT NULL DEFAULT 'draft'," /* draft, sent, answered */
	 "  sent_on TEXT, answered_on TEXT,"
	 "  text TEXT," /* an analyst's edited text; NULL: made from the record and the reports */
	 "  author TEXT, updated_at TEXT NOT NULL);"},
};

__attribute__((constructor)) static void comments_schema_register(void)
{
	db_schema_register(comments_schema, sizeof(comments_schema) / sizeof(comments_schema[0]));
}

json_t *comment_status(struct store *st, const char *symbol)
{
	struct db_stmt *q;
	json_t *o = NULL;
	if (db_prepare(store_db(st), "SELECT status, sent_on, answered_on, text FROM comment_drafts WHERE symbol = ?1", &q))
		return NULL;
	db_bind_text(q, 1, symbol);
	if (db_step(q) == DB_ROW)
		o = json_pack("{s:s, s:s?, s:s?, s:s?}", "status", db_col_text(q, 0), "sent_on", db_col_text(q, 1), "answered_on",
			      db_col_text(q, 2), "text", db_col_text(q, 3));
	db_finalize(q);
	return o;
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* The draft in the order the WTO's comment guidance sets out: who to, what about, general comments, specific
 * comments (the firms' concerns, anonymous unless they consented), a request to be kept informed. */
static char *make_text(const json_t *show, const json_t *impact)
{
	const json_t *en = json_object_get(json_object_get(show, "text"), "en");
	const char *member = str(en, "member_name"), *agency = str(en, "agency"), *title = str(en, "title");
	const char *products = str(en, "products");
	const char *dl = str(json_object_get(json_object_get(show, "effective_dates"), "comment_deadline"), "date");
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	buf_addf(&b, "To: the WTO TBT Enquiry Point of %s%s%s\n", *member ? member : str(show, "member"),
		 *agency ? ", for " : "", agency);
	buf_addf(&b, "From: the TBT/SPS notification and enquiry service of Guangdong Province, through the WTO/TBT "
		     "Enquiry Point of China\n");
	buf_addf(&b, "Subject: Comments on %s: %s\n\n", str(show, "symbol"), title);
	buf_addstr(&b, "1. General comments\n\n");
	buf_addf(&b, "We thank %s for notifying %s and for the opportunity to comment%s%s. Exporters in Guangdong "
		     "Province of China make and sell the products concerned (%s). We support the regulation's objectives, "
		     "and ask that its requirements be no more trade-restrictive than necessary to fulfil them (Article 2.2 "
		     "of the TBT Agreement), be based on relevant international standards where they exist (Article 2.4), "
		     "and allow a reasonable interval, of no less than six months, between publication and entry into force "
		     "so that producers can adapt (Article 2.12).\n\n",
		 *member ? member : str(show, "member"), str(show, "symbol"), *dl ? " before " : "", dl,
		 *products ? products : "see the notification");
	buf_addstr(&b, "2. Specific comments\n\n");
	long reports = (long)json_integer_value(json_object_get(impact, "reports"));
	long affected = (long)json_integer_value(json_object_get(impact, "affected"));
	const json_t *v = json_object_get(impact, "export_value_cny");
	if (reports) {
		double min = json_number_value(json_object_get(v, "min"));
		buf_addf(&b, "%ld firm%s reported on the measure, %ld of them affected, with exports of at least CNY %.0f "
			     "million a year at stake.",
			 reports, reports == 1 ? "" : "s", affected, min / 1e6);
		buf_addstr(&b, " Their concerns:\n\n");
		const json_t *c;
		size_t i, k = 0;
		json_array_foreach(json_object_get(impact, "concerns"), i, c)
		{
			const char *org = str(c, "org");
			buf_addf(&b, "  2.%zu %s%s%s\n", ++k, *org ? org : "A producer", ": ", str(c, "concern"));
		}
		buf_addch(&b, '\n');
	} else {
		buf_addstr(&b, "  (No firm has reported on this measure yet: the specific comments follow the analysis.)\n\n");
	}
	buf_addstr(&b, "3. Requests\n\nWe would be grateful for a reply to these comments, for the final text when it is "
		       "adopted, and for the date of its entry into force.\n");
	return buf_detach(&b);
}

json_t *comment_get(struct store *st, const json_t *show, const json_t *impact)
{
	const char *symbol = str(show, "symbol");
	json_t *status = comment_status(st, symbol);
	const json_t *en = json_object_get(json_object_get(show, "text"), "en");
	char *made = make_text(show, impact);
	const char *text = status && json_string_value(json_object_get(status, "text")) ? json_string_value(json_object_get(status, "text")) : made;
	char to[512], subject[1024];
	snprintf(to, sizeof(to), "WTO TBT Enquiry Point of %s%s%s", *str(en, "member_name") ? str(en, "member_name") : str(show, "member"),
		 *str(en, "agency") ? " (" : "", *str(en, "agency") ? str(en, "agency") : "");
	if (*str(en, "agency"))
		snprintf(to + strlen(to), sizeof(to) - strlen(to), ")");
	snprintf(subject, sizeof(subject), "Comments on %s: %s", symbol, str(en, "title"));
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O?, s:O?, s:O?}", "symbol", symbol, "to", to, "subject", subject,
			      "text", text, "status", status ? str(status, "status") : "draft", "sent_on",
			      status ? json_object_get(status, "sent_on") : NULL, "answered_on",
			      status ? json_object_get(status, "answered_on") : NULL, "comment_deadline",
			      json_object_get(json_object_get(json_object_get(show, "effective_dates"), "comment_deadline"), "date"));
	free(made);
	json_decref(status);
	return o;
}

static int date_ok(const char *d)
{
	char iso[11];
	return !d || !*d || (strlen(d) == 10 && !date_parse(d, iso) && !strcmp(iso, d));
}

int comment_put(struct store *st, const char *symbol, const char *status, const char *sent_on, const char *answered_on,
		const char *text, const char *author, char *err, size_t errlen)
{
	static const char *const states[] = {"draft", "sent", "answered", NULL};
	const char *why = !str_one_of(status, states) ? "status: draft, sent or answered"
		: !date_ok(sent_on) || !date_ok(answered_on) ? "sent_on and answered_on are dates (YYYY-MM-DD)"
		: !strcmp(status, "sent") && !(sent_on && *sent_on) ? "a sent comment has its sent_on date"
		: !strcmp(status, "answered") && !(answered_on && *answered_on) ? "an answered comment has its answered_on date"
		: text && (strlen(text) > 64 * 1024 || !utf8_valid(text, strlen(text), NULL)) ? "text: at most 64 KiB of UTF-8"
											     : NULL;
	if (why) {
		errf(err, errlen, "%s", why);
		return -EINVAL;
	}
	struct db_stmt *q;
	char now[21];
	if (db_prepare(store_db(st), "INSERT INTO comment_drafts (symbol, status, sent_on, answered_on, text, author, updated_at) "
				     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (symbol) DO UPDATE SET status = excluded.status, "
				     "sent_on = excluded.sent_on, answered_on = excluded.answered_on, "
				     "text = coalesce(excluded.text, comment_drafts.text), author = excluded.author, "
				     "updated_at = excluded.updated_at",
		       &q)) {
		errf(err, errlen, "save the comment: %s", db_errmsg(store_db(st)));
		return -TBT_EDB;
	}
	now_iso(now);
	db_bind_text(q, 1, symbol);
	db_bind_text(q, 2, status);
	db_bind_text(q, 3, sent_on && *sent_on ? sent_on : NULL);
	db_bind_text(q, 4, answered_on && *answered_on ? answered_on : NULL);
	db_bind_text(q, 5, text && *text ? text : NULL);
	db_bind_text(q, 6, author);
	db_bind_text(q, 7, now);
	int rc = db_step(q);
	db_finalize(q);
	if (rc != DB_DONE) {
		errf(err, errlen, "save the comment: %s", db_errmsg(store_db(st)));
		return -TBT_EDB;
	}
	return 0;
}

void comment_doc(const json_t *draft, struct buf *out)
{
	/* Word and WPS open an HTML file with Office's namespaces as a document, keeping the paragraphs. */
	buf_addstr(out, "<html xmlns:o=\"urn:schemas-microsoft-com:office:office\" xmlns:w=\"urn:schemas-microsoft-com:office:word\" "
			"xmlns=\"http://www.w3.org/TR/REC-html40\"><head><meta charset=\"utf-8\"><title>");
	buf_add_html(out, str(draft, "subject"));
	buf_addstr(out, "</title></head><body style=\"font-family:'Times New Roman';font-size:12pt\">");
	const char *t = str(draft, "text");
	for (const char *p = t, *e; *p; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (!e)
			e = p + strlen(p);
		char *line = xstrndup(p, (size_t)(e - p));
		if (*line) {
			buf_addstr(out, "<p>");
			buf_add_html(out, line);
			buf_addstr(out, "</p>");
		}
		free(line);
	}
	buf_addstr(out, "</body></html>");
}

json_t *staff_list(struct archive *a, int stc)
{
	struct store *st = archive_store(a);
	json_t *ranked = impact_ranking(st), *out = json_array(), *it;
	size_t i;
	char err[ERRBUF_SIZE], today[11];
	today_iso(today);
	json_array_foreach(ranked, i, it)
	{
		json_t *show;
		const char *sym = json_string_value(json_object_get(it, "symbol"));
		if (archive_show(a, sym, &show, err, sizeof(err)))
			continue;
		const char *dl = json_string_value(json_object_get(json_object_get(json_object_get(show, "effective_dates"), "comment_deadline"), "date"));
		json_t *cs = comment_status(st, sym);
		const char *status = cs ? json_string_value(json_object_get(cs, "status")) : "none";
		long affected = (long)json_integer_value(json_object_get(it, "affected"));
		int passed = dl && strncmp(dl, today, 10) < 0;
		if (!stc || (affected > 0 && (passed || !strcmp(status, "sent")))) {
			json_t *agg = impact_aggregate(st, sym, archive_catalog(a));
			json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:o, s:O, s:O, s:O, s:s, s:O?}", "symbol", sym, "member",
					      json_string_value(json_object_get(show, "member")), "title_zh",
					      json_string_value(json_object_get(json_object_get(json_object_get(show, "text"), "zh"), "title")),
					      "comment_deadline", dl, "days_left", dl ? json_integer(iso_days_between(today, dl)) : json_null(),
					      "reports", json_object_get(it, "reports"), "affected", json_object_get(it, "affected"),
					      "export_value_cny", json_object_get(agg, "export_value_cny"), "comment", status, "comment_sent_on",
					      cs ? json_object_get(cs, "sent_on") : NULL);
			if (stc)
				json_object_set(o, "concerns", json_object_get(agg, "concerns"));
			json_array_append_new(out, o);
			json_decref(agg);
		}
		json_decref(cs);
		json_decref(show);
	}
	json_decref(ranked);
	/* Most affected first; among equals, the soonest open deadline (passed ones last). */
	size_t n = json_array_size(out);
	for (size_t k = 1; k < n; k++)
		for (size_t b = k; b > 0; b--) {
			json_t *x = json_array_get(out, b - 1), *y = json_array_get(out, b);
			long ax = (long)json_integer_value(json_object_get(x, "affected")), ay = (long)json_integer_value(json_object_get(y, "affected"));
			json_t *dx = json_object_get(x, "days_left"), *dy = json_object_get(y, "days_left");
			long kx = json_is_integer(dx) && json_integer_value(dx) >= 0 ? (long)json_integer_value(dx) : 100000;
			long ky = json_is_integer(dy) && json_integer_value(dy) >= 0 ? (long)json_integer_value(dy) : 100000;
			if (ay > ax || (ay == ax && ky < kx)) {
				json_incref(x);
				json_array_set(out, b - 1, y);
				json_array_set_new(out, b, x);
			} else {
				break;
			}
		}
	return out;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

/* {count, median_days, p90_days, max_days} of the days from each row's distributed to its at. */
static json_t *day_stats(const json_t *rows)
{
	size_t n = 0, i;
	const json_t *r;
	long *d = xcalloc(json_array_size(rows) + 1, sizeof(*d));
	json_array_foreach(rows, i, r)
	{
		const char *from = json_string_value(json_object_get(r, "distributed")), *to = json_string_value(json_object_get(r, "at"));
		char a[11], b[11];
		if (!from || !to || strlen(from) < 10 || strlen(to) < 10)
			continue;
		snprintf(a, sizeof(a), "%s", from);
		snprintf(b, sizeof(b), "%s", to);
		d[n++] = iso_days_between(a, b);
	}
	qsort(d, n, sizeof(*d), cmp_long);
	json_t *o = n ? json_pack("{s:I, s:I, s:I, s:I}", "count", (json_int_t)n, "median_days", (json_int_t)d[(n - 1) / 2],
				  "p90_days", (json_int_t)d[(n * 9 + 9) / 10 - 1], "max_days", (json_int_t)d[n - 1])
		      : json_pack("{s:i, s:n, s:n, s:n}", "count", 0, "median_days", "p90_days", "max_days");
	free(d);
	return o;
}

json_t *response_summary(struct archive *a, const char *since)
{
	static const char *const keys[] = {"symbol", "distributed", "at"};
	struct store *st = archive_store(a);
	json_t *alerts = alert_first_sent_since(a, since), *an = store_analysis_times(st, since);
	json_t *cm = store_rows_json(st, "SELECT c.symbol, n.distributed, c.sent_on FROM comment_drafts c JOIN notifications n "
					 "ON n.symbol = c.symbol WHERE c.sent_on IS NOT NULL AND n.distributed >= ?1",
				     since, keys, 3);
	json_t *o = json_pack("{s:s, s:o, s:o, s:o}", "since", since, "first_alert", day_stats(alerts), "analysis",
			      day_stats(an), "comment", day_stats(cm));
	json_decref(alerts);
	json_decref(an);
	json_decref(cm);
	return o;
}

