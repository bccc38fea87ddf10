/* match.h: standing subscriptions matched against one notification at a time, without scanning them all: an index
 * by what each subscription requires (a category, an HS or ICS prefix, a market, or a word of its query) yields the
 * candidates, and only those are checked exactly, in the manner of a percolator. */
#ifndef TBT_MATCH_H
#define TBT_MATCH_H

#include "classify.h"
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
