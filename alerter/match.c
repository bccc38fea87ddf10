/* match.c: the subscription index (a hash of anchor keys to subscriptions) and the exact check of candidates. */
#include "match.h"

#include "buf.h"
#include "idx.h"
#include "query.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sub {
	int64_t id;
	struct sub_filter f;
	struct idx_query *q; /* parsed query, or NULL */
	/* The filter's markets and categories as interned numbers, and its kinds as a mask of enum notif_rel. */
	uint16_t *members, *cats;
	size_t nmembers, ncats;
	unsigned kinds;
	int alive;
	/* Nothing but categories or markets (and the markets and minimum risk that are part of its index keys): found
	 * under a key, it matches, without a check. */
	int simple;
	unsigned stamp; /* last matcher_match call that made it a candidate */
};

/* Strings to small dense numbers (category ids, market codes, anchor words). */
struct intern {
	char **names;   /* by number */
	uint32_t *slots; /* open addressing: number + 1, 0 empty */
	size_t n, cap;
};

/* A key of the index ("C:toys_games", "H:8507", "I:97.200", "M:USA", "W:batteri") and its subscriptions. */
struct slot {
	char *key;
	size_t *subs;
	size_t n, cap;
};

struct matcher {
	struct sub *subs;
	size_t n, cap, alive;
	struct slot *table; /* open addressing, a power of two */
	size_t tcap, tused;
	size_t *wild; /* subscriptions without an anchor */
	size_t word_anchors; /* subscriptions anchored by a word of their query */
	size_t nwild, capwild;
	/* Sorted HS and ICS anchor keys, for the subscriptions whose prefix is longer than a notified code. */
	struct strv hs_keys, ics_keys;
	int keys_dirty;
	struct idx *mem; /* one document at a time, for the queries */
	unsigned stamp;
	/* Subscription id -> index in subs, open addressing (index + 1; 0 is empty). */
	size_t *by_id;
	size_t id_cap, id_used;
	const char *cur_member; /* of the notification being matched */
	int cur_risk;
	struct intern members, cats, words;
	/* The notification being matched: its market's number (-1 when no subscription names it) and its categories as a
	 * bitset over the category numbers. */
	int cur_member_id;
	uint64_t *cur_cats;
	size_t cur_cats_words;
	int exact; /* gathering under category or market keys */
	int64_t **out;
	size_t *nout;
	/* Stems of the words seen, so that each word is stemmed once. */
	struct stem_entry {
		char *word, *stem;
	} *stems;
	size_t stem_cap, stem_used;
};

void sub_filter_init(struct sub_filter *f)
{
	memset(f, 0, sizeof(*f));
	strv_init(&f->categories);
	strv_init(&f->hs);
	strv_init(&f->ics);
	strv_init(&f->members);
	strv_init(&f->kinds);
}

void sub_filter_release(struct sub_filter *f)
{
	strv_release(&f->categories);
	strv_release(&f->hs);
	strv_release(&f->ics);
	strv_release(&f->members);
	strv_release(&f->kinds);
	free(f->query);
	f->query = NULL;
}

static void copy_strv(struct strv *dst, const struct strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		strv_push(dst, src->items[i]);
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The number of name, or -1; with create, a new number for a new name. */
static int intern_id(struct intern *t, const char *name, int create)
{
	if (create && (t->n + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		uint32_t *ns = xcalloc(ncap, sizeof(*ns));
		for (size_t i = 0; i < t->n; i++) {
			size_t j = hash_str(t->names[i]) & (ncap - 1);
			while (ns[j])
				j = (j + 1) & (ncap - 1);
			ns[j] = (uint32_t)i + 1;
		}
		free(t->slots);
		t->slots = ns;
		t->cap = ncap;
		t->names = xrealloc(t->names, ncap / 2 * sizeof(*t->names));
	}
	if (!t->cap)
		return -1;
	size_t j = hash_str(name) & (t->cap - 1);
	while (t->slots[j]) {
		if (!strcmp(t->names[t->slots[j] - 1], name))
			return (int)t->slots[j] - 1;
		j = (j + 1) & (t->cap - 1);
	}
	if (!create || t->n >= 65535)
		return -1;
	t->names[t->n] = xstrdup(name);
	t->slots[j] = (uint32_t)++t->n;
	return (int)t->n - 1;
}

static void intern_release(struct intern *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->slots);
}

static uint16_t *intern_all(struct intern *t, const struct strv *v)
{
	uint16_t *out = v->n ? xmalloc(v->n * sizeof(*out)) : NULL;
	for (size_t i = 0; i < v->n; i++)
		out[i] = (uint16_t)intern_id(t, v->items[i], 1);
	return out;
}

static struct slot *find_slot(struct matcher *m, const char *key, int create)
{
	if (create && (m->tused + 1) * 2 > m->tcap) {
		size_t ncap = m->tcap ? m->tcap * 2 : 1024;
		struct slot *nt = xcalloc(ncap, sizeof(*nt));
		for (size_t i = 0; i < m->tcap; i++) {
			if (!m->table[i].key)
				continue;
			size_t j = hash_str(m->table[i].key) & (ncap - 1);
			while (nt[j].key)
				j = (j + 1) & (ncap - 1);
			nt[j] = m->table[i];
		}
		free(m->table);
		m->table = nt;
		m->tcap = ncap;
	}
	if (!m->tcap)
		return NULL;
	size_t j = hash_str(key) & (m->tcap - 1);
	while (m->table[j].key) {
		if (!strcmp(m->table[j].key, key))
			return &m->table[j];
		j = (j + 1) & (m->tcap - 1);
	}
	if (!create)
		return NULL;
	m->table[j].key = xstrdup(key);
	m->tused++;
	return &m->table[j];
}

static void slot_add(struct slot *s, size_t sub)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4;
		s->subs = xrealloc(s->subs, s->cap * sizeof(*s->subs));
	}
	s->subs[s->n++] = sub;
}

/* A key is the anchor value with the subscription's market (or "*") and minimum risk, so that the candidates of a
 * notification are mostly subscriptions that do match: "C:toys_games|USA|0". */
static void anchor(struct matcher *m, const char *prefix, const char *value, size_t sub)
{
	const struct sub_filter *f = &m->subs[sub].f;
	size_t nm = f->members.n && strcmp(prefix, "M:") ? f->members.n : 1;
	for (size_t i = 0; i < nm; i++) {
		struct buf k;
		buf_init(&k, 512);
		buf_addf(&k, "%s%s|%s|%d", prefix, value, nm > 1 || (f->members.n && strcmp(prefix, "M:")) ? f->members.items[i] : "*",
			 f->min_risk);
		slot_add(find_slot(m, k.s, 1), sub);
		buf_release(&k);
	}
}

struct matcher *matcher_new(char *err, size_t errlen)
{
	struct matcher *m = xcalloc(1, sizeof(*m));
	strv_init(&m->hs_keys);
	strv_init(&m->ics_keys);
	if (idx_open_memory(&m->mem, err, errlen)) {
		free(m);
		return NULL;
	}
	return m;
}

void matcher_free(struct matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		sub_filter_release(&m->subs[i].f);
		idx_query_free(m->subs[i].q);
		free(m->subs[i].members);
		free(m->subs[i].cats);
	}
	intern_release(&m->members);
	intern_release(&m->cats);
	intern_release(&m->words);
	free(m->cur_cats);
	free(m->subs);
	for (size_t i = 0; i < m->tcap; i++) {
		free(m->table[i].key);
		free(m->table[i].subs);
	}
	free(m->table);
	free(m->wild);
	free(m->by_id);
	strv_release(&m->hs_keys);
	strv_release(&m->ics_keys);
	for (size_t i = 0; i < m->stem_cap; i++) {
		free(m->stems[i].word);
		free(m->stems[i].stem);
	}
	free(m->stems);
	idx_free(m->mem);
	free(m);
}

size_t matcher_count(const struct matcher *m)
{
	return m->alive;
}

/* The word a query cannot match without: its first plain word, when the query is a plain conjunction. */
static int query_anchor(struct matcher *m, const char *q, char *out, size_t outlen)
{
	if (strstr(q, " OR ") || strstr(q, " NOT ") || strchr(q, '*'))
		return 0;
	const char *p = q;
	while (*p == ' ' || *p == '"')
		p++;
	if (*p == '-' || *p == '+' || !*p)
		return 0;
	if ((unsigned char)*p >= 0x80) {
		/* Chinese: the first character, as the CJK n-grams index it. */
		size_t l = (unsigned char)*p >= 0xF0 ? 4 : (unsigned char)*p >= 0xE0 ? 3 : 2;
		snprintf(out, outlen, "%.*s", (int)l, p);
		return 1;
	}
	size_t n = 0;
	char word[64];
	while (isalnum((unsigned char)p[n]) && n + 1 < sizeof(word)) {
		word[n] = (char)tolower((unsigned char)p[n]);
		n++;
	}
	word[n] = '\0';
	if (n < 2 || p[n] == ':')
		return 0; /* a field filter, not a word */
	idx_stem(m->mem, word, out, outlen);
	return *out != '\0';
}

static size_t id_hash(int64_t id, size_t cap)
{
	return (size_t)((uint64_t)id * 11400714819323198485ULL >> 20) & (cap - 1);
}

/* The index of a live subscription with this id, or (size_t)-1. */
static size_t find_id(const struct matcher *m, int64_t id)
{
	if (!m->id_cap)
		return (size_t)-1;
	for (size_t j = id_hash(id, m->id_cap); m->by_id[j]; j = (j + 1) & (m->id_cap - 1)) {
		size_t i = m->by_id[j] - 1;
		if (m->subs[i].id == id && m->subs[i].alive)
			return i;
	}
	return (size_t)-1;
}

static void remember_id(struct matcher *m, int64_t id, size_t index)
{
	if ((m->id_used + 1) * 2 > m->id_cap) {
		size_t ncap = m->id_cap ? m->id_cap * 2 : 4096;
		size_t *nt = xcalloc(ncap, sizeof(*nt));
		for (size_t i = 0; i < m->id_cap; i++) {
			if (!m->by_id[i])
				continue;
			size_t j = id_hash(m->subs[m->by_id[i] - 1].id, ncap);
			while (nt[j])
				j = (j + 1) & (ncap - 1);
			nt[j] = m->by_id[i];
		}
		free(m->by_id);
		m->by_id = nt;
		m->id_cap = ncap;
	}
	size_t j = id_hash(id, m->id_cap);
	while (m->by_id[j])
		j = (j + 1) & (m->id_cap - 1);
	m->by_id[j] = index + 1;
	m->id_used++;
}

int matcher_add(struct matcher *m, int64_t id, const struct sub_filter *f, char *err, size_t errlen)
{
	struct idx_query *q = NULL;
	if (f->query && *f->query) {
		q = idx_query_new();
		if (query_parse(f->query, q, err, errlen)) {
			idx_query_free(q);
			return -EINVAL;
		}
	}
	matcher_remove(m, id);
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 1024;
		m->subs = xrealloc(m->subs, m->cap * sizeof(*m->subs));
	}
	size_t i = m->n++;
	struct sub *s = &m->subs[i];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->alive = 1;
	s->q = q;
	sub_filter_init(&s->f);
	copy_strv(&s->f.categories, &f->categories);
	copy_strv(&s->f.hs, &f->hs);
	copy_strv(&s->f.ics, &f->ics);
	copy_strv(&s->f.members, &f->members);
	copy_strv(&s->f.kinds, &f->kinds);
	s->f.type = f->type;
	s->f.min_risk = f->min_risk;
	s->f.query = f->query && *f->query ? xstrdup(f->query) : NULL;
	s->members = intern_all(&m->members, &s->f.members);
	s->nmembers = s->f.members.n;
	s->cats = intern_all(&m->cats, &s->f.categories);
	s->ncats = s->f.categories.n;
	for (size_t k = 0; k < s->f.kinds.n; k++)
		for (int r = REL_NONE; r <= REL_SUPPLEMENT; r++)
			if (!strcmp(s->f.kinds.items[k], notif_rel_name((enum notif_rel)r)))
				s->kinds |= 1u << r;
	if (s->f.kinds.n && !s->kinds)
		s->kinds = 1u << 31; /* kinds that no notification has: matches nothing, as the strings did */
	s->simple = !s->f.hs.n && !s->f.ics.n && !s->f.kinds.n && !s->f.type && !s->q &&
		    (s->f.categories.n || s->f.members.n);
	m->alive++;
	remember_id(m, id, i);
	/* One anchor field: the most selective that the subscription has. */
	char word[64];
	if (s->f.categories.n) {
		for (size_t k = 0; k < s->f.categories.n; k++)
			anchor(m, "C:", s->f.categories.items[k], i);
	} else if (s->f.hs.n) {
		for (size_t k = 0; k < s->f.hs.n; k++) {
			anchor(m, "H:", s->f.hs.items[k], i);
			strv_push(&m->hs_keys, s->f.hs.items[k]);
		}
		m->keys_dirty = 1;
	} else if (s->f.ics.n) {
		for (size_t k = 0; k < s->f.ics.n; k++) {
			anchor(m, "I:", s->f.ics.items[k], i);
			strv_push(&m->ics_keys, s->f.ics.items[k]);
		}
		m->keys_dirty = 1;
	} else if (s->f.members.n) {
		for (size_t k = 0; k < s->f.members.n; k++)
			anchor(m, "M:", s->f.members.items[k], i);
	} else if (s->f.query && query_anchor(m, s->f.query, word, sizeof(word))) {
		anchor(m, "W:", word, i);
		intern_id(&m->words, word, 1);
		m->word_anchors++;
	} else {
		if (m->nwild == m->capwild) {
			m->capwild = m->capwild ? m->capwild * 2 : 64;
			m->wild = xrealloc(m->wild, m->capwild * sizeof(*m->wild));
		}
		m->wild[m->nwild++] = i;
	}
	return 0;
}

int matcher_remove(struct matcher *m, int64_t id)
{
	size_t i = find_id(m, id);
	if (i == (size_t)-1)
		return -ENOENT;
	/* Its anchors stay in the index and are skipped: a removal is rare, a rebuild reclaims them. */
	m->subs[i].alive = 0;
	m->alive--;
	return 0;
}

static int risk_rank(const char *r)
{
	return !r ? 0 : !strcmp(r, "high") ? 2 : !strcmp(r, "medium") ? 1 : 0;
}

static int ics_rel(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	return (starts_with(a, b) && (a[lb] == '\0' || a[lb] == '.')) || (starts_with(b, a) && (b[la] == '\0' || b[la] == '.'));
}

/* Builds the document once per match call, when some candidate has a query (*state 1); puts it in the in-memory index
 * only when a query needs a real search (*state 2). */
static void load_doc(struct matcher *m, const struct match_doc *d, int *state, int searchable)
{
	char err[ERRBUF_SIZE];
	if (!*state) {
		struct risk r;
		memset(&r, 0, sizeof(r));
		r.level = d->risk;
		idx_doc_begin(m->mem);
		query_index_record(m->mem, d->n, d->cats, d->risk ? &r : NULL);
		*state = 1;
	}
	if (searchable && *state == 1) {
		idx_doc_replace(m->mem, 1, err, sizeof(err));
		*state = 2;
	}
}

static int check(struct matcher *m, const struct sub *s, const struct match_doc *d, int *loaded)
{
	const struct notif *n = d->n;
	const struct sub_filter *f = &s->f;
	if (f->type && f->type != (int)n->type)
		return 0;
	if (f->min_risk > m->cur_risk)
		return 0;
	if (s->nmembers) {
		int ok = 0;
		for (size_t i = 0; i < s->nmembers && !ok; i++)
			ok = s->members[i] == m->cur_member_id;
		if (!ok)
			return 0;
	}
	if (s->kinds && !(s->kinds & (1u << n->relation)))
		return 0;
	if (s->ncats) {
		int ok = 0;
		for (size_t i = 0; i < s->ncats && !ok; i++)
			ok = s->cats[i] / 64 < m->cur_cats_words && (m->cur_cats[s->cats[i] / 64] >> (s->cats[i] % 64) & 1);
		if (!ok)
			return 0;
	}
	if (f->hs.n) {
		int ok = 0;
		for (size_t i = 0; i < n->hs.n && !ok; i++)
			for (size_t k = 0; k < f->hs.n && !ok; k++)
				ok = starts_with(n->hs.items[i], f->hs.items[k]) || starts_with(f->hs.items[k], n->hs.items[i]);
		if (!ok)
			return 0;
	}
	if (f->ics.n) {
		int ok = 0;
		for (size_t i = 0; i < n->ics.n && !ok; i++)
			for (size_t k = 0; k < f->ics.n && !ok; k++)
				ok = ics_rel(n->ics.items[i], f->ics.items[k]);
		if (!ok)
			return 0;
	}
	if (s->q) {
		struct idx_results *r = NULL;
		char err[ERRBUF_SIZE];
		load_doc(m, d, loaded, 0);
		/* Most queries are words and operators: decided from the document's terms. The rest take a search. */
		int quick = idx_query_matches_doc(m->mem, s->q);
		if (quick >= 0)
			return quick;
		load_doc(m, d, loaded, 1);
		if (idx_search(m->mem, s->q, 0, 1, &r, err, sizeof(err)))
			return 0;
		int ok = idx_results_count(r) > 0;
		idx_results_free(r);
		if (!ok)
			return 0;
	}
	return 1;
}

/* Appends an id, doubling the array when its size reaches a power of two. */
static void push_id(int64_t **ids, size_t *n, int64_t id)
{
	if (!(*n & (*n - 1)) || !*n)
		*ids = xrealloc(*ids, (*n ? *n * 2 : 16) * sizeof(**ids));
	(*ids)[(*n)++] = id;
}

static void candidates_key(struct matcher *m, const char *key, size_t **cand, size_t *nc, size_t *cap)
{
	struct slot *s = find_slot(m, key, 0);
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct sub *x = &m->subs[s->subs[i]];
		if (x->stamp == m->stamp)
			continue;
		x->stamp = m->stamp;
		if (m->exact && x->simple) {
			if (x->alive)
				push_id(m->out, m->nout, x->id);
			continue;
		}
		if (*nc == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			*cand = xrealloc(*cand, *cap * sizeof(**cand));
		}
		(*cand)[(*nc)++] = s->subs[i];
	}
}

/* The candidates of one anchor value: subscriptions for this market or any, at this risk or below. */
static void candidates_for(struct matcher *m, const char *anchor_key, const char *member, int risk, size_t **cand,
			   size_t *nc, size_t *cap)
{
	char key[192];
	for (int r = 0; r <= risk; r++) {
		snprintf(key, sizeof(key), "%s|%s|%d", anchor_key, member, r);
		candidates_key(m, key, cand, nc, cap);
		snprintf(key, sizeof(key), "%s|*|%d", anchor_key, r);
		candidates_key(m, key, cand, nc, cap);
	}
}

static void candidates_from(struct matcher *m, const char *anchor_key, size_t **cand, size_t *nc, size_t *cap)
{
	candidates_for(m, anchor_key, m->cur_member, m->cur_risk, cand, nc, cap);
}


/* Anchor keys that begin with code (subscriptions more specific than the notified code): a range of the sorted keys. */
static void longer_keys(struct matcher *m, const struct strv *keys, const char *prefix, const char *code, size_t **cand,
			size_t *nc, size_t *cap)
{
	size_t lo = 0, hi = keys->n, len = strlen(code);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(keys->items[mid], code) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < keys->n && !strncmp(keys->items[i], code, len); i++) {
		struct buf k;
		buf_init(&k, 256);
		buf_addf(&k, "%s%s", prefix, keys->items[i]);
		candidates_from(m, k.s, cand, nc, cap);
		buf_release(&k);
	}
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The stem of a lower-case word, from the cache or Xapian's stemmer. Borrowed until the matcher is freed. */
static const char *stem_of(struct matcher *m, const char *word)
{
	if ((m->stem_used + 1) * 2 > m->stem_cap) {
		size_t ncap = m->stem_cap ? m->stem_cap * 2 : 4096;
		struct stem_entry *nt = xcalloc(ncap, sizeof(*nt));
		for (size_t i = 0; i < m->stem_cap; i++) {
			if (!m->stems[i].word)
				continue;
			size_t j = hash_str(m->stems[i].word) & (ncap - 1);
			while (nt[j].word)
				j = (j + 1) & (ncap - 1);
			nt[j] = m->stems[i];
		}
		free(m->stems);
		m->stems = nt;
		m->stem_cap = ncap;
	}
	size_t j = hash_str(word) & (m->stem_cap - 1);
	while (m->stems[j].word) {
		if (!strcmp(m->stems[j].word, word))
			return m->stems[j].stem;
		j = (j + 1) & (m->stem_cap - 1);
	}
	char out[64];
	idx_stem(m->mem, word, out, sizeof(out));
	m->stems[j].word = xstrdup(word);
	m->stems[j].stem = xstrdup(out);
	m->stem_used++;
	return m->stems[j].stem;
}

static void doc_words(struct matcher *m, const struct notif *n, size_t **cand, size_t *nc, size_t *cap)
{
	/* Every word (stemmed) and every Chinese character of the texts, looked up among the word anchors. */
	for (int l = 0; l < LANG_N; l++) {
		const struct notif_text *t = &n->text[l];
		const char *fields[] = {t->title, t->products, t->description, t->objectives, t->agency, t->member_name,
					t->reason, t->regions};
		for (size_t fi = 0; fi < sizeof(fields) / sizeof(fields[0]); fi++) {
			for (const char *p = fields[fi]; p && *p;) {
				char key[80] = "W:";
				if ((unsigned char)*p >= 0x80) {
					size_t len = (unsigned char)*p >= 0xF0 ? 4 : (unsigned char)*p >= 0xE0 ? 3 : 2;
					snprintf(key + 2, sizeof(key) - 2, "%.*s", (int)len, p);
					if (intern_id(&m->words, key + 2, 0) >= 0)
						candidates_from(m, key, cand, nc, cap);
					p += strnlen(p, len);
					continue;
				}
				if (!isalnum((unsigned char)*p)) {
					p++;
					continue;
				}
				char word[64];
				size_t k = 0;
				while (isalnum((unsigned char)*p)) {
					if (k + 1 < sizeof(word))
						word[k++] = (char)tolower((unsigned char)*p);
					p++;
				}
				word[k] = '\0';
				const char *st = stem_of(m, word);
				if (intern_id(&m->words, st, 0) < 0)
					continue; /* no subscription is anchored by it */
				snprintf(key + 2, sizeof(key) - 2, "%s", st);
				candidates_from(m, key, cand, nc, cap);
			}
		}
	}
	for (size_t i = 0; i < n->keywords.n; i++) {
		char key[80] = "W:", word[64];
		size_t k = 0;
		for (const char *p = n->keywords.items[i]; *p && isalnum((unsigned char)*p) && k + 1 < sizeof(word); p++)
			word[k++] = (char)tolower((unsigned char)*p);
		word[k] = '\0';
		snprintf(key + 2, sizeof(key) - 2, "%s", stem_of(m, word));
		candidates_from(m, key, cand, nc, cap);
	}
}

/* What every check of one notification compares with, computed once. */
static void begin_doc(struct matcher *m, const struct match_doc *d)
{
	m->stamp++;
	m->cur_member = d->n->member;
	m->cur_risk = risk_rank(d->risk);
	m->cur_member_id = intern_id(&m->members, d->n->member, 0);
	size_t words = (m->cats.n + 63) / 64;
	if (words > m->cur_cats_words)
		m->cur_cats = xrealloc(m->cur_cats, words * sizeof(*m->cur_cats));
	m->cur_cats_words = words;
	if (words)
		memset(m->cur_cats, 0, words * sizeof(*m->cur_cats));
	for (size_t i = 0; i < d->cats->n; i++) {
		int c = intern_id(&m->cats, d->cats->m[i].cat->id, 0);
		if (c >= 0)
			m->cur_cats[c / 64] |= 1ULL << (c % 64);
	}
}

size_t matcher_match(struct matcher *m, const struct match_doc *d, int64_t **ids, size_t *n)
{
	size_t *cand = NULL, nc = 0, cap = 0;
	int loaded = 0;
	char key[96];
	if (m->keys_dirty) {
		strv_sort_unique(&m->hs_keys);
		strv_sort_unique(&m->ics_keys);
		m->keys_dirty = 0;
	}
	begin_doc(m, d);
	m->out = ids;
	m->nout = n;
	/* Under category and market keys, simple subscriptions are answers, not candidates. */
	m->exact = 1;
	for (size_t i = 0; i < d->cats->n; i++) {
		snprintf(key, sizeof(key), "C:%s", d->cats->m[i].cat->id);
		candidates_from(m, key, &cand, &nc, &cap);
	}
	snprintf(key, sizeof(key), "M:%s", d->n->member);
	candidates_from(m, key, &cand, &nc, &cap);
	m->exact = 0;
	for (size_t i = 0; i < d->n->hs.n; i++) {
		const char *h = d->n->hs.items[i];
		/* Subscriptions whose prefix the code starts with (8507 for 850760)... */
		for (size_t l = 2; l <= strlen(h); l++) {
			snprintf(key, sizeof(key), "H:%.*s", (int)l, h);
			candidates_from(m, key, &cand, &nc, &cap);
		}
		/* ...and those more specific than the code (850760 for a notified 8507). */
		longer_keys(m, &m->hs_keys, "H:", h, &cand, &nc, &cap);
	}
	for (size_t i = 0; i < d->n->ics.n; i++) {
		const char *c = d->n->ics.items[i];
		for (const char *p = c;; p++) {
			if (*p == '.' || !*p) {
				snprintf(key, sizeof(key), "I:%.*s", (int)(p - c), c);
				candidates_from(m, key, &cand, &nc, &cap);
			}
			if (!*p)
				break;
		}
		longer_keys(m, &m->ics_keys, "I:", c, &cand, &nc, &cap);
	}
	if (m->word_anchors)
		doc_words(m, d->n, &cand, &nc, &cap);
	for (size_t i = 0; i < m->nwild; i++) {
		struct sub *x = &m->subs[m->wild[i]];
		if (x->stamp != m->stamp) {
			x->stamp = m->stamp;
			if (nc == cap) {
				cap = cap ? cap * 2 : 256;
				cand = xrealloc(cand, cap * sizeof(*cand));
			}
			cand[nc++] = m->wild[i];
		}
	}
	size_t checked = 0;
	for (size_t i = 0; i < nc; i++) {
		const struct sub *s = &m->subs[cand[i]];
		if (!s->alive)
			continue;
		checked++;
		if (check(m, s, d, &loaded))
			push_id(ids, n, s->id);
	}
	free(cand);
	if (*n > 1)
		qsort(*ids, *n, sizeof(**ids), cmp_id);
	return checked;
}

size_t matcher_match_all(struct matcher *m, const struct match_doc *d, int64_t **ids, size_t *n)
{
	int loaded = 0;
	size_t checked = 0;
	begin_doc(m, d);
	for (size_t i = 0; i < m->n; i++) {
		const struct sub *s = &m->subs[i];
		if (!s->alive)
			continue;
		checked++;
		if (check(m, s, d, &loaded))
			push_id(ids, n, s->id);
	}
	if (*n > 1)
		qsort(*ids, *n, sizeof(**ids), cmp_id);
	return checked;
}
