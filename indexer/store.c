/* store.c: the SQLite store. Every statement is prepared once and bound; no SQL is ever built from input. */
#include "store.h"

#include "hash.h"
#include "norm.h"
#include "db.h"

#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

enum stmt_id {
	S_GET_BY_SYMBOL,
	S_GET_BY_ID,
	S_UPSERT,
	S_HISTORY_ADD,
	S_RAW_ADD,
	S_RELATED,
	S_CHANGES,
	S_MAX_SEQ,
	S_COUNT,
	S_HISTORY,
	S_SOURCE_GET,
	S_SOURCE_PUT,
	S_URL_GET,
	S_URL_PUT,
	S_HAS_DERIVED,
	S_DRAFT_ADD,
	S_DRAFT_DUE,
	S_DRAFT_DONE,
	S_DRAFT_FAILED,
	S_DRAFT_TEXT,
	S_DRAFT_INFO,
	S_DRAFT_COUNTS,
	S_TR_PUT,
	S_TR_HISTORY_ADD,
	S_TR_GET,
	S_TR_HISTORY,
	S_TM_GET,
	S_TM_PUT,
	S_TQ_ADD,
	S_TQ_DUE,
	S_TQ_SET,
	S_TQ_COUNTS,
	S_TQ_ROW,
	S_TR_REVIEW,
	S_FEED_ADD,
	S_FEED_ADD_CITERS,
	S_FEED_MAX,
	S_FEED_SINCE,
	S_TS_PUT,
	S_TS_GET,
	S_AN_GET,
	S_AN_PUT,
	S_AN_HISTORY_ADD,
	S_N
};

static const char *const stmt_sql[S_N] = {
	[S_GET_BY_SYMBOL] = "SELECT id, doc, source, source_url, fetched_at, raw_sha256, content_hash "
			    "FROM notifications WHERE symbol = ?1",
	[S_GET_BY_ID] = "SELECT doc, source, source_url, fetched_at, raw_sha256 FROM notifications WHERE id = ?1",
	/* One statement for new and changed records: the row keeps its id, creation time and kind. */
	[S_UPSERT] = "INSERT INTO notifications (symbol, root_symbol, parent_symbol, kind, type, member, distributed, "
		     "comment_deadline, content_hash, version, seq, created_at, updated_at, doc, source, source_url, "
		     "fetched_at, raw_sha256) "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11, ?11, ?12, ?13, ?14, ?15, ?16) "
		     "ON CONFLICT (symbol) DO UPDATE SET member = excluded.member, distributed = excluded.distributed, "
		     "comment_deadline = excluded.comment_deadline, content_hash = excluded.content_hash, "
		     "version = notifications.version + 1, seq = excluded.seq, updated_at = excluded.updated_at, doc = excluded.doc, "
		     "source = excluded.source, source_url = excluded.source_url, fetched_at = excluded.fetched_at, "
		     "raw_sha256 = excluded.raw_sha256",
	[S_HISTORY_ADD] = "INSERT INTO notification_history (notification_id, symbol, version, replaced_at, "
			  "changed_fields, doc, source, source_url, fetched_at, raw_sha256) SELECT id, symbol, version, ?2, ?3, doc, source, source_url, fetched_at, raw_sha256 "
			  "FROM notifications WHERE id = ?1",
	[S_RAW_ADD] = "INSERT OR IGNORE INTO raw_documents (sha256, source, url, format, fetched_at, size, body) "
		      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_RELATED] = "SELECT symbol FROM notifications WHERE root_symbol = ?1 ORDER BY symbol",
	[S_CHANGES] = "SELECT id, seq, doc, source, source_url, fetched_at, raw_sha256 FROM notifications WHERE seq > ?1 ORDER BY seq",
	[S_MAX_SEQ] = "SELECT coalesce(max(seq), 0) FROM notifications",
	[S_COUNT] = "SELECT count(*) FROM notifications",
	[S_HISTORY] = "SELECT version, replaced_at, changed_fields, source "
		      "FROM notification_history WHERE symbol = ?1 ORDER BY version",
	[S_SOURCE_GET] = "SELECT cursor, etag, last_modified, last_attempt, last_success, last_new, last_error, failures, "
			 "next_run, fetches, records FROM source_state WHERE name = ?1",
	[S_SOURCE_PUT] = "INSERT INTO source_state (name, cursor, etag, last_modified, last_attempt, "
			 "last_success, last_new, last_error, failures, next_run, fetches, records) "
			 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (name) DO UPDATE SET "
			 "cursor = excluded.cursor, etag = excluded.etag, last_modified = excluded.last_modified, "
			 "last_attempt = excluded.last_attempt, last_success = excluded.last_success, last_new = excluded.last_new, "
			 "last_error = excluded.last_error, failures = excluded.failures, next_run = excluded.next_run, "
			 "fetches = excluded.fetches, records = excluded.records",
	[S_HAS_DERIVED] = "SELECT 1 FROM notifications WHERE root_symbol = ?1 AND symbol <> ?1 LIMIT 1",
	[S_URL_GET] = "SELECT etag, last_modified, sha256 FROM url_state WHERE url = ?1",
	[S_URL_PUT] = "INSERT INTO url_state (url, source, etag, last_modified, sha256, fetched_at) "
		      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (url) DO UPDATE SET source = excluded.source, "
		      "etag = excluded.etag, last_modified = excluded.last_modified, sha256 = excluded.sha256, "
		      "fetched_at = excluded.fetched_at",
	[S_DRAFT_ADD] = "INSERT OR IGNORE INTO draft_texts (url, symbol, created_at) VALUES (?1, ?2, ?3)",
	[S_DRAFT_DUE] = "SELECT url, symbol, attempts FROM draft_texts WHERE state = 'pending' AND next_try <= ?1 "
			"ORDER BY next_try, created_at, url LIMIT ?2",
	[S_DRAFT_DONE] = "UPDATE draft_texts SET state = ?2, attempts = attempts + 1, error = ?3, format = ?4, size = ?5, "
			 "sha256 = ?6, text = ?7, fetched_at = ?8, indexed = 0 WHERE url = ?1",
	[S_DRAFT_FAILED] = "UPDATE draft_texts SET state = ?2, attempts = attempts + 1, error = ?3, next_try = ?4, "
			   "fetched_at = ?5 WHERE url = ?1",
	[S_DRAFT_TEXT] = "SELECT text FROM draft_texts WHERE url = ?1 AND state = 'done'",
	[S_DRAFT_INFO] = "SELECT state, attempts, error, format, size, length(text), fetched_at, symbol "
			 "FROM draft_texts WHERE url = ?1",
	[S_DRAFT_COUNTS] = "SELECT state, count(*) FROM draft_texts GROUP BY state",
	/* A machine text never replaces a human one; a human one replaces anything. */
	[S_TR_PUT] = "INSERT INTO translations (symbol, field, zh, by, provider, model, who, at, reviewed, flags, src_sha) "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (symbol, field) DO UPDATE SET "
		     "zh = excluded.zh, by = excluded.by, provider = excluded.provider, model = excluded.model, "
		     "who = excluded.who, at = excluded.at, reviewed = excluded.reviewed, flags = excluded.flags, "
		     "src_sha = excluded.src_sha WHERE translations.by <> 'human' OR excluded.by = 'human'",
	[S_TR_HISTORY_ADD] = "INSERT INTO translation_history (symbol, field, zh, by, provider, model, who, at, reviewed, "
			     "flags, replaced_at) SELECT symbol, field, zh, by, provider, model, who, at, reviewed, flags, ?3 "
			     "FROM translations WHERE symbol = ?1 AND field = ?2 AND (by <> 'human' OR ?4 = 'human')",
	[S_TR_GET] = "SELECT field, zh, by, provider, model, who, at, reviewed, flags, src_sha FROM translations "
		     "WHERE symbol = ?1",
	[S_TR_HISTORY] = "SELECT field, zh, by, provider, model, who, at, reviewed, replaced_at FROM translation_history "
			 "WHERE symbol = ?1 ORDER BY id",
	[S_TM_GET] = "SELECT zh FROM translation_memory WHERE src_sha = ?1",
	[S_TM_PUT] = "INSERT INTO translation_memory (src_sha, src, zh, provider, model, at, flags) "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (src_sha) DO UPDATE SET src = excluded.src, "
		     "zh = excluded.zh, provider = excluded.provider, model = excluded.model, at = excluded.at, "
		     "flags = excluded.flags",
	[S_TQ_ADD] = "INSERT INTO translate_queue (symbol, updated_at) VALUES (?1, ?2) ON CONFLICT (symbol) DO UPDATE "
		     "SET state = 'pending', attempts = 0, next_try = 0, error = NULL, updated_at = excluded.updated_at "
		     "WHERE translate_queue.state <> 'pending'",
	[S_TQ_DUE] = "SELECT symbol FROM translate_queue WHERE state = 'pending' AND next_try <= ?1 "
		     "ORDER BY next_try, updated_at, symbol LIMIT ?2",
	[S_TQ_SET] = "UPDATE translate_queue SET state = ?2, error = ?3, next_try = ?4, attempts = attempts + ?5, "
		     "updated_at = ?6 WHERE symbol = ?1",
	[S_TQ_COUNTS] = "SELECT state, count(*) FROM translate_queue GROUP BY state",
	[S_TQ_ROW] = "SELECT state, attempts, error FROM translate_queue WHERE symbol = ?1",
	/* What a translation desk has to look at: machine texts not yet reviewed, those a glossary term missed first. */
	[S_TR_REVIEW] = "SELECT symbol, field, zh, provider, model, at, flags FROM translations WHERE by = 'machine' AND "
			"reviewed = 0 ORDER BY flags IS NULL, at DESC LIMIT ?1",
	[S_FEED_ADD] = "INSERT INTO index_feed (symbol, why, at) VALUES (?1, ?2, ?3)",
	[S_FEED_ADD_CITERS] = "INSERT INTO index_feed (symbol, why, at) SELECT DISTINCT n.symbol, 'draft', CAST(?2 AS TEXT) "
			      "FROM notifications n, json_each(n.doc, '$.document_urls') j WHERE j.value = ?1",
	[S_FEED_MAX] = "SELECT coalesce(max(fseq), 0) FROM index_feed",
	[S_FEED_SINCE] = "SELECT fseq, symbol FROM index_feed WHERE fseq > ?1 ORDER BY fseq LIMIT ?2",
	[S_TS_PUT] = "INSERT INTO translator_state (provider, url, model, health, last_success, last_error, "
		     "failures, paused_until, day, chars_day, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
		     "ON CONFLICT (provider) DO UPDATE SET url = excluded.url, model = excluded.model, health = excluded.health, "
		     "last_success = excluded.last_success, last_error = excluded.last_error, failures = excluded.failures, "
		     "paused_until = excluded.paused_until, day = excluded.day, chars_day = excluded.chars_day, "
		     "updated_at = excluded.updated_at",
	[S_AN_GET] = "SELECT doc, published, author, updated_at, published_at, version, public_doc, public_at, "
		     "public_by FROM analyses WHERE symbol = ?1",
	[S_AN_PUT] = "INSERT INTO analyses (symbol, doc, published, author, updated_at, published_at, version, public_doc, "
		     "public_at, public_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?6, ?8) ON CONFLICT (symbol) DO UPDATE SET "
		     "doc = excluded.doc, published = excluded.published, author = excluded.author, "
		     "updated_at = excluded.updated_at, public_doc = coalesce(excluded.public_doc, analyses.public_doc), "
		     "public_at = coalesce(excluded.public_at, analyses.public_at), "
		     "public_by = coalesce(excluded.public_by, analyses.public_by), "
		     "published_at = coalesce(analyses.published_at, excluded.published_at), version = analyses.version + 1 "
		     "RETURNING version",
	[S_AN_HISTORY_ADD] = "INSERT INTO analysis_history (symbol, version, doc, published, author, at) "
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_TS_GET] = "SELECT provider, url, model, health, last_success, last_error, failures, paused_until, day, chars_day, "
		     "updated_at FROM translator_state WHERE CAST(?1 AS TEXT) IS NULL OR provider = ?1 ORDER BY provider",
};

/*
 * The archive's steps of the schema (db_schema_register: each owner registers its own; the versions are one sequence
 * across owners, each step applied once, in order). Only ever append, with the next version.
 */
static const struct db_migration store_schema[] = {
	{1, "archive",
		"CREATE TABLE notifications ("
		"  id INTEGER PRIMARY KEY,"
		"  symbol TEXT NOT NULL UNIQUE,"
		"  root_symbol TEXT NOT NULL,"
		"  parent_symbol TEXT,"
		"  kind TEXT NOT NULL,"
		"  type TEXT NOT NULL,"
		"  member TEXT NOT NULL,"
		"  distributed TEXT,"
		"  comment_deadline TEXT,"
		"  content_hash TEXT NOT NULL,"
		"  version INTEGER NOT NULL,"
		"  seq INTEGER NOT NULL,"
		"  created_at TEXT NOT NULL,"
		"  updated_at TEXT NOT NULL,"
		"  doc TEXT NOT NULL," /* the canonical JSON without provenance; content_hash is its SHA-256 */
		"  source TEXT, source_url TEXT, fetched_at TEXT, raw_sha256 TEXT);"
		"CREATE INDEX notifications_root ON notifications (root_symbol);"
		"CREATE INDEX notifications_seq ON notifications (seq);"
		"CREATE INDEX notifications_deadline ON notifications (comment_deadline);"
		"CREATE TABLE notification_history ("
		"  id INTEGER PRIMARY KEY,"
		"  notification_id INTEGER NOT NULL REFERENCES notifications (id),"
		"  symbol TEXT NOT NULL,"
		"  version INTEGER NOT NULL,"
		"  replaced_at TEXT NOT NULL,"
		"  changed_fields TEXT NOT NULL,"
		"  doc TEXT NOT NULL,"
		"  source TEXT, source_url TEXT, fetched_at TEXT, raw_sha256 TEXT);"
		"CREATE INDEX notification_history_symbol ON notification_history (symbol, version);"
		"CREATE TABLE raw_documents ("
		"  sha256 TEXT PRIMARY KEY,"
		"  source TEXT,"
		"  url TEXT,"
		"  format TEXT,"
		"  fetched_at TEXT NOT NULL,"
		"  size INTEGER NOT NULL,"
		"  body BLOB NOT NULL);"},
	/* 2: the crawler's state, so that a restart resumes where it stopped. */
	{2, "archive",
		"CREATE TABLE source_state ("
		"  name TEXT PRIMARY KEY,"
		"  cursor TEXT,"
		"  etag TEXT,"
		"  last_modified TEXT,"
		"  last_attempt TEXT,"
		"  last_success TEXT,"
		"  last_new TEXT,"
		"  last_error TEXT,"
		"  failures INTEGER NOT NULL DEFAULT 0,"
		"  next_run REAL NOT NULL DEFAULT 0,"
		"  fetches INTEGER NOT NULL DEFAULT 0,"
		"  records INTEGER NOT NULL DEFAULT 0);"
		"CREATE TABLE url_state ("
		"  url TEXT PRIMARY KEY,"
		"  source TEXT NOT NULL,"
		"  etag TEXT,"
		"  last_modified TEXT,"
		"  sha256 TEXT,"
		"  fetched_at TEXT NOT NULL);"},
	/* 9: the draft texts notifications link to (document_urls), fetched at low priority, their text indexed with
	 * the notification. The links of the notifications already stored are queued too. */
	{9, "archive",
		"CREATE TABLE draft_texts ("
		"  url TEXT PRIMARY KEY,"
		"  symbol TEXT NOT NULL," /* the notification that first linked it */
		"  state TEXT NOT NULL DEFAULT 'pending'," /* pending, done, failed, skipped */
		"  attempts INTEGER NOT NULL DEFAULT 0,"
		"  next_try REAL NOT NULL DEFAULT 0,"
		"  error TEXT,"
		"  format TEXT,"
		"  size INTEGER,"
		"  sha256 TEXT,"
		"  created_at TEXT NOT NULL,"
		"  fetched_at TEXT,"
		"  text TEXT,"
		"  indexed INTEGER NOT NULL DEFAULT 0);" /* 1 once the index has committed the text */
		"CREATE INDEX draft_texts_due ON draft_texts (next_try) WHERE state = 'pending';"
		"INSERT OR IGNORE INTO draft_texts (url, symbol, created_at) "
		"  SELECT j.value, n.symbol, n.updated_at FROM notifications n, json_each(n.doc, '$.document_urls') j "
		"  WHERE j.value LIKE 'http://%' OR j.value LIKE 'https://%' ORDER BY n.id;"},
	/* 10: Chinese for every notification: translations per field with their provenance (machine, human) and
	 * history, the memory of translated segments, and the queue of notifications waiting for a translation (those
	 * already stored without Chinese title, description or products join it). */
	{10, "archive",
		"CREATE TABLE translations ("
		"  symbol TEXT NOT NULL,"
		"  field TEXT NOT NULL," /* title, description, products */
		"  zh TEXT NOT NULL,"
		"  by TEXT NOT NULL," /* machine, human */
		"  provider TEXT, model TEXT, who TEXT,"
		"  at TEXT NOT NULL,"
		"  reviewed INTEGER NOT NULL DEFAULT 0,"
		"  flags TEXT," /* why a person should look: a glossary term missed */
		"  src_sha TEXT," /* SHA-256 of the English it translates: a changed English is translated again */
		"  PRIMARY KEY (symbol, field));"
		"CREATE TABLE translation_history ("
		"  id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, field TEXT NOT NULL, zh TEXT, by TEXT, provider TEXT,"
		"  model TEXT, who TEXT, at TEXT, reviewed INTEGER, flags TEXT, replaced_at TEXT NOT NULL);"
		"CREATE INDEX translation_history_symbol ON translation_history (symbol, id);"
		"CREATE TABLE translation_memory ("
		"  src_sha TEXT PRIMARY KEY," /* SHA-256 of the normalised English segment */
		"  src TEXT NOT NULL, zh TEXT NOT NULL, provider TEXT, model TEXT, at TEXT NOT NULL, flags TEXT);"
		"CREATE TABLE translate_queue ("
		"  symbol TEXT PRIMARY KEY,"
		"  state TEXT NOT NULL DEFAULT 'pending'," /* pending, done, failed (left for a person) */
		"  attempts INTEGER NOT NULL DEFAULT 0,"
		"  next_try REAL NOT NULL DEFAULT 0,"
		"  error TEXT, updated_at TEXT);"
		"CREATE INDEX translate_queue_due ON translate_queue (next_try) WHERE state = 'pending';"
		"INSERT OR IGNORE INTO translate_queue (symbol, updated_at) SELECT symbol, updated_at FROM notifications WHERE "
		"  (json_extract(doc, '$.text.en.title') IS NOT NULL AND json_extract(doc, '$.text.zh.title') IS NULL) OR "
		"  (json_extract(doc, '$.text.en.description') IS NOT NULL AND json_extract(doc, '$.text.zh.description') IS NULL) OR "
		"  (json_extract(doc, '$.text.en.products') IS NOT NULL AND json_extract(doc, '$.text.zh.products') IS NULL) "
		"  ORDER BY id;"},
	/* 11: a translation is indexed after its store commit: a flag, so that a crash in between is caught up at the
	 * next open (the notification's seq is not bumped: that would alert its subscribers again). The translation
	 * provider's health and the day's budget outlive a restart, and other processes (sources, /metrics) read them. */
	{11, "archive",
		"ALTER TABLE translations ADD COLUMN indexed INTEGER NOT NULL DEFAULT 1;"
		"CREATE INDEX translations_unindexed ON translations (symbol) WHERE indexed = 0;"
		"CREATE TABLE translator_state ("
		"  provider TEXT PRIMARY KEY," /* libretranslate, openai */
		"  url TEXT, model TEXT,"
		"  health TEXT NOT NULL," /* new, ok, failing, unhealthy, refused */
		"  last_success TEXT, last_error TEXT,"
		"  failures INTEGER NOT NULL DEFAULT 0,"
		"  paused_until REAL NOT NULL DEFAULT 0,"
		"  day TEXT," /* the UTC day of chars_day */
		"  chars_day INTEGER NOT NULL DEFAULT 0,"
		"  updated_at TEXT NOT NULL);"},
	/* 13: the index feed: a notification to index again without a new version (a translation, a fetched draft
	 * text), so that every instance's index follows what any instance wrote. Each index keeps its own position in
	 * the feed (the flags of migrations 9 and 11 said "indexed" for one index only; they are no longer read). What
	 * those flags left unindexed joins the feed. */
	{13, "archive",
		"CREATE TABLE index_feed (fseq INTEGER PRIMARY KEY, symbol TEXT NOT NULL, why TEXT NOT NULL, at TEXT NOT NULL);"
		"INSERT INTO index_feed (symbol, why, at) SELECT DISTINCT symbol, 'translation', '' FROM translations "
		"  WHERE indexed = 0;"
		"INSERT INTO index_feed (symbol, why, at) SELECT DISTINCT n.symbol, 'draft', '' "
		"  FROM notifications n, json_each(n.doc, '$.document_urls') j, draft_texts d "
		"  WHERE d.url = j.value AND d.state = 'done' AND d.indexed = 0;"},
	/* 15: analyses and advice per notification (解读与应对建议): one current text per notification, published or a
	 * draft, and every version kept. */
	{15, "archive",
		"CREATE TABLE analyses ("
		"  symbol TEXT PRIMARY KEY,"
		"  doc TEXT NOT NULL," /* {summary_zh, requirements_zh, actions_zh: [], links: []} */
		"  published INTEGER NOT NULL DEFAULT 0,"
		"  author TEXT NOT NULL,"
		"  updated_at TEXT NOT NULL,"
		"  published_at TEXT," /* the first publication: the follow-up alerts go then, once */
		"  version INTEGER NOT NULL);"
		"CREATE TABLE analysis_history ("
		"  id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,"
		"  published INTEGER NOT NULL, author TEXT NOT NULL, at TEXT NOT NULL);"
		"CREATE INDEX analysis_history_symbol ON analysis_history (symbol, version);"},
	/* 18: the text the public sees is the last one published (a draft of a revision no longer hides it), and who
	 * published it (a machine draft is never published by the machine). */
	{18, "archive",
		"ALTER TABLE analyses ADD COLUMN public_doc TEXT;"
		"ALTER TABLE analyses ADD COLUMN public_at TEXT;"
		"ALTER TABLE analyses ADD COLUMN public_by TEXT;"
		"UPDATE analyses SET public_doc = doc, public_at = updated_at, public_by = author WHERE published = 1;"},
};

__attribute__((constructor)) static void store_schema_register(void)
{
	db_schema_register(store_schema, sizeof(store_schema) / sizeof(store_schema[0]));
}

struct store {
	struct db *db;
	struct db_stmt *st[S_N];
	int64_t next_seq;
};

static int db_err(struct store *s, char *err, size_t errlen, const char *what)
{
	errf(err, errlen, "%s: %s", what, db_errmsg(s->db));
	return -TBT_EDB;
}

static struct db_stmt *stmt(struct store *s, enum stmt_id id)
{
	struct db_stmt *st = s->st[id];
	db_reset(st);
	db_clear(st);
	return st;
}

/* Steps a statement that returns no rows, and resets it. */
static int step_done(struct store *s, struct db_stmt *st, char *err, size_t errlen, const char *what)
{
	int rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : db_err(s, err, errlen, what);
}

static int exec(struct store *s, const char *sql, char *err, size_t errlen)
{
	if (db_exec(s->db, sql) != DB_OK) {
		errf(err, errlen, "%s", db_errmsg(s->db));
		return -TBT_EDB;
	}
	return 0;
}

static int migrate(struct store *s, const char *path, char *err, size_t errlen)
{
	struct db_stmt *st;
	int version = 0, n = db_schema_latest();
	int pg = db_backend(s->db) == DB_POSTGRES;
	char sub[ERRBUF_SIZE];
	/* SQLite keeps the schema's version in the file's header; PostgreSQL in a table of its own. Two instances
	 * starting at once on PostgreSQL migrate one after the other (the table's lock). */
	if (pg && exec(s, "CREATE TABLE IF NOT EXISTS tbtwarn_schema (version INTEGER NOT NULL)", sub, sizeof(sub))) {
		errf(err, errlen, "read schema version: %s", sub);
		return -TBT_EDB;
	}
	if (pg && exec(s, "BEGIN; LOCK TABLE tbtwarn_schema IN EXCLUSIVE MODE", sub, sizeof(sub))) {
		errf(err, errlen, "lock the schema: %s", sub);
		return -TBT_EDB;
	}
	if (db_prepare(s->db, pg ? "SELECT coalesce(max(version), 0) FROM tbtwarn_schema" : "PRAGMA user_version", &st) !=
	    DB_OK) {
		db_err(s, err, errlen, "read schema version");
		db_rollback(s->db);
		return -TBT_EDB;
	}
	if (db_step(st) == DB_ROW)
		version = db_col_int(st, 0);
	db_finalize(st);
	if (pg && version >= n)
		db_rollback(s->db); /* nothing to do: let the lock go */
	if (version > n) {
		errf(err, errlen, "database '%s' has schema version %d, newer than this tbtwarn knows (%d)", path, version, n);
		return -TBT_EDB;
	}
	if (version == n)
		return 0;
	if (!pg && exec(s, "BEGIN IMMEDIATE", sub, sizeof(sub)))
		goto fail;
	for (int v = version; v < n; v++) {
		char pragma[96];
		const struct db_migration *steps[8];
		int k = db_schema_steps(v + 1, steps, 8);
		if (!k) {
			snprintf(sub, sizeof(sub), "no module registers version %d (a module's steps not linked in)", v + 1);
			goto fail_rollback;
		}
		for (int i = 0; i < k; i++)
			if (exec(s, steps[i]->sql, sub, sizeof(sub))) {
				exec(s, "ROLLBACK", NULL, 0);
				errf(err, errlen, "migrate '%s' to schema version %d (the %s's step): %s", path, v + 1,
				     steps[i]->owner, sub);
				return -TBT_EDB;
			}
		if (pg)
			snprintf(pragma, sizeof(pragma), "DELETE FROM tbtwarn_schema; INSERT INTO tbtwarn_schema VALUES (%d)", v + 1);
		else
			snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (exec(s, pragma, sub, sizeof(sub)))
			goto fail_rollback;
	}
	if (exec(s, "COMMIT", sub, sizeof(sub)))
		goto fail_rollback;
	return 0;
fail_rollback:
	exec(s, "ROLLBACK", NULL, 0);
fail:
	errf(err, errlen, "migrate '%s' to schema version %d: %s", path, n, sub);
	return -TBT_EDB;
}

/* TBTWARN_DB_CACHE_MIB, read once (the web's reader threads open stores too). */
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static long cache_mib = 64;

static void cache_env(void)
{
	const char *cm = getenv("TBTWARN_DB_CACHE_MIB");
	if (cm && *cm && parse_long(cm, 1, 65536, &cache_mib))
		cache_mib = 64;
}

int store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	struct store *s = xcalloc(1, sizeof(*s));
	char sub[ERRBUF_SIZE];
	*out = NULL;
	if (db_open(path, 0, &s->db, err, errlen)) {
		store_free(s);
		return -TBT_EDB;
	}
	/* WAL with synchronous=NORMAL: a crash of the process loses no committed transaction. */
	/* A 64 MiB page cache by default: the indexes of a large archive stay in memory while an import updates them.
	 * TBTWARN_DB_CACHE_MIB sets another size; the service sets its own ([service] db_cache). */
	pthread_once(&cache_once, cache_env);
	if (db_backend(s->db) == DB_SQLITE &&
	    exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;", sub, sizeof(sub))) {
		errf(err, errlen, "open database '%s': %s", path, sub);
		store_free(s);
		return -TBT_EDB;
	}
	store_set_cache(s, (size_t)cache_mib << 20);
	/* A PostgreSQL URL may hold a password: messages name the database by what is safe to print. */
	if (migrate(s, db_url_is_postgres(path) ? "(PostgreSQL)" : path, err, errlen)) {
		store_free(s);
		return -TBT_EDB;
	}
	for (int i = 0; i < S_N; i++) {
		if (db_prepare_persistent(s->db, stmt_sql[i], &s->st[i]) != DB_OK) {
			db_err(s, err, errlen, "prepare statement");
			store_free(s);
			return -TBT_EDB;
		}
	}
	*out = s;
	return 0;
}

void store_set_cache(struct store *s, size_t bytes)
{
	char sql[64];
	if (db_backend(s->db) != DB_SQLITE)
		return; /* PostgreSQL's shared_buffers are the server's */
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%zu", bytes >> 10);
	db_exec(s->db, sql);
}

void store_free(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < S_N; i++)
		db_finalize(s->st[i]);
	db_close(s->db);
	free(s);
}

int store_savepoint(struct store *s, const char *name, char *err, size_t errlen)
{
	return db_savepoint(s->db, name) ? db_err(s, err, errlen, "savepoint") : 0;
}

int store_release(struct store *s, const char *name, int keep, char *err, size_t errlen)
{
	return db_release(s->db, name, keep) ? db_err(s, err, errlen, "release a savepoint") : 0;
}

int store_in_savepoint(struct store *s, const char *name, int (*save)(struct store *, void *, char *, size_t), void *arg,
		       char *err, size_t errlen)
{
	int rc = store_savepoint(s, name, err, errlen);
	if (rc)
		return rc;
	rc = save(s, arg, err, errlen);
	char sub[ERRBUF_SIZE];
	if (store_release(s, name, rc == 0, sub, sizeof(sub)) && !rc) {
		snprintf(err, errlen, "%s", sub);
		rc = -TBT_EDB;
	}
	return rc;
}

int store_begin(struct store *s, char *err, size_t errlen)
{
	char sub[ERRBUF_SIZE];
	if (exec(s, "BEGIN IMMEDIATE", sub, sizeof(sub))) {
		errf(err, errlen, "begin transaction: %s", sub);
		return -TBT_EDB;
	}
	/* Writers of the change feed one at a time (on PostgreSQL, across instances: the web's edits and the crawler's
	 * imports may run on two of them), so that its numbers become visible in their order; then the next number
	 * follows what another instance stored since. */
	if (db_writer_lock(s->db)) {
		int rc = db_err(s, err, errlen, "wait for the other writers");
		store_rollback(s);
		return rc;
	}
	s->next_seq = store_max_seq(s) + 1;
	return 0;
}

int store_commit(struct store *s, char *err, size_t errlen)
{
	char sub[ERRBUF_SIZE];
	if (exec(s, "COMMIT", sub, sizeof(sub))) {
		errf(err, errlen, "commit: %s", sub);
		store_rollback(s);
		return -TBT_EDB;
	}
	return 0;
}

void store_rollback(struct store *s)
{
	if (db_in_txn(s->db))
		exec(s, "ROLLBACK", NULL, 0);
}

int store_put_raw(struct store *s, const char *sha256, const char *source, const char *url, const char *format,
		  const void *body, size_t len, char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_RAW_ADD);
	char now[21];
	now_iso(now);
	db_bind_text(st, 1, sha256);
	db_bind_text(st, 2, source);
	db_bind_text(st, 3, url);
	db_bind_text(st, 4, format);
	db_bind_text(st, 5, now);
	db_bind_int64(st, 6, (int64_t)len);
	db_bind_blob(st, 7, body, len);
	if (db_step(st) != DB_DONE)
		return db_err(s, err, errlen, "store raw document");
	db_reset(st);
	return 0;
}

/* Names the fields that differ between two canonical documents: "title.en", "dates.comment_deadline". */
static void changed_fields(const json_t *a, const json_t *b, const char *prefix, json_t *out, int depth)
{
	const char *key;
	json_t *va;
	json_object_foreach((json_t *)a, key, va)
	{
		json_t *vb = json_object_get(b, key);
		char name[128];
		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", key);
		if (vb && json_equal(va, vb))
			continue;
		if (depth < 2 && json_is_object(va) && json_is_object(vb))
			changed_fields(va, vb, name, out, depth + 1);
		else
			json_array_append_new(out, json_string(name));
	}
	json_object_foreach((json_t *)b, key, va)
	{
		if (!json_object_get(a, key)) {
			char name[128];
			snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", key);
			json_array_append_new(out, json_string(name));
		}
	}
}

int store_upsert(struct store *s, const struct notif *n, enum store_outcome *outcome, int64_t *id,
		 struct notif **final, char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_GET_BY_SYMBOL);
	struct notif *merged = NULL;
	json_t *old = NULL;
	int64_t rowid = 0;
	int rc = 0;
	char hash[65], now[21], old_hash[65] = "";
	if (final)
		*final = NULL;
	db_bind_text(st, 1, n->symbol);
	int step = db_step(st);
	if (step == DB_ROW) {
		json_error_t jerr;
		rowid = db_col_int64(st, 0);
		snprintf(old_hash, sizeof(old_hash), "%s", db_col_text(st, 6));
		old = json_loads(db_col_text(st, 1), 0, &jerr);
		merged = old ? notif_from_json(old) : NULL;
		if (!merged) {
			db_reset(st);
			json_decref(old);
			errf(err, errlen, "stored document of '%s' is corrupt", n->symbol);
			return -TBT_EDB;
		}
	} else if (step != DB_DONE) {
		return db_err(s, err, errlen, "look up notification");
	}
	db_reset(st);

	/* What is stored is the merge of what we had and what came, so that a partial source never erases. A new
	 * record needs no merge: it is stored as it came (parsers hand over finished records). */
	struct notif *owned = NULL;
	if (merged) {
		notif_merge(merged, n);
		notif_finish(merged);
		owned = merged;
	} else {
		merged = (struct notif *)n;
	}

	struct buf docb;
	buf_init(&docb, BUF_NOMAX);
	notif_write_json(merged, &docb);
	char *doc = buf_detach(&docb);
	sha256_hex(doc, strlen(doc), hash);
	if (old && !strcmp(hash, old_hash)) {
		*outcome = STORE_UNCHANGED;
		goto out;
	}
	int64_t seq = s->next_seq++;
	now_iso(now);
	const char *dist = merged->dates[D_DISTRIBUTED].iso[0] ? merged->dates[D_DISTRIBUTED].iso : NULL;
	const char *dl = merged->dates[D_COMMENTS].iso[0] ? merged->dates[D_COMMENTS].iso : NULL;
	if (old) {
		/* The version being replaced goes to the history, with the names of the fields that changed. */
		json_t *changes = json_array(), *content = json_loads(doc, 0, NULL);
		changed_fields(old, content, "", changes, 0);
		json_decref(content);
		char *changes_s = json_dumps(changes, JSON_COMPACT);
		json_decref(changes);
		st = stmt(s, S_HISTORY_ADD);
		db_bind_int64(st, 1, rowid);
		db_bind_text(st, 2, now);
		db_bind_text(st, 3, changes_s);
		rc = db_step(st) == DB_DONE ? 0 : db_err(s, err, errlen, "keep history");
		db_reset(st);
		free(changes_s);
		if (rc)
			goto out;
	}
	st = stmt(s, S_UPSERT);
	db_bind_text(st, 1, merged->symbol);
	db_bind_text(st, 2, merged->root_symbol);
	db_bind_text(st, 3, merged->parent_symbol);
	db_bind_text(st, 4, notif_rel_name(merged->relation));
	db_bind_text(st, 5, merged->type == NT_SPS ? "SPS" : "TBT");
	db_bind_text(st, 6, merged->member);
	db_bind_text(st, 7, dist);
	db_bind_text(st, 8, dl);
	db_bind_text(st, 9, hash);
	db_bind_int64(st, 10, seq);
	db_bind_text(st, 11, now);
	db_bind_text(st, 12, doc);
	db_bind_text(st, 13, merged->source);
	db_bind_text(st, 14, merged->source_url);
	db_bind_text(st, 15, merged->fetched_at);
	db_bind_text(st, 16, merged->raw_sha256);
	if (db_step(st) != DB_DONE) {
		rc = db_err(s, err, errlen, old ? "update notification" : "insert notification");
		goto out;
	}
	if (!old)
		rowid = db_last_id(s->db);
	*outcome = old ? STORE_UPDATED : STORE_ADDED;
	db_reset(st);
out:
	if (!rc && id)
		*id = rowid;
	json_decref(old);
	free(doc);
	if (!rc && final && owned)
		*final = owned;
	else
		notif_free(owned);
	return rc;
}

/* Builds a record from a row: the document at column doc, the provenance in the four columns after it. */
static struct notif *load_row(struct db_stmt *st, int doc)
{
	json_error_t jerr;
	const char *text = db_col_text(st, doc);
	json_t *j = text ? json_loads((const char *)text, 0, &jerr) : NULL;
	struct notif *n = j ? notif_from_json(j) : NULL;
	json_decref(j);
	if (!n)
		return NULL;
	char **prov[] = {&n->source, &n->source_url, &n->fetched_at, &n->raw_sha256};
	for (int i = 0; i < 4; i++) {
		const char *v = db_col_text(st, doc + 1 + i);
		free(*prov[i]);
		*prov[i] = v ? xstrdup((const char *)v) : NULL;
	}
	return n;
}

int store_get(struct store *s, const char *symbol, struct notif **out, int64_t *id, char *err, size_t errlen)
{
	struct symbol_parts sp;
	struct db_stmt *st = stmt(s, S_GET_BY_SYMBOL);
	int rc;
	*out = NULL;
	if (symbol_parse(symbol, &sp)) {
		errf(err, errlen, "'%s' is not a notification symbol", symbol);
		return -EINVAL;
	}
	db_bind_text(st, 1, sp.norm);
	rc = db_step(st);
	if (rc == DB_DONE) {
		db_reset(st);
		errf(err, errlen, "no notification '%s' in the archive", sp.norm);
		return -ENOENT;
	}
	if (rc != DB_ROW)
		return db_err(s, err, errlen, "look up notification");
	if (id)
		*id = db_col_int64(st, 0);
	*out = load_row(st, 1);
	db_reset(st);
	if (!*out) {
		errf(err, errlen, "stored document of '%s' is corrupt", sp.norm);
		return -TBT_EDB;
	}
	return 0;
}

int store_get_by_id(struct store *s, int64_t id, struct notif **out, char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_GET_BY_ID);
	int rc;
	*out = NULL;
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc == DB_DONE) {
		db_reset(st);
		errf(err, errlen, "no notification with id %lld", (long long)id);
		return -ENOENT;
	}
	if (rc != DB_ROW)
		return db_err(s, err, errlen, "load notification");
	*out = load_row(st, 0);
	db_reset(st);
	if (!*out) {
		errf(err, errlen, "stored document %lld is corrupt", (long long)id);
		return -TBT_EDB;
	}
	return 0;
}

int store_related(struct store *s, const char *root, struct strv *out, char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_RELATED);
	int rc;
	db_bind_text(st, 1, root);
	while ((rc = db_step(st)) == DB_ROW)
		strv_push(out, db_col_text(st, 0));
	db_reset(st);
	return rc == DB_DONE ? 0 : db_err(s, err, errlen, "list related documents");
}

json_t *store_history(struct store *s, const char *symbol)
{
	struct db_stmt *st = stmt(s, S_HISTORY);
	json_t *a = json_array();
	json_error_t jerr;
	db_bind_text(st, 1, symbol);
	while (db_step(st) == DB_ROW) {
		json_t *h = json_object();
		const char *src = db_col_text(st, 3);
		json_object_set_new(h, "version", json_integer(db_col_int(st, 0)));
		json_object_set_new(h, "replaced_at", json_string(db_col_text(st, 1)));
		json_t *ch = json_loads(db_col_text(st, 2), 0, &jerr);
		json_object_set_new(h, "changed_fields", ch ? ch : json_array());
		json_object_set_new(h, "source", src ? json_string(src) : json_null());
		json_array_append_new(a, h);
	}
	db_reset(st);
	return a;
}

int store_changes_since(struct store *s, int64_t seq, int (*fn)(void *arg, int64_t id, int64_t seq, struct notif *n),
			void *arg, char *err, size_t errlen)
{
	/* A statement of its own: fn may call back into the store. */
	struct db_stmt *st;
	int rc, stop = 0;
	if (db_prepare(s->db, stmt_sql[S_CHANGES], &st) != DB_OK)
		return db_err(s, err, errlen, "list changes");
	db_bind_int64(st, 1, seq);
	while (!stop && (rc = db_step(st)) == DB_ROW) {
		int64_t id = db_col_int64(st, 0), sq = db_col_int64(st, 1);
		struct notif *n = load_row(st, 2);
		if (!n) {
			errf(err, errlen, "stored document %lld is corrupt", (long long)id);
			db_finalize(st);
			return -TBT_EDB;
		}
		stop = fn(arg, id, sq, n);
		notif_free(n);
	}
	if (!stop && rc != DB_DONE) {
		db_err(s, err, errlen, "list changes");
		db_finalize(st);
		return -TBT_EDB;
	}
	db_finalize(st);
	return stop < 0 ? stop : 0;
}

static int64_t scalar(struct store *s, enum stmt_id id)
{
	struct db_stmt *st = stmt(s, id);
	int64_t v = 0;
	if (db_step(st) == DB_ROW)
		v = db_col_int64(st, 0);
	db_reset(st);
	return v;
}

int64_t store_max_seq(struct store *s)
{
	return scalar(s, S_MAX_SEQ);
}

int64_t store_count(struct store *s)
{
	return scalar(s, S_COUNT);
}

struct db *store_db(struct store *s)
{
	return s->db;
}

static char *col_dup(struct db_stmt *st, int i)
{
	const char *v = db_col_text(st, i);
	return v ? xstrdup((const char *)v) : NULL;
}

void source_state_release(struct source_state *ss)
{
	free(ss->cursor);
	free(ss->etag);
	free(ss->last_modified);
	free(ss->last_attempt);
	free(ss->last_success);
	free(ss->last_new);
	free(ss->last_error);
	memset(ss, 0, sizeof(*ss));
}

int store_source_load(struct store *s, const char *name, struct source_state *out, char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_SOURCE_GET);
	int rc;
	memset(out, 0, sizeof(*out));
	db_bind_text(st, 1, name);
	rc = db_step(st);
	if (rc == DB_ROW) {
		out->cursor = col_dup(st, 0);
		out->etag = col_dup(st, 1);
		out->last_modified = col_dup(st, 2);
		out->last_attempt = col_dup(st, 3);
		out->last_success = col_dup(st, 4);
		out->last_new = col_dup(st, 5);
		out->last_error = col_dup(st, 6);
		out->failures = db_col_int(st, 7);
		out->next_run = db_col_double(st, 8);
		out->fetches = db_col_int64(st, 9);
		out->records = db_col_int64(st, 10);
	}
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 : db_err(s, err, errlen, "load source state");
}

int store_source_save(struct store *s, const char *name, const struct source_state *ss, char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_SOURCE_PUT);
	const char *texts[] = {name, ss->cursor, ss->etag, ss->last_modified, ss->last_attempt, ss->last_success,
			       ss->last_new, ss->last_error};
	for (int i = 0; i < 8; i++)
		db_bind_text(st, i + 1, texts[i]);
	db_bind_int64(st, 9, ss->failures);
	db_bind_double(st, 10, ss->next_run);
	db_bind_int64(st, 11, ss->fetches);
	db_bind_int64(st, 12, ss->records);
	return step_done(s, st, err, errlen, "save source state");
}

int store_url_get(struct store *s, const char *url, char **etag, char **last_modified, char sha256[65])
{
	struct db_stmt *st = stmt(s, S_URL_GET);
	int found = 0;
	*etag = *last_modified = NULL;
	sha256[0] = '\0';
	db_bind_text(st, 1, url);
	if (db_step(st) == DB_ROW) {
		found = 1;
		*etag = col_dup(st, 0);
		*last_modified = col_dup(st, 1);
		const char *h = db_col_text(st, 2);
		if (h)
			snprintf(sha256, 65, "%s", (const char *)h);
	}
	db_reset(st);
	return found;
}

int store_url_put(struct store *s, const char *url, const char *source, const char *etag, const char *last_modified,
		  const char *sha256, char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_URL_PUT);
	char now[21];
	now_iso(now);
	db_bind_text(st, 1, url);
	db_bind_text(st, 2, source);
	db_bind_text(st, 3, etag);
	db_bind_text(st, 4, last_modified);
	db_bind_text(st, 5, sha256);
	db_bind_text(st, 6, now);
	return step_done(s, st, err, errlen, "save URL state");
}

int store_has_derived(struct store *s, const char *root)
{
	struct db_stmt *st = stmt(s, S_HAS_DERIVED);
	db_bind_text(st, 1, root);
	int found = db_step(st) == DB_ROW;
	db_reset(st);
	return found;
}

int store_draft_add(struct store *s, const char *url, const char *symbol, char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_DRAFT_ADD);
	char now[21];
	now_iso(now);
	db_bind_text(st, 1, url);
	db_bind_text(st, 2, symbol);
	db_bind_text(st, 3, now);
	return step_done(s, st, err, errlen, "queue a draft text");
}

int store_drafts_due(struct store *s, double now, int limit, struct strv *urls, char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_DRAFT_DUE);
	int rc;
	db_bind_double(st, 1, now);
	db_bind_int64(st, 2, limit);
	while ((rc = db_step(st)) == DB_ROW)
		strv_push(urls, db_col_text(st, 0));
	db_reset(st);
	return rc == DB_DONE ? 0 : db_err(s, err, errlen, "read the draft texts due");
}

int store_draft_done(struct store *s, const char *url, const char *state, const char *why, const char *format,
		     long long size, const char *sha256, const char *text, size_t textlen, char *err, size_t errlen)
{
	char now[21], sub[ERRBUF_SIZE];
	now_iso(now);
	/* The text and, when there is one, its citers in the index feed, in one transaction. */
	if (store_savepoint(s, "draft_done", err, errlen))
		return -TBT_EDB;
	int rc = 0;
	if (text && db_writer_lock(s->db))
		rc = db_err(s, err, errlen, "wait for the other writers");
	struct db_stmt *st = stmt(s, S_DRAFT_DONE);
	db_bind_text(st, 1, url);
	db_bind_text(st, 2, state);
	db_bind_text(st, 3, why);
	db_bind_text(st, 4, format);
	db_bind_int64(st, 5, size);
	db_bind_text(st, 6, sha256);
	if (text)
		db_bind_textn(st, 7, text, textlen);
	else
		db_bind_null(st, 7);
	db_bind_text(st, 8, now);
	if (!rc)
		rc = step_done(s, st, err, errlen, "save a draft text");
	else
		db_reset(st);
	if (!rc && text) {
		st = stmt(s, S_FEED_ADD_CITERS);
		db_bind_text(st, 1, url);
		db_bind_text(st, 2, now);
		rc = step_done(s, st, err, errlen, "add a draft's citers to the index feed");
	}
	if (store_release(s, "draft_done", rc == 0, sub, sizeof(sub)) && !rc) {
		errf(err, errlen, "%s", sub);
		rc = -TBT_EDB;
	}
	return rc;
}

int store_draft_failed(struct store *s, const char *url, const char *state, const char *why, double next_try,
		       char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_DRAFT_FAILED);
	char now[21];
	now_iso(now);
	db_bind_text(st, 1, url);
	db_bind_text(st, 2, state);
	db_bind_text(st, 3, why);
	db_bind_double(st, 4, next_try);
	db_bind_text(st, 5, now);
	return step_done(s, st, err, errlen, "save a draft text's failure");
}

char *store_draft_text(struct store *s, const char *url)
{
	struct db_stmt *st = stmt(s, S_DRAFT_TEXT);
	char *text = NULL;
	db_bind_text(st, 1, url);
	if (db_step(st) == DB_ROW)
		text = col_dup(st, 0);
	db_reset(st);
	return text;
}

json_t *store_draft_json(struct store *s, const char *url)
{
	struct db_stmt *st = stmt(s, S_DRAFT_INFO);
	json_t *o = NULL;
	db_bind_text(st, 1, url);
	if (db_step(st) == DB_ROW) {
		static const char *const names[] = {"state", NULL, "error", "format", NULL, NULL, "fetched_at", "symbol"};
		o = json_pack("{s:s, s:i}", "url", url, "attempts", db_col_int(st, 1));
		for (int i = 0; i < 8; i++)
			if (names[i] && !db_col_null(st, i))
				json_object_set_new(o, names[i], json_string(db_col_text(st, i)));
		if (!db_col_null(st, 4))
			json_object_set_new(o, "bytes", json_integer(db_col_int64(st, 4)));
		if (!db_col_null(st, 5))
			json_object_set_new(o, "text_chars", json_integer(db_col_int64(st, 5)));
	}
	db_reset(st);
	return o;
}

/* Fills o ({state: 0, ...}) from a statement giving (state, count) rows; returns o. */
static json_t *counts_of(struct store *s, enum stmt_id id, json_t *o)
{
	struct db_stmt *st = stmt(s, id);
	while (db_step(st) == DB_ROW)
		json_object_set_new(o, db_col_text(st, 0), json_integer(db_col_int64(st, 1)));
	db_reset(st);
	return o;
}

json_t *store_draft_counts(struct store *s)
{
	return counts_of(s, S_DRAFT_COUNTS, json_pack("{s:i, s:i, s:i, s:i}", "pending", 0, "done", 0, "failed", 0,
						       "skipped", 0));
}

/* Runs a one-text-parameter statement that returns no rows. */
/* The feed of notifications to index again (migration 13): called with the writers' lock held. */
static int feed_add(struct store *s, const char *symbol, const char *why, char *err, size_t errlen)
{
	char now[21];
	now_iso(now);
	struct db_stmt *st = stmt(s, S_FEED_ADD);
	db_bind_text(st, 1, symbol);
	db_bind_text(st, 2, why);
	db_bind_text(st, 3, now);
	return step_done(s, st, err, errlen, "add to the index feed");
}

static int tr_put(struct store *s, const struct tr_row *t, char *err, size_t errlen)
{
	char now[21];
	now_iso(now);
	if (db_writer_lock(s->db))
		return db_err(s, err, errlen, "wait for the other writers");
	struct db_stmt *h = stmt(s, S_TR_HISTORY_ADD);
	db_bind_text(h, 1, t->symbol);
	db_bind_text(h, 2, t->field);
	db_bind_text(h, 3, now);
	db_bind_text(h, 4, t->by);
	int rc = db_step(h);
	db_reset(h);
	if (rc != DB_DONE)
		return db_err(s, err, errlen, "keep a translation's history");
	struct db_stmt *st = stmt(s, S_TR_PUT);
	const char *texts[] = {t->symbol, t->field, t->zh, t->by, t->provider, t->model, t->who, now};
	for (int i = 0; i < 8; i++)
		db_bind_text(st, i + 1, texts[i]);
	db_bind_int64(st, 9, t->reviewed);
	db_bind_text(st, 10, t->flags);
	db_bind_text(st, 11, t->src_sha);
	rc = db_step(st);
	int64_t changed = db_changes(s->db);
	db_reset(st);
	if (rc != DB_DONE)
		return db_err(s, err, errlen, "save a translation");
	/* A machine's text that a person's kept out changes nothing to index. */
	return changed ? feed_add(s, t->symbol, "translation", err, errlen) : 0;
}

int store_tr_put(struct store *s, const struct tr_row *t, char *err, size_t errlen)
{
	char sub[ERRBUF_SIZE];
	/* The text and its place in the index feed in one transaction (a savepoint: the caller may hold one open). */
	if (store_savepoint(s, "tr_put", err, errlen))
		return -TBT_EDB;
	int rc = tr_put(s, t, err, errlen);
	if (store_release(s, "tr_put", rc == 0, sub, sizeof(sub)) && !rc) {
		errf(err, errlen, "%s", sub);
		rc = -TBT_EDB;
	}
	return rc;
}

static void put_col(json_t *o, struct db_stmt *st, int col, const char *name)
{
	if (!db_col_null(st, col))
		json_object_set_new(o, name, json_string(db_col_text(st, col)));
}

json_t *store_tr_get(struct store *s, const char *symbol)
{
	struct db_stmt *st = stmt(s, S_TR_GET);
	json_t *all = json_object();
	db_bind_text(st, 1, symbol);
	while (db_step(st) == DB_ROW) {
		json_t *o = json_object();
		static const char *const names[] = {NULL, "zh", "by", "provider", "model", "who", "at"};
		for (int i = 1; i < 7; i++)
			put_col(o, st, i, names[i]);
		json_object_set_new(o, "reviewed", json_boolean(db_col_int(st, 7)));
		put_col(o, st, 8, "flags");
		put_col(o, st, 9, "src_sha");
		json_object_set_new(all, db_col_text(st, 0), o);
	}
	db_reset(st);
	return all;
}

json_t *store_tr_history(struct store *s, const char *symbol)
{
	struct db_stmt *st = stmt(s, S_TR_HISTORY);
	json_t *a = json_array();
	db_bind_text(st, 1, symbol);
	while (db_step(st) == DB_ROW) {
		json_t *o = json_object();
		static const char *const names[] = {"field", "zh", "by", "provider", "model", "who", "at"};
		for (int i = 0; i < 7; i++)
			put_col(o, st, i, names[i]);
		json_object_set_new(o, "reviewed", json_boolean(db_col_int(st, 7)));
		put_col(o, st, 8, "replaced_at");
		json_array_append_new(a, o);
	}
	db_reset(st);
	return a;
}

char *store_tm_get(struct store *s, const char *src_sha)
{
	struct db_stmt *st = stmt(s, S_TM_GET);
	char *zh = NULL;
	db_bind_text(st, 1, src_sha);
	if (db_step(st) == DB_ROW)
		zh = col_dup(st, 0);
	db_reset(st);
	return zh;
}

int store_tm_put(struct store *s, const char *src_sha, const char *src, const char *zh, const char *provider,
		 const char *model, const char *flags, char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_TM_PUT);
	char now[21];
	now_iso(now);
	const char *texts[] = {src_sha, src, zh, provider, model, now, flags};
	for (int i = 0; i < 7; i++)
		db_bind_text(st, i + 1, texts[i]);
	return step_done(s, st, err, errlen, "save a translated segment");
}

int store_backup(const char *src, const char *dst, long long *count, char *err, size_t errlen)
{
	struct db *from, *to;
	int rc;
	if ((rc = db_open(src, 1, &from, err, errlen)))
		return rc;
	/* SQLite's online backup: a consistent snapshot while the service keeps writing (steps of 1,000 pages; a write
	 * by the service restarts the copy from the changed pages). */
	rc = db_backup(from, dst, err, errlen);
	db_close(from);
	if (!rc && count && !db_open(dst, 1, &to, err, errlen)) {
		*count = db_scalar(to, "SELECT count(*) FROM notifications", -1);
		db_close(to);
	}
	return rc;
}

json_t *store_check(struct store *s)
{
	struct db_stmt *q = NULL;
	json_t *o = json_object();
	char what[160];
	if (db_backend(s->db) == DB_POSTGRES) {
		/* PostgreSQL checks its pages itself (data checksums): the check says which server answers. */
		const char *v = NULL;
		if (db_prepare(s->db, "SELECT current_setting('server_version')", &q) == DB_OK && db_step(q) == DB_ROW)
			v = db_col_text(q, 0);
		snprintf(what, sizeof(what), "the store is on PostgreSQL %s", v ? v : "?");
		if (!v)
			json_object_set_new(o, "database_error", json_string("the server does not answer"));
	} else {
		const char *integrity = NULL;
		if (db_prepare(s->db, "PRAGMA quick_check", &q) == DB_OK && db_step(q) == DB_ROW)
			integrity = db_col_text(q, 0);
		snprintf(what, sizeof(what), "the database passes SQLite's quick_check");
		if (!integrity || strcmp(integrity, "ok"))
			json_object_set_new(o, "database_error", json_string(integrity ? integrity : "?"));
	}
	json_object_set_new(o, "database", json_string(what));
	db_finalize(q);
	long long checked = 0, wrong = 0;
	struct buf first;
	buf_init(&first, 512);
	if (db_prepare(s->db, "SELECT symbol, doc, content_hash FROM notifications", &q) == DB_OK) {
		while (db_step(q) == DB_ROW) {
			const char *doc = db_col_text(q, 1), *want = db_col_text(q, 2);
			char got[65];
			sha256_hex(doc ? doc : "", doc ? db_col_bytes(q, 1) : 0, got);
			checked++;
			if ((!want || strcmp(got, want)) && wrong++ < 5)
				buf_addf(&first, "%s%s", first.len ? ", " : "", db_col_text(q, 0));
		}
		db_finalize(q);
	}
	json_object_set_new(o, "checked", json_integer(checked));
	json_object_set_new(o, "wrong", json_integer(wrong));
	json_object_set_new(o, "wrong_symbols", json_string(first.s ? first.s : ""));
	buf_release(&first);
	return o;
}

int64_t store_memory_used(void)
{
	return db_memory_used();
}

int64_t store_tm_count(struct store *s)
{
	return db_scalar(s->db, "SELECT count(*) FROM translation_memory", 0);
}

json_t *store_counts_by_month(struct store *s, int months)
{
	struct db_stmt *q;
	json_t *o = json_object();
	if (db_prepare(s->db, "SELECT substr(distributed, 1, 7) AS m, count(*) FROM notifications WHERE distributed IS NOT "
			      "NULL GROUP BY m ORDER BY m DESC LIMIT ?1",
		       &q))
		return o;
	db_bind_int64(q, 1, months);
	while (db_step(q) == DB_ROW)
		if (db_col_text(q, 0))
			json_object_set_new(o, db_col_text(q, 0), json_integer(db_col_int64(q, 1)));
	db_finalize(q);
	return o;
}

int64_t store_feed_max(struct store *s)
{
	return scalar(s, S_FEED_MAX);
}

int store_feed_since(struct store *s, int64_t after, int limit, struct store_feed *f, char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_FEED_SINCE);
	size_t cap = 0;
	int rc;
	strv_init(&f->symbols);
	f->fseq = NULL;
	db_bind_int64(st, 1, after);
	db_bind_int64(st, 2, limit);
	while ((rc = db_step(st)) == DB_ROW) {
		if (f->symbols.n == cap) {
			cap = cap ? 2 * cap : 64;
			f->fseq = xrealloc(f->fseq, cap * sizeof(*f->fseq));
		}
		f->fseq[f->symbols.n] = db_col_int64(st, 0);
		strv_push(&f->symbols, db_col_text(st, 1) ? db_col_text(st, 1) : "");
	}
	db_reset(st);
	if (rc != DB_DONE) {
		store_feed_release(f);
		return db_err(s, err, errlen, "read the index feed");
	}
	return 0;
}

void store_feed_release(struct store_feed *f)
{
	strv_release(&f->symbols);
	free(f->fseq);
	f->fseq = NULL;
}

int store_ts_put(struct store *s, const struct ts_row *t, char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_TS_PUT);
	char now[21];
	now_iso(now);
	const char *texts[] = {t->provider, t->url, t->model, t->health, t->last_success, t->last_error};
	for (int i = 0; i < 6; i++)
		db_bind_text(st, i + 1, texts[i] && *texts[i] ? texts[i] : NULL);
	db_bind_int64(st, 7, t->failures);
	db_bind_double(st, 8, t->paused_until);
	db_bind_text(st, 9, t->day && *t->day ? t->day : NULL);
	db_bind_int64(st, 10, t->chars_day);
	db_bind_text(st, 11, now);
	return step_done(s, st, err, errlen, "save the translation provider's state");
}

json_t *store_ts_get(struct store *s, const char *provider)
{
	struct db_stmt *st = stmt(s, S_TS_GET);
	json_t *all = json_array();
	static const char *const names[] = {"provider", "url", "model", "health", "last_success", "last_error"};
	db_bind_text(st, 1, provider);
	while (db_step(st) == DB_ROW) {
		json_t *o = json_object();
		for (int i = 0; i < 6; i++)
			json_object_set_new(o, names[i], db_col_null(st, i)
								  ? json_null()
								  : json_string(db_col_text(st, i)));
		json_object_set_new(o, "failures", json_integer(db_col_int64(st, 6)));
		json_object_set_new(o, "paused_until", json_real(db_col_double(st, 7)));
		put_col(o, st, 8, "day");
		json_object_set_new(o, "chars_day", json_integer(db_col_int64(st, 9)));
		put_col(o, st, 10, "updated_at");
		json_array_append_new(all, o);
	}
	db_reset(st);
	return all;
}

int store_tq_add(struct store *s, const char *symbol, char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_TQ_ADD);
	char now[21];
	now_iso(now);
	db_bind_text(st, 1, symbol);
	db_bind_text(st, 2, now);
	return step_done(s, st, err, errlen, "queue a translation");
}

int store_tq_due(struct store *s, double now, int limit, struct strv *symbols, char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_TQ_DUE);
	int rc;
	db_bind_double(st, 1, now);
	db_bind_int64(st, 2, limit);
	while ((rc = db_step(st)) == DB_ROW)
		strv_push(symbols, db_col_text(st, 0));
	db_reset(st);
	return rc == DB_DONE ? 0 : db_err(s, err, errlen, "read the translations due");
}

int store_tq_set(struct store *s, const char *symbol, const char *state, const char *error, double next_try,
		 int attempt, char *err, size_t errlen)
{
	struct db_stmt *st = stmt(s, S_TQ_SET);
	char now[21];
	now_iso(now);
	db_bind_text(st, 1, symbol);
	db_bind_text(st, 2, state);
	db_bind_text(st, 3, error);
	db_bind_double(st, 4, next_try);
	db_bind_int64(st, 5, attempt);
	db_bind_text(st, 6, now);
	return step_done(s, st, err, errlen, "save a translation's state");
}

json_t *store_tq_counts(struct store *s)
{
	return counts_of(s, S_TQ_COUNTS, json_pack("{s:i, s:i, s:i}", "pending", 0, "done", 0, "failed", 0));
}

json_t *store_tq_row(struct store *s, const char *symbol)
{
	struct db_stmt *st = stmt(s, S_TQ_ROW);
	json_t *o = NULL;
	db_bind_text(st, 1, symbol);
	if (db_step(st) == DB_ROW) {
		o = json_pack("{s:s, s:i}", "state", db_col_text(st, 0), "attempts",
			      db_col_int(st, 1));
		put_col(o, st, 2, "error");
	}
	db_reset(st);
	return o;
}

json_t *store_tr_review(struct store *s, int limit)
{
	struct db_stmt *st = stmt(s, S_TR_REVIEW);
	json_t *a = json_array();
	db_bind_int64(st, 1, limit);
	while (db_step(st) == DB_ROW) {
		json_t *o = json_object();
		static const char *const names[] = {"symbol", "field", "zh", "provider", "model", "at", "flags"};
		for (int i = 0; i < 7; i++)
			put_col(o, st, i, names[i]);
		json_array_append_new(a, o);
	}
	db_reset(st);
	return a;
}

/* ---- analyses (migration 15) ---- */

json_t *store_analysis_get(struct store *s, const char *symbol, int published_only)
{
	struct db_stmt *st = stmt(s, S_AN_GET);
	json_t *o = NULL;
	db_bind_text(st, 1, symbol);
	/* The public sees the last text published; staff the current one, published or a draft. */
	int col = published_only ? 6 : 0;
	if (db_step(st) == DB_ROW && db_col_text(st, col)) {
		json_error_t jerr;
		o = json_loads(db_col_text(st, col), 0, &jerr);
		if (!json_is_object(o)) {
			json_decref(o);
			o = json_object();
		}
		json_object_set_new(o, "published", json_boolean(published_only || db_col_int(st, 1)));
		put_col(o, st, published_only ? 8 : 2, "author");
		put_col(o, st, published_only ? 7 : 3, "updated_at");
		put_col(o, st, 4, "published_at");
		if (!published_only) {
			json_object_set_new(o, "version", json_integer(db_col_int64(st, 5)));
			json_object_set_new(o, "public", json_boolean(db_col_text(st, 6) != NULL));
		}
	}
	db_reset(st);
	return o;
}

int store_analysis_put(struct store *s, const char *symbol, const char *doc, int published, const char *author,
		       int *first_publication, char *err, size_t errlen)
{
	char now[21];
	json_t *before = store_analysis_get(s, symbol, 0);
	int was = before && json_object_get(before, "published_at") != NULL;
	json_decref(before);
	now_iso(now);
	struct db_stmt *st = stmt(s, S_AN_PUT);
	db_bind_text(st, 1, symbol);
	db_bind_text(st, 2, doc);
	db_bind_int64(st, 3, published ? 1 : 0);
	db_bind_text(st, 4, author);
	db_bind_text(st, 5, now);
	if (published) {
		db_bind_text(st, 6, now);
		db_bind_text(st, 7, doc);
		db_bind_text(st, 8, author);
	} else {
		db_bind_null(st, 6);
		db_bind_null(st, 7);
		db_bind_null(st, 8);
	}
	int64_t version = 0;
	int rc = db_step(st);
	if (rc == DB_ROW)
		version = db_col_int64(st, 0);
	while (rc == DB_ROW)
		rc = db_step(st);
	db_reset(st);
	if (rc != DB_DONE)
		return db_err(s, err, errlen, "save an analysis");
	st = stmt(s, S_AN_HISTORY_ADD);
	db_bind_text(st, 1, symbol);
	db_bind_int64(st, 2, version);
	db_bind_text(st, 3, doc);
	db_bind_int64(st, 4, published ? 1 : 0);
	db_bind_text(st, 5, author);
	db_bind_text(st, 6, now);
	if (step_done(s, st, err, errlen, "keep an analysis's history"))
		return -TBT_EDB;
	*first_publication = published && !was;
	return 0;
}

json_t *store_analysis_history(struct store *s, const char *symbol)
{
	struct db_stmt *q;
	json_t *a = json_array();
	if (db_prepare(s->db, "SELECT version, doc, published, author, at FROM analysis_history WHERE symbol = ?1 "
			      "ORDER BY version",
		       &q))
		return a;
	db_bind_text(q, 1, symbol);
	while (db_step(q) == DB_ROW) {
		json_error_t jerr;
		json_t *doc = json_loads(db_col_text(q, 1) ? db_col_text(q, 1) : "{}", 0, &jerr);
		json_array_append_new(a, json_pack("{s:I, s:o, s:b, s:s?, s:s?}", "version", (json_int_t)db_col_int64(q, 0),
						   "text", doc ? doc : json_object(), "published", db_col_int(q, 2),
						   "author", db_col_text(q, 3), "at", db_col_text(q, 4)));
	}
	db_finalize(q);
	return a;
}

json_t *store_rows_json(struct store *s, const char *sql, const char *param, const char *const *keys, int nkeys)
{
	struct db_stmt *q;
	json_t *a = json_array();
	if (db_prepare(s->db, sql, &q))
		return a;
	if (param)
		db_bind_text(q, 1, param);
	while (db_step(q) == DB_ROW) {
		json_t *o = json_object();
		for (int i = 0; i < nkeys; i++)
			json_object_set_new(o, keys[i], db_col_text(q, i) ? json_string(db_col_text(q, i)) : json_null());
		json_array_append_new(a, o);
	}
	db_finalize(q);
	return a;
}

json_t *store_analysis_times(struct store *s, const char *since)
{
	static const char *const keys[] = {"symbol", "distributed", "at"};
	return store_rows_json(s, "SELECT a.symbol, n.distributed, a.published_at FROM analyses a JOIN notifications n "
				  "ON n.symbol = a.symbol WHERE a.published_at IS NOT NULL AND n.distributed >= ?1",
			       since, keys, 3);
}

