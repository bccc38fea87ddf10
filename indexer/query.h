/* query.h: the archive's query language (free words and phrases mixed with field:value filters) and index terms. */
#ifndef TBT_QUERY_H
#define TBT_QUERY_H

#include "classify.h"
#include "idx.h"
#include "record.h"

#include <stddef.h>

/*
 * Parses a query such as `lithium battery member:USA hs:8507 date:2025-01-01..2025-06-30 open:yes -kind:addendum`
 * into q. Fields: member (code or name, English or Chinese), hs, ics, type, kind, objective, symbol, lang, date,
 * deadline, open. A field given twice matches either value; different fields must all match; a leading '-'
 * excludes. Returns 0, or -EINVAL with err naming the field, the value and what was expected.
 */
int query_parse(const char *text, struct idx_query *q, char *err, size_t errlen);
/* The same, checking category:ID against a category table (NULL: the built-in one). */
int query_parse_ex(const char *text, const struct catalog *cats, struct idx_query *q, char *err, size_t errlen);

/* Where the parts of an index document go: Xapian (query_index_record) or, for the benchmark's baseline, a file. */
struct doc_sink {
	void (*text)(void *arg, const char *text, unsigned weight, const char *prefix);
	void (*term)(void *arg, const char *term);
	void (*value)(void *arg, enum idx_slot slot, const char *value); /* NULL: terms and text only */
	void *arg;
};

/* Describes the index document of a record: its free text, boolean terms and values, in that order. */
void query_record_doc(const struct notif *n, const struct cat_result *cats, const struct risk *risk,
		      const struct doc_sink *sink);

/* Adds the record's document to the index document being built (after idx_doc_begin); cats and risk may be NULL. */
void query_index_record(struct idx *x, const struct notif *n, const struct cat_result *cats, const struct risk *risk);

#endif
