/* export.c: the one writer of research exports: the same columns for `tbtwarn search --csv` and /api/export.csv. */
#include "export.h"

#include "classify.h"
#include "csv.h"
#include "members.h"
#include "summary.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The columns, in order; every one is a string in the record (lists joined). */
static const char *const columns[] = {
    "symbol",      "type",        "kind",     "member",         "member_name",  "member_name_zh",
    "title",       "title_zh",    "distributed", "comment_deadline", "days_left", "categories",
    "category_names", "hs",       "ics",      "objectives",     "risk",         "products",
    "description", "notification_url", "details", NULL,
};

json_t *export_record(struct archive *a, const json_t *hit, const char *today, enum export_lang lang)
{
	json_t *r = json_deep_copy(hit);
	struct notif *n = NULL;
	char err[ERRBUF_SIZE];
	const char *sym = json_string_value(json_object_get(hit, "symbol"));
	json_object_del(r, "score");
	const char *dl = json_string_value(json_object_get(hit, "comment_deadline"));
	json_object_set_new(r, "days_left", dl ? json_integer(iso_days_between(today, dl)) : json_null());
	/* Category names in the export's language. */
	json_t *names = json_array();
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(hit, "categories"), i, c) {
		const struct category *cat = catalog_find(archive_catalog(a), json_string_value(c));
		if (cat)
			json_array_append_new(names, json_string(lang == EXPORT_ZH ? cat->name_zh : cat->name_en));
	}
	json_object_set_new(r, "category_names", names);
	json_t *objs = json_array();
	if (sym && !store_get(archive_store(a), sym, &n, NULL, err, sizeof(err))) {
		for (size_t k = 0; k < n->objectives.n; k++) {
			const char *o = n->objectives.items[k];
			if (lang == EXPORT_ZH && objective_zh(o))
				o = objective_zh(o);
			json_array_append_new(objs, json_string(o));
		}
		/* The export's language first, the other when it has none. */
		const struct notif_text *first = &n->text[lang == EXPORT_ZH ? LANG_ZH : LANG_EN],
					*other = &n->text[lang == EXPORT_ZH ? LANG_EN : LANG_ZH];
		const char *products = first->products ? first->products : other->products;
		const char *description = first->description ? first->description : other->description;
		json_object_set_new(r, "products", products ? json_string(products) : json_null());
		json_object_set_new(r, "description", description ? json_string(description) : json_null());
		json_object_set_new(r, "notification_url", n->notification_url ? json_string(n->notification_url) : json_null());
		notif_free(n);
	}
	json_object_set_new(r, "objectives", objs);
	char details[200];
	snprintf(details, sizeof(details), "/n/%s", sym ? sym : "");
	json_object_set_new(r, "details", json_string(details));
	return r;
}

void export_csv_header(struct buf *out)
{
	buf_addstr(out, "\xEF\xBB\xBF");
	for (int i = 0; columns[i]; i++)
		buf_addf(out, "%s%s", i ? "," : "", columns[i]);
	buf_addstr(out, "\r\n");
}

void export_csv_row(struct buf *out, const json_t *rec)
{
	for (int i = 0; columns[i]; i++) {
		const json_t *v = json_object_get(rec, columns[i]);
		if (i)
			buf_addch(out, ',');
		if (json_is_array(v)) {
			struct buf l;
			size_t k;
			json_t *x;
			buf_init(&l, BUF_NOMAX);
			json_array_foreach(v, k, x) {
				if (k)
					buf_addch(&l, ';');
				buf_addstr(&l, json_string_value(x) ? json_string_value(x) : "");
			}
			csv_put(out, l.s ? l.s : "");
			buf_release(&l);
		} else if (json_is_integer(v)) {
			/* A number as it is: csv_put would guard a leading '-' against spreadsheet formulas. */
			buf_addf(out, "%lld", (long long)json_integer_value(v));
		} else {
			csv_put(out, json_string_value(v) ? json_string_value(v) : "");
		}
	}
	buf_addstr(out, "\r\n");
}

void export_jsonl_row(struct buf *out, const json_t *rec)
{
	char *line = json_dumps(rec, JSON_COMPACT);
	buf_addstr(out, line);
	buf_addch(out, '\n');
	free(line);
}
