/* idx.h: our C API over Xapian (the only C++ in tbtwarn): opaque handles, error codes, no exception crosses. */
#ifndef TBT_IDX_H
#define TBT_IDX_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Value slots: ISO strings, so that string order is date order. */
enum idx_slot {
	IDX_SLOT_DISTRIBUTED = 0,
	IDX_SLOT_DEADLINE = 1,
	IDX_SLOT_MEMBER = 2,
	IDX_SLOT_TYPE = 3,
	IDX_SLOT_YEAR = 4,
	IDX_SLOT_KIND = 5,
	IDX_SLOT_CATEGORY = 6, /* several ids, separated by tabs */
	IDX_SLOT_RISK = 7,
	/* The six facets in one value, so that counting them reads one value per match: member, type, year, kind and
	 * risk, then the categories (tab-separated), the fields separated by \x1f. */
	IDX_SLOT_FACETS = 8,
	IDX_SLOT_N
};

struct idx;
struct idx_query;
struct idx_results;

/*
 * Opens (creating when writable) the index at path. On success *out is a handle to free with idx_free(); on
 * failure *out is NULL, the return is -TBT_EIDX (or -EBUSY when another writer holds the lock) and err says why.
 */
int idx_open(const char *path, int writable, struct idx **out, char *err, size_t errlen);
void idx_free(struct idx *x);
/* Opens a writable index in memory (for matching one document against stored queries). */
int idx_open_memory(struct idx **out, char *err, size_t errlen);
/* The English stem of a lower-case word, as the index stores it, into out (truncated to outlen). */
void idx_stem(struct idx *x, const char *word, char *out, size_t outlen);

/* Number of documents in the index. */
unsigned idx_doccount(struct idx *x);
/* Reads a metadata value; *value is malloc'd (empty string when unset), caller frees. Returns 0 or -TBT_EIDX. */
int idx_get_meta(struct idx *x, const char *key, char **value, char *err, size_t errlen);
/* Sets a metadata value; it becomes durable with the next idx_commit(). */
int idx_set_meta(struct idx *x, const char *key, const char *value, char *err, size_t errlen);
/* Makes every change so far durable, atomically with the metadata. */
int idx_commit(struct idx *x, char *err, size_t errlen);

/*
 * Building one document at a time (writable handles only): idx_doc_begin, then any number of text, term and
 * value calls, then idx_doc_replace, which stores it under docid (replacing what was there).
 */
void idx_doc_begin(struct idx *x);
/* Free text: English words stemmed, Chinese as CJK n-grams. prefix "" for the general field, or e.g. "S" for titles;
 * weight multiplies the within-document frequency. */
void idx_doc_text(struct idx *x, const char *text, unsigned weight, const char *prefix);
/* A boolean term such as "XMUSA". */
void idx_doc_term(struct idx *x, const char *term);
void idx_doc_value(struct idx *x, enum idx_slot slot, const char *value);
/* Stores the document under docid (> 0). Returns 0 or -TBT_EIDX. */
int idx_doc_replace(struct idx *x, unsigned docid, char *err, size_t errlen);
/* Removes a document; a missing one is not an error. */
int idx_delete(struct idx *x, unsigned docid, char *err, size_t errlen);

/* A structured query: free text (Xapian's query syntax: phrases, AND/OR/NOT, +/-) and boolean filters. */
struct idx_query *idx_query_new(void);
void idx_query_free(struct idx_query *q);
/* Appends free text. */
void idx_query_text(struct idx_query *q, const char *text);
/* Adds a filter term. Terms of one group are ORed; groups are ANDed; negate excludes the term instead. */
void idx_query_filter(struct idx_query *q, int group, const char *term, int negate);
/* Adds a range on a value slot; lo or hi may be NULL for an open end. Ranges of one group are ORed with its terms. */
void idx_query_range(struct idx_query *q, int group, enum idx_slot slot, const char *lo, const char *hi);
/* Orders by distribution date, newest first, instead of by relevance. */
void idx_query_sort_date(struct idx_query *q, int by_date);
/* Count facets (member, type, year, kind, category, risk) over all matches, not only the page. */
void idx_query_facets(struct idx_query *q, int on);
/* With facets: visit at least sample matches (0: all, the default) and scale the counts of a larger result. */
void idx_query_facet_sample(struct idx_query *q, unsigned sample);
/* Whether the total and the facet counts are exact (else estimates). */
int idx_results_exact(const struct idx_results *r);


/* The nodes of a query as built for this index, for evaluating it outside Xapian. */
enum idx_qop {
	IDX_Q_TERM,     /* the document has the term */
	IDX_Q_ALL,      /* every document */
	IDX_Q_NONE,     /* no document */
	IDX_Q_AND,      /* every subquery */
	IDX_Q_OR,       /* any subquery */
	IDX_Q_AND_NOT,  /* the first subquery and none of the others */
	IDX_Q_PHRASE,   /* terms in order or near each other: needs every subquery (a term), then positions */
	IDX_Q_UNKNOWN   /* decided only by a search (value ranges and the like); no subqueries given */
};
/* Calls node(arg, op, term, nsub) for each node of q in prefix order (term, a borrowed NUL-terminated string, only for
 * IDX_Q_TERM; nsub subqueries follow). Returns 0, or -1 when q cannot be built without the database's terms
 * (wildcards) or at all. */
int idx_query_walk(struct idx *x, const struct idx_query *q, void (*node)(void *arg, enum idx_qop op, const char *term,
									size_t nsub),
		   void *arg);
/* Calls cb(arg, term) for each term of the document being built (after idx_doc_begin; term borrowed). */
void idx_doc_terms(struct idx *x, void (*cb)(void *arg, const char *term), void *arg);

/* Runs the query. *out is freed with idx_results_free(). Returns 0, -EINVAL (bad query syntax) or -TBT_EIDX. */
int idx_search(struct idx *x, const struct idx_query *q, unsigned offset, unsigned limit, struct idx_results **out,
	       char *err, size_t errlen);
void idx_results_free(struct idx_results *r);
/* Total matches (exact when facets were counted, otherwise Xapian's estimate). */
unsigned idx_results_total(const struct idx_results *r);
size_t idx_results_count(const struct idx_results *r);
unsigned idx_results_docid(const struct idx_results *r, size_t i);
double idx_results_score(const struct idx_results *r, size_t i);
/* The value of slot in the i-th hit's document (categories and risk as indexed), "" when none. Borrowed. */
const char *idx_results_value(const struct idx_results *r, size_t i, enum idx_slot slot);
/* Facet counts for a slot, most frequent first: returns how many; value/count of the k-th via the out arrays
 * (borrowed, valid until idx_results_free). */
size_t idx_results_facet(const struct idx_results *r, enum idx_slot slot, const char *const **values,
			 const unsigned **counts);

#ifdef __cplusplus
}
#endif

/* The benchmarks' switches, to measure a plan against the one it replaced (docs/performance.md): off, or on when the
 * environment names them (TBTWARN_NO_FACET_SLOT, ..._NO_MONTH_SORT, ..._NO_MONTH_PLAN), read once; tests set them. */
#ifdef __cplusplus
extern "C" {
#endif
enum idx_switch { IDX_NO_FACET_SLOT, IDX_NO_MONTH_SORT, IDX_NO_MONTH_PLAN };
void idx_set_switch(enum idx_switch s, int on);
#ifdef __cplusplus
}
#endif

#endif
