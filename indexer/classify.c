/* classify.c: matching notifications to Guangdong's export categories, the risk rule, and the HS/ICS tables. */
#include "classify.h"

#include "buf.h"
#include "csv.h"
#include "members.h"
#include "norm.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const char tbt_categories_tsv[];
extern const char tbt_hs_csv[];
extern const char tbt_ics_tsv[];

/* One product term or exclusion, indexed by its first two bytes so that a text is scanned once for all of them. */
struct term_ref {
	const char *term;    /* what is matched (a plural form for "battery": "batteries") */
	const char *display; /* the term as written in the table */
	size_t len;
	unsigned short cat;
	unsigned char exclude, zh;
};

struct catalog {
	struct category *cats;
	size_t n;
	struct term_ref *terms;
	size_t nterms;
	unsigned *bucket; /* 65537 offsets into terms, by the first two bytes */
	struct strv plurals; /* owned storage of the generated plural forms */
	/* Proximity terms, "lithium ~ battery": both words within PROXIMITY_WORDS of each other, in either order. */
	struct prox {
		char *a, *b;
		const char *display;
		unsigned short cat;
	} *prox;
	size_t nprox;
};

#define PROXIMITY_WORDS 5

static void split_list(const char *s, struct strv *out, int lower)
{
	strv_init(out);
	while (s && *s) {
		size_t n = strcspn(s, ";");
		char *v = strndup_trim(s, n);
		if (*v) {
			if (lower)
				str_lower_ascii(v);
			strv_push_owned(out, v);
		} else {
			free(v);
		}
		s += n;
		if (*s)
			s++;
	}
}

static unsigned key2(const char *t)
{
	return ((unsigned)(unsigned char)t[0] << 8) | (unsigned char)t[1];
}

static void add_term(struct catalog *c, struct term_ref **v, size_t *cap, const char *term, const char *display,
		     unsigned short cat, int exclude)
{
	if (strlen(term) < 2)
		return;
	if (c->nterms == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	struct term_ref *r = &(*v)[c->nterms++];
	r->term = term;
	r->display = display;
	r->len = strlen(term);
	r->cat = cat;
	r->exclude = (unsigned char)exclude;
	r->zh = (unsigned char)term[0] >= 0x80;
}

static int cmp_term(const void *a, const void *b)
{
	unsigned ka = key2(((const struct term_ref *)a)->term), kb = key2(((const struct term_ref *)b)->term);
	return ka < kb ? -1 : ka > kb;
}

/* Indexes every term by its first two bytes (a counting sort), with the "-ies" plural of English terms in -y. */
static void build_index(struct catalog *c)
{
	struct term_ref *v = NULL;
	size_t cap = 0;
	strv_init(&c->plurals);
	for (size_t i = 0; i < c->n; i++) {
		const struct category *k = &c->cats[i];
		const struct strv *lists[3] = {&k->kw_en, &k->kw_zh, &k->exclude};
		for (int l = 0; l < 3; l++)
			for (size_t j = 0; j < lists[l]->n; j++) {
				const char *t = lists[l]->items[j];
				const char *tilde = strstr(t, " ~ ");
				if (tilde && l == 0) {
					c->prox = xrealloc(c->prox, (c->nprox + 1) * sizeof(*c->prox));
					struct prox *p = &c->prox[c->nprox++];
					p->a = strndup_trim(t, (size_t)(tilde - t));
					p->b = strndup_trim(tilde + 3, strlen(tilde + 3));
					p->display = t;
					p->cat = (unsigned short)i;
					continue;
				}
				add_term(c, &v, &cap, t, t, (unsigned short)i, l == 2);
				size_t n = strlen(t);
				if ((unsigned char)t[0] < 0x80 && n > 2 && t[n - 1] == 'y') {
					char *pl = xmalloc(n + 3);
					memcpy(pl, t, n - 1);
					memcpy(pl + n - 1, "ies", 4);
					strv_push_owned(&c->plurals, pl);
					add_term(c, &v, &cap, pl, t, (unsigned short)i, l == 2);
				}
			}
	}
	qsort(v, c->nterms, sizeof(*v), cmp_term);
	c->terms = v;
	c->bucket = xcalloc(65537, sizeof(unsigned));
	for (size_t i = 0; i < c->nterms; i++)
		c->bucket[key2(v[i].term) + 1]++;
	for (unsigned k = 0; k < 65536; k++)
		c->bucket[k + 1] += c->bucket[k];
}

struct catalog *catalog_parse(const char *path, const char *tsv, char *err, size_t errlen)
{
	struct catalog *c = xcalloc(1, sizeof(*c));
	int line = 0, header = 1;
	for (const char *p = tsv; *p;) {
		const char *eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		line++;
		if (*p == '#' || eol == p) {
			p = *eol ? eol + 1 : eol;
			continue;
		}
		if (header) {
			header = 0;
			p = *eol ? eol + 1 : eol;
			continue;
		}
		int tabs = 0;
		for (const char *q = p; q < eol; q++)
			tabs += *q == '\t';
		if (tabs < 7) {
			errf(err, errlen, "%s:%d: expected 9 tab-separated columns (id, name_en, name_zh, hs_prefixes, ics_codes, "
					  "keywords_en, keywords_zh, exclude, evidence), found %d",
			     path, line, tabs + 1);
			catalog_free(c);
			return NULL;
		}
		c->cats = xrealloc(c->cats, (c->n + 1) * sizeof(*c->cats));
		struct category *k = &c->cats[c->n++];
		memset(k, 0, sizeof(*k));
		char *hs, *ics, *en, *zh, *ex;
		k->id = tsv_field(&p);
		k->name_en = tsv_field(&p);
		k->name_zh = tsv_field(&p);
		hs = tsv_field(&p);
		ics = tsv_field(&p);
		en = tsv_field(&p);
		zh = tsv_field(&p);
		ex = tsv_field(&p);
		k->evidence = *p && *p != '\n' ? tsv_field(&p) : xstrdup("");
		split_list(hs, &k->hs, 0);
		split_list(ics, &k->ics, 0);
		split_list(en, &k->kw_en, 1);
		split_list(zh, &k->kw_zh, 0);
		split_list(ex, &k->exclude, 1);
		free(hs);
		free(ics);
		free(en);
		free(zh);
		free(ex);
		for (size_t i = 0; i < k->hs.n; i++) {
			char norm[32];
			if (hs_normalize(k->hs.items[i], norm, sizeof(norm))) {
				errf(err, errlen, "%s:%d: category '%s': '%s' is not an HS code", path, line, k->id, k->hs.items[i]);
				catalog_free(c);
				return NULL;
			}
		}
		for (size_t i = 0; i + 1 < c->n; i++)
			if (!strcmp(c->cats[i].id, k->id)) {
				errf(err, errlen, "%s:%d: category id '%s' defined twice", path, line, k->id);
				catalog_free(c);
				return NULL;
			}
		p = *eol ? eol + 1 : eol;
	}
	if (!c->n) {
		errf(err, errlen, "%s: no categories", path);
		catalog_free(c);
		return NULL;
	}
	build_index(c);
	return c;
}

static struct catalog *default_catalog;

static void load_default_catalog(void)
{
	char err[ERRBUF_SIZE];
	/* The embedded table is tested at build time (test_classify); were it broken, no categories rather than a stop. */
	if (!(default_catalog = catalog_parse("(built-in categories.tsv)", tbt_categories_tsv, err, sizeof(err)))) {
		fprintf(stderr, "tbtwarn: the built-in category table: %s (no categories)\n", err);
		default_catalog = xcalloc(1, sizeof(*default_catalog));
		build_index(default_catalog);
	}
}

struct catalog *catalog_default(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT; /* the web's search threads may ask first */
	pthread_once(&once, load_default_catalog);
	return default_catalog;
}

struct catalog *catalog_load(const char *path, char *err, size_t errlen)
{
	struct buf b;
	if (!path)
		return catalog_default();
	buf_init(&b, 16 * 1024 * 1024);
	int rc = buf_read_file(&b, path);
	if (rc) {
		errf(err, errlen, "%s: %s", path, strerror(-rc));
		buf_release(&b);
		return NULL;
	}
	struct catalog *c = catalog_parse(path, b.s, err, errlen);
	buf_release(&b);
	return c;
}

void catalog_free(struct catalog *c)
{
	if (!c || c == catalog_default())
		return;
	for (size_t i = 0; i < c->n; i++) {
		struct category *k = &c->cats[i];
		free(k->id);
		free(k->name_en);
		free(k->name_zh);
		free(k->evidence);
		strv_release(&k->hs);
		strv_release(&k->ics);
		strv_release(&k->kw_en);
		strv_release(&k->kw_zh);
		strv_release(&k->exclude);
	}
	free(c->cats);
	free(c->terms);
	free(c->bucket);
	strv_release(&c->plurals);
	for (size_t i = 0; i < c->nprox; i++) {
		free(c->prox[i].a);
		free(c->prox[i].b);
	}
	free(c->prox);
	free(c);
}

size_t catalog_count(const struct catalog *c)
{
	return c->n;
}

const struct category *catalog_get(const struct catalog *c, size_t i)
{
	return i < c->n ? &c->cats[i] : NULL;
}

const struct category *catalog_find(const struct catalog *c, const char *id)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->cats[i].id, id))
			return &c->cats[i];
	return NULL;
}

/* ---- text matching ---- */

/* Is the English term at s[i..i+n) a whole word, allowing a plural ending (s, es, ies for y)? Returns its end. */
static const char *word_match(const char *text, const char *at, size_t n)
{
	if (at > text && (isalnum((unsigned char)at[-1]) || at[-1] == '-'))
		return NULL;
	const char *e = at + n;
	if (*e == '-')
		return NULL; /* "plug" is not "plug-in" */
	if (!isalnum((unsigned char)*e))
		return e;
	if (*e == 's' && !isalnum((unsigned char)e[1]))
		return e + 1;
	if (!strncmp(e, "es", 2) && !isalnum((unsigned char)e[2]))
		return e + 2;
	return NULL;
}

struct texts {
	char *field[4]; /* title, products, keywords, description: English lower-cased, Chinese as is */
};

enum { TX_TITLE, TX_PRODUCTS, TX_KEYWORDS, TX_DESC };
static const char *const tx_names[] = {"title", "products", "keywords", "description"};
static const double tx_weight[] = {0.8, 0.8, 0.7, 0.45};

static void texts_build(const struct notif *n, struct texts *t)
{
	for (int f = 0; f < 4; f++) {
		struct buf b;
		buf_init(&b, BUF_NOMAX);
		for (int l = 0; l < LANG_N; l++) {
			const struct notif_text *x = &n->text[l];
			const char *v = f == TX_TITLE ? x->title : f == TX_PRODUCTS ? x->products : f == TX_DESC ? x->description : NULL;
			if (v) {
				buf_addstr(&b, v);
				buf_addch(&b, '\n');
			}
		}
		if (f == TX_KEYWORDS)
			for (size_t i = 0; i < n->keywords.n; i++) {
				buf_addstr(&b, n->keywords.items[i]);
				buf_addch(&b, '\n');
			}
		str_lower_ascii(b.s);
		t->field[f] = buf_detach(&b);
	}
}

static void texts_free(struct texts *t)
{
	for (int f = 0; f < 4; f++)
		free(t->field[f]);
}

static void add_evidence(char *ev, size_t evlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void add_evidence(char *ev, size_t evlen, const char *fmt, ...)
{
	va_list ap;
	size_t l = strlen(ev);
	if (l + 4 >= evlen)
		return;
	if (l)
		l += (size_t)snprintf(ev + l, evlen - l, "; ");
	va_start(ap, fmt);
	vsnprintf(ev + l, evlen - l, fmt, ap);
	va_end(ap);
}

/* How many categories a code relates to (by prefix, either way): a heading that spans several is weak evidence. */
static int hs_spread(const struct catalog *c, const char *h)
{
	int k = 0;
	for (size_t i = 0; i < c->n; i++)
		for (size_t j = 0; j < c->cats[i].hs.n; j++) {
			const char *p = c->cats[i].hs.items[j];
			if (starts_with(h, p) || starts_with(p, h)) {
				k++;
				break;
			}
		}
	return k;
}

static int ics_related(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	/* 33.050 relates to 33.050.10 and to 33.050, but 33 alone is too coarse to count. */
	if (la < 6 || lb < 6)
		return 0;
	return (starts_with(a, b) && (a[lb] == '\0' || a[lb] == '.')) || (starts_with(b, a) && (b[la] == '\0' || b[la] == '.'));
}

static int ics_spread(const struct catalog *c, const char *code)
{
	int k = 0;
	for (size_t i = 0; i < c->n; i++)
		for (size_t j = 0; j < c->cats[i].ics.n; j++)
			if (ics_related(code, c->cats[i].ics.items[j])) {
				k++;
				break;
			}
	return k;
}

/* What one scan of a record's texts found for one category. */
struct hits {
	const char *first[4]; /* the first term found in each field (its display form) */
	const char *desc2;    /* a second, different term in the description */
	int excluded;
};

/* Scans each field once, looking up every position's first two bytes among the terms of all categories. */
static void scan(const struct catalog *c, const struct texts *t, struct hits *h)
{
	for (int f = 0; f < 4; f++) {
		const char *s = t->field[f];
		size_t len = strlen(s);
		for (size_t i = 0; i + 1 < len; i++) {
			unsigned k = key2(s + i);
			for (unsigned j = c->bucket[k]; j < c->bucket[k + 1]; j++) {
				const struct term_ref *r = &c->terms[j];
				if (r->len > len - i || memcmp(s + i, r->term, r->len))
					continue;
				if (!r->zh && !word_match(s, s + i, r->len))
					continue;
				struct hits *x = &h[r->cat];
				if (r->exclude) {
					x->excluded = 1;
				} else if (!x->first[f]) {
					x->first[f] = r->display;
				} else if (f == TX_DESC && !x->desc2 && strcmp(x->first[f], r->display)) {
					x->desc2 = r->display;
				}
			}
		}
	}
}

/* Word positions (counted from the start of the text) where an English word occurs, plurals included. */
static size_t word_positions(const char *text, const char *w, size_t *pos, size_t max)
{
	size_t n = 0, len = strlen(w);
	for (const char *p = text; n < max && (p = strstr(p, w)) != NULL; p++) {
		if (!word_match(text, p, len))
			continue;
		size_t words = 0;
		for (const char *q = text; q < p; q++)
			words += (*q == ' ' || *q == '\n') && q[1] != ' ';
		pos[n++] = words;
	}
	return n;
}

/* Proximity terms: both words within PROXIMITY_WORDS words ("batteries containing lithium" for "lithium ~ battery"). */
static void scan_proximity(const struct catalog *c, const struct texts *t, struct hits *h)
{
	for (size_t i = 0; i < c->nprox; i++) {
		const struct prox *p = &c->prox[i];
		for (int f = 0; f < 4; f++) {
			size_t pa[32], pb[32];
			if (h[p->cat].first[f] || !strstr(t->field[f], p->a))
				continue;
			size_t na = word_positions(t->field[f], p->a, pa, 32), nb = word_positions(t->field[f], p->b, pb, 32);
			/* "battery" also as "batteries". */
			char plural[128];
			size_t lb = strlen(p->b);
			if (!nb && lb > 2 && lb < sizeof(plural) - 3 && p->b[lb - 1] == 'y') {
				snprintf(plural, sizeof(plural), "%.*sies", (int)(lb - 1), p->b);
				nb = word_positions(t->field[f], plural, pb, 32);
			}
			for (size_t x = 0; x < na; x++)
				for (size_t y = 0; y < nb; y++) {
					size_t d = pa[x] > pb[y] ? pa[x] - pb[y] : pb[y] - pa[x];
					if (d > 0 && d <= PROXIMITY_WORDS && !h[p->cat].first[f])
						h[p->cat].first[f] = p->display;
				}
		}
	}
}

static void classify_own(const struct catalog *c, const struct notif *n, int text_only, struct cat_result *out)
{
	struct texts t;
	struct hits stack_hits[64], *hits = c->n <= 64 ? stack_hits : xcalloc(c->n, sizeof(*hits));
	out->n = 0;
	memset(hits, 0, (c->n <= 64 ? 64 : c->n) * sizeof(*hits));
	texts_build(n, &t);
	scan(c, &t, hits);
	scan_proximity(c, &t, hits);
	texts_free(&t);
	int has_codes = !text_only && (n->hs.n > 0);
	for (size_t i = 0; i < c->n && out->n < 64; i++) {
		const struct category *k = &c->cats[i];
		const struct hits *h = &hits[i];
		double code = 0, text = 0;
		char ev[400] = "";
		int related_code = 0;
		if (!text_only) {
			for (size_t a = 0; a < n->hs.n; a++) {
				const char *hc = n->hs.items[a];
				for (size_t b = 0; b < k->hs.n; b++) {
					const char *p = k->hs.items[b];
					double sc = 0;
					if (starts_with(hc, p)) {
						sc = 0.95; /* the notified code is inside the category */
					} else if (starts_with(p, hc)) {
						/* A broader code: sure only when no other category shares it. */
						int spread = hs_spread(c, hc);
						sc = spread == 1 ? (strlen(hc) >= 4 ? 0.8 : 0.6) : (strlen(hc) >= 4 ? 0.45 : 0.3);
					}
					if (sc > 0) {
						related_code = 1;
						if (sc > code)
							code = sc;
						if (!strstr(ev, hc))
							add_evidence(ev, sizeof(ev), "HS %s", hc);
					}
				}
			}
			for (size_t a = 0; a < n->ics.n; a++)
				for (size_t b = 0; b < k->ics.n; b++)
					if (ics_related(n->ics.items[a], k->ics.items[b])) {
						double sc = ics_spread(c, n->ics.items[a]) == 1 ? 0.6 : 0.4;
						if (sc > code)
							code = sc;
						if (!strstr(ev, n->ics.items[a]))
							add_evidence(ev, sizeof(ev), "ICS %s", n->ics.items[a]);
					}
		}
		/* Words that rule the text out. */
		int title_and_products = h->first[TX_TITLE] && h->first[TX_PRODUCTS];
		for (int f = 0; f < 4 && !h->excluded; f++) {
			if (!h->first[f])
				continue;
			double sc = tx_weight[f];
			/* One word in the description is often a passing mention ("other than toys", "pressure vessels");
			 * two different product terms there make it the subject. */
			if (f == TX_DESC)
				sc = h->desc2 ? 0.6 : tx_weight[f];
			/* When the notification gives codes and none belongs to this category, the codes say what the subject
			 * is: words count only when both the title and the products text name the category. */
			if (has_codes && !related_code)
				sc = title_and_products ? 0.6 : 0.3;
			if (sc > text)
				text = sc;
			add_evidence(ev, sizeof(ev), "'%s' in %s", h->first[f], tx_names[f]);
		}
		double conf = code > text ? code : text;
		if (code >= 0.3 && text >= 0.5)
			conf = conf > 0.9 ? conf : 0.9; /* a code and the words agree */
		if (conf >= 0.5) {
			struct cat_match *m = &out->m[out->n++];
			m->cat = k;
			m->confidence = conf;
			snprintf(m->evidence, sizeof(m->evidence), "%s", ev);
		}
	}
	if (hits != stack_hits)
		free(hits);
}

void classify(const struct catalog *c, const struct notif *n, const struct notif *base, int text_only,
	      struct cat_result *out)
{
	out->n = 0;
	if (base && n->relation != REL_NONE && !notif_has_product_info(n)) {
		struct cat_result b;
		classify_own(c, base, text_only, &b);
		for (size_t i = 0; i < b.n; i++) {
			out->m[out->n] = b.m[i];
			snprintf(out->m[out->n].evidence, sizeof(out->m[0].evidence), "inherited from %s (%s)", base->symbol,
				 b.m[i].evidence);
			out->n++;
		}
		/* Its own words may still add a category (an addendum that widens the scope). */
		struct cat_result own;
		classify_own(c, n, text_only, &own);
		for (size_t i = 0; i < own.n && out->n < 64; i++) {
			int dup = 0;
			for (size_t k = 0; k < out->n; k++)
				dup |= out->m[k].cat == own.m[i].cat;
			if (!dup)
				out->m[out->n++] = own.m[i];
		}
		return;
	}
	classify_own(c, n, text_only, out);
}

/* The evidence in Chinese: "HS 8507; 'battery' in title" → "HS 8507；标题含“battery”"; "inherited from SYM (...)" →
 * "沿用 SYM 的分类（...）". Pieces we do not know stay as they are. */
void evidence_zh(const char *en, char *out, size_t outlen)
{
	static const char *const zh_names[] = {"标题", "产品", "关键词", "内容描述"};
	struct buf b;
	buf_init(&b, outlen - 1);
	if (starts_with(en, "inherited from ")) {
		const char *sym = en + 15, *sp = strchr(sym, ' ');
		char inner[800];
		if (sp && sp[1] == '(' && en[strlen(en) - 1] == ')') {
			snprintf(inner, sizeof(inner), "%.*s", (int)(strlen(sp + 2) - 1), sp + 2);
			char sub[800];
			evidence_zh(inner, sub, sizeof(sub));
			buf_addf(&b, "沿用 %.*s 的分类（%s）", (int)(sp - sym), sym, sub);
			snprintf(out, outlen, "%s", b.s);
			buf_release(&b);
			return;
		}
	}
	for (const char *p = en; *p;) {
		size_t n = strcspn(p, ";");
		char *piece = strndup_trim(p, n);
		size_t l = strlen(piece);
		int done = 0;
		if (b.len)
			buf_addstr(&b, "；");
		for (size_t f = 0; f < 4 && !done; f++) {
			char tail[32];
			snprintf(tail, sizeof(tail), "' in %s", tx_names[f]);
			size_t tl = strlen(tail);
			if (piece[0] == '\'' && l > tl + 1 && !strcmp(piece + l - tl, tail)) {
				buf_addf(&b, "%s含“%.*s”", zh_names[f], (int)(l - tl - 1), piece + 1);
				done = 1;
			}
		}
		if (!done)
			buf_addstr(&b, piece);
		free(piece);
		p += n;
		if (*p)
			p++;
	}
	snprintf(out, outlen, "%s", b.s);
	buf_release(&b);
}

json_t *classify_json(const struct cat_result *r)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(r->m[i].cat->id));
		json_object_set_new(o, "name_zh", json_string(r->m[i].cat->name_zh));
		json_object_set_new(o, "name_en", json_string(r->m[i].cat->name_en));
		json_object_set_new(o, "confidence", json_real((double)(int)(r->m[i].confidence * 100 + 0.5) / 100.0));
		json_object_set_new(o, "evidence", json_string(r->m[i].evidence));
		char zh[800];
		evidence_zh(r->m[i].evidence, zh, sizeof(zh));
		json_object_set_new(o, "evidence_zh", json_string(zh));
		json_array_append_new(a, o);
	}
	return a;
}

/* ---- risk ---- */

void risk_config_default(struct risk_config *rc)
{
	memset(rc, 0, sizeof(*rc));
	strv_init(&rc->key_markets);
	strv_init(&rc->priority_categories);
	/* Guangdong's largest markets (customs figures): the US, the EU, ASEAN members, Hong Kong, Japan, Korea. */
	static const char *const markets[] = {"USA:3", "EU:3", "JPN:2", "KOR:2", "GBR:2", "HKG:2", "VNM:1", "THA:1",
					      "MYS:1", "IDN:1", "PHL:1", "SGP:1", "IND:1", "AUS:1", "CAN:1", "MEX:1",
					      "BRA:1", "SAU:1", "ARE:1", NULL};
	for (int i = 0; markets[i]; i++)
		strv_push(&rc->key_markets, markets[i]);
	static const char *const prio[] = {"mobile_phones", "computers_it", "lithium_batteries", "large_home_appliances",
					   "small_home_appliances", "electric_vehicles", "toys_games", "furniture_mattresses",
					   "apparel", "lighting_led", NULL};
	for (int i = 0; prio[i]; i++)
		strv_push(&rc->priority_categories, prio[i]);
	rc->w_category = 1;
	rc->w_many_categories = 1;
	rc->w_priority_category = 1;
	rc->w_regulation = 1;
	rc->w_conformity = 1;
	rc->w_urgent = 2;
	rc->w_voluntary = -1;
	rc->w_adopted = 1;
	rc->w_deadline_14 = 2;
	rc->w_deadline_30 = 1;
	rc->w_force_90 = 1;
	rc->high = 6;
	rc->medium = 3;
}

int risk_config_load(struct risk_config *rc, const struct ini *cfg, char *err, size_t errlen)
{
	const struct ini_section *s = ini_section(cfg, "risk");
	if (!s)
		return 0;
	const char *v;
	if ((v = ini_get(s, "key_markets"))) {
		strv_release(&rc->key_markets);
		strv_init(&rc->key_markets);
		for (const char *p = v; *p;) {
			size_t n = strcspn(p, " ,");
			if (n)
				strv_push_owned(&rc->key_markets, xstrndup(p, n));
			p += n;
			while (*p == ' ' || *p == ',')
				p++;
		}
	}
	if ((v = ini_get(s, "priority_categories"))) {
		strv_release(&rc->priority_categories);
		strv_init(&rc->priority_categories);
		for (const char *p = v; *p;) {
			size_t n = strcspn(p, " ,");
			if (n)
				strv_push_owned(&rc->priority_categories, xstrndup(p, n));
			p += n;
			while (*p == ' ' || *p == ',')
				p++;
		}
	}
	static const struct {
		const char *key;
		size_t off;
	} w[] = {
		{"category", offsetof(struct risk_config, w_category)},
		{"many_categories", offsetof(struct risk_config, w_many_categories)},
		{"priority_category", offsetof(struct risk_config, w_priority_category)},
		{"regulation", offsetof(struct risk_config, w_regulation)},
		{"conformity_assessment", offsetof(struct risk_config, w_conformity)},
		{"urgent", offsetof(struct risk_config, w_urgent)},
		{"voluntary", offsetof(struct risk_config, w_voluntary)},
		{"adopted", offsetof(struct risk_config, w_adopted)},
		{"deadline_within_14_days", offsetof(struct risk_config, w_deadline_14)},
		{"deadline_within_30_days", offsetof(struct risk_config, w_deadline_30)},
		{"in_force_within_90_days", offsetof(struct risk_config, w_force_90)},
		{"high_from", offsetof(struct risk_config, high)},
		{"medium_from", offsetof(struct risk_config, medium)},
	};
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		if (!(v = ini_get(s, w[i].key)))
			continue;
		char *end;
		double d = strtod(v, &end);
		if (end == v || *end) {
			errf(err, errlen, "%s:%d: [risk] %s: expected a number", cfg->path, ini_line(s, w[i].key), w[i].key);
			return -EINVAL;
		}
		*(double *)((char *)rc + w[i].off) = d;
	}
	return 0;
}

void risk_config_release(struct risk_config *rc)
{
	strv_release(&rc->key_markets);
	strv_release(&rc->priority_categories);
}

/* One reason for the risk, in both languages (each already formatted). */
static void reason(struct risk *r, double w, const char *en, const char *zh)
{
	if (w == 0)
		return;
	r->score += w;
	add_evidence(r->reasons, sizeof(r->reasons), "%s (%+g)", en, w);
	add_evidence(r->reasons_zh, sizeof(r->reasons_zh), "%s（%+g）", zh, w);
}

void risk_assess(const struct risk_config *rc, const struct notif *n, const struct cat_result *cats, struct risk *out)
{
	char today[11], en[256], zh[256];
	memset(out, 0, sizeof(*out));
	today_iso(today);
	for (size_t i = 0; i < rc->key_markets.n; i++) {
		const char *m = rc->key_markets.items[i], *colon = strchr(m, ':');
		size_t l = colon ? (size_t)(colon - m) : strlen(m);
		if (strlen(n->member) == l && !strncmp(n->member, m, l)) {
			const struct member *mm = member_by_code(n->member);
			snprintf(en, sizeof(en), "key market for Guangdong: %s", mm ? mm->name_en : n->member);
			snprintf(zh, sizeof(zh), "广东重点出口市场：%s", mm ? mm->name_zh : n->member);
			reason(out, colon ? strtod(colon + 1, NULL) : 1, en, zh);
		}
	}
	if (cats->n) {
		snprintf(en, sizeof(en), "concerns %s", cats->m[0].cat->id);
		snprintf(zh, sizeof(zh), "涉及%s", cats->m[0].cat->name_zh);
		reason(out, rc->w_category, en, zh);
		if (cats->n > 1) {
			snprintf(en, sizeof(en), "%zu categories", cats->n);
			snprintf(zh, sizeof(zh), "涉及%zu个产品类别", cats->n);
			reason(out, rc->w_many_categories, en, zh);
		}
		for (size_t i = 0; i < cats->n; i++)
			if (strv_contains(&rc->priority_categories, cats->m[i].cat->id)) {
				snprintf(en, sizeof(en), "major export: %s", cats->m[i].cat->id);
				snprintf(zh, sizeof(zh), "广东主要出口产品：%s", cats->m[i].cat->name_zh);
				reason(out, rc->w_priority_category, en, zh);
				break;
			}
	}
	int urgent = strv_contains(&n->articles, "2.10.1") || strv_contains(&n->articles, "5.7.1");
	if (urgent) {
		const char *art = strv_contains(&n->articles, "2.10.1") ? "2.10.1" : "5.7.1";
		snprintf(en, sizeof(en), "urgent measure (Article %s)", art);
		snprintf(zh, sizeof(zh), "紧急措施（第%s条）", art);
		reason(out, rc->w_urgent, en, zh);
	} else if (strv_contains(&n->articles, "5.6.2")) {
		reason(out, rc->w_conformity, "conformity assessment procedure", "合格评定程序");
	} else if (strv_contains(&n->articles, "2.9.2") || n->type == NT_SPS) {
		reason(out, rc->w_regulation, "mandatory regulation", "强制性法规");
	}
	const char *title = notif_title(n);
	if (strcasestr_ascii(title, "voluntary") || strstr(title, "自愿"))
		reason(out, rc->w_voluntary, "voluntary standard", "自愿性标准");
	const char *why = n->text[LANG_EN].reason ? n->text[LANG_EN].reason : n->text[LANG_ZH].reason;
	if (n->relation == REL_ADDENDUM && why &&
	    (strcasestr_ascii(why, "adopted") || strcasestr_ascii(why, "into force") || strstr(why, "批准") || strstr(why, "生效")))
		reason(out, rc->w_adopted, "adopted or entering into force", "已批准或即将生效");
	if (n->dates[D_COMMENTS].iso[0]) {
		long d = iso_days_between(today, n->dates[D_COMMENTS].iso);
		snprintf(en, sizeof(en), "comments close in %ld days", d);
		snprintf(zh, sizeof(zh), "%ld天后评议截止", d);
		if (d >= 0 && d <= 14)
			reason(out, rc->w_deadline_14, en, zh);
		else if (d > 14 && d <= 30)
			reason(out, rc->w_deadline_30, en, zh);
	}
	if (n->dates[D_ENTRY_FORCE].iso[0]) {
		long d = iso_days_between(today, n->dates[D_ENTRY_FORCE].iso);
		snprintf(en, sizeof(en), "in force in %ld days", d);
		snprintf(zh, sizeof(zh), "%ld天后生效", d);
		if (d >= 0 && d <= 90)
			reason(out, rc->w_force_90, en, zh);
	}
	/* A notification that touches none of Guangdong's categories is low, whatever else it is. */
	out->level = !cats->n ? "low" : out->score >= rc->high ? "high" : out->score >= rc->medium ? "medium" : "low";
}

/* A "; "-separated list as a JSON array of trimmed strings. */
static json_t *list_json(const char *s)
{
	json_t *a = json_array();
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, ";");
		char *t = strndup_trim(p, n);
		json_array_append_new(a, json_string(t));
		free(t);
		p += n;
		if (*p)
			p++;
	}
	return a;
}

json_t *risk_json(const struct risk *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "level", json_string(r->level));
	json_object_set_new(o, "score", json_real(r->score));
	json_object_set_new(o, "reasons", list_json(r->reasons));
	json_object_set_new(o, "reasons_zh", list_json(r->reasons_zh));
	return o;
}

/* ---- HS and ICS tables ---- */

struct code_row {
	char *code, *desc;
};

static struct code_row *hs_rows, *ics_rows;
static size_t n_hs, n_ics;

static void load_tables_once(void)
{
	size_t cap = 8192;
	hs_rows = xcalloc(cap, sizeof(*hs_rows));
	const char *p = strchr(tbt_hs_csv, '\n');
	p = p ? p + 1 : tbt_hs_csv;
	struct strv f;
	long line = 1;
	char err[ERRBUF_SIZE];
	strv_init(&f);
	/* section, hscode, description, ...: the table is ours and built in, so a bad record ends it. */
	while (csv_record(&p, &f, &line, err, sizeof(err)) == 1) {
		if (f.n < 3)
			continue;
		if (n_hs == cap) {
			cap *= 2;
			hs_rows = xrealloc(hs_rows, cap * sizeof(*hs_rows));
		}
		hs_rows[n_hs].code = xstrdup(f.items[1]);
		hs_rows[n_hs].desc = xstrdup(f.items[2]);
		n_hs++;
	}
	strv_release(&f);
	cap = 8192;
	ics_rows = xcalloc(cap, sizeof(*ics_rows));
	p = strchr(tbt_ics_tsv, '\n');
	p = p ? p + 1 : tbt_ics_tsv;
	while (*p) {
		const char *eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		/* code, level, field, group, subgroup, parent, description, ... */
		const char *q = p;
		char *code = tsv_field(&q);
		for (int i = 0; i < 5; i++)
			free(tsv_field(&q));
		char *desc = tsv_field(&q);
		if (n_ics == cap) {
			cap *= 2;
			ics_rows = xrealloc(ics_rows, cap * sizeof(*ics_rows));
		}
		ics_rows[n_ics].code = code;
		ics_rows[n_ics].desc = desc;
		n_ics++;
		p = *eol ? eol + 1 : eol;
	}
}

static void load_tables(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, load_tables_once);
}

const char *hs_describe(const char *code)
{
	load_tables();
	for (size_t i = 0; i < n_hs; i++)
		if (!strcmp(hs_rows[i].code, code))
			return hs_rows[i].desc;
	return NULL;
}

const char *ics_describe(const char *code)
{
	load_tables();
	for (size_t i = 0; i < n_ics; i++)
		if (!strcmp(ics_rows[i].code, code))
			return ics_rows[i].desc;
	return NULL;
}
