/* store.h: the SQLite system of record: notifications, their history, raw documents, schema migrations. */
#ifndef TBT_STORE_H
#define TBT_STORE_H

#include "record.h"

#include <stddef.h>
#include <stdint.h>

struct store;

enum store_outcome { STORE_ADDED = 0, STORE_UPDATED, STORE_UNCHANGED };

/* The schema version this build writes. */
#define STORE_SCHEMA_VERSION 4

/*
 * Opens or creates the database at path (WAL mode) and migrates it to STORE_SCHEMA_VERSION. *out is freed with
 * store_free(). Returns 0 or -TBT_EDB with err set (a schema newer than this build is refused, not touched).
 */
int store_open(const char *path, struct store **out, char *err, size_t errlen);
void store_free(struct store *s);
/* The page cache's size in bytes (PRAGMA cache_size); a long-running process bounds its memory with it. */
void store_set_cache(struct store *s, size_t bytes);

/* Transactions: begin takes the write lock at once, so that two writers queue instead of failing midway. */
int store_begin(struct store *s, char *err, size_t errlen);
/* A savepoint (name: a fixed identifier of ours): one commit for several writes, inside or outside a transaction the
 * connection may have open (the alerter's). store_release keeps (keep = 1) or undoes them. */
int store_savepoint(struct store *s, const char *name, char *err, size_t errlen);
int store_release(struct store *s, const char *name, int keep, char *err, size_t errlen);
/* Runs save(s, arg, err, errlen) in a savepoint named name, kept when it returns 0, undone otherwise: its code, or
 * the savepoint's failure. */
int store_in_savepoint(struct store *s, const char *name, int (*save)(struct store *, void *, char *, size_t), void *arg,
		       char *err, size_t errlen);
int store_commit(struct store *s, char *err, size_t errlen);
void store_rollback(struct store *s);

/* Keeps a raw document by its SHA-256 (a second copy of the same bytes is not stored again). */
int store_put_raw(struct store *s, const char *sha256, const char *source, const char *url, const char *format,
		  const void *body, size_t len, char *err, size_t errlen);

/*
 * Adds a record or merges it into the stored one (fields that n leaves empty keep their stored value). When the
 * content changes, the previous version goes to the history with the names of the fields that changed.
 * *final (if not NULL) receives the record as stored now when it differs from n, that is after a merge (caller
 * frees with notif_free()); it is NULL when n was stored as it is (a new record). *id receives the row id.
 */
int store_upsert(struct store *s, const struct notif *n, enum store_outcome *outcome, int64_t *id,
		 struct notif **final, char *err, size_t errlen);

/* Loads a record by symbol (normalised or not) or by id. Returns 0, -ENOENT or -TBT_EDB. */
int store_get(struct store *s, const char *symbol, struct notif **out, int64_t *id, char *err, size_t errlen);
int store_get_by_id(struct store *s, int64_t id, struct notif **out, char *err, size_t errlen);

/* Appends the symbols sharing root (the base and its addenda, corrigenda, revisions), in symbol order. */
int store_related(struct store *s, const char *root, struct strv *out, char *err, size_t errlen);

/* Whether any addendum, corrigendum or revision of root is stored (a cheap check before store_related). */
int store_has_derived(struct store *s, const char *root);

/* The history of a symbol as a JSON array of {version, replaced_at, changed_fields, source}; caller json_decref()s. */
json_t *store_history(struct store *s, const char *symbol);

/* Calls fn for each record changed after seq, in seq order; stops early when fn returns non-zero. */
int store_changes_since(struct store *s, int64_t seq, int (*fn)(void *arg, int64_t id, int64_t seq, struct notif *n),
			void *arg, char *err, size_t errlen);
/* The highest change sequence number so far (0 for an empty store). */
int64_t store_max_seq(struct store *s);
/* Number of notifications. */
int64_t store_count(struct store *s);

/* The database connection, for the stages whose tables the store's migrations create (subscriptions). Borrowed. */
struct db *store_db(struct store *s);

/* The crawler's state of one source, persisted so that a restart resumes where it stopped. Strings are owned. */
struct source_state {
	char *cursor;              /* ePing: the distribution date the next window starts from */
	char *etag, *last_modified; /* validators of the source's main URL */
	char *last_attempt, *last_success, *last_new, *last_error; /* ISO times; the error's text */
	int failures;      /* consecutive */
	double next_run;   /* epoch seconds */
	long long fetches; /* in all */
	long long records; /* added or updated, in all */
};

void source_state_release(struct source_state *ss);
/* Loads the state of a source (all empty when it never ran). */
int store_source_load(struct store *s, const char *name, struct source_state *out, char *err, size_t errlen);
int store_source_save(struct store *s, const char *name, const struct source_state *ss, char *err, size_t errlen);

/* Validators and content hash of a fetched URL: returns 1 if known (*etag, *last_modified malloc'd or NULL). */
int store_url_get(struct store *s, const char *url, char **etag, char **last_modified, char sha256[65]);
int store_url_put(struct store *s, const char *url, const char *source, const char *etag, const char *last_modified,
		  const char *sha256, char *err, size_t errlen);

/*
 * The draft texts notifications link to (their document_urls): queued when a notification naming them is stored,
 * fetched by the crawler at low priority, their text indexed with every notification that links them.
 * state: pending (due at next_try), done (text kept), failed (refused, or too many failures), skipped (not a
 * document we can read, or over the size cap). Strings are borrowed for the call.
 */
int store_draft_add(struct store *s, const char *url, const char *symbol, char *err, size_t errlen);
/* Appends to urls the pending draft texts due at now, the longest-waiting first, at most limit. */
int store_drafts_due(struct store *s, double now, int limit, struct strv *urls, char *err, size_t errlen);
/* A fetch that ended: state "done" with the text, or "skipped" with why (text NULL). */
int store_draft_done(struct store *s, const char *url, const char *state, const char *why, const char *format,
		     long long size, const char *sha256, const char *text, size_t textlen, char *err, size_t errlen);
/* A fetch that failed: state "pending" to try again at next_try, or "failed" for good. */
int store_draft_failed(struct store *s, const char *url, const char *state, const char *why, double next_try,
		       char *err, size_t errlen);
/* The text of a fetched draft (malloc'd), or NULL when there is none. */
char *store_draft_text(struct store *s, const char *url);
/* One draft text's state as JSON {url, state, attempts, error, format, bytes, text_chars, fetched_at, symbol}, or
 * NULL when the URL was never queued. */
json_t *store_draft_json(struct store *s, const char *url);
/* How many draft texts are in each state: {pending, done, failed, skipped}. */
json_t *store_draft_counts(struct store *s);

/*
 * Chinese for notifications (migration 10). A translation per notification and field (title, description, products)
 * with its provenance; a machine text never replaces a human one, and every replaced text goes to the history.
 */
struct tr_row {
	const char *symbol, *field, *zh;
	const char *by; /* "machine" or "human" */
	const char *provider, *model, *who, *flags, *src_sha;
	int reviewed;
};
int store_tr_put(struct store *s, const struct tr_row *t, char *err, size_t errlen);
/* {field: {zh, by, provider, model, who, at, reviewed, flags, src_sha}} for one notification. */
json_t *store_tr_get(struct store *s, const char *symbol);
/* Machine texts not reviewed yet, those flagged (a glossary term missed) first, newest first: at most limit
 * [{symbol, field, zh, provider, model, at, flags}]. */
json_t *store_tr_review(struct store *s, int limit);
/* The texts replaced, oldest first: [{field, zh, by, provider, model, who, at, reviewed, replaced_at}]. */
json_t *store_tr_history(struct store *s, const char *symbol);
/* The translation memory: a segment's Chinese by the SHA-256 of its normalised English (malloc'd), or NULL. */
char *store_tm_get(struct store *s, const char *src_sha);
int store_tm_put(struct store *s, const char *src_sha, const char *src, const char *zh, const char *provider,
		 const char *model, const char *flags, char *err, size_t errlen);

/*
 * The index feed (migration 13): notifications to index again without a new version of their own (a translation
 * stored, a draft text fetched), numbered in the order they became visible (writers hold db_writer_lock). Every
 * index keeps its own position in it, so that each instance's index follows what any instance wrote, and a crash
 * between the store's commit and the index's is caught up.
 */
struct store_feed {
	struct strv symbols;
	int64_t *fseq; /* symbols.n numbers */
};
/* The feed's last number (0 when empty). */
int64_t store_feed_max(struct store *s);
/* At most limit rows after number `after`, in order, into f (initialised here; store_feed_release frees it). */
int store_feed_since(struct store *s, int64_t after, int limit, struct store_feed *f, char *err, size_t errlen);
void store_feed_release(struct store_feed *f);
/* The translation provider's health and the day's budget (migration 11), one row per provider. */
struct ts_row {
	const char *provider, *url, *model, *health, *last_success, *last_error, *day;
	long long failures, chars_day;
	double paused_until;
};
int store_ts_put(struct store *s, const struct ts_row *t, char *err, size_t errlen);
/* [{provider, url, model, health, last_success, last_error, failures, paused_until, day, chars_day, updated_at}]:
 * one provider's row, or all when provider is NULL. */
json_t *store_ts_get(struct store *s, const char *provider);
/* A consistent copy of the SQLite store src into the file dst while others write, and how many notifications it
 * holds: 0, -EIO (dst cannot be made), -ENOSPC (the copy failed: err says), or the open's error. */
int store_backup(const char *src, const char *dst, long long *count, char *err, size_t errlen);
/* doctor's checks of the store: {database: what was checked, database_error (absent when sound), checked, wrong,
 * wrong_symbols (the first five records whose text does not match their content hash)}. */
json_t *store_check(struct store *s);
/* Bytes SQLite's page caches hold in this process (all connections); -1 when the store is PostgreSQL's. */
int64_t store_memory_used(void);
/* Segments the translation memory holds. */
int64_t store_tm_count(struct store *s);
/* Notifications by month of distribution ({"2025-04": n, ...}), the newest months first, at most months. */
json_t *store_counts_by_month(struct store *s, int months);
/* The queue of notifications to translate: added (or made pending again), the due ones, their outcome. */
int store_tq_add(struct store *s, const char *symbol, char *err, size_t errlen);
int store_tq_due(struct store *s, double now, int limit, struct strv *symbols, char *err, size_t errlen);
/* state: pending (again at next_try), done, failed; attempt: 1 to count an attempt, 0 not to. */
int store_tq_set(struct store *s, const char *symbol, const char *state, const char *error, double next_try,
		 int attempt, char *err, size_t errlen);
/* {pending, done, failed}. */
json_t *store_tq_counts(struct store *s);
/* One notification's place in the queue: {state, attempts, error}, or NULL. */
json_t *store_tq_row(struct store *s, const char *symbol);

/*
 * Analyses and advice per notification (migration 15): the current text (doc: a JSON object {summary_zh,
 * requirements_zh, actions_zh, links}), published or a draft, every version kept. store_analysis_put says in
 * *first_publication whether this call published it for the first time (the follow-up alerts go then, once).
 */
json_t *store_analysis_get(struct store *s, const char *symbol, int published_only);
int store_analysis_put(struct store *s, const char *symbol, const char *doc, int published, const char *author,
		       int *first_publication, char *err, size_t errlen);
/* [{version, text, published, author, at}], oldest first. */
json_t *store_analysis_history(struct store *s, const char *symbol);
/* The analyses first published of notifications distributed on or after since: [{symbol, distributed, at}]. */
json_t *store_analysis_times(struct store *s, const char *since);

/* The rows of sql (its ?1 bound to param when not NULL) as [{keys[0]: text or null, ...}], nkeys columns. For the
 * owners' small read-only reports; an error gives what was read. */
json_t *store_rows_json(struct store *s, const char *sql, const char *param, const char *const *keys, int nkeys);

#endif
