/* archive.h: the archive as one object: the SQLite store, the Xapian index derived from it, import and search. */
#ifndef TBT_ARCHIVE_H
#define TBT_ARCHIVE_H

#include "classify.h"
#include "parse.h"
#include "store.h"

#include <stdio.h>

struct archive;

/* What an import did. */
struct import_stats {
	unsigned added, updated, unchanged, rejected, files_failed;
};

/* Called for each rejected record or file (name, "item 3" / "line 40" / "file", reason). */
typedef void (*archive_reject_fn)(void *arg, const char *name, const char *where, const char *msg);

enum archive_mode { ARCHIVE_READ = 0, ARCHIVE_WRITE = 1 };

/*
 * Opens the archive in dir (created for ARCHIVE_WRITE): dir/tbtwarn.db and dir/index. Opening brings the index up
 * to date with the store when a previous run stopped between the two commits. Returns 0 or a negative code with err.
 */
/* The store every archive of this process opens: a SQLite file (default: tbtwarn.db in the data directory) or a
 * postgresql:// URL. Set once at start, before any thread. */
void archive_use_store(const char *url);
/* Whether archive_use_store named a PostgreSQL database. */
int archive_store_on_postgres(void);
int archive_open(const char *dir, enum archive_mode mode, struct archive **out, char *err, size_t errlen);
/* The same, classifying with cats and risk (NULL for the built-in ones; borrowed, must outlive the archive). The
 * classifier must be known when opening, since opening may bring the index up to date. */
int archive_open_with(const char *dir, enum archive_mode mode, const struct catalog *cats, const struct risk_config *risk,
		      struct archive **out, char *err, size_t errlen);
/* Commits what was indexed since the last commit, so that readers (other handles, other processes) see it; when an
 * earlier index write failed, first indexes again everything since the last good commit. */
int archive_commit(struct archive *a, char *err, size_t errlen);
/* How many store changes the index has not durably taken in (0 when in step), and in *why (may be NULL) the error
 * of the last failed index write or commit, or NULL. */
int64_t archive_index_lag(struct archive *a, const char **why);
/* Another handle on a's archive, for reading only: its own database connection and index reader, for another
 * thread. Each search sees what the writer has committed by then. */
int archive_open_reader(struct archive *a, struct archive **out, char *err, size_t errlen);
void archive_free(struct archive *a);

struct store *archive_store(struct archive *a);

/* Uses this category table and risk rule from now on (borrowed; both must outlive the archive). The defaults are
 * the built-in table and weights. */
void archive_set_classifier(struct archive *a, const struct catalog *cats, const struct risk_config *risk);

/* The categories and risk of a record as the index sees them (looking up its base when it needs one). */
void archive_classify(struct archive *a, const struct notif *n, struct cat_result *cats, struct risk *risk);

/* Shows progress on this stream (a terminal) during long work; NULL for none. */
void archive_set_progress(struct archive *a, FILE *tty);

/*
 * Imports one document (its bytes, with name for messages, and source and url for provenance). Good records go in even when
 * others are rejected. Returns 0, or a negative code when the store or index failed (nothing half-written stays).
 */
int archive_import(struct archive *a, const char *source, const char *name, const char *url, enum parse_format fmt,
		   const char *data, size_t len, struct import_stats *st, archive_reject_fn on_reject, void *arg, char *err,
		   size_t errlen);

/* The same, for HTML pages with the XPath of the form's node and an encoding override (either may be NULL). */
int archive_import_ex(struct archive *a, const char *source, const char *name, const char *url,
		      enum parse_format fmt, const char *data, size_t len, const char *html_xpath,
		      const char *html_encoding, struct import_stats *st, archive_reject_fn on_reject, void *arg,
		      char *err, size_t errlen);

/* Brings the index up to date with the store; returns the number of documents indexed, or a negative code. */
int archive_sync_index(struct archive *a, char *err, size_t errlen);
/* Rebuilds the index from the store, into a new directory swapped in at the end. */
int archive_reindex(struct archive *a, char *err, size_t errlen);

/* The category table the archive classifies with. Borrowed. */
const struct catalog *archive_catalog(struct archive *a);

/* Search options and results. */
struct search_opts {
	unsigned offset, limit;
	int by_date;
	int facets;
	unsigned facet_sample; /* 0: exact counts; else at least this many matches visited, larger results estimated */
};

/*
 * Runs a query in the query language (see query.h). *out receives
 * {"total": N, "exact": bool, "hits": [...], "facets": {...}} (caller json_decref()s). Returns 0, -EINVAL for a bad query
 * (err says why) or another negative code.
 */
int archive_search(struct archive *a, const char *query, const struct search_opts *o, json_t **out, char *err,
		   size_t errlen);

/* A hit's JSON for a record (symbol, type, member, title, dates, codes). Caller json_decref()s. */
json_t *archive_hit_json(const struct notif *n);
/* Sets obj's "summary_zh": the offline Chinese digest of n (summary.h), its categories given as cat_ids (an array
 * of ids, or of {id, ...} objects), as of today. */
void archive_set_summary(struct archive *a, json_t *obj, const struct notif *n, const json_t *cat_ids,
			 const char *today);

/*
 * The current dates of n's measure, from all its stored documents (n itself as given): see notif_effective. A
 * base without derived documents costs one indexed lookup.
 */
void archive_effective(struct archive *a, const struct notif *n, struct notif_effective *e);
/* Puts the measure's current dates into n (its own stay in the store and in `show`); a withdrawn measure has no
 * open comment deadline. */
void archive_apply_effective(const struct notif_effective *e, struct notif *n);
/*
 * What document n changed in its measure's dates, in Chinese (zh) and English (en): "评议截止日期延长至 2025-06-12（原为
 * 2025-05-13）", "Comment deadline extended to 2025-06-12 (was 2025-05-13)"; "" when it changed none. all (if not
 * NULL) receives the measure's current dates, from the same reading of its documents.
 */
void archive_change_note(struct archive *a, const struct notif *n, struct notif_effective *all, char *zh,
			 size_t zhlen, char *en, size_t enlen);

/* The whole record for `show`: the canonical document plus related documents and history. */
int archive_show(struct archive *a, const char *symbol, json_t **out, char *err, size_t errlen);

/*
 * The draft texts notifications link to (document_urls; see store.h). The crawler asks which are due, fetches each
 * and hands the result here; the archive extracts the text (PDF, DOCX, HTML, plain text), keeps it and indexes it
 * with every notification that links it, searchable as text:WORDS. Write mode only.
 */
int archive_drafts_due(struct archive *a, int limit, struct strv *urls, char *err, size_t errlen);
/* A body fetched for url: stored as "done" with its text, or as "skipped" with why when it holds none we can read.
 * Returns 0, or a negative code when the store or the index failed. */
int archive_draft_fetched(struct archive *a, const char *url, const char *content_type, const char *data, size_t len,
			  char *err, size_t errlen);
/* A fetch of url that failed (why): tried again later with backoff, or for good (final, or after four failures). */
int archive_draft_failed(struct archive *a, const char *url, const char *why, int final, char *err, size_t errlen);
/* One draft text's state (store_draft_json), or NULL when url was never queued. */
json_t *archive_draft_json(struct archive *a, const char *url);
/* {pending, done, failed, skipped}: how many draft texts are in each state. */
json_t *archive_draft_counts(struct archive *a);

/*
 * Chinese per field (title, description, products): a person's translation first, then the source's Chinese, then a
 * machine's. archive_zh_texts points out[k] at the text to show (borrowed from n or from the returned JSON, which the
 * caller decrefs) and, with prov, gives the provenance {field: {by, provider, model, who, at, reviewed, flags}}.
 * archive_overlay_zh puts them into n itself.
 */
json_t *archive_zh_texts(struct archive *a, const struct notif *n, const char *out[3], json_t **prov);
void archive_overlay_zh(struct archive *a, struct notif *n, json_t **prov);
/* Stores a translation of one field (a machine's never replaces a person's) and indexes the notification again.
 * -EINVAL for an unknown field or an unusable text, -ENOENT for an unknown symbol. Write mode only. */
int archive_translation_put(struct archive *a, const struct tr_row *t, char *err, size_t errlen);
/* The same, with reindex 1 (index and commit now) or 0 (the text joins the index feed, indexed by the next
 * archive_commit of every instance: a bulk translation commits once a second, not once a field). */
int archive_translation_put_ex(struct archive *a, const struct tr_row *t, int reindex, char *err, size_t errlen);

#endif
