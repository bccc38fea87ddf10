/* match.c: the subscription index and the exact check of candidates.
 *
 * Each subscription is filed under the values of one field it requires (a category, an HS or ICS code, a term of its
 * query, a market), split by the market, minimum risk and type it also asks for. A notification looks up its own
 * values; a subscription found there that asks for nothing more is an answer without a check, the others are checked.
 * Queries are compiled once into a small program over term numbers and run against the notification's terms, which
 * terms.c finds without Xapian (Xapian's term generator is asked only for text terms.c cannot read, and a search only
 * for phrases and ranges). Answers are collected once each (a bitmap over the subscriptions) with their ids, and
 * radix-sorted by id. */
#include "match.h"

#include "buf.h"
#include "idx.h"
#include "intern.h"
#include "qprog.h"
#include "query.h"
#include "terms.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sub {
	int64_t id;
	struct sub_filter f;
	struct idx_query *q; /* parsed query, or NULL */
	uint32_t prog;       /* q compiled: its offset in the matcher's code, or NO_PROG */
	/* The filter's markets and categories as interned numbers, and its kinds as a mask of enum notif_rel. */
	uint16_t *members, *cats;
	size_t nmembers, ncats;
	unsigned kinds;
};

/* A subscription that matches when found: its index, and its id (low 32 bits), so that answers are read out from
 * the group without touching anything indexed by subscription. */
struct exact_ref {
	uint32_t sub, id;
};

/* A subscription to check when found: its index, and its program when that is all there is left to check (the slot
 * and the group having said the rest), else NO_PROG. */
struct check_ref {
	uint32_t sub, id, prog;
	/* When the program is one term or two joined by AND: their numbers (NO_PROG for none), so that the check needs
	 * neither the program nor the subscription. */
	uint32_t t1, t2;
};

/* The subscriptions filed under one value that also ask for this market (-1: any), minimum risk and type (0: any):
 * exact ones match whenever they are found, the others are checked. */
struct group {
	int member, min_risk, type;
	struct exact_ref *exact;
	struct check_ref *check;
	size_t nexact, ncheck, capexact, capcheck;
};

/* A value of the index ("C:toys_games", "H:8507", "I:97.200", "M:USA"; query terms are numbered instead) and its
 * groups. */
struct slot {
	char *key;
	struct group *g;
	size_t ng;
};

/* A word of the text seen before: its terms' numbers (-1: no query has it), plain and with the title's prefix. */
struct word_entry {
	char *word, *stem;
	size_t len;
	char head[16]; /* the word's first bytes, compared without following word (most words fit) */
	uint32_t vocab_n; /* the vocabulary's size when the numbers were looked up */
	int32_t plain, stemmed, title, title_stemmed;
};

struct matcher {
	struct sub *subs;
	size_t n, cap, alive;
	/* Ids are kept in 32 bits beside each filed subscription; wide_ids when some id does not fit (then they are read
	 * from subs). max_id: the largest, for the radix sort. */
	int wide_ids;
	uint32_t max_id;
	int ascending;  /* ids grow with the index, so answers come out sorted */
	struct slot *table; /* open addressing, a power of two */
	size_t tcap, tused;
	struct slot *term_slots; /* by term number */
	size_t term_slots_cap;
	size_t *wild; /* subscriptions without an anchor */
	size_t nwild, capwild;
	size_t nprogs; /* subscriptions with a query */
	struct qprog prog; /* the compiled queries, one after the other */
	uint64_t *dead; /* one bit per subscription removed */
	/* Sorted HS and ICS anchor keys, for the subscriptions whose prefix is longer than a notified code. */
	struct strv hs_keys, ics_keys;
	int keys_dirty;
	struct idx *mem; /* one document at a time, for what only Xapian can decide */
	/* Subscription id -> index in subs, open addressing (index + 1; 0 is empty). */
	size_t *by_id;
	size_t id_cap, id_used;
	struct intern members, cats, vocab;
	/* The notification being matched: its market's number (-1 when no subscription names it), risk, type and
	 * categories as a bitset over the category numbers. */
	const struct match_doc *doc;
	int cur_member_id, cur_risk, cur_type;
	uint64_t *cur_cats;
	size_t cur_cats_words;
	/* Its terms: term_seen[t] == stamp when it has term t; anchored lists the terms that subscriptions are filed
	 * under. doc_state: 0 not in Xapian, 1 built there, 2 searchable there. */
	uint32_t *term_seen;
	size_t term_seen_cap;
	uint32_t stamp;
	uint32_t *anchored;
	size_t nanchored, capanchored;
	int doc_state, unsure;
	const char *text_prefix;
	/* Answers and subscriptions already checked, one bit per subscription. */
	uint64_t *hit, *seen;
	size_t bits_words;
	size_t checked;
	/* The answers in the order found, each once (hit says which are in), as id << 32 | index, and room to sort
	 * them. */
	uint64_t *hits, *sorted;
	size_t nhits, caphits;
	struct word_entry *words;
	size_t words_cap, words_used;
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

static void push_index(size_t **a, size_t *n, size_t *cap, size_t v)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		*a = xrealloc(*a, *cap * sizeof(**a));
	}
	(*a)[(*n)++] = v;
}

static void slot_add(struct slot *s, int member, int min_risk, int type, int exact, uint32_t prog,
		     const uint32_t *terms, size_t sub, int64_t id)
{
	/* Groups are kept in order of market (any first), so that a notification reads two short runs of them. */
	struct group *g = NULL;
	size_t at = 0;
	while (at < s->ng && s->g[at].member < member)
		at++;
	for (size_t i = at; i < s->ng && s->g[i].member == member && !g; i++)
		if (s->g[i].min_risk == min_risk && s->g[i].type == type)
			g = &s->g[i];
	if (!g) {
		s->g = xrealloc(s->g, (s->ng + 1) * sizeof(*s->g));
		memmove(s->g + at + 1, s->g + at, (s->ng - at) * sizeof(*s->g));
		s->ng++;
		g = &s->g[at];
		memset(g, 0, sizeof(*g));
		g->member = member;
		g->min_risk = min_risk;
		g->type = type;
	}
	if (exact) {
		if (g->nexact == g->capexact) {
			g->capexact = g->capexact ? g->capexact * 2 : 4;
			g->exact = xrealloc(g->exact, g->capexact * sizeof(*g->exact));
		}
		g->exact[g->nexact++] = (struct exact_ref){(uint32_t)sub, (uint32_t)id};
	} else {
		if (g->ncheck == g->capcheck) {
			g->capcheck = g->capcheck ? g->capcheck * 2 : 4;
			g->check = xrealloc(g->check, g->capcheck * sizeof(*g->check));
		}
		g->check[g->ncheck++] = (struct check_ref){(uint32_t)sub, (uint32_t)id, prog, terms[0], terms[1]};
	}
}

static void slot_release(struct slot *s)
{
	for (size_t i = 0; i < s->ng; i++) {
		free(s->g[i].exact);
		free(s->g[i].check);
	}
	free(s->g);
	free(s->key);
}

/* The terms of a program that is one term or two joined by AND, in terms[0..1]; NO_PROG where there is none. */
static void inline_terms(const struct matcher *m, uint32_t prog, uint32_t *terms)
{
	const struct qnode *q = prog != NO_PROG ? m->prog.code + prog : NULL;
	terms[0] = terms[1] = NO_PROG;
	if (q && q->op == IDX_Q_TERM) {
		terms[0] = q->arg;
	} else if (q && q->op == IDX_Q_AND && q->arg == 2 && q[1].op == IDX_Q_TERM && q[2].op == IDX_Q_TERM) {
		terms[0] = q[1].arg;
		terms[1] = q[2].arg;
	}
}

/* Files the subscription under a slot, once per market it names (markets are part of the group, except under a
 * market's own key). exact: found, it matches; else prog: found, it matches if its program says so (NO_PROG: check
 * it all). */
static void file_under(struct matcher *m, struct slot *sl, int by_member, int exact, uint32_t prog, size_t sub)
{
	const struct sub *s = &m->subs[sub];
	uint32_t terms[2];
	inline_terms(m, prog, terms);
	if (by_member || !s->nmembers) {
		slot_add(sl, -1, s->f.min_risk, s->f.type, exact, prog, terms, sub, s->id);
		return;
	}
	for (size_t i = 0; i < s->nmembers; i++)
		slot_add(sl, s->members[i], s->f.min_risk, s->f.type, exact, prog, terms, sub, s->id);
}

static void anchor(struct matcher *m, const char *prefix, const char *value, int exact, uint32_t prog, size_t sub)
{
	struct buf k;
	buf_init(&k, 512);
	buf_addf(&k, "%s%s", prefix, value);
	file_under(m, find_slot(m, k.s, 1), !strcmp(prefix, "M:"), exact, prog, sub);
	buf_release(&k);
}

struct matcher *matcher_new(char *err, size_t errlen)
{
	struct matcher *m = xcalloc(1, sizeof(*m));
	strv_init(&m->hs_keys);
	strv_init(&m->ics_keys);
	m->members.limit = 65535;
	m->cats.limit = 65535;
	m->vocab.limit = (size_t)1 << 30;
	m->ascending = 1;
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
	intern_release(&m->vocab);
	free(m->cur_cats);
	free(m->subs);
	qprog_release(&m->prog);
	free(m->dead);
	for (size_t i = 0; i < m->tcap; i++)
		if (m->table[i].key)
			slot_release(&m->table[i]);
	free(m->table);
	for (size_t i = 0; i < m->term_slots_cap; i++)
		slot_release(&m->term_slots[i]);
	free(m->term_slots);
	free(m->wild);
	free(m->by_id);
	strv_release(&m->hs_keys);
	strv_release(&m->ics_keys);
	free(m->term_seen);
	free(m->anchored);
	free(m->hit);
	free(m->seen);
	free(m->hits);
	free(m->sorted);
	for (size_t i = 0; i < m->words_cap; i++) {
		free(m->words[i].word);
		free(m->words[i].stem);
	}
	free(m->words);
	idx_free(m->mem);
	free(m);
}

size_t matcher_count(const struct matcher *m)
{
	return m->alive;
}

/* Whether the subscription at index i was removed (or replaced). */
static int is_dead(const struct matcher *m, size_t i)
{
	return m->dead[i / 64] >> (i % 64) & 1;
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
		if (m->subs[i].id == id && !is_dead(m, i))
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

static struct slot *term_slot(struct matcher *m, uint32_t t)
{
	if (t >= m->term_slots_cap) {
		size_t ncap = m->term_slots_cap ? m->term_slots_cap : 256;
		while (ncap <= t)
			ncap *= 2;
		m->term_slots = xrealloc(m->term_slots, ncap * sizeof(*m->term_slots));
		memset(m->term_slots + m->term_slots_cap, 0, (ncap - m->term_slots_cap) * sizeof(*m->term_slots));
		m->term_slots_cap = ncap;
	}
	return &m->term_slots[t];
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
		size_t old = m->cap;
		m->cap = m->cap ? m->cap * 2 : 1024;
		m->subs = xrealloc(m->subs, m->cap * sizeof(*m->subs));
		m->dead = xrealloc(m->dead, m->cap / 64 * sizeof(*m->dead));
		memset(m->dead + old / 64, 0, (m->cap - old) / 64 * sizeof(*m->dead));
	}
	size_t i = m->n++;
	struct sub *s = &m->subs[i];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->q = q;
	s->prog = NO_PROG;
	if (i && m->subs[i - 1].id >= id)
		m->ascending = 0;
	if (id < 0 || id > (int64_t)UINT32_MAX)
		m->wide_ids = 1;
	else if ((uint32_t)id > m->max_id)
		m->max_id = (uint32_t)id;
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
	if (q) {
		s->prog = qprog_compile(&m->prog, &m->vocab, m->mem, q);
		m->nprogs++;
	}
	m->alive++;
	remember_id(m, id, i);
	/* One anchor field: the most selective that the subscription has. Found under it, the subscription matches
	 * without a check when it asks for nothing else than what the slot and group say. */
	uint32_t terms[ANCHOR_MAX];
	const struct qnode *prog = s->prog != NO_PROG ? m->prog.code + s->prog : NULL;
	int nterms = prog ? qprog_anchors(&m->vocab, prog, terms) : -1;
	/* What is left to check once the anchor field, market, risk and type are known to match: nothing (exact), the
	 * program alone, or everything. */
	int others = s->kinds || (s->f.categories.n && (s->f.hs.n || s->f.ics.n)) || (s->f.hs.n && s->f.ics.n);
	int exact = !others && !prog;
	uint32_t left = others ? NO_PROG : s->prog;
	if (s->f.categories.n) {
		for (size_t k = 0; k < s->f.categories.n; k++)
			anchor(m, "C:", s->f.categories.items[k], exact, left, i);
	} else if (s->f.hs.n) {
		for (size_t k = 0; k < s->f.hs.n; k++) {
			anchor(m, "H:", s->f.hs.items[k], exact, left, i);
			strv_push(&m->hs_keys, s->f.hs.items[k]);
		}
		m->keys_dirty = 1;
	} else if (s->f.ics.n) {
		for (size_t k = 0; k < s->f.ics.n; k++) {
			anchor(m, "I:", s->f.ics.items[k], exact, left, i);
			strv_push(&m->ics_keys, s->f.ics.items[k]);
		}
		m->keys_dirty = 1;
	} else if (nterms >= 0) {
		for (int k = 0; k < nterms; k++)
			file_under(m, term_slot(m, terms[k]), 0, !others && qprog_anchor_decides(prog), left, i);
	} else if (s->f.members.n) {
		for (size_t k = 0; k < s->f.members.n; k++)
			anchor(m, "M:", s->f.members.items[k], exact, left, i);
	} else {
		push_index(&m->wild, &m->nwild, &m->capwild, i);
	}
	return 0;
}

int matcher_remove(struct matcher *m, int64_t id)
{
	size_t i = find_id(m, id);
	if (i == (size_t)-1)
		return -ENOENT;
	/* Its anchors stay in the index and are skipped: a removal is rare, a rebuild reclaims them. */
	m->dead[i / 64] |= 1ULL << (i % 64);
	m->alive--;
	if (m->nprogs && m->subs[i].prog != NO_PROG)
		m->nprogs--;
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

/* The notification in the in-memory Xapian index: built (for its terms), then searchable (for a search). */
static void load_doc(struct matcher *m, int searchable)
{
	char err[ERRBUF_SIZE];
	const struct match_doc *d = m->doc;
	if (!m->doc_state) {
		struct risk r;
		memset(&r, 0, sizeof(r));
		r.level = d->risk;
		idx_doc_begin(m->mem);
		query_index_record(m->mem, d->n, d->cats, d->risk ? &r : NULL);
		m->doc_state = 1;
	}
	if (searchable && m->doc_state == 1) {
		idx_doc_replace(m->mem, 1, err, sizeof(err));
		m->doc_state = 2;
	}
}

static int check(struct matcher *m, const struct sub *s)
{
	const struct notif *n = m->doc->n;
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
	if (s->prog != NO_PROG) {
		/* Most queries are words and operators, decided from the terms; the rest take a search. */
		int quick = qprog_run(m->prog.code + s->prog, m->term_seen, m->stamp);
		if (quick >= 0)
			return quick;
		struct idx_results *r = NULL;
		char err[ERRBUF_SIZE];
		load_doc(m, 1);
		if (idx_search(m->mem, s->q, 0, 1, &r, err, sizeof(err)))
			return 0;
		int ok = idx_results_count(r) > 0;
		idx_results_free(r);
		return ok;
	}
	return 1;
}

static void hits_room(struct matcher *m, size_t more)
{
	if (m->nhits + more > m->caphits) {
		while (m->nhits + more > m->caphits)
			m->caphits = m->caphits ? m->caphits * 2 : 1024;
		m->hits = xrealloc(m->hits, m->caphits * sizeof(*m->hits));
		m->sorted = xrealloc(m->sorted, m->caphits * sizeof(*m->sorted));
	}
}

/* Checks subscription x once per notification, by its program alone when c says that is all it needs (c is NULL for
 * subscriptions without an anchor). */
static void check_once(struct matcher *m, size_t x, const struct check_ref *c)
{
	if ((m->seen[x / 64] >> (x % 64) & 1) || is_dead(m, x))
		return;
	m->seen[x / 64] |= 1ULL << (x % 64);
	m->checked++;
	int r;
	if (!c || c->prog == NO_PROG)
		r = -1;
	else if (c->t1 != NO_PROG)
		r = m->term_seen[c->t1] == m->stamp && (c->t2 == NO_PROG || m->term_seen[c->t2] == m->stamp);
	else
		r = qprog_run(m->prog.code + c->prog, m->term_seen, m->stamp);
	if (r < 0)
		r = check(m, &m->subs[x]);
	if (r) {
		m->hit[x / 64] |= 1ULL << (x % 64);
		hits_room(m, 1);
		m->hits[m->nhits++] = (uint64_t)(c ? c->id : (uint32_t)m->subs[x].id) << 32 | x;
	}
}

/* The subscriptions of a slot whose group the notification satisfies: exact ones are answers, the others are
 * checked. */
static void gather_groups(struct matcher *m, const struct group *g, const struct group *end)
{
	for (; g < end; g++) {
		if (g->min_risk > m->cur_risk || (g->type && g->type != m->cur_type))
			continue;
		hits_room(m, g->nexact);
		/* Without branches: an index already in costs a store that the next one overwrites. */
		uint64_t *hits = m->hits;
		uint64_t *hit = m->hit;
		size_t nh = m->nhits;
		for (size_t k = 0; k < g->nexact; k++) {
			uint32_t x = g->exact[k].sub;
			uint64_t w = hit[x / 64], bit = 1ULL << (x % 64);
			hits[nh] = (uint64_t)g->exact[k].id << 32 | x;
			nh += !(w & bit);
			hit[x / 64] = w | bit;
		}
		m->nhits = nh;
		for (size_t k = 0; k < g->ncheck; k++)
			check_once(m, g->check[k].sub, &g->check[k]);
	}
}

/* The groups for any market, then those for the notification's market (found by bisection). */
static void gather(struct matcher *m, const struct slot *sl)
{
	const struct group *g = sl->g;
	size_t any = 0;
	while (any < sl->ng && g[any].member < 0)
		any++;
	gather_groups(m, g, g + any);
	if (m->cur_member_id < 0)
		return;
	size_t lo = any, hi = sl->ng;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (g[mid].member < m->cur_member_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t to = lo;
	while (to < sl->ng && g[to].member == m->cur_member_id)
		to++;
	gather_groups(m, g + lo, g + to);
}

/* Gathers under the key prefix (two characters) + value[0..len). */
static void gather_key(struct matcher *m, const char *prefix, const char *value, size_t len)
{
	char key[96];
	if (len + 3 > sizeof(key))
		return; /* no code that long is filed */
	memcpy(key, prefix, 2);
	memcpy(key + 2, value, len);
	key[len + 2] = '\0';
	const struct slot *sl = find_slot(m, key, 0);
	if (sl)
		gather(m, sl);
}

/* Anchor keys that begin with code (subscriptions more specific than the notified code): a range of the sorted keys.
 * An ICS code continues at a dot: 13.020 takes 13.020.01, not 13.0201. */
static void longer_keys(struct matcher *m, const struct strv *keys, const char *prefix, const char *code, int dotted)
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
		const char *k = keys->items[i];
		if (!k[len] || (dotted && k[len] != '.'))
			continue; /* the code itself was looked up already */
		gather_key(m, prefix, k, strlen(k));
	}
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Marks term t as the document's; the first time, notes it when subscriptions are filed under it. */
static void mark(struct matcher *m, int t)
{
	if (t < 0 || m->term_seen[t] == m->stamp)
		return;
	m->term_seen[t] = m->stamp;
	if ((size_t)t < m->term_slots_cap && m->term_slots[t].ng) {
		if (m->nanchored == m->capanchored) {
			m->capanchored = m->capanchored ? m->capanchored * 2 : 64;
			m->anchored = xrealloc(m->anchored, m->capanchored * sizeof(*m->anchored));
		}
		m->anchored[m->nanchored++] = (uint32_t)t;
	}
}

static int32_t vocab_cat(struct matcher *m, const char *a, const char *b, const char *c)
{
	struct buf t;
	buf_init(&t, BUF_NOMAX);
	buf_addf(&t, "%s%s%s", a, b, c);
	int id = intern_id(&m->vocab, t.s, 0);
	buf_release(&t);
	return id;
}

/* The cached entry of a word, its term numbers looked up again when queries have added terms since. */
static const struct word_entry *word_of(struct matcher *m, const char *word, size_t len)
{
	if ((m->words_used + 1) * 2 > m->words_cap) {
		if (m->words_used >= (1u << 20)) {
			/* Bounded: a long-running service sees new words for ever. Start again. */
			for (size_t i = 0; i < m->words_cap; i++) {
				free(m->words[i].word);
				free(m->words[i].stem);
			}
			memset(m->words, 0, m->words_cap * sizeof(*m->words));
			m->words_used = 0;
		} else {
			size_t ncap = m->words_cap ? m->words_cap * 2 : 4096;
			struct word_entry *nt = xcalloc(ncap, sizeof(*nt));
			for (size_t i = 0; i < m->words_cap; i++) {
				if (!m->words[i].word)
					continue;
				size_t j = hash_str(m->words[i].word) & (ncap - 1);
				while (nt[j].word)
					j = (j + 1) & (ncap - 1);
				nt[j] = m->words[i];
			}
			free(m->words);
			m->words = nt;
			m->words_cap = ncap;
		}
	}
	size_t j = hash_mem(word, len) & (m->words_cap - 1);
	struct word_entry *e;
	for (;; j = (j + 1) & (m->words_cap - 1)) {
		e = &m->words[j];
		if (!e->word)
			break;
		size_t k = 0;
		if (e->len == len) {
			const char *w = len <= sizeof(e->head) ? e->head : e->word;
			while (k < len && w[k] == word[k])
				k++;
		}
		if (e->len == len && k == len) {
			if (e->vocab_n == m->vocab.n)
				return e;
			goto lookup;
		}
	}
	e->word = xstrndup(word, len);
	e->len = len;
	memcpy(e->head, word, len < sizeof(e->head) ? len : sizeof(e->head));
	m->words_used++;
	if (terms_stemmed(e->word)) {
		char stem[256];
		idx_stem(m->mem, e->word, stem, sizeof(stem));
		if (*stem)
			e->stem = xstrdup(stem);
	}
lookup:
	e->vocab_n = (uint32_t)m->vocab.n;
	e->plain = intern_id(&m->vocab, e->word, 0);
	e->title = vocab_cat(m, "S", e->word, "");
	e->stemmed = e->stem ? vocab_cat(m, "Z", e->stem, "") : -1;
	e->title_stemmed = e->stem ? vocab_cat(m, "ZS", e->stem, "") : -1;
	return e;
}

static void on_word(void *arg, const char *word, size_t len)
{
	struct matcher *m = arg;
	const struct word_entry *e = word_of(m, word, len);
	const char *p = m->text_prefix;
	if (!*p) {
		mark(m, e->plain);
		mark(m, e->stemmed);
	} else if (!strcmp(p, "S")) {
		mark(m, e->title);
		mark(m, e->title_stemmed);
	} else {
		mark(m, vocab_cat(m, p, e->word, ""));
		if (e->stem)
			mark(m, vocab_cat(m, "Z", p, e->stem));
	}
}

static void on_text(void *arg, const char *text, unsigned weight, const char *prefix)
{
	struct matcher *m = arg;
	(void)weight;
	if (m->unsure)
		return;
	m->text_prefix = prefix ? prefix : "";
	if (!strcmp(m->text_prefix, "S") && !m->prog.title_terms)
		return; /* the title as title:... terms, and no query has any */
	if (terms_of_text(text, strlen(text), on_word, m))
		m->unsure = 1;
}

static void on_term(void *arg, const char *term)
{
	struct matcher *m = arg;
	if (strlen(term) < 240) /* as idx_doc_term: Xapian refuses longer terms */
		mark(m, intern_id(&m->vocab, term, 0));
}

/* The notification's terms that some query names, marked in term_seen. */
static void doc_terms(struct matcher *m)
{
	struct risk r;
	const struct match_doc *d = m->doc;
	struct doc_sink sink = {on_text, on_term, NULL, m};
	memset(&r, 0, sizeof(r));
	r.level = d->risk;
	m->unsure = 0;
	query_record_doc(d->n, d->cats, d->risk ? &r : NULL, &sink);
	if (m->unsure) {
		/* Text that terms.c does not model: Xapian's term generator decides. */
		load_doc(m, 0);
		idx_doc_terms(m->mem, on_term, m);
	}
}

/* What every check of one notification compares with, computed once. */
static void begin_doc(struct matcher *m, const struct match_doc *d)
{
	m->doc = d;
	m->doc_state = 0;
	m->nanchored = 0;
	m->checked = 0;
	m->nhits = 0;
	if (++m->stamp == 0) {
		if (m->term_seen_cap)
			memset(m->term_seen, 0, m->term_seen_cap * sizeof(*m->term_seen));
		m->stamp = 1;
	}
	m->cur_risk = risk_rank(d->risk);
	m->cur_type = (int)d->n->type;
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
	if (m->vocab.n > m->term_seen_cap) {
		size_t ncap = m->vocab.cap;
		m->term_seen = xrealloc(m->term_seen, ncap * sizeof(*m->term_seen));
		memset(m->term_seen + m->term_seen_cap, 0, (ncap - m->term_seen_cap) * sizeof(*m->term_seen));
		m->term_seen_cap = ncap;
	}
	if (m->nprogs)
		doc_terms(m);
}

/* Sorts the answers by id with a radix sort, eight bits a pass, as many passes as the largest id needs: no
 * comparisons, and the ids come from the groups, not from an array by subscription (reading that was half of a
 * match: 1,700 cache misses). */
static uint64_t *sort_hits(struct matcher *m)
{
	uint64_t *a = m->hits, *b = m->sorted;
	for (unsigned shift = 32; shift < 64 && (uint64_t)m->max_id >> (shift - 32); shift += 8) {
		size_t count[257] = {0};
		for (size_t i = 0; i < m->nhits; i++)
			count[(a[i] >> shift & 0xFF) + 1]++;
		for (size_t k = 1; k < 257; k++)
			count[k] += count[k - 1];
		for (size_t i = 0; i < m->nhits; i++)
			b[count[a[i] >> shift & 0xFF]++] = a[i];
		uint64_t *t = a;
		a = b;
		b = t;
	}
	return a;
}

/* Appends the answers (live subscriptions) to *ids in ascending id order. */
static void read_out(struct matcher *m, int64_t **ids, size_t *n)
{
	if (!m->nhits)
		return;
	const uint64_t *order = m->wide_ids ? m->hits : sort_hits(m);
	int64_t *out = xrealloc(*ids, (*n + m->nhits) * sizeof(*out));
	size_t from = *n, k = *n;
	for (size_t i = 0; i < m->nhits; i++) {
		uint32_t x = (uint32_t)order[i];
		out[k] = m->wide_ids ? m->subs[x].id : (int64_t)(order[i] >> 32);
		k += !is_dead(m, x);
	}
	*ids = out;
	*n = k;
	if (m->wide_ids && k - from > 1)
		qsort(out + from, k - from, sizeof(*out), cmp_id);
}

size_t matcher_match(struct matcher *m, const struct match_doc *d, int64_t **ids, size_t *n)
{
	if (m->keys_dirty) {
		strv_sort_unique(&m->hs_keys);
		strv_sort_unique(&m->ics_keys);
		m->keys_dirty = 0;
	}
	if (!m->n)
		return 0; /* nobody has subscribed */
	size_t words = (m->n + 63) / 64;
	if (words > m->bits_words) {
		free(m->hit);
		free(m->seen);
		m->hit = xcalloc(words, sizeof(*m->hit));
		m->seen = xcalloc(words, sizeof(*m->seen));
	}
	m->bits_words = words;
	memset(m->hit, 0, words * sizeof(*m->hit));
	memset(m->seen, 0, words * sizeof(*m->seen));
	begin_doc(m, d);
	for (size_t i = 0; i < d->cats->n; i++)
		gather_key(m, "C:", d->cats->m[i].cat->id, strlen(d->cats->m[i].cat->id));
	gather_key(m, "M:", d->n->member, strlen(d->n->member));
	for (size_t i = 0; i < d->n->hs.n; i++) {
		const char *h = d->n->hs.items[i];
		/* Subscriptions whose prefix the code starts with (8507 for 850760)... */
		for (size_t l = 2, hl = strlen(h); l <= hl; l++)
			gather_key(m, "H:", h, l);
		/* ...and those more specific than the code (850760 for a notified 8507). */
		longer_keys(m, &m->hs_keys, "H:", h, 0);
	}
	for (size_t i = 0; i < d->n->ics.n; i++) {
		const char *c = d->n->ics.items[i];
		for (const char *p = c;; p++) {
			if (*p == '.' || !*p)
				gather_key(m, "I:", c, (size_t)(p - c));
			if (!*p)
				break;
		}
		longer_keys(m, &m->ics_keys, "I:", c, 1);
	}
	for (size_t i = 0; i < m->nanchored; i++)
		gather(m, &m->term_slots[m->anchored[i]]);
	for (size_t i = 0; i < m->nwild; i++)
		check_once(m, m->wild[i], NULL);
	read_out(m, ids, n);
	return m->checked;
}

size_t matcher_match_all(struct matcher *m, const struct match_doc *d, int64_t **ids, size_t *n)
{
	size_t checked = 0;
	begin_doc(m, d);
	for (size_t i = 0; i < m->n; i++) {
		const struct sub *s = &m->subs[i];
		if (is_dead(m, i))
			continue;
		checked++;
		if (check(m, s)) {
			if (!(*n & (*n - 1)) || !*n)
				*ids = xrealloc(*ids, (*n ? *n * 2 : 16) * sizeof(**ids));
			(*ids)[(*n)++] = s->id;
		}
	}
	if (!m->ascending && *n > 1)
		qsort(*ids, *n, sizeof(**ids), cmp_id);
	return checked;
}

void sub_filter_query(const struct sub_filter *f, struct buf *q)
{
	static const char *const risks[] = {"low,medium,high", "medium,high", "high"};
	for (size_t i = 0; i < f->categories.n; i++)
		buf_addf(q, " category:%s", f->categories.items[i]);
	for (size_t i = 0; i < f->members.n; i++)
		buf_addf(q, " member:%s", f->members.items[i]);
	for (size_t i = 0; i < f->hs.n; i++)
		buf_addf(q, " hs:%s", f->hs.items[i]);
	for (size_t i = 0; i < f->ics.n; i++)
		buf_addf(q, " ics:%s", f->ics.items[i]);
	for (size_t i = 0; i < f->kinds.n; i++)
		buf_addf(q, " kind:%s", f->kinds.items[i]);
	if (f->type)
		buf_addf(q, " type:%s", f->type == NT_SPS ? "sps" : "tbt");
	if (f->min_risk > 0 && f->min_risk <= 2)
		buf_addf(q, " risk:%s", risks[f->min_risk]);
	if (f->query && *f->query)
		buf_addf(q, " (%s)", f->query);
}

char *sub_keywords_query(const char *keywords)
{
	static const char *const seps[] = {",", ";", "\n", "\r", "，", "；", "、", NULL};
	struct buf q;
	buf_init(&q, BUF_NOMAX);
	const char *p = keywords;
	while (p && *p) {
		/* The next separator. */
		size_t n = strlen(p), sl = 0;
		for (int i = 0; seps[i]; i++) {
			const char *x = strstr(p, seps[i]);
			if (x && (size_t)(x - p) < n) {
				n = (size_t)(x - p);
				sl = strlen(seps[i]);
			}
		}
		struct buf w;
		buf_init(&w, BUF_NOMAX);
		for (size_t i = 0; i < n; i++)
			if (!strchr("\"():", p[i]))
				buf_addch(&w, p[i]);
		char *word = strndup_trim(w.s ? w.s : "", w.len);
		buf_release(&w);
		/* An operator word is a word: AND, OR, NOT, XOR anywhere in the keyword are lower-cased. */
		for (char *c = word; *c;) {
			size_t wl = strcspn(c, " \t");
			if ((wl == 3 && (!strncmp(c, "AND", 3) || !strncmp(c, "NOT", 3) || !strncmp(c, "XOR", 3))) ||
			    (wl == 2 && !strncmp(c, "OR", 2)))
				for (size_t k = 0; k < wl; k++)
					c[k] = (char)(c[k] - 'A' + 'a');
			c += wl;
			while (*c == ' ' || *c == '\t')
				c++;
		}
		if (*word) {
			if (q.len)
				buf_addstr(&q, " OR ");
			if (strpbrk(word, " \t"))
				buf_addf(&q, "\"%s\"", word);
			else
				buf_addstr(&q, word);
		}
		free(word);
		p += n + sl;
		if (!sl)
			break;
	}
	if (!q.len) {
		buf_release(&q);
		return NULL;
	}
	return buf_detach(&q);
}
