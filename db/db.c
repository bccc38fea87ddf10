/* db.c: the storage layer's SQLite backend, and the dispatch to PostgreSQL's (db_pg.c). */
#include "db.h"
#include "db_impl.h"

#include "util.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int db_url_is_postgres(const char *url)
{
	return url && (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11));
}

int db_open(const char *url, int read_only, struct db **out, char *err, size_t errlen)
{
	*out = NULL;
	if (db_url_is_postgres(url))
		return pg_open(url, out, err, errlen);
	struct db *db = xcalloc(1, sizeof(*db));
	db->kind = DB_SQLITE;
	int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(url, &db->lite, flags, NULL) != SQLITE_OK) {
		errf(err, errlen, "open database '%s': %s", url, db->lite ? sqlite3_errmsg(db->lite) : "out of memory");
		sqlite3_close(db->lite);
		free(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db->lite, 10000);
	*out = db;
	return 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (int i = 0; i < db->ncache; i++)
		db_finalize(db->cache[i].st);
	if (db->kind == DB_POSTGRES)
		pg_close(db);
	else
		sqlite3_close(db->lite);
	free(db);
}

enum db_backend db_backend(const struct db *db)
{
	return db->kind;
}

const char *db_errmsg(struct db *db)
{
	return db->kind == DB_POSTGRES ? db->msg : sqlite3_errmsg(db->lite);
}

int db_exec(struct db *db, const char *sql)
{
	if (db->kind == DB_POSTGRES)
		return pg_exec(db, sql);
	return sqlite3_exec(db->lite, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : DB_ERROR;
}

int64_t db_changes(struct db *db)
{
	return db->kind == DB_POSTGRES ? db->changes : sqlite3_changes64(db->lite);
}

int64_t db_last_id(struct db *db)
{
	return db->kind == DB_POSTGRES ? db_scalar(db, "SELECT lastval()", 0) : sqlite3_last_insert_rowid(db->lite);
}

int db_in_txn(struct db *db)
{
	return db->kind == DB_POSTGRES ? pg_in_txn(db) : !sqlite3_get_autocommit(db->lite);
}

int db_begin(struct db *db, int immediate)
{
	if (db->kind == DB_POSTGRES)
		return db_exec(db, "BEGIN");
	return db_exec(db, immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

int db_commit(struct db *db)
{
	if (db_exec(db, "COMMIT") == 0)
		return 0;
	if (db_in_txn(db)) {
		/* A failed COMMIT leaves nothing half-done: roll back, keeping COMMIT's reason. */
		char why[512];
		snprintf(why, sizeof(why), "%s", db_errmsg(db));
		db_rollback(db);
		if (db->kind == DB_POSTGRES)
			snprintf(db->msg, sizeof(db->msg), "%s", why);
	}
	return DB_ERROR;
}

void db_rollback(struct db *db)
{
	if (db_in_txn(db))
		db_exec(db, "ROLLBACK");
}

/* The schema's steps by module: written by constructors before main, only read after. */
static struct {
	const struct db_migration *steps;
	size_t n;
} schema[16];
static int nschema;

void db_schema_register(const struct db_migration *steps, size_t n)
{
	if (nschema == (int)(sizeof(schema) / sizeof(schema[0]))) {
		fputs("tbtwarn: too many modules register schema steps (16)\n", stderr);
		abort();
	}
	schema[nschema].steps = steps;
	schema[nschema++].n = n;
}

int db_schema_latest(void)
{
	int latest = 0;
	for (int i = 0; i < nschema; i++)
		for (size_t k = 0; k < schema[i].n; k++)
			if (schema[i].steps[k].version > latest)
				latest = schema[i].steps[k].version;
	return latest;
}

int db_schema_steps(int v, const struct db_migration **out, int max)
{
	int got = 0;
	for (int i = 0; i < nschema; i++)
		for (size_t k = 0; k < schema[i].n; k++)
			if (schema[i].steps[k].version == v && got < max)
				out[got++] = &schema[i].steps[k];
	return got;
}

int db_writer_lock(struct db *db)
{
	if (db->kind != DB_POSTGRES)
		return 0;
	/* 0x7462 ("tb"), 1: the feeds' lock; released by COMMIT or ROLLBACK. */
	return db_exec(db, "SELECT pg_advisory_xact_lock(29794, 1)");
}

int db_savepoint(struct db *db, const char *name)
{
	char sql[96];
	/* SQLite: a savepoint outside a transaction begins one, which its RELEASE commits. PostgreSQL wants a
	 * transaction first: the same is done by hand. */
	if (db->kind == DB_POSTGRES && !db_in_txn(db)) {
		if (db_exec(db, "BEGIN"))
			return DB_ERROR;
		snprintf(db->outer_sp, sizeof(db->outer_sp), "%s", name);
	}
	snprintf(sql, sizeof(sql), "SAVEPOINT %s", name);
	return db_exec(db, sql);
}

int db_release(struct db *db, const char *name, int commit)
{
	char sql[160];
	if (db->kind == DB_POSTGRES && db->outer_sp[0] && !strcmp(db->outer_sp, name)) {
		db->outer_sp[0] = '\0';
		if (commit)
			return db_commit(db);
		db_rollback(db);
		return 0;
	}
	if (commit) {
		snprintf(sql, sizeof(sql), "RELEASE %s", name);
		if (db_exec(db, sql) == 0)
			return 0;
	}
	snprintf(sql, sizeof(sql), "ROLLBACK TO %s", name);
	db_exec(db, sql);
	snprintf(sql, sizeof(sql), "RELEASE %s", name);
	db_exec(db, sql);
	return commit ? DB_ERROR : 0;
}

/* The one clause the owners write for PostgreSQL that SQLite does not know: row locks ("FOR UPDATE [OF t] SKIP
 * LOCKED"), which SQLite, with one writer at a time, does not need. Returns sql itself or a malloc'd copy without. */
static char *lite_sql(const char *sql)
{
	const char *p = strstr(sql, " FOR UPDATE"), *end;
	if (!p || !(end = strstr(p, "SKIP LOCKED")))
		return NULL;
	end += strlen("SKIP LOCKED");
	size_t a = (size_t)(p - sql), b = strlen(end);
	char *out = xmalloc(a + b + 1);
	memcpy(out, sql, a);
	memcpy(out + a, end, b + 1);
	return out;
}

static int prepare(struct db *db, const char *sql, int persistent, struct db_stmt **out)
{
	*out = NULL;
	if (db->kind == DB_POSTGRES)
		return pg_prepare(db, sql, out);
	struct db_stmt *st = xcalloc(1, sizeof(*st));
	char *own = lite_sql(sql);
	st->db = db;
	int rc = sqlite3_prepare_v3(db->lite, own ? own : sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &st->lite,
				    NULL);
	free(own);
	if (rc != SQLITE_OK) {
		free(st);
		return DB_ERROR;
	}
	*out = st;
	return 0;
}

int db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	return prepare(db, sql, 0, out);
}

int db_prepare_persistent(struct db *db, const char *sql, struct db_stmt **out)
{
	return prepare(db, sql, 1, out);
}

struct db_stmt *db_cached(struct db *db, const char *sql)
{
	for (int i = 0; i < db->ncache; i++)
		if (db->cache[i].sql == sql) {
			db_reset(db->cache[i].st);
			db_clear(db->cache[i].st);
			return db->cache[i].st;
		}
	struct db_stmt *st;
	if (db->ncache == DB_CACHE_MAX || prepare(db, sql, 1, &st))
		return NULL;
	db->cache[db->ncache].sql = sql;
	db->cache[db->ncache++].st = st;
	return st;
}

void db_finalize(struct db_stmt *st)
{
	if (!st)
		return;
	if (st->db->kind == DB_POSTGRES)
		pg_finalize(st);
	else
		sqlite3_finalize(st->lite);
	free(st);
}

void db_reset(struct db_stmt *st)
{
	if (st->db->kind == DB_POSTGRES)
		pg_reset(st);
	else
		sqlite3_reset(st->lite);
}

void db_clear(struct db_stmt *st)
{
	if (st->db->kind == DB_POSTGRES)
		pg_clear(st);
	else
		sqlite3_clear_bindings(st->lite);
}

void db_bind_text(struct db_stmt *st, int i, const char *s)
{
	if (!s)
		db_bind_null(st, i);
	else
		db_bind_textn(st, i, s, strlen(s));
}

void db_bind_textn(struct db_stmt *st, int i, const char *s, size_t len)
{
	if (st->db->kind == DB_POSTGRES)
		pg_bind(st, i, s, len, 0);
	else
		sqlite3_bind_text64(st->lite, i, s, len, SQLITE_TRANSIENT, SQLITE_UTF8);
}

void db_bind_blob(struct db_stmt *st, int i, const void *p, size_t len)
{
	if (st->db->kind == DB_POSTGRES)
		pg_bind(st, i, p, len, 1);
	else
		sqlite3_bind_blob64(st->lite, i, p, len, SQLITE_TRANSIENT);
}

void db_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	if (st->db->kind == DB_POSTGRES) {
		char s[24];
		int n = snprintf(s, sizeof(s), "%lld", (long long)v);
		pg_bind(st, i, s, (size_t)n, 0);
	} else {
		sqlite3_bind_int64(st->lite, i, v);
	}
}

void db_bind_double(struct db_stmt *st, int i, double v)
{
	if (st->db->kind == DB_POSTGRES) {
		char s[40];
		int n = snprintf(s, sizeof(s), "%.17g", v);
		pg_bind(st, i, s, (size_t)n, 0);
	} else {
		sqlite3_bind_double(st->lite, i, v);
	}
}

void db_bind_null(struct db_stmt *st, int i)
{
	if (st->db->kind == DB_POSTGRES)
		pg_bind(st, i, NULL, 0, 0);
	else
		sqlite3_bind_null(st->lite, i);
}

int db_step(struct db_stmt *st)
{
	if (st->db->kind == DB_POSTGRES)
		return pg_step(st);
	switch (sqlite3_step(st->lite)) {
	case SQLITE_ROW:
		return DB_ROW;
	case SQLITE_DONE:
		return DB_DONE;
	default:
		return DB_ERROR;
	}
}

const char *db_col_text(struct db_stmt *st, int i)
{
	if (st->db->kind == DB_POSTGRES)
		return pg_col(st, i);
	return (const char *)sqlite3_column_text(st->lite, i);
}

const void *db_col_blob(struct db_stmt *st, int i)
{
	if (st->db->kind == DB_POSTGRES)
		return pg_col_blob(st, i);
	return sqlite3_column_blob(st->lite, i);
}

size_t db_col_bytes(struct db_stmt *st, int i)
{
	if (st->db->kind == DB_POSTGRES)
		return pg_col_bytes(st, i);
	return (size_t)sqlite3_column_bytes(st->lite, i);
}

int64_t db_col_int64(struct db_stmt *st, int i)
{
	if (st->db->kind == DB_POSTGRES) {
		const char *s = pg_col(st, i);
		return s ? strtoll(s, NULL, 10) : 0;
	}
	return sqlite3_column_int64(st->lite, i);
}

int db_col_int(struct db_stmt *st, int i)
{
	return (int)db_col_int64(st, i);
}

double db_col_double(struct db_stmt *st, int i)
{
	if (st->db->kind == DB_POSTGRES) {
		const char *s = pg_col(st, i);
		return s ? strtod(s, NULL) : 0;
	}
	return sqlite3_column_double(st->lite, i);
}

int db_col_null(struct db_stmt *st, int i)
{
	if (st->db->kind == DB_POSTGRES)
		return pg_col(st, i) == NULL;
	return sqlite3_column_type(st->lite, i) == SQLITE_NULL;
}

int64_t db_scalar(struct db *db, const char *sql, int64_t def)
{
	struct db_stmt *st;
	int64_t v = def;
	if (db_prepare(db, sql, &st))
		return def;
	if (db_step(st) == DB_ROW && !db_col_null(st, 0))
		v = db_col_int64(st, 0);
	db_finalize(st);
	return v;
}

int64_t db_memory_used(void)
{
	sqlite3_int64 cur, hi;
	return sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &cur, &hi, 0) == SQLITE_OK ? (int64_t)cur : -1;
}

int db_backup(struct db *db, const char *dst, char *err, size_t errlen)
{
	if (db->kind == DB_POSTGRES) {
		errf(err, errlen, "a PostgreSQL store is backed up with pg_dump or pg_basebackup (docs/operations.md)");
		return -ENOTSUP;
	}
	sqlite3 *to;
	if (sqlite3_open(dst, &to) != SQLITE_OK) {
		errf(err, errlen, "cannot create %s: %s", dst, to ? sqlite3_errmsg(to) : "out of memory");
		sqlite3_close(to);
		return -EIO;
	}
	sqlite3_backup *b = sqlite3_backup_init(to, "main", db->lite, "main");
	int rc = SQLITE_OK;
	if (b) {
		do {
			rc = sqlite3_backup_step(b, 1000);
			if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
				sqlite3_sleep(50);
		} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
		sqlite3_backup_finish(b);
	}
	int ok = b && rc == SQLITE_DONE && sqlite3_errcode(to) == SQLITE_OK;
	if (!ok)
		errf(err, errlen, "back up into %s: %s", dst, sqlite3_errmsg(to));
	sqlite3_close(to);
	return ok ? 0 : -ENOSPC;
}
