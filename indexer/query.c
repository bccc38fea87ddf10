/* query.c: our query language on top of Xapian's, and the terms each record is indexed under. */
#include "query.h"

#include "buf.h"
#include "members.h"
#include "norm.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Term prefixes (Xapian convention: X + upper-case letters for boolean fields). */
#define P_ID "Q"
#define P_ROOT "XB"
#define P_MEMBER "XM"
#define P_TYPE "XT"
#define P_KIND "XK"
#define P_HS "XH"     /* every prefix of every code */
#define P_HS_EX "XHE" /* the codes exactly as notified */
#define P_ICS "XI"
#define P_ICS_EX "XIE"
#define P_OBJ "XO"
#define P_OBJ_WORD "XOW"
#define P_LANG "XL"
#define P_ARTICLE "XA"
#define P_CATEGORY "XC"
#define P_RISK "XR"
#define P_MONTH "XDM" /* distribution month, YYYYMM, or "none": date-sorted searches read the index month by month */

enum qfield {
	QF_MEMBER = 1,
	QF_HS,
	QF_ICS,
	QF_TYPE,
	QF_KIND,
	QF_OBJECTIVE,
	QF_SYMBOL,
	QF_LANG,
	QF_DATE,
	QF_DEADLINE,
	QF_OPEN,
	QF_CATEGORY,
	QF_RISK
};

static const struct {
	const char *name;
	enum qfield f;
} fields[] = {
	{"member", QF_MEMBER}, {"market", QF_MEMBER}, {"hs", QF_HS},           {"ics", QF_ICS},
	{"type", QF_TYPE},     {"kind", QF_KIND},     {"objective", QF_OBJECTIVE}, {"symbol", QF_SYMBOL},
	{"lang", QF_LANG},     {"date", QF_DATE},     {"distributed", QF_DATE}, {"deadline", QF_DEADLINE},
	{"open", QF_OPEN},     {"category", QF_CATEGORY}, {"risk", QF_RISK},
};

static void slug(const char *s, struct buf *out)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c))
			buf_addch(out, (char)tolower(c));
		else if (out->len && out->s[out->len - 1] != '_')
			buf_addch(out, '_');
	}
	buf_rtrim(out);
	while (out->len && out->s[out->len - 1] == '_')
		out->s[--out->len] = '\0';
}

static void term(const struct doc_sink *x, const char *prefix, const char *value)
{
	/* Most terms are short: on the stack (a notification has dozens, each matched against every subscription). */
	char small[256];
	size_t lp = strlen(prefix), lv = strlen(value);
	if (lp + lv < sizeof(small)) {
		memcpy(small, prefix, lp);
		memcpy(small + lp, value, lv + 1);
		x->term(x->arg, small);
		return;
	}
	struct buf t;
	buf_init(&t, 512);
	if (!buf_addstr(&t, prefix) && !buf_addstr(&t, value))
		x->term(x->arg, t.s);
	buf_release(&t);
}

static void objective_terms(const struct doc_sink *x, const char *name)
{
	struct buf s;
	buf_init(&s, 512);
	slug(name, &s);
	if (s.len)
		term(x, P_OBJ, s.s);
	/* Single words too, for objective:safety. */
	for (char *w = s.s, *e; *w; w = e) {
		e = strchr(w, '_');
		if (!e)
			e = w + strlen(w);
		char *word = xstrndup(w, (size_t)(e - w));
		if (strlen(word) > 2)
			term(x, P_OBJ_WORD, word);
		free(word);
		if (*e)
			e++;
	}
	buf_release(&s);
}

static void idx_text(void *arg, const char *text, unsigned weight, const char *prefix)
{
	idx_doc_text(arg, text, weight, prefix);
}

static void idx_term(void *arg, const char *t)
{
	idx_doc_term(arg, t);
}

static void idx_value(void *arg, enum idx_slot slot, const char *value)
{
	idx_doc_value(arg, slot, value);
}

void query_index_record(struct idx *x, const struct notif *n, const struct cat_result *cats, const struct risk *risk)
{
	struct doc_sink sink = {idx_text, idx_term, idx_value, x};
	query_record_doc(n, cats, risk, &sink);
}

void query_record_doc(const struct notif *n, const struct cat_result *cats, const struct risk *risk,
		      const struct doc_sink *x)
{
	static const char *const lang_codes[] = {"en", "zh"};
	char year[5];
	term(x, P_ID, n->symbol);
	term(x, P_ROOT, n->root_symbol);
	term(x, P_MEMBER, n->member);
	term(x, P_TYPE, notif_type_name(n->type));
	term(x, P_KIND, notif_rel_name(n->relation));
	for (size_t i = 0; i < n->hs.n; i++) {
		const char *c = n->hs.items[i];
		size_t len = strlen(c);
		term(x, P_HS_EX, c);
		for (size_t l = 2; l <= len; l += 2) {
			char p[16];
			snprintf(p, sizeof(p), "%.*s", (int)l, c);
			term(x, P_HS, p);
		}
		if (len % 2)
			term(x, P_HS, c);
	}
	for (size_t i = 0; i < n->ics.n; i++) {
		const char *c = n->ics.items[i];
		term(x, P_ICS_EX, c);
		for (const char *p = c; (p = strchr(p, '.')) != NULL; p++) {
			char pre[16];
			snprintf(pre, sizeof(pre), "%.*s", (int)(p - c), c);
			term(x, P_ICS, pre);
		}
		term(x, P_ICS, c);
	}
	for (size_t i = 0; i < n->objectives.n; i++)
		objective_terms(x, n->objectives.items[i]);
	for (size_t i = 0; i < n->articles.n; i++)
		term(x, P_ARTICLE, n->articles.items[i]);
	for (size_t i = 0; i < n->also_symbols.n; i++)
		term(x, P_ID, n->also_symbols.items[i]);

	/* Free text: the title counts most, and is also searchable alone as title:... */
	x->text(x->arg, n->symbol, 1, "");
	for (int l = 0; l < LANG_N; l++) {
		const struct notif_text *t = &n->text[l];
		if (t->title || t->description)
			term(x, P_LANG, lang_codes[l]);
		if (t->title) {
			x->text(x->arg, t->title, 3, "");
			x->text(x->arg, t->title, 1, "S");
		}
		const char *rest[] = {t->products, t->description, t->objectives, t->agency, t->member_name, t->reason,
				      t->regions};
		for (size_t k = 0; k < sizeof(rest) / sizeof(rest[0]); k++)
			if (rest[k])
				x->text(x->arg, rest[k], 1, "");
	}
	for (size_t i = 0; i < n->keywords.n; i++)
		x->text(x->arg, n->keywords.items[i], 1, "");

	const char *dist = n->dates[D_DISTRIBUTED].iso;
	char month[8];
	snprintf(month, sizeof(month), "%.4s%.2s", dist, dist[0] ? dist + 5 : "");
	term(x, P_MONTH, dist[0] ? month : "none");
	if (!x->value) {
		/* Terms only (the subscription matcher): the values below cost more to build than the terms. */
		for (size_t i = 0; cats && i < cats->n; i++)
			term(x, P_CATEGORY, cats->m[i].cat->id);
		if (risk && risk->level)
			term(x, P_RISK, risk->level);
		return;
	}
	if (dist[0]) {
		x->value(x->arg, IDX_SLOT_DISTRIBUTED, dist);
		snprintf(year, sizeof(year), "%.4s", dist);
		x->value(x->arg, IDX_SLOT_YEAR, year);
	}
	if (n->dates[D_COMMENTS].iso[0])
		x->value(x->arg, IDX_SLOT_DEADLINE, n->dates[D_COMMENTS].iso);
	x->value(x->arg, IDX_SLOT_MEMBER, n->member);
	x->value(x->arg, IDX_SLOT_TYPE, n->type == NT_SPS ? "SPS" : "TBT");
	x->value(x->arg, IDX_SLOT_KIND, notif_rel_name(n->relation));
	if (cats && cats->n) {
		struct buf v;
		buf_init(&v, BUF_NOMAX);
		for (size_t i = 0; i < cats->n; i++) {
			term(x, P_CATEGORY, cats->m[i].cat->id);
			if (v.len)
				buf_addch(&v, '\t');
			buf_addstr(&v, cats->m[i].cat->id);
		}
		x->value(x->arg, IDX_SLOT_CATEGORY, v.s);
		buf_release(&v);
	}
	if (risk && risk->level) {
		term(x, P_RISK, risk->level);
		x->value(x->arg, IDX_SLOT_RISK, risk->level);
	}
	/* The facets again, in one value (idx.h): the same strings as their own slots, in the slots' order. */
	struct buf f;
	buf_init(&f, BUF_NOMAX);
	buf_addf(&f, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f", n->member, n->type == NT_SPS ? "SPS" : "TBT", dist[0] ? year : "",
		 notif_rel_name(n->relation), risk && risk->level ? risk->level : "");
	for (size_t i = 0; cats && i < cats->n; i++) {
		if (i)
			buf_addch(&f, '\t');
		buf_addstr(&f, cats->m[i].cat->id);
	}
	x->value(x->arg, IDX_SLOT_FACETS, f.s);
	buf_release(&f);
}

/* ---- parsing ---- */

/* Reads one token: a run of non-space characters, where "..." inside keeps spaces. Returns a malloc'd copy. */
static char *next_token(const char **pp)
{
	const char *p = *pp, *s;
	struct buf t;
	while (*p && isspace((unsigned char)*p))
		p++;
	if (!*p) {
		*pp = p;
		return NULL;
	}
	s = p;
	int quoted = 0;
	while (*p && (quoted || !isspace((unsigned char)*p))) {
		if (*p == '"')
			quoted = !quoted;
		p++;
	}
	buf_init(&t, BUF_NOMAX);
	buf_add(&t, s, (size_t)(p - s));
	*pp = p;
	return buf_detach(&t);
}

static char *unquote(const char *v)
{
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
		return xstrndup(v + 1, n - 2);
	if (n >= 1 && v[0] == '"')
		return xstrdup(v + 1);
	return xstrdup(v);
}

/* A date bound: YYYY, YYYY-MM or YYYY-MM-DD; hi bounds of partial dates reach the end of the period. */
static int date_bound(const char *v, int hi, char *out, size_t outlen)
{
	size_t n = strlen(v);
	if (!n)
		return 1; /* open end */
	int ok = (n == 4 || n == 7 || n == 10);
	for (size_t i = 0; ok && i < n; i++)
		ok = (i == 4 || i == 7) ? v[i] == '-' : isdigit((unsigned char)v[i]);
	if (!ok)
		return -EINVAL;
	if (n >= 7) {
		int month = (v[5] - '0') * 10 + (v[6] - '0');
		if (month < 1 || month > 12)
			return -EINVAL; /* 2025-13 */
	}
	if (n == 10) {
		char iso[11];
		if (date_parse(v, iso))
			return -EINVAL;
	}
	/* '~' sorts after every digit, so "2025~" is past every 2025 date. */
	snprintf(out, outlen, "%s%s", v, hi && n < 10 ? "~" : "");
	return 0;
}

static int add_range(struct idx_query *q, int group, enum idx_slot slot, const char *name, const char *v, char *err,
		     size_t errlen)
{
	char lo[16], hi[16];
	const char *dots = strstr(v, "..");
	int rlo, rhi;
	if (dots) {
		char *a = xstrndup(v, (size_t)(dots - v));
		rlo = date_bound(a, 0, lo, sizeof(lo));
		rhi = date_bound(dots + 2, 1, hi, sizeof(hi));
		free(a);
	} else {
		rlo = date_bound(v, 0, lo, sizeof(lo));
		rhi = date_bound(v, 1, hi, sizeof(hi));
		if (!*v)
			rlo = -EINVAL;
	}
	if (rlo < 0 || rhi < 0 || (rlo && rhi)) {
		errf(err, errlen, "%s: expected a date or range such as 2025-01-01..2025-06-30, ..2025-06-30 or 2025, got '%s'",
		     name, v);
		return -EINVAL;
	}
	if (!rlo && !rhi && strcmp(lo, hi) > 0) {
		errf(err, errlen, "%s: the range '%s' ends before it starts", name, v);
		return -EINVAL;
	}
	idx_query_range(q, group, slot, rlo ? NULL : lo, rhi ? NULL : hi);
	return 0;
}

static int add_value(struct idx_query *q, const struct catalog *cats, enum qfield f, const char *name, const char *v,
		     int neg, char *err, size_t errlen)
{
	char norm[64];
	struct buf t;
	int group = (int)f, rc = 0;
	buf_init(&t, 1024);
	switch (f) {
	case QF_MEMBER: {
		const struct member *m = member_by_code(v);
		if (!m)
			m = member_by_name(v);
		if (!m) {
			errf(err, errlen, "%s: unknown WTO member '%s' (use a code such as USA, EU, JPN, or a name)", name, v);
			rc = -EINVAL;
			break;
		}
		buf_addf(&t, P_MEMBER "%s", m->code);
		idx_query_filter(q, group, t.s, neg);
		break;
	}
	case QF_HS:
		if (hs_normalize(v, norm, sizeof(norm))) {
			errf(err, errlen, "%s: '%s' is not an HS code (2 to 12 digits, dots allowed: 8507, 8507.60)", name, v);
			rc = -EINVAL;
			break;
		}
		/* Prefix match both ways: the code's subheadings, and notifications that gave a shorter heading. */
		buf_addf(&t, P_HS "%s", norm);
		idx_query_filter(q, group, t.s, neg);
		for (size_t l = 2; l < strlen(norm); l += 2) {
			buf_reset(&t);
			buf_addf(&t, P_HS_EX "%.*s", (int)l, norm);
			idx_query_filter(q, group, t.s, neg);
		}
		break;
	case QF_ICS:
		if (ics_normalize(v, norm, sizeof(norm))) {
			errf(err, errlen, "%s: '%s' is not an ICS code (such as 97, 97.200 or 97.200.50)", name, v);
			rc = -EINVAL;
			break;
		}
		buf_addf(&t, P_ICS "%s", norm);
		idx_query_filter(q, group, t.s, neg);
		for (const char *p = norm; (p = strchr(p, '.')) != NULL; p++) {
			buf_reset(&t);
			buf_addf(&t, P_ICS_EX "%.*s", (int)(p - norm), norm);
			idx_query_filter(q, group, t.s, neg);
		}
		break;
	case QF_TYPE:
		if (strcasecmp(v, "tbt") && strcasecmp(v, "sps")) {
			errf(err, errlen, "%s: expected tbt or sps, got '%s'", name, v);
			rc = -EINVAL;
			break;
		}
		buf_addf(&t, P_TYPE "%s", !strcasecmp(v, "tbt") ? "tbt" : "sps");
		idx_query_filter(q, group, t.s, neg);
		break;
	case QF_KIND: {
		static const char *const kinds[] = {"notification", "addendum", "corrigendum", "revision", "supplement", NULL};
		const char *k = NULL;
		for (int i = 0; kinds[i]; i++)
			if (!strcasecmp(v, kinds[i]) || (strlen(v) >= 3 && !strncasecmp(v, kinds[i], strlen(v))))
				k = kinds[i];
		if (!strcasecmp(v, "regular") || !strcasecmp(v, "original") || !strcasecmp(v, "new"))
			k = "notification";
		if (!k) {
			errf(err, errlen, "%s: expected notification, addendum, corrigendum, revision or supplement, got '%s'",
			     name, v);
			rc = -EINVAL;
			break;
		}
		buf_addf(&t, P_KIND "%s", k);
		idx_query_filter(q, group, t.s, neg);
		break;
	}
	case QF_OBJECTIVE: {
		struct strv canon;
		strv_init(&canon);
		objectives_extract(v, &canon);
		if (canon.n) {
			for (size_t i = 0; i < canon.n; i++) {
				buf_reset(&t);
				buf_addstr(&t, P_OBJ);
				slug(canon.items[i], &t);
				idx_query_filter(q, group, t.s, neg);
			}
		} else {
			buf_addstr(&t, P_OBJ_WORD);
			for (const char *p = v; *p; p++)
				if (isalnum((unsigned char)*p))
					buf_addch(&t, (char)tolower((unsigned char)*p));
			idx_query_filter(q, group, t.s, neg);
		}
		strv_release(&canon);
		break;
	}
	case QF_SYMBOL: {
		struct symbol_parts sp;
		if (symbol_parse(v, &sp)) {
			errf(err, errlen, "%s: '%s' is not a notification symbol (such as G/TBT/N/USA/1364)", name, v);
			rc = -EINVAL;
			break;
		}
		/* A base symbol finds the whole family; a derived one finds itself. */
		buf_addf(&t, "%s%s", sp.relation == REL_NONE ? P_ROOT : P_ID, sp.norm);
		idx_query_filter(q, group, t.s, neg);
		break;
	}
	case QF_LANG:
		if (strcasecmp(v, "en") && strcasecmp(v, "zh")) {
			errf(err, errlen, "%s: expected en or zh, got '%s'", name, v);
			rc = -EINVAL;
			break;
		}
		buf_addf(&t, P_LANG "%s", !strcasecmp(v, "en") ? "en" : "zh");
		idx_query_filter(q, group, t.s, neg);
		break;
	case QF_DATE:
		rc = add_range(q, group, IDX_SLOT_DISTRIBUTED, name, v, err, errlen);
		break;
	case QF_DEADLINE:
		rc = add_range(q, group, IDX_SLOT_DEADLINE, name, v, err, errlen);
		break;
	case QF_CATEGORY:
		if (!catalog_find(cats ? cats : catalog_default(), v)) {
			errf(err, errlen, "%s: unknown category '%s' (see tbtwarn categories)", name, v);
			rc = -EINVAL;
			break;
		}
		buf_addf(&t, P_CATEGORY "%s", v);
		idx_query_filter(q, group, t.s, neg);
		break;
	case QF_RISK:
		if (strcmp(v, "high") && strcmp(v, "medium") && strcmp(v, "low")) {
			errf(err, errlen, "%s: expected high, medium or low, got '%s'", name, v);
			rc = -EINVAL;
			break;
		}
		buf_addf(&t, P_RISK "%s", v);
		idx_query_filter(q, group, t.s, neg);
		break;
	case QF_OPEN: {
		char today[11], y[11];
		today_iso(today);
		if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1")) {
			idx_query_range(q, group, IDX_SLOT_DEADLINE, today, NULL);
		} else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0")) {
			date_add_days(today, -1, y);
			idx_query_range(q, group, IDX_SLOT_DEADLINE, NULL, y);
		} else {
			errf(err, errlen, "%s: expected yes or no, got '%s'", name, v);
			rc = -EINVAL;
		}
		break;
	}
	}
	buf_release(&t);
	return rc;
}

int query_parse(const char *text, struct idx_query *q, char *err, size_t errlen)
{
	return query_parse_ex(text, NULL, q, err, errlen);
}

/* Says where in text a syntax error is: "at character 9 (near 'battery \"lithium')". */
static void syntax_error(char *err, size_t errlen, const char *text, size_t at, const char *what)
{
	size_t from = at > 20 ? at - 20 : 0;
	while (from > 0 && ((unsigned char)text[from] & 0xC0) == 0x80)
		from--;
	size_t to = at + 20 < strlen(text) ? at + 20 : strlen(text);
	while (text[to] && ((unsigned char)text[to] & 0xC0) == 0x80)
		to++;
	size_t chars = 1;
	for (size_t i = 0; i < at; i++)
		chars += ((unsigned char)text[i] & 0xC0) != 0x80;
	errf(err, errlen, "%s at character %zu (near '%.*s')", what, chars, (int)(to - from), text + from);
}

static int is_operator(const char *w, size_t n)
{
	return (n == 3 && (!strncmp(w, "AND", 3) || !strncmp(w, "NOT", 3) || !strncmp(w, "XOR", 3))) ||
	       (n == 2 && !strncmp(w, "OR", 2));
}

/*
 * The query's syntax, checked before it is searched: a quote left open, a parenthesis that closes nothing or is
 * never closed, an operator (AND, OR, NOT, XOR) with nothing to join. Xapian's parser would quietly read such a
 * query as something else; the reader gets an error that says where instead.
 */
static int check_syntax(const char *text, char *err, size_t errlen)
{
	size_t open_at[64], depth = 0, quote_at = 0, len = strlen(text);
	int quoted = 0;
	/* Operands and operators in order: 'w' a word or phrase, 'o' a binary operator, 'n' NOT, '(' and ')'. */
	char prev = 0;
	size_t prev_at = 0;
	for (size_t i = 0; i <= len; i++) {
		char c = text[i];
		if (quoted) {
			if (c == '"')
				quoted = 0;
			else if (!c) {
				syntax_error(err, errlen, text, quote_at, "a quote is never closed");
				return -EINVAL;
			}
			continue;
		}
		if (!c || isspace((unsigned char)c))
			continue;
		if (c == '"') {
			quoted = 1;
			quote_at = i;
			prev = 'w';
			continue;
		}
		if (c == '(') {
			if (depth == sizeof(open_at) / sizeof(open_at[0])) {
				syntax_error(err, errlen, text, i, "parentheses nest too deep");
				return -EINVAL;
			}
			open_at[depth++] = i;
			prev = '(';
			prev_at = i;
			continue;
		}
		if (c == ')') {
			if (!depth) {
				syntax_error(err, errlen, text, i, "')' closes nothing");
				return -EINVAL;
			}
			if (prev == '(') {
				syntax_error(err, errlen, text, i, "'()' holds nothing");
				return -EINVAL;
			}
			if (prev == 'o' || prev == 'n') {
				syntax_error(err, errlen, text, prev_at, "an operator has nothing on its right");
				return -EINVAL;
			}
			depth--;
			prev = 'w';
			continue;
		}
		size_t n = 0;
		while (text[i + n] && !isspace((unsigned char)text[i + n]) && text[i + n] != '(' && text[i + n] != ')' &&
		       text[i + n] != '"')
			n++;
		if (is_operator(text + i, n)) {
			int binary = strncmp(text + i, "NOT", 3) != 0;
			if (binary && (prev == 0 || prev == '(' || prev == 'o' || prev == 'n')) {
				syntax_error(err, errlen, text, i, "an operator has nothing on its left");
				return -EINVAL;
			}
			if (!binary && prev == 'n') {
				syntax_error(err, errlen, text, i, "NOT follows NOT");
				return -EINVAL;
			}
			prev = binary ? 'o' : 'n';
			prev_at = i;
		} else {
			prev = 'w';
		}
		i += n ? n - 1 : 0;
	}
	if (depth) {
		syntax_error(err, errlen, text, open_at[depth - 1], "'(' is never closed");
		return -EINVAL;
	}
	if (prev == 'o' || prev == 'n') {
		syntax_error(err, errlen, text, prev_at, "an operator has nothing on its right");
		return -EINVAL;
	}
	return 0;
}

int query_parse_ex(const char *text, const struct catalog *cats, struct idx_query *q, char *err, size_t errlen)
{
	const char *p = text;
	char *tok;
	struct buf free_text;
	int rc = 0;
	if (check_syntax(text, err, errlen))
		return -EINVAL;
	buf_init(&free_text, 64 * 1024);
	while (!rc && (tok = next_token(&p)) != NULL) {
		const char *t = tok;
		int neg = 0;
		enum qfield f = 0;
		const char *name = NULL;
		if (*t == '-' && t[1]) {
			neg = 1;
			t++;
		}
		const char *colon = strchr(t, ':');
		if (colon && colon != t) {
			for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
				if (strlen(fields[i].name) == (size_t)(colon - t) && !strncasecmp(t, fields[i].name, (size_t)(colon - t))) {
					f = fields[i].f;
					name = fields[i].name;
				}
			}
		}
		if (!f) {
			if (free_text.len)
				buf_addch(&free_text, ' ');
			if (buf_addstr(&free_text, tok)) {
				errf(err, errlen, "query too long");
				rc = -EINVAL;
			}
			free(tok);
			continue;
		}
		char *value = unquote(colon + 1);
		/* member:USA,EU is member:USA member:EU; a quoted value is one value ("Korea, Republic of"). */
		int whole = colon[1] == '"' || f == QF_DATE || f == QF_DEADLINE || f == QF_OBJECTIVE;
		char *save = value;
		do {
			size_t n = whole ? strlen(save) : strcspn(save, ",");
			char *one = strndup_trim(save, n);
			if (!*one && f != QF_DATE && f != QF_DEADLINE) {
				errf(err, errlen, "%s: missing value", name);
				rc = -EINVAL;
			} else if (*one || n) {
				rc = add_value(q, cats, f, name, one, neg, err, errlen);
			} else {
				errf(err, errlen, "%s: missing value", name);
				rc = -EINVAL;
			}
			free(one);
			save += n;
			if (*save)
				save++;
		} while (!rc && *save);
		free(value);
		free(tok);
	}
	if (!rc && free_text.len)
		idx_query_text(q, free_text.s);
	buf_release(&free_text);
	return rc;
}
