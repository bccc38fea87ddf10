/* record.c: lifecycle, merging and the canonical JSON form of the notification record. */
#include "record.h"

#include "members.h"
#include "norm.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {"", "tbt", "sps"};
static const char *const rel_names[] = {"notification", "addendum", "corrigendum", "revision", "supplement"};
static const char *const date_names[] = {"distributed", "adoption", "entry_into_force", "comment_deadline"};
static const char *const lang_names[] = {"en", "zh"};

/* The text fields in a fixed order, so that loops replace repeated code. */
#define TEXT_FIELDS(X)                                                                                                 \
	X(member_name) X(agency) X(products) X(regions) X(title) X(description) X(objectives) X(standards)         \
	    X(documents) X(reason) X(texts_from)

/* The vector fields with their JSON names. */
#define STRV_FIELDS(X)                                                                                                 \
	X(also_symbols) X(articles) X(hs) X(ics) X(objectives) X(keywords) X(doc_languages) X(document_urls)

const char *notif_type_name(enum notif_type t)
{
	return type_names[t];
}

const char *notif_rel_name(enum notif_rel r)
{
	return rel_names[r];
}

const char *notif_date_name(enum notif_date d)
{
	return date_names[d];
}

int notif_has_product_info(const struct notif *n)
{
	if (n->hs.n || n->ics.n)
		return 1;
	for (int l = 0; l < LANG_N; l++)
		if (n->text[l].products && *n->text[l].products)
			return 1;
	return 0;
}

const char *notif_title(const struct notif *n)
{
	if (n->text[LANG_EN].title)
		return n->text[LANG_EN].title;
	if (n->text[LANG_ZH].title)
		return n->text[LANG_ZH].title;
	return "";
}

struct notif *notif_new(void)
{
	struct notif *n = xcalloc(1, sizeof(*n));
#define INIT(f) strv_init(&n->f);
	STRV_FIELDS(INIT)
#undef INIT
	return n;
}

void notif_free(struct notif *n)
{
	if (!n)
		return;
	free(n->symbol);
	free(n->root_symbol);
	free(n->parent_symbol);
#define REL(f) strv_release(&n->f);
	STRV_FIELDS(REL)
#undef REL
	for (int l = 0; l < LANG_N; l++) {
#define FREE_T(f) free(n->text[l].f);
		TEXT_FIELDS(FREE_T)
#undef FREE_T
	}
	for (int d = 0; d < D_N; d++) {
		free(n->dates[d].text);
		free(n->dates[d].text_zh);
	}
	free(n->notification_url);
	free(n->eping_id);
	free(n->source);
	free(n->source_url);
	free(n->fetched_at);
	free(n->raw_sha256);
	free(n);
}

static void set_str(char **dst, const char *src)
{
	char *copy = src ? xstrdup(src) : NULL;
	free(*dst);
	*dst = copy;
}

int notif_set_symbol(struct notif *n, const char *raw, char *err, size_t errlen)
{
	struct symbol_parts sp;
	if (symbol_parse(raw, &sp)) {
		errf(err, errlen, "'%.80s' is not a notification symbol", raw);
		return -EINVAL;
	}
	set_str(&n->symbol, sp.norm);
	set_str(&n->root_symbol, sp.root);
	set_str(&n->parent_symbol, sp.parent[0] ? sp.parent : NULL);
	n->relation = sp.relation;
	n->type = sp.type;
	memcpy(n->member, sp.member, sizeof(n->member));
	return 0;
}


void notif_finish(struct notif *n)
{
	const struct member *m = member_by_code(n->member);
	if (m) {
		/* One spelling of the EU, whatever the symbol says (EEC in old documents). */
		snprintf(n->member, sizeof(n->member), "%s", m->code);
		set_str(&n->text[LANG_EN].member_name, m->name_en);
		set_str(&n->text[LANG_ZH].member_name, m->name_zh);
	}
	strv_sort_unique(&n->hs);
	strv_sort_unique(&n->ics);
	for (int d = 0; d < D_N; d++) {
		struct notif_datev *dv = &n->dates[d];
		if (!dv->iso[0] && dv->text)
			date_parse(dv->text, dv->iso);
		if (!dv->iso[0] && dv->text_zh)
			date_parse(dv->text_zh, dv->iso);
	}
	/* "60 days after notification" becomes a date once the distribution date is known. */
	struct notif_datev *c = &n->dates[D_COMMENTS];
	if (!c->iso[0] && n->dates[D_DISTRIBUTED].iso[0]) {
		int days = date_relative_days(c->text);
		if (days <= 0)
			days = date_relative_days(c->text_zh);
		if (days > 0)
			date_add_days(n->dates[D_DISTRIBUTED].iso, days, c->iso);
	}
}

static void merge_strv(struct strv *dst, const struct strv *src)
{
	if (!src->n)
		return;
	strv_release(dst);
	strv_init(dst);
	for (size_t i = 0; i < src->n; i++)
		strv_push(dst, src->items[i]);
}

static void merge_str(char **dst, const char *src)
{
	if (src && *src)
		set_str(dst, src);
}

void notif_merge(struct notif *dst, const struct notif *src)
{
	if (src->symbol && (!dst->symbol || strcmp(dst->symbol, src->symbol)))
		notif_set_symbol(dst, src->symbol, NULL, 0);
	if (src->member[0])
		memcpy(dst->member, src->member, sizeof(dst->member));
#define M_V(f) merge_strv(&dst->f, &src->f);
	STRV_FIELDS(M_V)
#undef M_V
	for (int l = 0; l < LANG_N; l++) {
#define M_T(f) merge_str(&dst->text[l].f, src->text[l].f);
		TEXT_FIELDS(M_T)
#undef M_T
	}
	for (int d = 0; d < D_N; d++) {
		const struct notif_datev *sd = &src->dates[d];
		struct notif_datev *dd = &dst->dates[d];
		if (sd->text || sd->text_zh) {
			/* Each language keeps its own wording, so re-importing either source changes nothing. */
			if (sd->text)
				set_str(&dd->text, sd->text);
			if (sd->text_zh)
				set_str(&dd->text_zh, sd->text_zh);
			memcpy(dd->iso, sd->iso, sizeof(dd->iso));
		} else if (sd->iso[0] && strcmp(dd->iso, sd->iso)) {
			/* A new date without words: the old words described the old date. */
			memcpy(dd->iso, sd->iso, sizeof(dd->iso));
			set_str(&dd->text, NULL);
			set_str(&dd->text_zh, NULL);
		}
	}
	merge_str(&dst->notification_url, src->notification_url);
	merge_str(&dst->eping_id, src->eping_id);
	merge_str(&dst->source, src->source);
	merge_str(&dst->source_url, src->source_url);
	merge_str(&dst->fetched_at, src->fetched_at);
	merge_str(&dst->raw_sha256, src->raw_sha256);
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *jstrv(const struct strv *v)
{
	json_t *a = json_array();
	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->items[i]));
	return a;
}

json_t *notif_to_json(const struct notif *n, int with_provenance)
{
	json_t *j = json_object(), *texts = json_object(), *dates = json_object(), *langs = json_array();
	json_object_set_new(j, "symbol", jstr(n->symbol));
	json_object_set_new(j, "root_symbol", jstr(n->root_symbol));
	json_object_set_new(j, "parent_symbol", jstr(n->parent_symbol));
	json_object_set_new(j, "kind", json_string(rel_names[n->relation]));
	json_object_set_new(j, "type", json_string(n->type == NT_SPS ? "SPS" : "TBT"));
	json_object_set_new(j, "member", json_string(n->member));
#define J_V(f) json_object_set_new(j, #f, jstrv(&n->f));
	STRV_FIELDS(J_V)
#undef J_V
	for (int l = 0; l < LANG_N; l++) {
		json_t *t = json_object();
#define J_T(f)                                                                                                         \
	if (n->text[l].f)                                                                                              \
		json_object_set_new(t, #f, json_string(n->text[l].f));
		TEXT_FIELDS(J_T)
#undef J_T
		/* The member's name alone does not make a language of the record. */
		if (json_object_size(t) > (n->text[l].member_name ? 1u : 0u))
			json_array_append_new(langs, json_string(lang_names[l]));
		json_object_set_new(texts, lang_names[l], t);
	}
	json_object_set_new(j, "text", texts);
	json_object_set_new(j, "languages", langs);
	for (int d = 0; d < D_N; d++) {
		json_t *dj = json_object();
		json_object_set_new(dj, "date", n->dates[d].iso[0] ? json_string(n->dates[d].iso) : json_null());
		json_object_set_new(dj, "text", jstr(n->dates[d].text));
		json_object_set_new(dj, "text_zh", jstr(n->dates[d].text_zh));
		json_object_set_new(dates, date_names[d], dj);
	}
	json_object_set_new(j, "dates", dates);
	json_object_set_new(j, "notification_url", jstr(n->notification_url));
	json_object_set_new(j, "eping_id", jstr(n->eping_id));
	if (with_provenance) {
		json_t *p = json_object();
		json_object_set_new(p, "source", jstr(n->source));
		json_object_set_new(p, "url", jstr(n->source_url));
		json_object_set_new(p, "fetched_at", jstr(n->fetched_at));
		json_object_set_new(p, "raw_sha256", jstr(n->raw_sha256));
		json_object_set_new(j, "provenance", p);
	}
	return j;
}

static char *jdup(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? xstrdup(s) : NULL;
}

static void jstrv_load(const json_t *a, struct strv *v)
{
	size_t i;
	json_t *x;
	json_array_foreach(a, i, x)
	{
		if (json_is_string(x))
			strv_push(v, json_string_value(x));
	}
}

struct notif *notif_from_json(const json_t *j)
{
	struct notif *n;
	const char *sym = json_string_value(json_object_get(j, "symbol"));
	const json_t *texts, *dates, *p;
	if (!sym)
		return NULL;
	n = notif_new();
	if (notif_set_symbol(n, sym, NULL, 0)) {
		notif_free(n);
		return NULL;
	}
	const char *member = json_string_value(json_object_get(j, "member"));
	if (member)
		snprintf(n->member, sizeof(n->member), "%s", member);
#define L_V(f) jstrv_load(json_object_get(j, #f), &n->f);
	STRV_FIELDS(L_V)
#undef L_V
	texts = json_object_get(j, "text");
	for (int l = 0; l < LANG_N; l++) {
		const json_t *t = json_object_get(texts, lang_names[l]);
		if (!t)
			continue;
#define L_T(f) n->text[l].f = jdup(t, #f);
		TEXT_FIELDS(L_T)
#undef L_T
	}
	dates = json_object_get(j, "dates");
	for (int d = 0; d < D_N; d++) {
		const json_t *dj = json_object_get(dates, date_names[d]);
		const char *iso = json_string_value(json_object_get(dj, "date"));
		if (iso && strlen(iso) == 10)
			memcpy(n->dates[d].iso, iso, 11);
		n->dates[d].text = jdup(dj, "text");
		n->dates[d].text_zh = jdup(dj, "text_zh");
	}
	n->notification_url = jdup(j, "notification_url");
	n->eping_id = jdup(j, "eping_id");
	p = json_object_get(j, "provenance");
	if (p) {
		n->source = jdup(p, "source");
		n->source_url = jdup(p, "url");
		n->fetched_at = jdup(p, "fetched_at");
		n->raw_sha256 = jdup(p, "raw_sha256");
	}
	return n;
}

/* ---- the canonical JSON, written directly ---- */

static void put_string(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	buf_addch(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			buf_addstr(b, "\\\"");
			break;
		case '\\':
			buf_addstr(b, "\\\\");
			break;
		case '\n':
			buf_addstr(b, "\\n");
			break;
		case '\r':
			buf_addstr(b, "\\r");
			break;
		case '\t':
			buf_addstr(b, "\\t");
			break;
		case '\b':
			buf_addstr(b, "\\b");
			break;
		case '\f':
			buf_addstr(b, "\\f");
			break;
		default:
			if (*p < 0x20) {
				char esc[7] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15], 0};
				buf_addstr(b, esc);
			} else {
				buf_addch(b, (char)*p);
			}
		}
	}
	buf_addch(b, '"');
}

static void put_key(struct buf *b, const char *key, int *first)
{
	if (!*first)
		buf_addch(b, ',');
	*first = 0;
	put_string(b, key);
	buf_addch(b, ':');
}

static void put_str_or_null(struct buf *b, const char *s)
{
	if (s)
		put_string(b, s);
	else
		buf_addstr(b, "null");
}

static void put_strv(struct buf *b, const struct strv *v)
{
	buf_addch(b, '[');
	for (size_t i = 0; i < v->n; i++) {
		if (i)
			buf_addch(b, ',');
		put_string(b, v->items[i]);
	}
	buf_addch(b, ']');
}

int notif_write_json(const struct notif *n, struct buf *out)
{
	/* Keys in byte order at every level, as JSON_SORT_KEYS orders them. */
	static const char *const date_keys[] = {"adoption", "comment_deadline", "distributed", "entry_into_force"};
	static const enum notif_date date_ids[] = {D_ADOPTION, D_COMMENTS, D_DISTRIBUTED, D_ENTRY_FORCE};
	int first = 1;
	buf_addch(out, '{');
	put_key(out, "also_symbols", &first);
	put_strv(out, &n->also_symbols);
	put_key(out, "articles", &first);
	put_strv(out, &n->articles);
	put_key(out, "dates", &first);
	buf_addch(out, '{');
	for (int i = 0; i < 4; i++) {
		const struct notif_datev *d = &n->dates[date_ids[i]];
		int f2 = 1;
		if (i)
			buf_addch(out, ',');
		put_string(out, date_keys[i]);
		buf_addstr(out, ":{");
		put_key(out, "date", &f2);
		put_str_or_null(out, d->iso[0] ? d->iso : NULL);
		put_key(out, "text", &f2);
		put_str_or_null(out, d->text);
		put_key(out, "text_zh", &f2);
		put_str_or_null(out, d->text_zh);
		buf_addch(out, '}');
	}
	buf_addch(out, '}');
	put_key(out, "doc_languages", &first);
	put_strv(out, &n->doc_languages);
	put_key(out, "document_urls", &first);
	put_strv(out, &n->document_urls);
	put_key(out, "eping_id", &first);
	put_str_or_null(out, n->eping_id);
	put_key(out, "hs", &first);
	put_strv(out, &n->hs);
	put_key(out, "ics", &first);
	put_strv(out, &n->ics);
	put_key(out, "keywords", &first);
	put_strv(out, &n->keywords);
	put_key(out, "kind", &first);
	put_string(out, rel_names[n->relation]);
	put_key(out, "languages", &first);
	buf_addch(out, '[');
	int nl = 0;
	for (int l = 0; l < LANG_N; l++) {
		const struct notif_text *t = &n->text[l];
		int fields = 0;
#define COUNT_T(f) fields += t->f != NULL;
		TEXT_FIELDS(COUNT_T)
#undef COUNT_T
		if (fields > (t->member_name ? 1 : 0)) {
			if (nl++)
				buf_addch(out, ',');
			put_string(out, lang_names[l]);
		}
	}
	buf_addch(out, ']');
	put_key(out, "member", &first);
	put_string(out, n->member);
	put_key(out, "notification_url", &first);
	put_str_or_null(out, n->notification_url);
	put_key(out, "objectives", &first);
	put_strv(out, &n->objectives);
	put_key(out, "parent_symbol", &first);
	put_str_or_null(out, n->parent_symbol);
	put_key(out, "root_symbol", &first);
	put_str_or_null(out, n->root_symbol);
	put_key(out, "symbol", &first);
	put_str_or_null(out, n->symbol);
	put_key(out, "text", &first);
	buf_addch(out, '{');
	for (int l = 0; l < LANG_N; l++) {
		const struct notif_text *t = &n->text[l];
		/* The fields of a language, in byte order of their names. */
		const struct {
			const char *k;
			const char *v;
		} fs[] = {{"agency", t->agency},	   {"description", t->description}, {"documents", t->documents},
			  {"member_name", t->member_name}, {"objectives", t->objectives},   {"products", t->products},
			  {"reason", t->reason},	   {"regions", t->regions},	    {"standards", t->standards},
			  {"texts_from", t->texts_from},   {"title", t->title}};
		int f2 = 1;
		if (l)
			buf_addch(out, ',');
		put_string(out, lang_names[l]);
		buf_addstr(out, ":{");
		for (size_t k = 0; k < sizeof(fs) / sizeof(fs[0]); k++)
			if (fs[k].v) {
				put_key(out, fs[k].k, &f2);
				put_string(out, fs[k].v);
			}
		buf_addch(out, '}');
	}
	buf_addch(out, '}');
	put_key(out, "type", &first);
	put_string(out, n->type == NT_SPS ? "SPS" : "TBT");
	return buf_addch(out, '}');
}

/* Compares two symbols with their numbers as numbers ("Add.10" after "Add.9"). */
static int symbol_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			char *ea, *eb;
			unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);
			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int notif_doc_order(const struct notif *a, const struct notif *b)
{
	const char *da = a->dates[D_DISTRIBUTED].iso, *db = b->dates[D_DISTRIBUTED].iso;
	if (*da && *db && strcmp(da, db))
		return strcmp(da, db);
	/* Without both dates, the base comes first and the rest by symbol. */
	if ((a->relation == REL_NONE) != (b->relation == REL_NONE))
		return a->relation == REL_NONE ? -1 : 1;
	return symbol_cmp(a->symbol, b->symbol);
}

static int says_withdrawn(const struct notif *n)
{
	static const char *const words[] = {"withdrawn", "revoked", "撤回", "撤销", "废止", NULL};
	for (int l = 0; l < LANG_N; l++)
		for (int i = 0; words[i] && n->text[l].reason; i++)
			if (strcasestr_ascii(n->text[l].reason, words[i]))
				return 1;
	return 0;
}

void notif_effective(struct notif *const *docs, size_t n, struct notif_effective *e)
{
	memset(e, 0, sizeof(*e));
	const struct notif **sorted = xcalloc(n ? n : 1, sizeof(*sorted));
	for (size_t i = 0; i < n; i++) {
		/* Insertion sort: a measure has a handful of documents. */
		size_t j = i;
		while (j && notif_doc_order(sorted[j - 1], docs[i]) > 0) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = docs[i];
	}
	for (size_t i = 0; i < n; i++) {
		const struct notif *d = sorted[i];
		for (int k = D_ADOPTION; k < D_N; k++)
			if (d->dates[k].iso[0]) {
				memcpy(e->d[k].iso, d->dates[k].iso, sizeof(e->d[k].iso));
				snprintf(e->d[k].by, sizeof(e->d[k].by), "%s", d->symbol);
			}
		if (says_withdrawn(d))
			snprintf(e->withdrawn_by, sizeof(e->withdrawn_by), "%s", d->symbol);
	}
	if (n) {
		/* The distribution date is the measure's first. */
		memcpy(e->d[D_DISTRIBUTED].iso, sorted[0]->dates[D_DISTRIBUTED].iso, sizeof(e->d[0].iso));
		snprintf(e->d[D_DISTRIBUTED].by, sizeof(e->d[0].by), "%s", sorted[0]->symbol);
	}
	free(sorted);
}
