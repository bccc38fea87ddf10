/* advice.h: beside the analyst's analysis of a notification (store_analysis_*), the advice experts add on their
 * categories, each entry theirs and shown with their name once an analyst accepts it; and the queue of machine
 * drafts of an analysis an analyst asked for (the translator's provider writes them, a person reviews them). The
 * tables are the archive's (step 18 of the schema). */
#ifndef TBT_ADVICE_H
#define TBT_ADVICE_H

#include "store.h"

#include <jansson.h>
#include <stdint.h>

/* Adds an entry on symbol by author (a user name) shown as name; doc is {text_zh, links}; published when an analyst
 * or admin wrote it. 0 and *id, or -TBT_EDB with err. */
int advice_add(struct store *st, const char *symbol, const char *author, const char *name, const char *doc,
	       int published, int64_t *id, char *err, size_t errlen);
/* Changes entry id of symbol: its text (doc, or NULL to keep it; a changed text waits for acceptance again unless
 * published is 1) and whether it is shown (published: 1, 0, or -1 to keep). reviewer: who accepted it, or NULL.
 * 0, -ENOENT, or -TBT_EDB. */
int advice_set(struct store *st, const char *symbol, int64_t id, const char *doc, int published, const char *reviewer,
	       char *err, size_t errlen);
int advice_remove(struct store *st, const char *symbol, int64_t id, char *err, size_t errlen);
/* One entry, or NULL: {id, author, name, text_zh, links, published, created_at, updated_at, reviewed_by}. */
json_t *advice_get(struct store *st, const char *symbol, int64_t id);
/* The entries on symbol, oldest first; published ones only when published_only. */
json_t *advice_list(struct store *st, const char *symbol, int published_only);

/* Machine drafts of an analysis: queued (again) for symbol by a user. 0 or -TBT_EDB. States: pending, working (taken
 * by an instance), done, failed, superseded. */
int draft_request_add(struct store *st, const char *symbol, const char *by, char *err, size_t errlen);
/* The symbols due at now (pending, next_try passed), at most limit, oldest request first. */
int draft_request_due(struct store *st, double now, int limit, struct strv *symbols, char *err, size_t errlen);
/* Takes a due request for this instance until `until` (then it is due again, should the instance die): 1 when taken,
 * 0 when another instance took it first, or -TBT_EDB. */
int draft_request_claim(struct store *st, const char *symbol, double now, double until, char *err, size_t errlen);
/* Ends or postpones a request: state pending (with next_try), done, failed or superseded; error or NULL. */
int draft_request_set(struct store *st, const char *symbol, const char *state, const char *error, double next_try,
		      char *err, size_t errlen);
/* {state, requested_by, requested_at, attempts, error, updated_at}, or NULL. */
json_t *draft_request_get(struct store *st, const char *symbol);

#endif
