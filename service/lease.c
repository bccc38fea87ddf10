/* lease.c: leases over the shared store (see lease.h). */
#include "lease.h"
#include "archive.h"
#include "db.h"
#include "util.h"

#include <stdio.h>

/* The service's table, its step of the schema (db_schema_register): 12, several instances on one database (leases for
 * the work one instance does at a time: the crawler, the alerter's collector). The alerter's claims on deliveries are
 * the other half of version 12. */
static const struct db_migration lease_schema[] = {
	{12, "service", "CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires REAL NOT NULL);"},
};

__attribute__((constructor)) static void lease_schema_register(void)
{
	db_schema_register(lease_schema, sizeof(lease_schema) / sizeof(lease_schema[0]));
}

int lease_hold(struct archive *a, const char *name, const char *holder, double ttl, char *other, size_t otherlen,
	       char *err, size_t errlen)
{
	struct db *db = store_db(archive_store(a));
	struct db_stmt *q;
	double now = now_epoch();
	/* One statement, atomic on both databases: a new lease, a renewal by its holder, or a takeover of an expired one. */
	if (db_prepare(db, "INSERT INTO leases (name, holder, expires) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE "
			   "SET holder = excluded.holder, expires = excluded.expires "
			   "WHERE leases.holder = excluded.holder OR leases.expires < ?4",
		       &q)) {
		errf(err, errlen, "lease %s: %s", name, db_errmsg(db));
		return -TBT_EDB;
	}
	db_bind_text(q, 1, name);
	db_bind_text(q, 2, holder);
	db_bind_double(q, 3, now + ttl);
	db_bind_double(q, 4, now);
	int rc = db_step(q);
	db_finalize(q);
	if (rc != DB_DONE) {
		errf(err, errlen, "lease %s: %s", name, db_errmsg(db));
		return -TBT_EDB;
	}
	if (db_changes(db) == 1)
		return 1;
	if (other && otherlen && !db_prepare(db, "SELECT holder FROM leases WHERE name = ?1", &q)) {
		db_bind_text(q, 1, name);
		snprintf(other, otherlen, "%s", db_step(q) == DB_ROW && db_col_text(q, 0) ? db_col_text(q, 0) : "?");
		db_finalize(q);
	}
	return 0;
}

void lease_release(struct archive *a, const char *name, const char *holder)
{
	struct db *db = store_db(archive_store(a));
	struct db_stmt *q;
	if (db_prepare(db, "DELETE FROM leases WHERE name = ?1 AND holder = ?2", &q))
		return;
	db_bind_text(q, 1, name);
	db_bind_text(q, 2, holder);
	db_step(q);
	db_finalize(q);
}
