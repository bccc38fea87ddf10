/* api.c: the JSON API (docs/openapi.json): search with filters and facets, one notification, statistics, categories,
 * sources, exports, subscription endpoints and the administration endpoints. */
#include "http.h"
#include "accounts.h"
#include "advice.h"
#include "impact.h"
#include "comments.h"

#include "csv.h"
#include "log.h"
#include "export.h"
#include "norm.h"
#include "query.h"
#include "subs.h"
#include "text.h"

#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the query from parameters ---- */

enum { MAX_Q = 1000, MAX_VALUE = 100 };

/* Characters allowed in a filter value: letters, digits, the punctuation of codes and names, and any non-ASCII
 * letter (Chinese names). A quote or a control character could change the query's meaning: refused. */
static int value_ok(const char *v)
{
	if (!*v || strlen(v) > MAX_VALUE || !utf8_valid(v, strlen(v), NULL))
		return 0;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x80 && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
				   strchr(" ._-/()'&", *p)))
			return 0;
	return 1;
}

static int date_ok(const char *v)
{
	size_t n = strlen(v);
	if (n != 4 && n != 7 && n != 10)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (i == 4 || i == 7 ? v[i] != '-' : (v[i] < '0' || v[i] > '9'))
			return 0;
	return 1;
}

/* Builds the archive query from q and the filter parameters; 0, or a 400 already answered (*answered set). */
static int compose_query(struct req *r, struct buf *q, enum MHD_Result *answered)
{
	static const struct {
		const char *param, *field;
	} fields[] = {{"member", "member"}, {"hs", "hs"},     {"ics", "ics"},   {"category", "category"},
		      {"type", "type"},     {"kind", "kind"}, {"risk", "risk"}, {"objective", "objective"}};
	const char *text = req_param(r, "q");
	if (text) {
		if (strlen(text) > MAX_Q) {
			*answered = respond_error(r, 400, "bad_parameter", "q: the query is %zu bytes long; at most %d are accepted",
						  strlen(text), MAX_Q);
			return -1;
		}
		if (!utf8_valid(text, strlen(text), NULL)) {
			*answered = respond_error(r, 400, "bad_parameter", "q: the query is not valid UTF-8");
			return -1;
		}
		buf_addstr(q, text);
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct strv vals;
		strv_init(&vals);
		req_params(r, fields[i].param, &vals);
		for (size_t k = 0; k < vals.n; k++) {
			if (!value_ok(vals.items[k])) {
				*answered = respond_error(r, 400, "bad_parameter",
							  "%s: '%s' is not a value this filter takes (letters, digits and . _ - / only, "
							  "at most %d bytes)",
							  fields[i].param, vals.items[k], MAX_VALUE);
				strv_release(&vals);
				return -1;
			}
			/* Several values of one field match any of them. */
			buf_addf(q, strchr(vals.items[k], ' ') ? " %s:\"%s\"" : " %s:%s", fields[i].field, vals.items[k]);
		}
		strv_release(&vals);
	}
	const char *from = req_param(r, "from"), *to = req_param(r, "to"), *before = req_param(r, "deadline_before"),
		   *open = req_param(r, "open");
	const char *dates[] = {from, to, before};
	const char *names[] = {"from", "to", "deadline_before"};
	for (int i = 0; i < 3; i++)
		if (dates[i] && !date_ok(dates[i])) {
			*answered = respond_error(r, 400, "bad_parameter", "%s: '%s' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)",
						  names[i], dates[i]);
			return -1;
		}
	if (from || to)
		buf_addf(q, " date:%s..%s", from ? from : "", to ? to : "");
	if (before)
		buf_addf(q, " deadline:..%s", before);
	if (open) {
		if (strcmp(open, "yes") && strcmp(open, "no") && strcmp(open, "true") && strcmp(open, "false")) {
			*answered = respond_error(r, 400, "bad_parameter", "open: '%s' is not yes or no", open);
			return -1;
		}
		buf_addf(q, " open:%s", !strcmp(open, "yes") || !strcmp(open, "true") ? "yes" : "no");
	}
	return 0;
}

static int int_param(struct req *r, const char *name, long lo, long hi, long def, long *out, enum MHD_Result *answered)
{
	const char *v = req_param(r, name);
	*out = def;
	if (v && parse_long(v, lo, hi, out)) {
		*answered = respond_error(r, 400, "bad_parameter", "%s: '%s' is not a whole number from %ld to %ld", name, v, lo, hi);
		return -1;
	}
	return 0;
}

/* by_date from sort=relevance|date; the default is relevance for a text query, else the newest first. */
static int sort_param(struct req *r, int has_text, int *by_date, enum MHD_Result *answered)
{
	const char *s = req_param(r, "sort");
	*by_date = !has_text;
	if (!s)
		return 0;
	if (!strcmp(s, "date"))
		*by_date = 1;
	else if (!strcmp(s, "relevance"))
		*by_date = 0;
	else {
		*answered = respond_error(r, 400, "bad_parameter", "sort: '%s' is not relevance or date", s);
		return -1;
	}
	return 0;
}

/* What a hit gains in the API: the link to its page, and the days left to comment as of today. */
static void hit_extras(json_t *hit, const char *today)
{
	char url[512];
	const char *sym = json_string_value(json_object_get(hit, "symbol"));
	const char *dl = json_string_value(json_object_get(hit, "comment_deadline"));
	snprintf(url, sizeof(url), "/n/%s", sym ? sym : "");
	json_object_set_new(hit, "url", json_string(url));
	json_object_set_new(hit, "days_left", dl ? json_integer(iso_days_between(today, dl)) : json_null());
}

/* Facet counts visit at least this many matches; a larger result's counts (and total) are estimates, marked so,
 * unless exact=yes is asked for. */
enum { FACET_SAMPLE = 5000 };

/* A search as it goes to a search thread: everything it needs, copied. */
struct search_task {
	char *query;
	struct search_opts so;
	long page, per_page;
};

static void search_task_free(void *arg)
{
	struct search_task *t = arg;
	free(t->query);
	free(t);
}

/* On a search thread (or the loop): touches only its archive handle and the task. */
static void search_run(struct archive *a, void *arg, struct answer *out)
{
	struct search_task *t = arg;
	json_t *res;
	char err[ERRBUF_SIZE];
	int rc = archive_search(a, t->query, &t->so, &res, err, sizeof(err));
	if (rc == -EINVAL) {
		answer_error(out, 400, "bad_query", "%s", err);
		return;
	}
	if (rc) {
		answer_error(out, 500, "search_failed", "%s", err);
		return;
	}
	size_t i;
	json_t *h;
	char today[11];
	today_iso(today);
	json_array_foreach(json_object_get(res, "hits"), i, h) hit_extras(h, today);
	json_object_set_new(res, "query", json_string(t->query));
	json_object_set_new(res, "page", json_integer(t->page));
	json_object_set_new(res, "per_page", json_integer(t->per_page));
	json_object_set_new(res, "sort", json_string(t->so.by_date ? "date" : "relevance"));
	answer_json(out, 200, res);
}

/* Keeps one hit per measure (the base and its addenda share the current deadline), the base where it is among
 * them. */
static void one_per_measure(json_t *items)
{
	for (size_t u = 0; u < json_array_size(items); u++) {
		struct symbol_parts a;
		if (symbol_parse(json_string_value(json_object_get(json_array_get(items, u), "symbol")), &a))
			continue;
		for (size_t v = u + 1; v < json_array_size(items);) {
			struct symbol_parts b;
			json_t *y = json_array_get(items, v);
			if (symbol_parse(json_string_value(json_object_get(y, "symbol")), &b) || strcmp(a.root, b.root)) {
				v++;
				continue;
			}
			if (!strcmp(b.norm, b.root))
				json_array_set(items, u, y); /* the base stands for its measure */
			json_array_remove(items, v);
		}
	}
}

static enum MHD_Result search_answer(struct req *r, const char *query, int by_date, long page, long per_page)
{
	const char *ex = req_param(r, "exact");
	if (ex && strcmp(ex, "yes") && strcmp(ex, "no"))
		return respond_error(r, 400, "bad_parameter", "exact: '%s' is not yes or no", ex);
	struct search_task *t = xcalloc(1, sizeof(*t));
	t->query = xstrdup(query);
	t->so = (struct search_opts){(unsigned)((page - 1) * per_page), (unsigned)per_page, by_date, 1,
				     ex && !strcmp(ex, "yes") ? 0 : FACET_SAMPLE};
	t->page = page;
	t->per_page = per_page;
	return web_offload(r, search_run, t, search_task_free);
}

static enum MHD_Result api_notifications(struct req *r)
{
	struct buf q;
	enum MHD_Result answered;
	long page, per_page;
	int by_date;
	buf_init(&q, 4096);
	if (compose_query(r, &q, &answered) || int_param(r, "page", 1, 10000, 1, &page, &answered) ||
	    int_param(r, "per_page", 1, 100, 20, &per_page, &answered) ||
	    sort_param(r, req_param(r, "q") && *req_param(r, "q"), &by_date, &answered)) {
		buf_release(&q);
		return answered;
	}
	if (page * per_page > 100000) {
		buf_release(&q);
		return respond_error(r, 400, "bad_parameter", "page: results beyond the 100,000th are not paged; use the export");
	}
	enum MHD_Result rc = search_answer(r, q.s ? q.s : "", by_date, page, per_page);
	buf_release(&q);
	return rc;
}

static enum MHD_Result api_notification(struct req *r, const char *symbol)
{
	json_t *j;
	char err[ERRBUF_SIZE];
	int rc = archive_show(r->w->a, symbol, &j, err, sizeof(err));
	if (rc == -ENOENT || rc == -EINVAL)
		return respond_error(r, 404, "not_found", "no notification %s in the archive", symbol);
	if (rc)
		return respond_error(r, 500, "store_failed", "%s", err);
	char today[11], url[512];
	today_iso(today);
	/* Days left to the measure's current deadline (an addendum may have moved it); none once withdrawn. */
	json_t *eff = json_object_get(j, "effective_dates");
	const char *dl = json_is_null(json_object_get(eff, "withdrawn"))
			     ? json_string_value(json_object_get(json_object_get(eff, "comment_deadline"), "date"))
			     : NULL;
	json_object_set_new(j, "days_left", dl && strlen(dl) >= 10 ? json_integer(iso_days_between(today, dl)) : json_null());
	snprintf(url, sizeof(url), "/n/%s", symbol);
	json_object_set_new(j, "url", json_string(url));
	/* The province's analysis and advice, once published. */
	json_t *an = store_analysis_get(archive_store(r->w->a), json_string_value(json_object_get(j, "symbol")), 1);
	json_object_set_new(j, "analysis", an ? an : json_null());
	/* Experts' advice an analyst accepted, each with its author's name. */
	json_object_set_new(j, "advice", advice_list(archive_store(r->w->a), json_string_value(json_object_get(j, "symbol")), 1));
	return respond_json(r, 200, j);
}

/* ---- categories, sources, stats ---- */

/* The groups of the category table, for choosing in the UI (ids stay the table's). */
static const struct {
	const char *prefix_ids, *zh, *en;
} groups[] = {
	{" mobile_phones telecom_radio_equipment computers_it integrated_circuits audio_video_displays cameras_drones printers_office ",
	 "电子信息", "Electronics and IT"},
	{" large_home_appliances small_home_appliances lighting_led electrical_accessories_cables chargers_power_supplies ",
	 "家电与电工", "Appliances and electrical"},
	{" lithium_batteries other_batteries solar_pv electric_vehicles ", "新能源", "New energy"},
	{" general_machinery power_tools ships_containers two_wheelers auto_parts_tyres medical_devices_ppe electronic_cigarettes ",
	 "机械与交通", "Machinery and vehicles"},
	{" apparel home_textiles textile_yarns_fabrics footwear bags_leather_goods ", "纺织服装", "Textiles and apparel"},
	{" furniture_mattresses toys_games sports_goods plastic_articles ceramics cookware_metal_household hardware_locks_fasteners "
	 "jewellery musical_instruments paper_packaging ",
	 "轻工产品", "Light industry"},
	{" cosmetics_toiletries detergents_cleaning paints_chemicals ", "化工与日化", "Chemicals and cosmetics"},
	{" steel_products aluminium_building ", "金属与建材", "Metals and building"},
	{" aquatic_products fruits_vegetables processed_foods_beverages live_animals_meat ", "食品农产品", "Food and farm products"},
};

static json_t *categories_json(void)
{
	const struct catalog *c = catalog_default();
	json_t *arr = json_array();
	for (size_t i = 0; i < catalog_count(c); i++) {
		const struct category *k = catalog_get(c, i);
		json_t *o = json_object(), *hs = json_array(), *ics = json_array();
		char needle[80];
		snprintf(needle, sizeof(needle), " %s ", k->id);
		const char *gzh = "其他", *gen = "Other";
		for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
			if (strstr(groups[g].prefix_ids, needle)) {
				gzh = groups[g].zh;
				gen = groups[g].en;
			}
		for (size_t h = 0; h < k->hs.n; h++)
			json_array_append_new(hs, json_string(k->hs.items[h]));
		for (size_t h = 0; h < k->ics.n; h++)
			json_array_append_new(ics, json_string(k->ics.items[h]));
		json_object_set_new(o, "id", json_string(k->id));
		json_object_set_new(o, "name_zh", json_string(k->name_zh));
		json_object_set_new(o, "name_en", json_string(k->name_en));
		json_object_set_new(o, "group_zh", json_string(gzh));
		json_object_set_new(o, "group_en", json_string(gen));
		json_object_set_new(o, "hs", hs);
		json_object_set_new(o, "ics", ics);
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *sources_json(struct web *w)
{
	return w->cr ? crawler_sources_json(w->cr) : json_array();
}

/* The statistics read the whole archive (exact facets over every notification): on a search thread. The sources'
 * health is the crawler's, which lives on the loop: taken there, before, and handed over with the task. */
static void stats_run(struct archive *a, void *arg, struct answer *out)
{
	json_t *sources = arg;
	char today[11], week_ago[11], err[ERRBUF_SIZE];
	today_iso(today);
	iso_add_days(today, -7, week_ago);
	json_t *o = json_object(), *all;
	struct search_opts so = {0, 0, 1, 1};
	if (archive_search(a, "", &so, &all, err, sizeof(err))) {
		json_decref(o);
		answer_error(out, 500, "search_failed", "%s", err);
		return;
	}
	json_t *facets = json_object_get(all, "facets");
	json_object_set_new(o, "total", json_incref(json_object_get(all, "total")));
	json_object_set_new(o, "by_month", store_counts_by_month(archive_store(a), 36));
	json_object_set_new(o, "by_member", json_incref(json_object_get(facets, "member")));
	json_object_set_new(o, "by_category", json_incref(json_object_get(facets, "category")));
	json_object_set_new(o, "by_type", json_incref(json_object_get(facets, "type")));
	json_object_set_new(o, "by_risk", json_incref(json_object_get(facets, "risk")));
	json_decref(all);
	json_t *nw;
	char qs[96];
	snprintf(qs, sizeof(qs), "date:%s..%s", week_ago, today);
	struct search_opts s2 = {0, 50, 1, 0};
	if (!archive_search(a, qs, &s2, &nw, err, sizeof(err))) {
		size_t i;
		json_t *h;
		json_array_foreach(json_object_get(nw, "hits"), i, h) hit_extras(h, today);
		json_object_set_new(o, "new_this_week", nw);
	}
	/* Comment periods closing soon, for notifications in Guangdong's categories, the nearest first. */
	json_t *closing = json_object();
	static const int windows[] = {7, 14, 30};
	for (int k = 0; k < 3; k++) {
		char until[11];
		json_t *res, *items = json_array();
		iso_add_days(today, windows[k], until);
		snprintf(qs, sizeof(qs), "deadline:%s..%s", today, until);
		struct search_opts s3 = {0, 1000, 1, 0};
		if (archive_search(a, qs, &s3, &res, err, sizeof(err)))
			continue;
		size_t i;
		json_t *h;
		json_array_foreach(json_object_get(res, "hits"), i, h)
		{
			if (!json_array_size(json_object_get(h, "categories")))
				continue;
			hit_extras(h, today);
			json_array_append(items, h);
		}
		json_decref(res);
		one_per_measure(items);
		/* Nearest deadline first (insertion sort: at most a few hundred). */
		for (size_t u = 1; u < json_array_size(items); u++)
			for (size_t v = u; v > 0; v--) {
				json_t *x = json_array_get(items, v - 1), *y = json_array_get(items, v);
				const char *dx = json_string_value(json_object_get(x, "comment_deadline")),
					   *dy = json_string_value(json_object_get(y, "comment_deadline"));
				if (!dx || !dy || strcmp(dx, dy) <= 0)
					break;
				json_incref(x);
				json_array_set(items, v - 1, y);
				json_array_set_new(items, v, x);
			}
		json_t *win = json_object();
		char key[8];
		snprintf(key, sizeof(key), "%d", windows[k]);
		json_object_set_new(win, "count", json_integer((json_int_t)json_array_size(items)));
		json_object_set_new(win, "items", items);
		json_object_set_new(closing, key, win);
	}
	json_object_set_new(o, "closing", closing);
	json_object_set_new(o, "sources", json_incref(sources));
	json_object_set_new(o, "today", json_string(today));
	answer_json(out, 200, o);
}

static void stats_free(void *arg)
{
	json_decref(arg);
}

static enum MHD_Result api_stats(struct req *r)
{
	return web_offload(r, stats_run, sources_json(r->w), stats_free);
}

/* ---- export ---- */

struct export {
	struct archive *a;
	char *query;
	int by_date, csv;
	enum export_lang lang;
	unsigned offset;
	int last;
	struct buf out;
	size_t sent;
};

static void export_free(void *arg)
{
	struct export *e = arg;
	free(e->query);
	buf_release(&e->out);
	free(e);
}

static size_t export_fill(void *arg, char *dst, size_t max, int *done)
{
	struct export *e = arg;
	if (e->sent == e->out.len) {
		buf_reset(&e->out);
		e->sent = 0;
		if (e->last) {
			*done = 1;
			return 0;
		}
		/* The next page of the query, formatted. */
		enum { PAGE = 500 };
		struct search_opts so = {e->offset, PAGE, e->by_date, 0};
		json_t *res;
		char err[ERRBUF_SIZE];
		if (archive_search(e->a, e->query, &so, &res, err, sizeof(err))) {
			*done = 1;
			return 0;
		}
		size_t i;
		json_t *h;
		json_t *hits = json_object_get(res, "hits");
		char today[11];
		today_iso(today);
		json_array_foreach(hits, i, h)
		{
			json_t *rec = export_record(e->a, h, today, e->lang);
			if (e->csv)
				export_csv_row(&e->out, rec);
			else
				export_jsonl_row(&e->out, rec);
			json_decref(rec);
		}
		e->last = json_array_size(hits) < PAGE;
		e->offset += PAGE;
		json_decref(res);
		if (!e->out.len) {
			*done = 1;
			return 0;
		}
	}
	size_t n = e->out.len - e->sent < max ? e->out.len - e->sent : max;
	memcpy(dst, e->out.s + e->sent, n);
	e->sent += n;
	return n;
}

static enum MHD_Result api_export(struct req *r, int csv)
{
	struct buf q;
	enum MHD_Result answered;
	int by_date;
	buf_init(&q, 4096);
	if (compose_query(r, &q, &answered) || sort_param(r, 0, &by_date, &answered)) {
		buf_release(&q);
		return answered;
	}
	/* The query is checked before the first byte goes out: a bad one is still a 400. */
	struct search_opts so = {0, 1, by_date, 0};
	json_t *probe;
	char err[ERRBUF_SIZE];
	int rc = archive_search(r->w->a, q.s ? q.s : "", &so, &probe, err, sizeof(err));
	if (rc) {
		buf_release(&q);
		return respond_error(r, rc == -EINVAL ? 400 : 500, rc == -EINVAL ? "bad_query" : "search_failed", "%s", err);
	}
	json_decref(probe);
	struct export *e = xcalloc(1, sizeof(*e));
	e->a = r->w->a;
	e->query = xstrdup(q.s ? q.s : "");
	e->by_date = by_date;
	e->csv = csv;
	/* Names in the reader's language (?lang=, else Accept-Language; Chinese first). */
	e->lang = r->lang && !strcmp(r->lang, "en") ? EXPORT_EN : EXPORT_ZH;
	buf_init(&e->out, BUF_NOMAX);
	if (csv)
		export_csv_header(&e->out);
	buf_release(&q);
	return respond_stream(r, csv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
			      csv ? "attachment; filename=\"tbtwarn-notifications.csv\""
				  : "attachment; filename=\"tbtwarn-notifications.jsonl\"",
			      export_fill, e, export_free);
}

/* ---- subscriptions ---- */

static int filter_from_params(struct req *r, struct sub_filter *f, enum MHD_Result *answered)
{
	struct strv v;
	char err[ERRBUF_SIZE];
	const struct catalog *cat = catalog_default();
	strv_init(&v);
	req_params(r, "category", &v);
	for (size_t i = 0; i < v.n; i++) {
		if (!catalog_find(cat, v.items[i])) {
			*answered = respond_error(r, 400, "bad_parameter", "category: '%s' is not one of /api/categories", v.items[i]);
			strv_release(&v);
			return -1;
		}
		strv_push_unique(&f->categories, v.items[i]);
	}
	strv_release(&v);
	strv_init(&v);
	req_params(r, "member", &v);
	for (size_t i = 0; i < v.n; i++) {
		if (!value_ok(v.items[i]) || strlen(v.items[i]) > 8) {
			*answered = respond_error(r, 400, "bad_parameter", "member: '%s' is not a WTO member code", v.items[i]);
			strv_release(&v);
			return -1;
		}
		char *up = xstrdup(v.items[i]);
		for (char *p = up; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 32);
		strv_push_unique(&f->members, up);
		free(up);
	}
	strv_release(&v);
	strv_init(&v);
	req_params(r, "hs", &v);
	for (size_t i = 0; i < v.n; i++) {
		char norm[32];
		if (hs_normalize(v.items[i], norm, sizeof(norm))) {
			*answered = respond_error(r, 400, "bad_parameter", "hs: '%s' is not an HS code", v.items[i]);
			strv_release(&v);
			return -1;
		}
		strv_push_unique(&f->hs, norm);
	}
	strv_release(&v);
	const char *kw = req_param(r, "keywords"), *type = req_param(r, "type"), *risk = req_param(r, "min_risk");
	if (kw && *kw) {
		/* A list of keywords, any of which matches (the form says so). */
		char *kq = strlen(kw) <= 500 && utf8_valid(kw, strlen(kw), NULL) ? sub_keywords_query(kw) : NULL;
		struct idx_query *q = idx_query_new();
		if (strlen(kw) > 500 || !utf8_valid(kw, strlen(kw), NULL) || (kq && query_parse(kq, q, err, sizeof(err)))) {
			idx_query_free(q);
			free(kq);
			*answered = respond_error(r, 400, "bad_parameter", "keywords: %s",
						  strlen(kw) > 500 ? "longer than 500 bytes" : !utf8_valid(kw, strlen(kw), NULL) ? "not UTF-8" : err);
			return -1;
		}
		idx_query_free(q);
		f->query = kq;
	}
	if (type && *type) {
		if (strcmp(type, "tbt") && strcmp(type, "sps")) {
			*answered = respond_error(r, 400, "bad_parameter", "type: '%s' is not tbt or sps", type);
			return -1;
		}
		f->type = !strcmp(type, "tbt") ? NT_TBT : NT_SPS;
	}
	if (risk && *risk) {
		if (strcmp(risk, "low") && strcmp(risk, "medium") && strcmp(risk, "high")) {
			*answered = respond_error(r, 400, "bad_parameter", "min_risk: '%s' is not low, medium or high", risk);
			return -1;
		}
		f->min_risk = !strcmp(risk, "high") ? 2 : !strcmp(risk, "medium") ? 1 : 0;
	}
	if (!f->categories.n && !f->members.n && !f->hs.n && !f->query) {
		*answered = respond_error(r, 400, "bad_parameter",
					  "choose at least one category, market, HS code or keyword: a subscription to everything "
					  "would flood you");
		return -1;
	}
	return 0;
}

static int delivery_from_params(struct req *r, struct subscription *s, enum MHD_Result *answered)
{
	const char *ch = req_param(r, "channel"), *freq = req_param(r, "frequency"), *hour = req_param(r, "hour");
	int c = ch && *ch ? channel_from_name(ch) : CH_EMAIL;
	long h = 9;
	if (c < 0) {
		*answered = respond_error(r, 400, "bad_parameter", "channel: '%s' is not email, webhook, wecom, dingtalk or feishu", ch);
		return -1;
	}
	s->channel = (enum channel)c;
	int f = freq && *freq ? frequency_from_name(freq) : FREQ_IMMEDIATE;
	if (f < 0) {
		*answered = respond_error(r, 400, "bad_parameter", "frequency: '%s' is not immediate, daily or weekly", freq);
		return -1;
	}
	s->frequency = (enum frequency)f;
	if (hour && *hour && parse_long(hour, 0, 23, &h)) {
		*answered = respond_error(r, 400, "bad_parameter", "hour: '%s' is not an hour from 0 to 23", hour);
		return -1;
	}
	s->hour = (int)h;
	const char *url = req_param(r, "url"), *secret = req_param(r, "secret");
	if (s->channel != CH_EMAIL) {
		if (!url || !url_is_web(url) || strlen(url) > 1000) {
			*answered = respond_error(r, 400, "bad_parameter", "url: a %s subscription needs the robot's or endpoint's "
									   "http(s) address",
						  channel_name(s->channel));
			return -1;
		}
		s->url = (char *)url;
		s->secret = secret && *secret ? (char *)secret : NULL;
	}
	return 0;
}

/* The request's subscriber when its token for purpose is right: 0, or a 403 answered. */
static int token_subscriber(struct req *r, const char *purpose, int64_t *id, enum MHD_Result *answered)
{
	if (!req_subscriber(r, purpose, id)) {
		*answered = respond_error(r, 403, "bad_token", "this link is not valid (it may have been altered or cut)");
		return -1;
	}
	return 0;
}

/* What a subscription with these filters (the subscribe form's fields) would have matched in the last 90 days: the
 * count and the three newest, so that nobody saves a subscription that can never fire without knowing. */
static json_t *preview_json(struct archive *a, const struct sub_filter *f, char *err, size_t errlen)
{
	char today[11], from[11];
	struct buf q;
	json_t *res = NULL;
	today_iso(today);
	iso_add_days(today, -90, from);
	buf_init(&q, 4096);
	sub_filter_query(f, &q);
	buf_addf(&q, " date:%s..", from);
	struct search_opts so = {0, 3, 1, 0};
	if (archive_search(a, q.s, &so, &res, err, errlen)) {
		buf_release(&q);
		return NULL;
	}
	buf_release(&q);
	json_t *o = json_object(), *newest = json_array();
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(res, "hits"), i, h) {
		hit_extras(h, today);
		json_object_del(h, "score");
		json_array_append(newest, h);
	}
	json_object_set(o, "count", json_object_get(res, "total"));
	json_object_set_new(o, "since", json_string(from));
	json_object_set_new(o, "newest", newest);
	json_decref(res);
	return o;
}

static enum MHD_Result api_preview(struct req *r)
{
	struct sub_filter f;
	enum MHD_Result answered;
	char err[ERRBUF_SIZE];
	sub_filter_init(&f);
	if (filter_from_params(r, &f, &answered)) {
		sub_filter_release(&f);
		return answered;
	}
	json_t *o = preview_json(r->w->a, &f, err, sizeof(err));
	sub_filter_release(&f);
	if (!o)
		return respond_error(r, 500, "search_failed", "%s", err);
	return respond_json(r, 200, o);
}

static enum MHD_Result api_subscribe(struct req *r)
{
	struct web *w = r->w;
	struct store *st = archive_store(w->a);
	enum MHD_Result answered;
	if (w->o.read_only)
		return respond_error(r, 503, "read_only", "this server is a read-only mirror: subscribe on the main site");
	const char *why = guard_csrf_check(r);
	if (why) {
		w->csrf_refused++;
		return respond_error(r, 403, "csrf", "%s", why);
	}
	const char *email = req_param(r, "email"), *lang = req_param(r, "lang");
	if (!email || !email_valid(email))
		return respond_error(r, 400, "bad_parameter", "email: '%s' is not an e-mail address", email ? email : "");
	if (lang && *lang && strcmp(lang, "zh") && strcmp(lang, "en"))
		return respond_error(r, 400, "bad_parameter", "lang: '%s' is not zh or en", lang);
	struct subscription sub;
	memset(&sub, 0, sizeof(sub));
	sub_filter_init(&sub.filter);
	if (filter_from_params(r, &sub.filter, &answered) || delivery_from_params(r, &sub, &answered)) {
		sub_filter_release(&sub.filter);
		return answered;
	}
	const char *fields[] = {req_param(r, "name"), req_param(r, "org")};
	for (int i = 0; i < 2; i++)
		if (fields[i] && (strlen(fields[i]) > 200 || !utf8_valid(fields[i], strlen(fields[i]), NULL))) {
			sub_filter_release(&sub.filter);
			return respond_error(r, 400, "bad_parameter", "%s: at most 200 bytes of UTF-8", i ? "org" : "name");
		}
	struct subscriber who = {0};
	who.email = (char *)email;
	who.name = (char *)(fields[0] && *fields[0] ? fields[0] : NULL);
	who.org = (char *)(fields[1] && *fields[1] ? fields[1] : NULL);
	who.lang = (char *)(lang && *lang ? lang : r->lang);
	int64_t id, sid;
	char err[ERRBUF_SIZE];
	if (store_begin(st, err, sizeof(err)))
		return respond_error(r, 503, "busy", "the database is busy: try again in a moment");
	int rc = subs_add_subscriber(st, &who, 0, &id, err, sizeof(err));
	if (rc == -EEXIST) {
		/* Someone who unsubscribed subscribes again: a new confirmation, this subscription only. */
		int again = subs_resubscribe(st, id, err, sizeof(err));
		if (!again) {
			rc = 0;
			goto add;
		}
		if (again == -EAGAIN) {
			sub_filter_release(&sub.filter);
			if (store_commit(st, err, sizeof(err)))
				return respond_error(r, 500, "store_failed", "%s", err);
			goto accepted; /* the request of the last day still stands */
		}
		if (again != -EINVAL) {
			sub_filter_release(&sub.filter);
			store_rollback(st);
			return respond_error(r, 500, "store_failed", "%s", err);
		}
		/* Known address: the form does not say so (that would tell anyone who is subscribed); the owner gets a
		 * link to manage their subscriptions, where they can add this one, unless one went out lately. */
		rc = alert_queue_manage(w->a, id, err, sizeof(err));
		sub_filter_release(&sub.filter);
		if (rc < 0) {
			store_rollback(st);
			return respond_error(r, 500, "store_failed", "%s", err);
		}
		if (store_commit(st, err, sizeof(err)))
			return respond_error(r, 500, "store_failed", "%s", err);
		goto accepted;
	}
add:
	if (!rc) {
		sub.subscriber_id = id;
		rc = subs_add_subscription(st, &sub, &sid, err, sizeof(err));
	}
	sub_filter_release(&sub.filter);
	if (rc) {
		store_rollback(st);
		return respond_error(r, rc == -EINVAL ? 400 : 500, rc == -EINVAL ? "bad_parameter" : "store_failed", "%s", err);
	}
	if (store_commit(st, err, sizeof(err)))
		return respond_error(r, 500, "store_failed", "%s", err);
accepted:;
	json_t *o = json_object();
	json_object_set_new(o, "status", json_string("confirmation_sent"));
	json_object_set_new(o, "message", json_string(!strcmp(r->lang, "en")
							      ? "Check your mailbox: a message asks you to confirm. Nothing is sent before that."
							      : "请查收邮件并点击确认链接。确认之前我们不会发送任何预警。"));
	return respond_json(r, 202, o);
}

static enum MHD_Result api_manage(struct req *r)
{
	enum MHD_Result answered;
	int64_t id;
	char err[ERRBUF_SIZE];
	if (token_subscriber(r, "manage", &id, &answered))
		return answered;
	struct store *st = archive_store(r->w->a);
	struct subscriber who;
	if (subs_get_subscriber(st, id, &who, err, sizeof(err)))
		return respond_error(r, 404, "not_found", "this subscriber no longer exists");
	if (!strcmp(r->method, "POST")) {
		if (r->w->o.read_only) {
			subscriber_release(&who);
			return respond_error(r, 503, "read_only", "this server is a read-only mirror");
		}
		const char *why = guard_csrf_check(r);
		if (why) {
			subscriber_release(&who);
			r->w->csrf_refused++;
			return respond_error(r, 403, "csrf", "%s", why);
		}
		const char *action = req_param(r, "action");
		int rc = 0;
		if (action && !strcmp(action, "remove")) {
			long sid;
			const char *sv = req_param(r, "subscription");
			json_t *mine = subs_list_subscriptions(st, id);
			int owned = 0;
			size_t i;
			json_t *s;
			if (sv && !parse_long(sv, 1, LONG_MAX, &sid))
				json_array_foreach(mine, i, s) owned |= json_integer_value(json_object_get(s, "id")) == sid;
			json_decref(mine);
			if (!owned) {
				subscriber_release(&who);
				return respond_error(r, 404, "not_found", "subscription: not one of yours");
			}
			rc = subs_remove_subscription(st, sid, err, sizeof(err));
		} else if (action && !strcmp(action, "add")) {
			struct subscription sub;
			int64_t sid;
			memset(&sub, 0, sizeof(sub));
			sub_filter_init(&sub.filter);
			if (filter_from_params(r, &sub.filter, &answered) || delivery_from_params(r, &sub, &answered)) {
				sub_filter_release(&sub.filter);
				subscriber_release(&who);
				return answered;
			}
			sub.subscriber_id = id;
			rc = subs_add_subscription(st, &sub, &sid, err, sizeof(err));
			sub_filter_release(&sub.filter);
			/* Owning the manage link proves the address: a pending subscriber is confirmed by using it. */
			if (!rc && !strcmp(who.status, "pending"))
				subs_confirm(st, id, err, sizeof(err));
		} else if (action && !strcmp(action, "lang")) {
			rc = subs_set_lang(st, id, req_param(r, "lang"), err, sizeof(err));
		} else {
			subscriber_release(&who);
			return respond_error(r, 400, "bad_parameter", "action: '%s' is not add, remove or lang",
					     action ? action : "");
		}
		if (rc) {
			subscriber_release(&who);
			return respond_error(r, 400, "bad_parameter", "%s", err);
		}
		subscriber_release(&who);
		if (subs_get_subscriber(st, id, &who, err, sizeof(err)))
			return respond_error(r, 404, "not_found", "this subscriber no longer exists");
	}
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "email", json_string(who.email));
	json_object_set_new(o, "lang", json_string(who.lang));
	json_object_set_new(o, "status", json_string(who.status));
	/* Each subscription with what it would have matched in the last 90 days, as the subscribe form shows. */
	json_t *subs = subs_list_subscriptions(st, id), *s;
	size_t i;
	json_array_foreach(subs, i, s) {
		struct sub_filter f;
		if (!sub_filter_from_json(json_object_get(s, "filter"), &f)) {
			json_t *p = preview_json(r->w->a, &f, err, sizeof(err));
			if (p)
				json_object_set_new(s, "preview", p);
		}
		sub_filter_release(&f);
	}
	json_object_set_new(o, "subscriptions", subs);
	subscriber_release(&who);
	return respond_json(r, 200, o);
}

/* ---- administration ---- */

/* The session cookie's token (64 hex digits), or 0 when the request has none. */
static int cookie_token(struct req *r, char out[ACCOUNTS_TOKEN_LEN])
{
	const char *c = req_header(r, "Cookie");
	for (const char *p = c; p && (p = strstr(p, "tbtwarn_session=")); p++) {
		if (p != c && p[-1] != ' ' && p[-1] != ';')
			continue;
		p += 16;
		size_t n = strspn(p, "0123456789abcdef");
		if (n != ACCOUNTS_TOKEN_LEN - 1)
			return 0;
		memcpy(out, p, n);
		out[n] = '\0';
		return 1;
	}
	return 0;
}

int staff_authenticated(struct req *r)
{
	const char *auth = req_header(r, "Authorization"), *tok = r->w->o.admin_token;
	char cookie[ACCOUNTS_TOKEN_LEN];
	struct session s;
	if (auth)
		return tok && *tok && starts_with(auth, "Bearer ") && strlen(auth + 7) == strlen(tok) &&
		       !CRYPTO_memcmp(auth + 7, tok, strlen(tok));
	return cookie_token(r, cookie) && !accounts_session(archive_store(r->w->a), cookie, &s);
}

/*
 * Whether the request comes from staff with one of roles: the admin bearer token (scripts; the role admin), or a
 * session cookie whose user has the role, and which, for anything but GET and HEAD, carries the session's CSRF token
 * in X-CSRF-Token (or the form field csrf). Otherwise answers 401 (nobody), 403 (a role that may not, or no CSRF
 * token) and returns 0. *s: who.
 */
int staff_ok(struct req *r, int roles, struct session *s, enum MHD_Result *answered)
{
	const char *auth = req_header(r, "Authorization");
	const char *tok = r->w->o.admin_token;
	char cookie[ACCOUNTS_TOKEN_LEN];
	memset(s, 0, sizeof(*s));
	if (auth) {
		size_t n = tok ? strlen(tok) : 0;
		if (!n) {
			*answered = respond_error(r, 403, "admin_disabled", "administration by token is disabled: no admin_token is configured");
			return 0;
		}
		if (!starts_with(auth, "Bearer ") || strlen(auth + 7) != n || CRYPTO_memcmp(auth + 7, tok, n)) {
			*answered = respond_error(r, 401, "unauthorized", "the admin token is wrong (Authorization: Bearer <admin_token>)");
			return 0;
		}
		snprintf(s->user, sizeof(s->user), "admin-token");
		s->role = ROLE_ADMIN;
		return 1;
	}
	if (!cookie_token(r, cookie) || accounts_session(archive_store(r->w->a), cookie, s)) {
		*answered = respond_error(r, 401, "unauthorized", "请先登录 (log in first: POST /api/session, or Authorization: Bearer <admin_token>)");
		return 0;
	}
	if (!(s->role & roles)) {
		*answered = respond_error(r, 403, "forbidden", "%s 的角色（%s）无权执行此操作 (the role %s may not do this)", s->user,
					  role_name(s->role), role_name(s->role));
		return 0;
	}
	if (strcmp(r->method, "GET") && !r->head) {
		const char *csrf = req_header(r, "X-CSRF-Token");
		if (!csrf)
			csrf = req_param(r, "csrf");
		if (!csrf || strlen(csrf) != strlen(s->csrf) || CRYPTO_memcmp(csrf, s->csrf, strlen(s->csrf))) {
			r->w->csrf_refused++;
			*answered = respond_error(r, 403, "csrf", "缺少或错误的 CSRF 令牌 (X-CSRF-Token: the token POST /api/session gave)");
			return 0;
		}
	}
	return 1;
}

/* A JSON answer that sets the session cookie, and beside it tbtwarn_staff=1, a hint without a secret that pages may
 * read (the session's cookie is HttpOnly) to ask for what only staff see. */
static enum MHD_Result respond_json_cookie(struct req *r, unsigned status, json_t *j, const char *cookie)
{
	char *body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	int gone = strstr(cookie, "Max-Age=0") != NULL;
	char hint[160];
	snprintf(hint, sizeof(hint), "tbtwarn_staff=%s; Path=/; SameSite=Strict; Max-Age=%s%s", gone ? "" : "1", gone ? "0" : "43200",
		 strstr(cookie, "; Secure") ? "; Secure" : "");
	const char *h[] = {"Cache-Control", "no-store", "Set-Cookie", cookie, "Set-Cookie", hint, NULL};
	enum MHD_Result rc = respond(r, status, "application/json; charset=utf-8", body, strlen(body), h);
	free(body);
	return rc;
}

/* POST /api/session {"user", "password"}: logs in (the cookie, and the CSRF token to send back); GET: who is logged
 * in; DELETE: logs out. */
static enum MHD_Result api_session(struct req *r)
{
	struct store *st = archive_store(r->w->a);
	struct session s;
	char err[ERRBUF_SIZE], client[64], cookie[256], token[ACCOUNTS_TOKEN_LEN];
	int secure = r->w->ao && r->w->ao->base_url && starts_with(r->w->ao->base_url, "https:");
	if (!strcmp(r->method, "GET") || r->head) {
		if (!cookie_token(r, token) || accounts_session(st, token, &s))
			return respond_error(r, 401, "unauthorized", "未登录 (not logged in)");
		return respond_json(r, 200, json_pack("{s:s, s:s, s:s}", "user", s.user, "role", role_name(s.role), "csrf", s.csrf));
	}
	if (!strcmp(r->method, "DELETE")) {
		enum MHD_Result answered;
		if (!staff_ok(r, ROLE_ANY, &s, &answered))
			return answered;
		accounts_logout(st, s.token);
		accounts_audit(st, s.user, "logout", s.user, NULL);
		snprintf(cookie, sizeof(cookie), "tbtwarn_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
			 secure ? "; Secure" : "");
		return respond_json_cookie(r, 200, json_pack("{s:s}", "status", "logged out"), cookie);
	}
	if (strcmp(r->method, "POST"))
		return respond_error(r, 405, "method_not_allowed", "%s is not allowed on /api/session", r->method);
	if (r->w->o.read_only)
		return respond_error(r, 503, "read_only", "this server is a read-only mirror");
	/* JSON only: a form on another site cannot send it without asking (CORS), so it cannot log a visitor in as
	 * someone else. */
	const char *ct = req_header(r, "Content-Type");
	if (!ct || !starts_with_ci(ct, "application/json"))
		return respond_error(r, 415, "unsupported_media_type", "POST /api/session takes application/json");
	json_error_t jerr;
	json_t *body = json_loadb(r->body.s, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
	const char *user = json_string_value(json_object_get(body, "user"));
	const char *password = json_string_value(json_object_get(body, "password"));
	if (!user || !password) {
		json_decref(body);
		return respond_error(r, 400, "bad_parameter", "give user and password in a JSON object");
	}
	long retry = 0;
	guard_client(r, client, sizeof(client));
	int rc = accounts_login(st, user, password, client, &s, &retry, err, sizeof(err));
	json_decref(body);
	if (rc == -EAGAIN) {
		char ra[32];
		snprintf(ra, sizeof(ra), "%ld", retry);
		json_t *e = json_pack("{s:i, s:s, s:s}", "status", 429, "code", "too_many_logins", "message", "登录失败次数过多，请稍后再试 (too many failed logins: try later)");
		char *b = json_dumps(e, JSON_COMPACT);
		json_decref(e);
		const char *h[] = {"Retry-After", ra, NULL};
		enum MHD_Result x = respond(r, 429, "application/json; charset=utf-8", b, strlen(b), h);
		free(b);
		return x;
	}
	if (rc == -EACCES)
		return respond_error(r, 401, "unauthorized", "用户名或密码错误 (wrong user name or password)");
	if (rc)
		return respond_error(r, 500, "store_failed", "%s", err);
	snprintf(cookie, sizeof(cookie), "tbtwarn_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200%s", s.token,
		 secure ? "; Secure" : "");
	return respond_json_cookie(r, 200,
				   json_pack("{s:s, s:s, s:s, s:i}", "user", s.user, "role", role_name(s.role), "csrf", s.csrf,
					     "expires_in", 43200),
				   cookie);
}

/* ---- impact reports from firms (这项措施影响我们吗？) ---- */

/* The link's subscriber and notification (s, n, t), checked; the notification's JSON in *show. Answers and returns 0
 * when they are wrong. */
static int impact_link(struct req *r, int64_t *sub, json_t **show, enum MHD_Result *answered)
{
	const char *s = req_param(r, "s"), *n = req_param(r, "n"), *t = req_param(r, "t");
	long id;
	char err[ERRBUF_SIZE];
	*show = NULL;
	if (!s || !n || !t || parse_long(s, 1, LONG_MAX, &id) || !subs_impact_token_ok(r->w->ao->secret, id, n, t)) {
		*answered = respond_error(r, 403, "bad_token", "链接无效或已过期 (this link is not valid)");
		return 0;
	}
	int rc = archive_show(r->w->a, n, show, err, sizeof(err));
	if (rc) {
		*answered = respond_error(r, 404, "not_found", "no notification %s in the archive", n);
		return 0;
	}
	*sub = id;
	return 1;
}

/* Whether reports are still taken: until the measure's comment deadline (inclusive), or always when it has none. */
static int impact_open(const json_t *show)
{
	const char *dl = json_string_value(json_object_get(json_object_get(json_object_get(show, "effective_dates"),
									   "comment_deadline"),
							   "date"));
	char today[11];
	today_iso(today);
	return !dl || strlen(dl) < 10 || strncmp(today, dl, 10) <= 0;
}

/* GET /api/impact?s&n&t: the notification in short and the firm's report so far; POST (a form: those, csrf, and
 * affected, hs, markets, export_value, concern, join, consent): saves it, until the deadline. */
static enum MHD_Result api_impact(struct req *r)
{
	struct store *st = archive_store(r->w->a);
	enum MHD_Result answered;
	int64_t sub;
	json_t *show;
	char err[ERRBUF_SIZE];
	int post = !strcmp(r->method, "POST");
	if (post) {
		const char *why = guard_csrf_check(r);
		if (why) {
			r->w->csrf_refused++;
			return respond_error(r, 403, "csrf", "%s", why);
		}
	}
	if (!impact_link(r, &sub, &show, &answered))
		return answered;
	const char *sym = json_string_value(json_object_get(show, "symbol"));
	int open = impact_open(show);
	if (post) {
		if (r->w->o.read_only) {
			json_decref(show);
			return respond_error(r, 503, "read_only", "this server is a read-only mirror");
		}
		if (!open) {
			json_decref(show);
			return respond_error(r, 403, "closed", "评议期已结束，报告不再修改 (the comment period has ended)");
		}
		const char *consent = req_param(r, "consent");
		struct impact_report rep = {req_param(r, "affected"), req_param(r, "hs"), req_param(r, "markets"),
					    req_param(r, "export_value"), req_param(r, "concern"), req_param(r, "join"),
					    consent && (!strcmp(consent, "yes") || !strcmp(consent, "on") || !strcmp(consent, "1") ||
							!strcmp(consent, "true")),
					    req_param(r, "city")};
		int rc = impact_put(st, sub, sym, &rep, err, sizeof(err));
		/* What the firm says matters to it ranks its later alerts (unless it is not affected). */
		if (!rc && strcmp(rep.affected, "no") && subs_add_interests(st, sub, rep.hs, rep.markets, err, sizeof(err)))
			log_msg("warn", "web", "impact report on %s: %s", sym, err);
		if (rc) {
			json_decref(show);
			return respond_error(r, rc == -EINVAL ? 400 : 500, rc == -EINVAL ? "bad_parameter" : "store_failed", "%s", err);
		}
	}
	json_t *o = json_object(), *text = json_object_get(show, "text");
	json_object_set_new(o, "notification",
			    json_pack("{s:s, s:s?, s:s?, s:s?, s:O?}", "symbol", sym, "member", json_string_value(json_object_get(show, "member")),
				      "title", json_string_value(json_object_get(json_object_get(text, "en"), "title")),
				      "title_zh", json_string_value(json_object_get(json_object_get(text, "zh"), "title")),
				      "comment_deadline", json_object_get(json_object_get(json_object_get(show, "effective_dates"), "comment_deadline"), "date")));
	json_t *rep = impact_get(st, sub, sym);
	json_object_set_new(o, "report", rep ? rep : json_null());
	json_object_set_new(o, "open", json_boolean(open));
	if (post)
		json_object_set_new(o, "status", json_string("saved"));
	json_decref(show);
	return respond_json(r, 200, o);
}

/* GET /api/notifications/{symbol}/impact (analyst, admin): the reports aggregated; ?format=csv: the reports. */
static enum MHD_Result api_impact_officials(struct req *r, const char *symbol)
{
	struct session by;
	enum MHD_Result answered;
	char err[ERRBUF_SIZE];
	json_t *show;
	if (strcmp(r->method, "GET") && !r->head)
		return respond_error(r, 405, "method_not_allowed", "%s is not allowed here", r->method);
	if (!staff_ok(r, ROLE_ADMIN | ROLE_ANALYST, &by, &answered))
		return answered;
	int rc = archive_show(r->w->a, symbol, &show, err, sizeof(err));
	if (rc)
		return respond_error(r, 404, "not_found", "no notification %s in the archive", symbol);
	char sym[128];
	snprintf(sym, sizeof(sym), "%s", json_string_value(json_object_get(show, "symbol")));
	json_decref(show);
	const char *fmt = req_param(r, "format");
	if (fmt && !strcmp(fmt, "csv")) {
		struct buf b;
		buf_init(&b, BUF_NOMAX);
		impact_csv(archive_store(r->w->a), sym, &b);
		const char *h[] = {"Content-Disposition", "attachment; filename=\"tbtwarn-impact.csv\"", "Cache-Control", "no-store", NULL};
		enum MHD_Result x = respond(r, 200, "text/csv; charset=utf-8", b.s, b.len, h);
		buf_release(&b);
		return x;
	}
	return respond_json(r, 200, impact_aggregate(archive_store(r->w->a), sym, archive_catalog(r->w->a)));
}

/* ---- comments, trade concerns, the response-time record ---- */

/* The days from one ISO date to another (their first 10 characters), or null when either is missing. */
static json_t *days_between(const char *from, const char *to)
{
	char a[11], b[11];
	if (!from || !to || strlen(from) < 10 || strlen(to) < 10)
		return json_null();
	snprintf(a, sizeof(a), "%s", from);
	snprintf(b, sizeof(b), "%s", to);
	return json_integer(iso_days_between(a, b));
}

/* The service's own record for one notification: from its distribution to the first alert, to the published
 * analysis and to the comment sent. */
static json_t *response_times(struct req *r, const json_t *show)
{
	struct store *st = archive_store(r->w->a);
	const char *sym = json_string_value(json_object_get(show, "symbol"));
	const char *dist = json_string_value(json_object_get(json_object_get(json_object_get(show, "dates"), "distributed"), "date"));
	char first[21];
	int alerted = !alert_first_sent(r->w->a, sym, first);
	json_t *an = store_analysis_get(st, sym, 1), *cs = comment_status(st, sym);
	const char *pub = json_string_value(json_object_get(an, "published_at"));
	const char *sent = json_string_value(json_object_get(cs, "sent_on"));
	json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:o, s:o, s:o}", "symbol", sym, "distributed", dist, "first_alert",
			      alerted ? first : NULL, "analysis_published", pub, "comment_sent", sent, "days_to_first_alert",
			      days_between(dist, alerted ? first : NULL), "days_to_analysis", days_between(dist, pub),
			      "days_to_comment", days_between(dist, sent));
	json_decref(an);
	json_decref(cs);
	return o;
}

/* GET /api/notifications/{symbol}/comment (analyst, admin): the draft (?format=doc: as a Word-compatible file);
 * PUT {status, sent_on, answered_on, text}: its status. .../response-times: the service's record. */
static enum MHD_Result api_comment(struct req *r, const char *symbol, int times)
{
	struct session by;
	enum MHD_Result answered;
	char err[ERRBUF_SIZE];
	json_t *show;
	if (!staff_ok(r, ROLE_ADMIN | ROLE_ANALYST, &by, &answered))
		return answered;
	if (archive_show(r->w->a, symbol, &show, err, sizeof(err)))
		return respond_error(r, 404, "not_found", "no notification %s in the archive", symbol);
	struct store *st = archive_store(r->w->a);
	char sym[128]; /* a copy: show goes before the answer */
	snprintf(sym, sizeof(sym), "%s", json_string_value(json_object_get(show, "symbol")));
	if (times) {
		json_t *o = response_times(r, show);
		json_decref(show);
		return respond_json(r, 200, o);
	}
	if (!strcmp(r->method, "PUT")) {
		json_error_t jerr;
		json_t *body = json_loadb(r->body.s, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(body)) {
			json_decref(body);
			json_decref(show);
			return respond_error(r, 400, "bad_json", "the body is not a JSON object");
		}
		int rc = comment_put(st, sym, json_string_value(json_object_get(body, "status")),
				     json_string_value(json_object_get(body, "sent_on")),
				     json_string_value(json_object_get(body, "answered_on")), json_string_value(json_object_get(body, "text")),
				     by.user, err, sizeof(err));
		if (!rc)
			accounts_audit(st, by.user, "comment", sym, json_string_value(json_object_get(body, "status")));
		json_decref(body);
		if (rc) {
			json_decref(show);
			return respond_error(r, rc == -EINVAL ? 400 : 500, rc == -EINVAL ? "bad_parameter" : "store_failed", "%s", err);
		}
	} else if (strcmp(r->method, "GET") && !r->head) {
		json_decref(show);
		return respond_error(r, 405, "method_not_allowed", "%s is not allowed here", r->method);
	}
	json_t *impact = impact_aggregate(st, sym, archive_catalog(r->w->a)), *draft = comment_get(st, show, impact);
	json_decref(impact);
	json_decref(show);
	const char *fmt = req_param(r, "format");
	if (fmt && !strcmp(fmt, "doc")) {
		struct buf b;
		char disp[256];
		buf_init(&b, BUF_NOMAX);
		comment_doc(draft, &b);
		snprintf(disp, sizeof(disp), "attachment; filename=\"comment-%s.doc\"", sym);
		for (char *p = disp; *p; p++)
			if (*p == '/')
				*p = '-';
		const char *h[] = {"Content-Disposition", disp, "Cache-Control", "no-store", NULL};
		enum MHD_Result x = respond(r, 200, "application/msword", b.s, b.len, h);
		buf_release(&b);
		json_decref(draft);
		return x;
	}
	return respond_json(r, 200, draft);
}

/* GET /api/staff/ranking (analyst, admin): the notifications firms reported on, most affected first, then the
 * soonest deadline, with the comment's status: the dashboard's list. GET /api/staff/stc (?format=csv): the
 * candidates for specific trade concerns: reported impact, and the deadline passed or the comment unanswered. */
static enum MHD_Result api_staff(struct req *r, const char *what)
{
	struct session by;
	enum MHD_Result answered;
	if (!staff_ok(r, ROLE_ADMIN | ROLE_ANALYST, &by, &answered))
		return answered;
	if (!strcmp(what, "response-times")) {
		/* The record over notifications distributed since ?since (YYYY-MM-DD), by default the last 180 days. */
		char since[11], today[11];
		const char *p = req_param(r, "since");
		today_iso(today);
		if (p && !date_ok(p))
			return respond_error(r, 400, "bad_parameter", "since：日期格式为 YYYY-MM-DD (since: a date, YYYY-MM-DD)");
		if (p)
			snprintf(since, sizeof(since), "%s", p);
		else
			iso_add_days(today, -180, since);
		return respond_json(r, 200, response_summary(r->w->a, since));
	}
	int stc = !strcmp(what, "stc");
	if (!stc && strcmp(what, "ranking"))
		return respond_error(r, 404, "not_found", "no /api/staff/%s (ranking, stc, response-times)", what);
	json_t *out = staff_list(r->w->a, stc), *it;
	size_t i;
	const char *fmt = req_param(r, "format");
	if (stc && fmt && !strcmp(fmt, "csv")) {
		/* The dossier the national enquiry point asks provinces for: one row per measure. */
		static const char *const head[] = {"symbol", "member", "title_zh", "comment_deadline", "reports", "affected",
						   "export_value_min_cny", "comment", "comment_sent_on", "concerns"};
		struct buf b;
		buf_init(&b, BUF_NOMAX);
		buf_addstr(&b, "\xef\xbb\xbf");
		for (size_t k = 0; k < 10; k++) {
			if (k)
				buf_addch(&b, ',');
			csv_put(&b, head[k]);
		}
		buf_addstr(&b, "\r\n");
		json_array_foreach(out, i, it)
		{
			char num[3][32];
			struct buf cc;
			buf_init(&cc, BUF_NOMAX);
			json_t *c;
			size_t k;
			json_array_foreach(json_object_get(it, "concerns"), k, c)
			{
				const char *org = json_string_value(json_object_get(c, "org"));
				buf_addf(&cc, "%s%s%s%s", k ? "；" : "", org ? org : "", org ? "：" : "", json_string_value(json_object_get(c, "concern")));
			}
			snprintf(num[0], sizeof(num[0]), "%lld", (long long)json_integer_value(json_object_get(it, "reports")));
			snprintf(num[1], sizeof(num[1]), "%lld", (long long)json_integer_value(json_object_get(it, "affected")));
			snprintf(num[2], sizeof(num[2]), "%.0f", json_number_value(json_object_get(json_object_get(it, "export_value_cny"), "min")));
			const char *cells[] = {json_string_value(json_object_get(it, "symbol")), json_string_value(json_object_get(it, "member")),
					       json_string_value(json_object_get(it, "title_zh")), json_string_value(json_object_get(it, "comment_deadline")),
					       num[0], num[1], num[2], json_string_value(json_object_get(it, "comment")),
					       json_string_value(json_object_get(it, "comment_sent_on")), cc.s};
			for (size_t x = 0; x < 10; x++) {
				if (x)
					buf_addch(&b, ',');
				csv_put(&b, cells[x] ? cells[x] : "");
			}
			buf_addstr(&b, "\r\n");
			buf_release(&cc);
		}
		json_decref(out);
		const char *h[] = {"Content-Disposition", "attachment; filename=\"tbtwarn-stc-candidates.csv\"", "Cache-Control", "no-store", NULL};
		enum MHD_Result x = respond(r, 200, "text/csv; charset=utf-8", b.s, b.len, h);
		buf_release(&b);
		return x;
	}
	return respond_json(r, 200, out);
}

/* A translator's text for one field ({"field": "title", "zh": "..."}: a person's text, kept over any machine's and any
 * later crawl), or the review of the text there ({"field": "title", "reviewed": true}). Answers the record's
 * translations with their provenance. The admin token guards it until accounts with roles exist. */
static enum MHD_Result api_translation_put(struct req *r, const char *symbol, const struct session *by)
{
	char err[ERRBUF_SIZE];
	json_error_t jerr;
	if (r->w->o.read_only)
		return respond_error(r, 503, "read_only", "this server is a read-only mirror");
	json_t *body = json_loadb(r->body.s, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(body)) {
		json_decref(body);
		return respond_error(r, 400, "bad_json", "the body is not a JSON object (%s at line %d, column %d)", jerr.text,
				     jerr.line, jerr.column);
	}
	const char *field = json_string_value(json_object_get(body, "field"));
	const char *zh = json_string_value(json_object_get(body, "zh"));
	int reviewed = json_is_true(json_object_get(body, "reviewed"));
	/* A person's text is signed by the account that wrote it (the admin token's scripts may name someone). */
	const char *who = by->role == ROLE_ADMIN && !strcmp(by->user, "admin-token") ?
				  json_string_value(json_object_get(body, "who")) : by->user;
	struct tr_row t = {symbol, field ? field : "", zh, "human", NULL, NULL, who ? who : "admin", NULL, NULL, 1};
	json_t *cur = NULL;
	if (!zh && reviewed) {
		/* The text as it stands, marked reviewed. */
		cur = store_tr_get(archive_store(r->w->a), symbol);
		json_t *f = json_object_get(cur, field ? field : "");
		if (!f) {
			json_decref(cur);
			json_decref(body);
			return respond_error(r, 404, "not_found", "%s has no translation of '%s' to review", symbol,
					     field ? field : "");
		}
		t.zh = json_string_value(json_object_get(f, "zh"));
		t.by = json_string_value(json_object_get(f, "by"));
		t.provider = json_string_value(json_object_get(f, "provider"));
		t.model = json_string_value(json_object_get(f, "model"));
		t.src_sha = json_string_value(json_object_get(f, "src_sha"));
	} else if (!zh) {
		json_decref(body);
		return respond_error(r, 400, "bad_parameter", "give zh (a person's text) or reviewed: true");
	}
	int rc = archive_translation_put(r->w->a, &t, err, sizeof(err));
	if (!rc)
		accounts_audit(archive_store(r->w->a), by->user, zh ? "translation" : "translation reviewed", symbol, t.field);
	json_decref(cur);
	json_decref(body);
	if (rc == -ENOENT)
		return respond_error(r, 404, "not_found", "no notification %s in the archive", symbol);
	if (rc)
		return respond_error(r, rc == -EINVAL ? 400 : 500, rc == -EINVAL ? "bad_parameter" : "store_failed", "%s", err);
	json_t *show;
	if (archive_show(r->w->a, symbol, &show, err, sizeof(err)))
		return respond_error(r, 500, "store_failed", "%s", err);
	json_t *o = json_object();
	json_object_set(o, "translations", json_object_get(show, "translations"));
	json_object_set(o, "text", json_object_get(json_object_get(show, "text"), "zh"));
	json_decref(show);
	return respond_json(r, 200, o);
}

static enum MHD_Result api_admin(struct req *r, const char *rest)
{
	enum MHD_Result answered;
	char err[ERRBUF_SIZE];
	struct session by;
	/* Who may: the translation desk is the translators' (and the admin's); everything else the admin's. */
	int desk = starts_with(rest, "translations");
	if (!staff_ok(r, desk ? ROLE_ADMIN | ROLE_TRANSLATOR : ROLE_ADMIN, &by, &answered))
		return answered;
	if (!strcmp(rest, "audit") && !strcmp(r->method, "GET"))
		return respond_json(r, 200, accounts_audit_json(archive_store(r->w->a), 500));
	struct store *st = archive_store(r->w->a);
	if (!strcmp(rest, "subscribers") && !strcmp(r->method, "GET"))
		return respond_json(r, 200, subs_list_subscribers(st));
	if (!strcmp(rest, "outbox") && !strcmp(r->method, "GET"))
		return respond_json(r, 200, alert_outbox_json(r->w->a));
	if (starts_with(rest, "outbox/") && !strcmp(r->method, "POST")) {
		long id;
		char num[32];
		const char *p = rest + 7, *slash = strchr(p, '/');
		if (!slash || strcmp(slash, "/retry") || (size_t)(slash - p) >= sizeof(num))
			return respond_error(r, 404, "not_found", "POST /api/admin/outbox/ID/retry");
		memcpy(num, p, (size_t)(slash - p));
		num[slash - p] = '\0';
		if (parse_long(num, 1, LONG_MAX, &id))
			return respond_error(r, 400, "bad_parameter", "'%s' is not an outbox id", num);
		if (alert_outbox_retry(r->w->a, id, err, sizeof(err)))
			return respond_error(r, 404, "not_found", "%s", err);
		json_t *o = json_object();
		json_object_set_new(o, "status", json_string("due"));
		return respond_json(r, 200, o);
	}
	if (!strcmp(rest, "sources") && !strcmp(r->method, "GET"))
		return respond_json(r, 200, sources_json(r->w));
	if (starts_with(rest, "translations/") && rest[13] && !strcmp(r->method, "PUT"))
		return api_translation_put(r, rest + 13, &by);
	if (!strcmp(rest, "translations") && !strcmp(r->method, "GET")) {
		/* The review list, each with its English original beside the machine's Chinese. */
		json_t *list = store_tr_review(st, 100), *it;
		size_t i;
		json_array_foreach(list, i, it) {
			struct notif *n;
			const char *f = json_string_value(json_object_get(it, "field"));
			if (store_get(st, json_string_value(json_object_get(it, "symbol")), &n, NULL, err, sizeof(err)))
				continue;
			const struct notif_text *en = &n->text[LANG_EN];
			const char *src = !strcmp(f, "title") ? en->title : !strcmp(f, "description") ? en->description : en->products;
			json_object_set_new(it, "en", src ? json_string(src) : json_null());
			notif_free(n);
		}
		return respond_json(r, 200, list);
	}
	return respond_error(r, 404, "not_found", "no such administration endpoint: %s /api/admin/%s", r->method, rest);
}

/* ---- routing ---- */

int api_handle(struct req *r)
{
	const char *p = r->path;
	int get = !strcmp(r->method, "GET") || r->head;
	if (!starts_with(p, "/api/"))
		return -1;
	p += 5;
	if (!strcmp(p, "notifications") && get)
		return api_notifications(r);
	if (starts_with(p, "notifications/") && p[14]) {
		/* What hangs off a notification: a symbol never ends with one of these. */
		static const char *const tails[] = {"/impact", "/comment", "/response-times"};
		size_t n = strlen(p);
		int x = analysis_handle(r, p + 14);
		if (x >= 0)
			return x;
		for (int k = 0; k < 3; k++) {
			size_t tl = strlen(tails[k]);
			if (n <= 14 + tl || strcmp(p + n - tl, tails[k]))
				continue;
			char *sym = xstrndup(p + 14, n - 14 - tl);
			enum MHD_Result y = k == 0 ? api_impact_officials(r, sym) : api_comment(r, sym, k == 2);
			free(sym);
			return y;
		}
		if (get)
			return api_notification(r, p + 14);
	}
	if (!strcmp(p, "stats") && get)
		return api_stats(r);
	if (!strcmp(p, "categories") && get)
		return respond_json(r, 200, categories_json());
	if (!strcmp(p, "sources") && get)
		return respond_json(r, 200, sources_json(r->w));
	if (!strcmp(p, "export.csv") && get)
		return api_export(r, 1);
	if (!strcmp(p, "export.jsonl") && get)
		return api_export(r, 0);
	if (!strcmp(p, "preview") && get)
		return api_preview(r);
	if (!strcmp(p, "subscribe") && !strcmp(r->method, "POST"))
		return api_subscribe(r);
	if (!strcmp(p, "csrf") && get) {
		/* A token for the forms that change something: bound to the client's address, valid 12 hours. */
		char tok[GUARD_CSRF_LEN];
		guard_csrf_token(r, tok);
		json_t *o = json_object();
		json_object_set_new(o, "csrf", json_string(tok));
		return respond_json(r, 200, o);
	}
	if (!strcmp(p, "manage") && (get || !strcmp(r->method, "POST")))
		return api_manage(r);
	if (!strcmp(p, "session"))
		return api_session(r);
	if (!strcmp(p, "impact") && (get || !strcmp(r->method, "POST")))
		return api_impact(r);
	if (starts_with(p, "staff/") && get)
		return api_staff(r, p + 6);
	if (starts_with(p, "admin/"))
		return api_admin(r, p + 6);
	static const char *const known[] = {"notifications", "preview", "stats", "categories", "sources", "export.csv", "export.jsonl",
					    "subscribe", "manage", "csrf"};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(p, known[i]) || (!strcmp(known[i], "notifications") && starts_with(p, "notifications/")))
			return respond_error(r, 405, "method_not_allowed", "%s is not allowed on /api/%s", r->method, p);
	return -1;
}
