/* impact.c: firms' impact reports and their aggregation (impact.h). */
#include "impact.h"
#include "classify.h"
#include "csv.h"
#include "db.h"
#include "text.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* This module's table, its step of the schema (16): one report per subscriber and notification. */
static const struct db_migration impact_schema[] = {
	{16, "impact",
	 "CREATE TABLE impact_reports ("
	 "  id INTEGER PRIMARY KEY,"
	 "  subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,"
	 "  symbol TEXT NOT NULL,"
	 "  affected TEXT NOT NULL," /* yes, no, unsure */
	 "  hs TEXT, markets TEXT,"
	 "  export_value TEXT," /* lt1m, 1m-10m, 10m-100m, gt100m */
	 "  concern TEXT,"
	 "  join_in TEXT NOT NULL DEFAULT 'none'," /* comment, stc, none */
	 "  consent INTEGER NOT NULL DEFAULT 0,"
	 "  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
	 "  UNIQUE (subscriber_id, symbol));"
	 "CREATE INDEX impact_reports_symbol ON impact_reports (symbol);"},
};

/* 18: the firm's city, so that concerns can be grouped by city. */
static const struct db_migration impact_schema_18[] = {
	{18, "impact", "ALTER TABLE impact_reports ADD COLUMN city TEXT;"},
};

const char *const impact_cities[] = {"广州", "深圳", "珠海", "汕头", "佛山", "韶关", "湛江", "肇庆", "江门", "茂名", "惠州",
				     "梅州", "汕尾", "河源", "阳江", "清远", "东莞", "中山", "潮州", "揭阳", "云浮", "其他", NULL};

__attribute__((constructor)) static void impact_schema_register(void)
{
	db_schema_register(impact_schema, sizeof(impact_schema) / sizeof(impact_schema[0]));
	db_schema_register(impact_schema_18, 1);
}

/* The export value's ranges in CNY a year: {min, max} (max 0: no upper bound). */
static const struct {
	const char *code;
	double min, max;
} ranges[] = {{"lt1m", 0, 1e6}, {"1m-10m", 1e6, 1e7}, {"10m-100m", 1e7, 1e8}, {"gt100m", 1e8, 0}};

/* Digits, commas, dots and spaces (HS codes); letters, commas and spaces (markets): at most max bytes. */
static int codes_ok(const char *v, size_t max, int letters)
{
	if (!v)
		return 1;
	if (strlen(v) > max)
		return 0;
	for (const char *p = v; *p; p++) {
		int ok = (*p >= '0' && *p <= '9') || *p == ',' || *p == ' ' || *p == '.' ||
			 (letters && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '-'));
		if (!ok)
			return 0;
	}
	return 1;
}

int impact_put(struct store *st, int64_t subscriber, const char *symbol, const struct impact_report *r, char *err,
	       size_t errlen)
{
	static const char *const affected[] = {"yes", "no", "unsure", NULL};
	static const char *const values[] = {"lt1m", "1m-10m", "10m-100m", "gt100m", NULL};
	static const char *const joins[] = {"comment", "stc", "none", NULL};
	const char *why = !str_one_of(r->affected, affected) ? "affected：请选择 yes、no 或 unsure (affected: yes, no or unsure)"
		: r->export_value && *r->export_value && !str_one_of(r->export_value, values)
			? "export_value：lt1m、1m-10m、10m-100m 或 gt100m (a range of CNY a year)"
		: r->join && *r->join && !str_one_of(r->join, joins) ? "join：comment、stc 或 none"
		: !codes_ok(r->hs, 200, 0)                        ? "hs：以逗号分隔的 HS 编码 (HS codes, digits and commas)"
		: !codes_ok(r->markets, 200, 1)                   ? "markets：以逗号分隔的市场代码 (member codes, letters and commas)"
		: r->city && *r->city && !str_one_of(r->city, impact_cities)
			? "city：请选择广东省的地级市或“其他” (city: one of Guangdong's cities, or 其他)"
		: r->concern && (strlen(r->concern) > 2000 || !utf8_valid(r->concern, strlen(r->concern), NULL))
			? "concern：最多 2000 字节 (at most 2,000 bytes of text)"
			: NULL;
	if (why) {
		errf(err, errlen, "%s", why);
		return -EINVAL;
	}
	struct db *db = store_db(st);
	struct db_stmt *q;
	char now[21];
	if (db_prepare(db, "INSERT INTO impact_reports (subscriber_id, symbol, affected, hs, markets, export_value, concern, "
			   "join_in, consent, created_at, updated_at, city) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11) "
			   "ON CONFLICT (subscriber_id, symbol) DO UPDATE SET affected = excluded.affected, hs = excluded.hs, "
			   "markets = excluded.markets, export_value = excluded.export_value, concern = excluded.concern, "
			   "join_in = excluded.join_in, consent = excluded.consent, updated_at = excluded.updated_at, "
			   "city = excluded.city",
		       &q)) {
		errf(err, errlen, "save the report: %s", db_errmsg(db));
		return -TBT_EDB;
	}
	now_iso(now);
	db_bind_int64(q, 1, subscriber);
	db_bind_text(q, 2, symbol);
	db_bind_text(q, 3, r->affected);
	db_bind_text(q, 4, r->hs && *r->hs ? r->hs : NULL);
	db_bind_text(q, 5, r->markets && *r->markets ? r->markets : NULL);
	db_bind_text(q, 6, r->export_value && *r->export_value ? r->export_value : NULL);
	db_bind_text(q, 7, r->concern && *r->concern ? r->concern : NULL);
	db_bind_text(q, 8, r->join && *r->join ? r->join : "none");
	db_bind_int64(q, 9, r->consent ? 1 : 0);
	db_bind_text(q, 10, now);
	db_bind_text(q, 11, r->city && *r->city ? r->city : NULL);
	int rc = db_step(q);
	db_finalize(q);
	if (rc != DB_DONE) {
		errf(err, errlen, "save the report: %s", db_errmsg(db));
		return -TBT_EDB;
	}
	return 0;
}

static const char *const report_cols[] = {"affected", "hs", "markets", "export_value", "concern", "join", "consent",
					  "updated_at", "org", "email", "city"};
#define REPORT_COLS 11

/* One row of the reports' columns (report_cols, in that order) as an object. */
static json_t *report_json(struct db_stmt *q)
{
	json_t *o = json_object();
	for (int i = 0; i < REPORT_COLS; i++) {
		if (i == 6)
			json_object_set_new(o, "consent", json_boolean(db_col_int(q, i)));
		else
			json_object_set_new(o, report_cols[i], db_col_text(q, i) ? json_string(db_col_text(q, i)) : json_null());
	}
	return o;
}

#define REPORT_SELECT                                                                                                  \
	"SELECT r.affected, r.hs, r.markets, r.export_value, r.concern, r.join_in, r.consent, r.updated_at, p.org, "    \
	"p.email, r.city FROM impact_reports r JOIN subscribers p ON p.id = r.subscriber_id "

json_t *impact_get(struct store *st, int64_t subscriber, const char *symbol)
{
	struct db_stmt *q;
	json_t *o = NULL;
	if (db_prepare(store_db(st), REPORT_SELECT "WHERE r.subscriber_id = ?1 AND r.symbol = ?2", &q))
		return NULL;
	db_bind_int64(q, 1, subscriber);
	db_bind_text(q, 2, symbol);
	if (db_step(q) == DB_ROW) {
		o = report_json(q);
		json_object_del(o, "org");
		json_object_del(o, "email");
	}
	db_finalize(q);
	return o;
}

/* The categories of cats a report's HS codes fall in (their prefixes), as ids; "unspecified" when none. */
static json_t *report_categories(const struct catalog *cats, const char *hs)
{
	json_t *ids = json_array();
	char *codes = hs ? xstrdup(hs) : NULL;
	for (size_t i = 0; cats && codes && i < catalog_count(cats); i++) {
		const struct category *c = catalog_get(cats, i);
		int hit = 0;
		char *dup = xstrdup(codes);
		for (char *tok = dup, *save = NULL; !hit && (tok = strtok_r(tok, ", ", &save)); tok = NULL) {
			char digits[16];
			size_t k = 0;
			for (const char *p = tok; *p && k < sizeof(digits) - 1; p++)
				if (*p >= '0' && *p <= '9')
					digits[k++] = *p;
			digits[k] = '\0';
			for (size_t j = 0; k && !hit && j < c->hs.n; j++)
				hit = starts_with(digits, c->hs.items[j]);
		}
		free(dup);
		if (hit)
			json_array_append_new(ids, json_string(c->id));
	}
	free(codes);
	if (!json_array_size(ids))
		json_array_append_new(ids, json_string("unspecified"));
	return ids;
}

/* Counts one report into a group of by (created with name_zh when new). */
static void count_into(json_t *by, const char *key, const char *name_zh, int affected, int concern)
{
	json_t *g = json_object_get(by, key);
	if (!g) {
		g = json_pack("{s:i, s:i, s:i}", "reports", 0, "affected", 0, "concerns", 0);
		if (name_zh)
			json_object_set_new(g, "name_zh", json_string(name_zh));
		json_object_set_new(by, key, g);
	}
	json_object_set_new(g, "reports", json_integer(json_integer_value(json_object_get(g, "reports")) + 1));
	json_object_set_new(g, "affected", json_integer(json_integer_value(json_object_get(g, "affected")) + affected));
	json_object_set_new(g, "concerns", json_integer(json_integer_value(json_object_get(g, "concerns")) + concern));
}

json_t *impact_aggregate(struct store *st, const char *symbol, const struct catalog *cats)
{
	struct db_stmt *q;
	json_t *o = json_object(), *concerns = json_array(), *markets = json_object();
	json_t *by_city = json_object(), *by_cat = json_object();
	long reports = 0, yes = 0, no = 0, unsure = 0, comment = 0, stc = 0;
	double min = 0, max = 0;
	int open_top = 0;
	if (!db_prepare(store_db(st), REPORT_SELECT "WHERE r.symbol = ?1 ORDER BY r.id", &q)) {
		db_bind_text(q, 1, symbol);
		while (db_step(q) == DB_ROW) {
			json_t *r = report_json(q);
			const char *a = json_string_value(json_object_get(r, "affected"));
			const char *v = json_string_value(json_object_get(r, "export_value"));
			const char *j = json_string_value(json_object_get(r, "join"));
			const char *mk = json_string_value(json_object_get(r, "markets"));
			reports++;
			yes += !strcmp(a, "yes");
			no += !strcmp(a, "no");
			unsure += !strcmp(a, "unsure");
			comment += j && !strcmp(j, "comment");
			stc += j && !strcmp(j, "stc");
			for (size_t i = 0; v && i < sizeof(ranges) / sizeof(ranges[0]); i++)
				if (!strcmp(v, ranges[i].code) && strcmp(a, "no")) {
					min += ranges[i].min;
					max += ranges[i].max;
					open_top |= ranges[i].max == 0;
				}
			/* Markets counted by code as the firms wrote them. */
			char *m = mk ? xstrdup(mk) : NULL;
			for (char *tok = m, *save = NULL; m && (tok = strtok_r(tok, ", ", &save)); tok = NULL) {
				json_t *c = json_object_get(markets, tok);
				json_object_set_new(markets, tok, json_integer(c ? json_integer_value(c) + 1 : 1));
			}
			free(m);
			/* Grouped by the firm's city and by the categories of the products it named. */
			const char *city = json_string_value(json_object_get(r, "city"));
			int hit = !strcmp(a, "yes"), has = json_string_value(json_object_get(r, "concern")) != NULL;
			json_t *ids = report_categories(cats, json_string_value(json_object_get(r, "hs")));
			count_into(by_city, city ? city : "未注明", NULL, hit, has);
			size_t k;
			json_t *id;
			json_array_foreach(ids, k, id)
			{
				const struct category *c = cats ? catalog_find(cats, json_string_value(id)) : NULL;
				if (cats)
					count_into(by_cat, json_string_value(id), c ? c->name_zh : "未注明产品", hit, has);
			}
			/* Concerns without names unless the firm consented. */
			if (has) {
				json_t *c = json_pack("{s:O, s:O, s:O, s:O, s:O}", "concern", json_object_get(r, "concern"), "affected",
						      json_object_get(r, "affected"), "export_value", json_object_get(r, "export_value"),
						      "city", json_object_get(r, "city"), "categories", ids);
				if (json_is_true(json_object_get(r, "consent")))
					json_object_set(c, "org", json_object_get(r, "org"));
				json_array_append_new(concerns, c);
			}
			json_decref(ids);
			json_decref(r);
		}
		db_finalize(q);
	}
	json_object_set_new(o, "symbol", json_string(symbol));
	json_object_set_new(o, "reports", json_integer(reports));
	json_object_set_new(o, "affected", json_integer(yes));
	json_object_set_new(o, "unsure", json_integer(unsure));
	json_object_set_new(o, "not_affected", json_integer(no));
	json_object_set_new(o, "export_value_cny", json_pack("{s:f, s:o}", "min", min, "max", open_top ? json_null() : json_real(max)));
	json_object_set_new(o, "join", json_pack("{s:i, s:i}", "comment", (int)comment, "stc", (int)stc));
	json_object_set_new(o, "by_market", markets);
	json_object_set_new(o, "by_city", by_city);
	json_object_set_new(o, "by_category", by_cat);
	json_object_set_new(o, "concerns", concerns);
	return o;
}

void impact_csv(struct store *st, const char *symbol, struct buf *out)
{
	static const char *const head[] = {"symbol", "affected", "hs", "markets", "export_value", "concern", "join",
					   "consent", "updated_at", "org", "city"};
	struct db_stmt *q;
	buf_addstr(out, "\xef\xbb\xbf");
	for (size_t i = 0; i < 11; i++) {
		if (i)
			buf_addch(out, ',');
		csv_put(out, head[i]);
	}
	buf_addstr(out, "\r\n");
	if (db_prepare(store_db(st), REPORT_SELECT "WHERE r.symbol = ?1 ORDER BY r.id", &q))
		return;
	db_bind_text(q, 1, symbol);
	while (db_step(q) == DB_ROW) {
		csv_put(out, symbol);
		for (int i = 0; i < 8; i++) {
			buf_addch(out, ',');
			csv_put(out, i == 6 ? (db_col_int(q, i) ? "yes" : "no") : db_col_text(q, i) ? db_col_text(q, i) : "");
		}
		/* The firm's name only with its consent. */
		buf_addch(out, ',');
		csv_put(out, db_col_int(q, 6) && db_col_text(q, 8) ? db_col_text(q, 8) : "");
		buf_addch(out, ',');
		csv_put(out, db_col_text(q, 10) ? db_col_text(q, 10) : "");
		buf_addstr(out, "\r\n");
	}
	db_finalize(q);
}

json_t *impact_ranking(struct store *st)
{
	struct db_stmt *q;
	json_t *a = json_array();
	if (db_prepare(store_db(st), "SELECT symbol, count(*), sum(CASE WHEN affected = 'yes' THEN 1 ELSE 0 END) AS hit "
				     "FROM impact_reports GROUP BY symbol ORDER BY hit DESC, symbol LIMIT 500",
		       &q))
		return a;
	while (db_step(q) == DB_ROW)
		json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "symbol", db_col_text(q, 0), "reports",
						   (json_int_t)db_col_int64(q, 1), "affected", (json_int_t)db_col_int64(q, 2)));
	db_finalize(q);
	return a;
}
