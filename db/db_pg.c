/* db_pg.c: the storage layer's PostgreSQL backend, through libpq. Statements are prepared on the server under a name
 * of their own; parameters go as text (blobs as bytes), results come as text and are stepped row by row. */
#include "db_impl.h"

#include "buf.h"
#include "util.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say(struct db *db, const char *what, const char *why)
{
	size_t n;
	snprintf(db->msg, sizeof(db->msg), "%s%s%s", what, *what ? ": " : "", why && *why ? why : "unknown error");
	n = strlen(db->msg);
	while (n && (db->msg[n - 1] == '\n' || db->msg[n - 1] == ' '))
		db->msg[--n] = '\0';
}

int pg_open(const char *url, struct db **out, char *err, size_t errlen)
{
	PGconn *c = PQconnectdb(url);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		char why[512];
		snprintf(why, sizeof(why), "%s", c ? PQerrorMessage(c) : "out of memory");
		why[strcspn(why, "\n")] = '\0';
		/* The URL may hold a password: name the database by what is safe to print. */
		errf(err, errlen, "connect to PostgreSQL (%s@%s/%s): %s", c && PQuser(c) ? PQuser(c) : "?",
		     c && PQhost(c) ? PQhost(c) : "?", c && PQdb(c) ? PQdb(c) : "?", why);
		PQfinish(c);
		return -EIO;
	}
	struct db *db = xcalloc(1, sizeof(*db));
	db->kind = DB_POSTGRES;
	db->pg = c;
	/* Quiet notices (e.g. "relation already exists, skipping"); UTF-8 both ways. */
	PGresult *r = PQexec(c, "SET client_min_messages = warning; SET client_encoding = 'UTF8'");
	PQclear(r);
	*out = db;
	return 0;
}

void pg_close(struct db *db)
{
	PQfinish(db->pg);
}

int pg_exec(struct db *db, const char *sql)
{
	PGresult *r = PQexec(db->pg, sql);
	ExecStatusType s = PQresultStatus(r);
	int ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
	if (!ok)
		say(db, "", PQresultErrorMessage(r));
	else
		db->changes = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return ok ? 0 : DB_ERROR;
}

int pg_in_txn(struct db *db)
{
	PGTransactionStatusType t = PQtransactionStatus(db->pg);
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

char *pg_sql(const char *sql, int *nparams)
{
	struct buf b;
	int next = 0, max = 0;
	char quote = 0;
	buf_init(&b, BUF_NOMAX);
	for (const char *p = sql; *p; p++) {
		if (quote) {
			buf_addch(&b, *p);
			if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '\'' || *p == '"') {
			quote = *p;
			buf_addch(&b, *p);
			continue;
		}
		if (*p != '?') {
			buf_addch(&b, *p);
			continue;
		}
		int n;
		if (p[1] >= '0' && p[1] <= '9') {
			char *end;
			n = (int)strtol(p + 1, &end, 10);
			p = end - 1;
		} else {
			n = ++next;
		}
		if (n > max)
			max = n;
		buf_addf(&b, "$%d", n);
	}
	*nparams = max;
	return buf_detach(&b);
}

int pg_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	int n;
	char *q = pg_sql(sql, &n);
	struct db_stmt *st = xcalloc(1, sizeof(*st));
	st->db = db;
	snprintf(st->name, sizeof(st->name), "t%u", ++db->next_name);
	PGresult *r = PQprepare(db->pg, st->name, q, 0, NULL);
	free(q);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		say(db, "", PQresultErrorMessage(r));
		PQclear(r);
		free(st);
		return DB_ERROR;
	}
	PQclear(r);
	st->nparams = n;
	st->values = xcalloc((size_t)(n ? n : 1), sizeof(char *));
	st->lengths = xcalloc((size_t)(n ? n : 1), sizeof(int));
	st->formats = xcalloc((size_t)(n ? n : 1), sizeof(int));
	*out = st;
	return 0;
}

static void drop_result(struct db_stmt *st)
{
	PQclear(st->res);
	st->res = NULL;
	st->row = st->nrows = st->done = 0;
	PQfreemem(st->blob);
	st->blob = NULL;
}

void pg_reset(struct db_stmt *st)
{
	drop_result(st);
}

void pg_clear(struct db_stmt *st)
{
	for (int i = 0; i < st->nparams; i++) {
		free(st->values[i]);
		st->values[i] = NULL;
	}
}

void pg_finalize(struct db_stmt *st)
{
	char sql[48];
	drop_result(st);
	pg_clear(st);
	free(st->values);
	free(st->lengths);
	free(st->formats);
	snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
	PGresult *r = PQexec(st->db->pg, sql);
	PQclear(r);
}

void pg_bind(struct db_stmt *st, int i, const void *p, size_t len, int binary)
{
	if (i < 1 || i > st->nparams)
		return;
	free(st->values[i - 1]);
	st->values[i - 1] = NULL;
	if (p) {
		st->values[i - 1] = xmalloc(len + 1);
		memcpy(st->values[i - 1], p, len);
		st->values[i - 1][len] = '\0';
	}
	st->lengths[i - 1] = (int)len;
	st->formats[i - 1] = binary;
}

int pg_step(struct db_stmt *st)
{
	PQfreemem(st->blob);
	st->blob = NULL;
	if (st->done)
		return DB_DONE;
	if (!st->res) {
		st->res = PQexecPrepared(st->db->pg, st->name, st->nparams, (const char *const *)st->values, st->lengths,
					 st->formats, 0);
		ExecStatusType s = PQresultStatus(st->res);
		if (s == PGRES_COMMAND_OK) {
			st->db->changes = strtoll(PQcmdTuples(st->res), NULL, 10);
			st->done = 1;
			return DB_DONE;
		}
		if (s != PGRES_TUPLES_OK) {
			say(st->db, "", PQresultErrorMessage(st->res));
			drop_result(st);
			st->done = 1;
			return DB_ERROR;
		}
		/* INSERT ... RETURNING counts its rows too. */
		st->db->changes = strtoll(PQcmdTuples(st->res), NULL, 10);
		st->nrows = PQntuples(st->res);
		st->row = -1;
	}
	if (++st->row < st->nrows)
		return DB_ROW;
	st->done = 1;
	return DB_DONE;
}

const char *pg_col(struct db_stmt *st, int i)
{
	if (!st->res || i < 0 || st->row < 0 || st->row >= st->nrows || i >= PQnfields(st->res) || PQgetisnull(st->res, st->row, i))
		return NULL;
	return PQgetvalue(st->res, st->row, i);
}

const void *pg_col_blob(struct db_stmt *st, int i)
{
	const char *v = pg_col(st, i);
	if (!v)
		return NULL;
	if (PQftype(st->res, i) != 17 /* bytea */) {
		st->blob_len = strlen(v);
		return v;
	}
	PQfreemem(st->blob);
	st->blob = PQunescapeBytea((const unsigned char *)v, &st->blob_len);
	st->blob_col = i;
	return st->blob;
}

size_t pg_col_bytes(struct db_stmt *st, int i)
{
	if (!pg_col(st, i))
		return 0;
	if (PQftype(st->res, i) != 17)
		return strlen(pg_col(st, i));
	if (!st->blob || st->blob_col != i)
		pg_col_blob(st, i);
	return st->blob_len;
}
