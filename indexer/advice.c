/* advice.c: experts' advice entries and the machine-draft queue (advice.h). */
#include "advice.h"
#include "db.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* This module's tables, its step of the schema (18). */
static const struct db_migration advice_schema[] = {
	{18, "advice",
	 "CREATE TABLE advice ("
	 "  id INTEGER PRIMARY KEY,"
	 "  symbol TEXT NOT NULL,"
	 "  author TEXT NOT NULL," /* the user who wrote it */
	 "  name TEXT NOT NULL,"   /* as shown: the expert's organisation, as their account said when they wrote */
	 "  doc TEXT NOT NULL,"    /* {text_zh, links} */
	 "  published INTEGER NOT NULL DEFAULT 0,"
	 "  reviewed_by TEXT,"
	 "  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
	 "CREATE INDEX advice_symbol ON advice (symbol, id);"
	 "CREATE TABLE analysis_requests ("
	 "  symbol TEXT PRIMARY KEY,"
	 "  state TEXT NOT NULL DEFAULT 'pending'," /* pending, done, failed, superseded */
	 "  requested_by TEXT NOT NULL, requested_at TEXT NOT NULL,"
	 "  attempts INTEGER NOT NULL DEFAULT 0,"
	 "  next_try REAL NOT NULL DEFAULT 0,"
	 "  error TEXT, updated_at TEXT NOT NULL);"},
};

__attribute__((constructor)) static void advice_schema_register(void)
{
	db_schema_register(advice_schema, sizeof(advice_schema) / sizeof(advice_schema[0]));
}

static int failed(struct db *db, struct db_stmt *q, char *err, size_t errlen, const char *what)
{
	errf(err, errlen, "%s: %s", what, db_errmsg(db));
	db_finalize(q);
	return -TBT_EDB;
}

int advice_add(struct store *st, const char *symbol, const char *author, const char *name, const char *doc,
	       int published, int64_t *id, char *err, size_t errlen)
{
	struct db *db = store_db(st);
	struct db_stmt *q;
	char now[21];
	now_iso(now);
	if (db_prepare(db, "INSERT INTO advice (symbol, author, name, doc, published, reviewed_by, created_at, updated_at) "
			   "VALUES (?1, ?2, ?3, ?4, ?5, CAST(?6 AS TEXT), ?7, ?7) RETURNING id",
		       &q))
		return failed(db, NULL, err, errlen, "save advice");
	db_bind_text(q, 1, symbol);
	db_bind_text(q, 2, author);
	db_bind_text(q, 3, name);
	db_bind_text(q, 4, doc);
	db_bind_int64(q, 5, published ? 1 : 0);
	db_bind_text(q, 6, published ? author : NULL);
	db_bind_text(q, 7, now);
	int rc = db_step(q);
	if (rc != DB_ROW)
		return failed(db, q, err, errlen, "save advice");
	*id = db_col_int64(q, 0);
	while (rc == DB_ROW)
		rc = db_step(q);
	db_finalize(q);
	return 0;
}

int advice_set(struct store *st, const char *symbol, int64_t id, const char *doc, int published, const char *reviewer,
	       char *err, size_t errlen)
{
	struct db *db = store_db(st);
	struct db_stmt *q;
	char now[21];
	now_iso(now);
	/* A new text is shown only once accepted again (published 1 in the same call: an analyst's own edit). */
	if (db_prepare(db, "UPDATE advice SET doc = coalesce(CAST(?3 AS TEXT), doc), "
			   "published = CASE WHEN ?4 >= 0 THEN ?4 WHEN CAST(?3 AS TEXT) IS NOT NULL THEN 0 ELSE published END, "
			   "reviewed_by = CASE WHEN ?4 = 1 THEN CAST(?5 AS TEXT) WHEN CAST(?3 AS TEXT) IS NOT NULL OR ?4 = 0 "
			   "THEN NULL ELSE reviewed_by END, "
			   "updated_at = ?6 WHERE id = ?1 AND symbol = ?2",
		       &q))
		return failed(db, NULL, err, errlen, "change advice");
	db_bind_int64(q, 1, id);
	db_bind_text(q, 2, symbol);
	db_bind_text(q, 3, doc);
	db_bind_int64(q, 4, published);
	db_bind_text(q, 5, reviewer);
	db_bind_text(q, 6, now);
	if (db_step(q) != DB_DONE)
		return failed(db, q, err, errlen, "change advice");
	db_finalize(q);
	return db_changes(db) ? 0 : -ENOENT;
}

int advice_remove(struct store *st, const char *symbol, int64_t id, char *err, size_t errlen)
{
	struct db *db = store_db(st);
	struct db_stmt *q;
	if (db_prepare(db, "DELETE FROM advice WHERE id = ?1 AND symbol = ?2", &q))
		return failed(db, NULL, err, errlen, "remove advice");
	db_bind_int64(q, 1, id);
	db_bind_text(q, 2, symbol);
	if (db_step(q) != DB_DONE)
		return failed(db, q, err, errlen, "remove advice");
	db_finalize(q);
	return db_changes(db) ? 0 : -ENOENT;
}

#define ADVICE_SELECT "SELECT id, author, name, doc, published, created_at, updated_at, reviewed_by FROM advice "

static json_t *advice_row(struct db_stmt *q)
{
	json_error_t jerr;
	json_t *doc = json_loads(db_col_text(q, 3) ? db_col_text(q, 3) : "{}", 0, &jerr);
	json_t *o = json_pack("{s:I, s:s?, s:s?, s:O?, s:O?, s:b, s:s?, s:s?, s:s?}", "id", (json_int_t)db_col_int64(q, 0),
			      "author", db_col_text(q, 1), "name", db_col_text(q, 2), "text_zh", json_object_get(doc, "text_zh"),
			      "links", json_object_get(doc, "links"), "published", db_col_int(q, 4), "created_at",
			      db_col_text(q, 5), "updated_at", db_col_text(q, 6), "reviewed_by", db_col_text(q, 7));
	json_decref(doc);
	return o;
}

json_t *advice_get(struct store *st, const char *symbol, int64_t id)
{
	struct db_stmt *q;
	json_t *o = NULL;
	if (db_prepare(store_db(st), ADVICE_SELECT "WHERE id = ?1 AND symbol = ?2", &q))
		return NULL;
	db_bind_int64(q, 1, id);
	db_bind_text(q, 2, symbol);
	if (db_step(q) == DB_ROW)
		o = advice_row(q);
	db_finalize(q);
	return o;
}

json_t *advice_list(struct store *st, const char *symbol, int published_only)
{
	struct db_stmt *q;
	json_t *a = json_array();
	if (db_prepare(store_db(st), ADVICE_SELECT "WHERE symbol = ?1 AND (published = 1 OR ?2 = 0) ORDER BY id", &q))
		return a;
	db_bind_text(q, 1, symbol);
	db_bind_int64(q, 2, published_only ? 1 : 0);
	while (db_step(q) == DB_ROW)
		json_array_append_new(a, advice_row(q));
	db_finalize(q);
	return a;
}

int draft_request_add(struct store *st, const char *symbol, const char *by, char *err, size_t errlen)
{
	struct db *db = store_db(st);
	struct db_stmt *q;
	char now[21];
	now_iso(now);
	if (db_prepare(db, "INSERT INTO analysis_requests (symbol, requested_by, requested_at, updated_at) "
			   "VALUES (?1, ?2, ?3, ?3) ON CONFLICT (symbol) DO UPDATE SET state = 'pending', "
			   "requested_by = excluded.requested_by, requested_at = excluded.requested_at, attempts = 0, "
			   "next_try = 0, error = NULL, updated_at = excluded.updated_at",
		       &q))
		return failed(db, NULL, err, errlen, "queue a machine draft");
	db_bind_text(q, 1, symbol);
	db_bind_text(q, 2, by);
	db_bind_text(q, 3, now);
	if (db_step(q) != DB_DONE)
		return failed(db, q, err, errlen, "queue a machine draft");
	db_finalize(q);
	return 0;
}

int draft_request_due(struct store *st, double now, int limit, struct strv *symbols, char *err, size_t errlen)
{
	struct db *db = store_db(st);
	struct db_stmt *q;
	/* (A request another instance took, and did not finish by its deadline, is due again.) */
	if (db_prepare(db, "SELECT symbol FROM analysis_requests WHERE state IN ('pending', 'working') AND next_try <= ?1 "
			   "ORDER BY requested_at, symbol LIMIT ?2",
		       &q))
		return failed(db, NULL, err, errlen, "read the machine drafts due");
	db_bind_double(q, 1, now);
	db_bind_int64(q, 2, limit);
	int rc;
	while ((rc = db_step(q)) == DB_ROW)
		strv_push(symbols, db_col_text(q, 0));
	if (rc != DB_DONE)
		return failed(db, q, err, errlen, "read the machine drafts due");
	db_finalize(q);
	return 0;
}

int draft_request_claim(struct store *st, const char *symbol, double now, double until, char *err, size_t errlen)
{
	struct db *db = store_db(st);
	struct db_stmt *q;
	if (db_prepare(db, "UPDATE analysis_requests SET state = 'working', next_try = ?3 WHERE symbol = ?1 "
			   "AND state IN ('pending', 'working') AND next_try <= ?2",
		       &q))
		return failed(db, NULL, err, errlen, "take a machine draft");
	db_bind_text(q, 1, symbol);
	db_bind_double(q, 2, now);
	db_bind_double(q, 3, until);
	if (db_step(q) != DB_DONE)
		return failed(db, q, err, errlen, "take a machine draft");
	db_finalize(q);
	return db_changes(db) == 1;
}

int draft_request_set(struct store *st, const char *symbol, const char *state, const char *error, double next_try,
		      char *err, size_t errlen)
{
	struct db *db = store_db(st);
	struct db_stmt *q;
	char now[21];
	now_iso(now);
	if (db_prepare(db, "UPDATE analysis_requests SET state = ?2, error = ?3, next_try = ?4, attempts = attempts + 1, "
			   "updated_at = ?5 WHERE symbol = ?1",
		       &q))
		return failed(db, NULL, err, errlen, "save a machine draft's state");
	db_bind_text(q, 1, symbol);
	db_bind_text(q, 2, state);
	db_bind_text(q, 3, error);
	db_bind_double(q, 4, next_try);
	db_bind_text(q, 5, now);
	if (db_step(q) != DB_DONE)
		return failed(db, q, err, errlen, "save a machine draft's state");
	db_finalize(q);
	return 0;
}

json_t *draft_request_get(struct store *st, const char *symbol)
{
	struct db_stmt *q;
	json_t *o = NULL;
	if (db_prepare(store_db(st), "SELECT state, requested_by, requested_at, attempts, error, updated_at "
				     "FROM analysis_requests WHERE symbol = ?1",
		       &q))
		return NULL;
	db_bind_text(q, 1, symbol);
	if (db_step(q) == DB_ROW)
		o = json_pack("{s:s?, s:s?, s:s?, s:i, s:s?, s:s?}", "state", db_col_text(q, 0), "requested_by",
			      db_col_text(q, 1), "requested_at", db_col_text(q, 2), "attempts", db_col_int(q, 3), "error",
			      db_col_text(q, 4), "updated_at", db_col_text(q, 5));
	db_finalize(q);
	return o;
}
