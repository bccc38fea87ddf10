/* db_impl.h: inside the storage layer only: the handles of both backends, and PostgreSQL's functions (db_pg.c). */
#ifndef TBTWARN_DB_IMPL_H
#define TBTWARN_DB_IMPL_H

#include "db.h"

struct sqlite3;
struct sqlite3_stmt;
struct pg_conn;
struct pg_result;

#define DB_CACHE_MAX 32

struct db {
	enum db_backend kind;
	struct sqlite3 *lite;
	struct pg_conn *pg;
	char msg[512];     /* PostgreSQL: why the last call failed */
	int64_t changes;   /* PostgreSQL: rows the last statement changed */
	unsigned next_name; /* PostgreSQL: prepared statements' names */
	char outer_sp[64];  /* PostgreSQL: the savepoint that began the transaction (SQLite's semantics) */
	/* db_cached: statements prepared once per connection, found by the address of their SQL text. */
	struct {
		const char *sql;
		struct db_stmt *st;
	} cache[DB_CACHE_MAX];
	int ncache;
};

struct db_stmt {
	struct db *db;
	struct sqlite3_stmt *lite;
	/* PostgreSQL: the statement's name, its parameters as text (or bytes), the result being stepped. */
	char name[16];
	int nparams;
	char **values;
	int *lengths, *formats;
	struct pg_result *res;
	int row, nrows, done;
	unsigned char *blob; /* a bytea column decoded, until the next step */
	size_t blob_len;
	int blob_col;
};

int pg_open(const char *url, struct db **out, char *err, size_t errlen);
void pg_close(struct db *db);
int pg_exec(struct db *db, const char *sql);
int pg_in_txn(struct db *db);
int pg_prepare(struct db *db, const char *sql, struct db_stmt **out);
void pg_finalize(struct db_stmt *st);
void pg_reset(struct db_stmt *st);
void pg_clear(struct db_stmt *st);
void pg_bind(struct db_stmt *st, int i, const void *p, size_t len, int binary);
int pg_step(struct db_stmt *st);
const char *pg_col(struct db_stmt *st, int i);
const void *pg_col_blob(struct db_stmt *st, int i);
size_t pg_col_bytes(struct db_stmt *st, int i);
/* SQLite's dialect written as PostgreSQL's (types in DDL, INSERT OR IGNORE, BEGIN IMMEDIATE, json_extract,
 * json_each, strftime('%s', ...)); malloc'd. */
char *pg_dialect(const char *sql);
/* The SQL with SQLite's parameters (?N, ?) written as PostgreSQL's ($N); malloc'd. nparams: the highest number. */
char *pg_sql(const char *sql, int *nparams);

#endif
