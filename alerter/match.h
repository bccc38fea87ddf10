/* match.h: standing subscriptions matched against one notification at a time, without scanning them all: an index
 * by what each subscription requires (a category, an HS or ICS prefix, a market, or a word of its query) yields the
 * candidates, and only those are checked exactly, in the manner of a percolator. */
#ifndef TBT_MATCH_H
#define TBT_MATCH_H

#include "classify.h"
#include "buf.h"
#include "record.h"

#include <stddef.h>
#include <stdint.h>

/* What a subscription asks for. Within a field any value matches; every field given must match. */
struct sub_filter {
	struct strv categories; /* category ids */
	struct strv hs;         /* HS prefixes, digits */
	struct strv ics;        /* ICS codes at any level */
	struct strv members;    /* WTO codes */
	struct strv kinds;      /* notification, addendum, corrigendum, revision, supplement */
	int type;               /* 0: any; NT_TBT or NT_SPS */
	int min_risk;           /* 0 low, 1 medium, 2 high */
	char *query;            /* in the archive's query language, or NULL */
};

void sub_filter_init(struct sub_filter *f);
void sub_filter_release(struct sub_filter *f);
/* The filter as a search in the query language (appended to q), so that a page can show what it would have matched. */
void sub_filter_query(const struct sub_filter *f, struct buf *q);
/*
 * A form's keywords as a list, any of which matches: "锂电池，充电器; power bank" -> 锂电池 OR 充电器 OR "power bank".
 * Separators: commas, semicolons, 、 and new lines (ASCII or full width); a keyword of several words is a phrase;
 * quotes, parentheses and colons are dropped and operator words lower-cased, so that a keyword is only words.
 * Returns a malloc'd query, or NULL when there is no keyword.
 */
char *sub_keywords_query(const char *keywords);

struct matcher;

/* An empty matcher. Returns NULL with err if the in-memory index for queries cannot be made. */
struct matcher *matcher_new(char *err, size_t errlen);
void matcher_free(struct matcher *m);

/* Adds (or replaces) the subscription id with a copy of f. Returns 0, or -EINVAL with err for a bad query. */
int matcher_add(struct matcher *m, int64_t id, const struct sub_filter *f, char *err, size_t errlen);
/* Forgets a subscription; returns 0 or -ENOENT. */
int matcher_remove(struct matcher *m, int64_t id);
size_t matcher_count(const struct matcher *m);

/* The facts a notification is matched on. */
struct match_doc {
	const struct notif *n;
	const struct cat_result *cats;
	const char *risk; /* "high", "medium", "low" */
};

/* Appends to *ids (malloc'd, caller frees; *n updated) the subscriptions that d matches, in ascending id order.
 * Returns the number of candidates checked (for measurement). */
size_t matcher_match(struct matcher *m, const struct match_doc *d, int64_t **ids, size_t *n);
/* The same by checking every subscription: the oracle for tests and the baseline of the benchmark. */
size_t matcher_match_all(struct matcher *m, const struct match_doc *d, int64_t **ids, size_t *n);

#endif
