/*
 * db.h: the storage layer. One small API over the two databases tbtwarn runs on: SQLite (the embedded default, a
 * file in the data directory) and PostgreSQL (libpq, for several instances on one database; docs/scaling.md).
 *
 * Each table has one owning module (docs/design.md, "Storage"); the owners write their SQL against this API, in the
 * dialect both databases share (numbered parameters ?1..?N, INSERT ... ON CONFLICT, RETURNING), and nothing outside
 * the owners holds a handle or writes SQL. A statement is prepared once and stepped like SQLite's: db_step answers
 * DB_ROW while there are rows, then DB_DONE; the text a column returns stays valid until the next step or reset.
 *
 * Errors: functions return 0 (or DB_ROW/DB_DONE) or a negative value; db_errmsg says why.
 */
#ifndef TBTWARN_DB_H
#define TBTWARN_DB_H

#include <stddef.h>
#include <stdint.h>

enum db_backend { DB_SQLITE, DB_POSTGRES };

#define DB_OK 0
#define DB_DONE 0
#define DB_ROW 1
#define DB_ERROR (-1)

struct db;
struct db_stmt;

/* Opens the store at url: a file path (SQLite; created when missing unless read_only) or postgresql://...
 * (libpq's URI, a Unix socket as host=/dir). 0, or a negative errno with the reason in err. */
int db_open(const char *url, int read_only, struct db **out, char *err, size_t errlen);
void db_close(struct db *db);
enum db_backend db_backend(const struct db *db);
/* Whether url names a PostgreSQL database. */
int db_url_is_postgres(const char *url);

/* Why the last call on db failed. */
const char *db_errmsg(struct db *db);
/* Runs statements that return no rows (several, separated by ';', on SQLite; one or more on PostgreSQL). */
int db_exec(struct db *db, const char *sql);
/* Rows the last INSERT/UPDATE/DELETE changed. */
int64_t db_changes(struct db *db);
/* The id the last INSERT gave its row (an INTEGER PRIMARY KEY / identity column). */
int64_t db_last_id(struct db *db);
/*
 * The schema, in steps registered by the modules that own the tables (the archive's store, the alerter, the
 * service): one sequence of versions across owners, each version applied once, its steps in the order registered
 * (several owners may share a version). A module registers from a constructor, before main and before any thread;
 * the store applies what its database lacks when it opens (indexer/store.c).
 */
struct db_migration {
	int version;       /* the schema version this step makes */
	const char *owner; /* the module that owns its tables, in messages */
	const char *sql;   /* SQLite's dialect (db_exec translates for PostgreSQL) */
};
/* Registers n steps (a static array: kept, not copied). At most 16 modules. */
void db_schema_register(const struct db_migration *steps, size_t n);
/* The highest version registered. */
int db_schema_latest(void);
/* The steps that make version v (at most max, into out): how many (0: no module registers it). */
int db_schema_steps(int v, const struct db_migration **out, int max);

/* Whether a transaction is open. */
int db_in_txn(struct db *db);

/* Transactions: db_begin (immediate: take the write lock now, so that a busy database is waited for here and not
 * at the first write), db_commit (a failed COMMIT rolls back), db_rollback. Savepoints nest inside or outside. */
int db_begin(struct db *db, int immediate);
int db_commit(struct db *db);
void db_rollback(struct db *db);
int db_savepoint(struct db *db, const char *name);
/*
 * Inside a transaction: waits until no other connection writes the store's feeds, and keeps them out until this
 * transaction ends, so that numbers taken from a sequence become visible in their order. PostgreSQL: a
 * transaction-level advisory lock; SQLite: nothing to do (one writer at a time already).
 */
int db_writer_lock(struct db *db);
/* commit 1: RELEASE name; 0: ROLLBACK TO name, then RELEASE it. */
int db_release(struct db *db, const char *name, int commit);

/* Statements. persistent: kept for the connection's life (prepared once, stepped many times). */
int db_prepare(struct db *db, const char *sql, struct db_stmt **out);
int db_prepare_persistent(struct db *db, const char *sql, struct db_stmt **out);
void db_finalize(struct db_stmt *st);
/*
 * A statement kept by the connection for its life, found by the address of its SQL text (a string constant of the
 * caller's, so that one prepare serves every call): reset, its bindings cleared. Owned by the connection (never
 * finalized by the caller). NULL on a preparation error (db_errmsg says why) or when the cache (32) is full.
 */
struct db_stmt *db_cached(struct db *db, const char *sql);
/* Ready to step again from the start; the bindings stay. */
void db_reset(struct db_stmt *st);
void db_clear(struct db_stmt *st);
/* Parameters count from 1. Texts and blobs are copied when needed: the caller's buffer may go after the call.
 * A NULL text binds SQL NULL. */
void db_bind_text(struct db_stmt *st, int i, const char *s);
void db_bind_textn(struct db_stmt *st, int i, const char *s, size_t len);
void db_bind_blob(struct db_stmt *st, int i, const void *p, size_t len);
void db_bind_int64(struct db_stmt *st, int i, int64_t v);
void db_bind_double(struct db_stmt *st, int i, double v);
void db_bind_null(struct db_stmt *st, int i);
/* DB_ROW, DB_DONE, or DB_ERROR (db_errmsg). */
int db_step(struct db_stmt *st);
/* Columns count from 0. A NULL column: text NULL, numbers 0. */
const char *db_col_text(struct db_stmt *st, int i);
const void *db_col_blob(struct db_stmt *st, int i);
size_t db_col_bytes(struct db_stmt *st, int i);
int64_t db_col_int64(struct db_stmt *st, int i);
int db_col_int(struct db_stmt *st, int i);
double db_col_double(struct db_stmt *st, int i);
int db_col_null(struct db_stmt *st, int i);

/* The first column of the first row of sql (no parameters), or def when there is none or it fails. */
int64_t db_scalar(struct db *db, const char *sql, int64_t def);
/* Bytes SQLite holds in its page caches (all connections); -1 on PostgreSQL. */
int64_t db_memory_used(void);
/* A consistent copy of the database into the file dst (SQLite's online backup): 0, -EIO when dst cannot be created,
 * -ENOSPC when the copy failed (a full disk: err says), -ENOTSUP on PostgreSQL. */
int db_backup(struct db *db, const char *dst, char *err, size_t errlen);

#endif
