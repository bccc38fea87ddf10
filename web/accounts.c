/* accounts.c: users, sessions, login throttling and the audit log (accounts.h). */
#include "accounts.h"
#include "text.h"
#include "db.h"
#include "hash.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tables, this module's step of the schema (14). Sessions and failures are in the store, so that every instance
 * knows them; a session's token is kept as its SHA-256 only (the database never holds a usable cookie). */
static const struct db_migration accounts_schema[] = {
	{14, "accounts",
	 "CREATE TABLE users ("
	 "  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, pwhash TEXT NOT NULL,"
	 "  categories TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
	 "CREATE TABLE sessions ("
	 "  token_sha TEXT PRIMARY KEY, user_id INTEGER NOT NULL, csrf TEXT NOT NULL, client TEXT,"
	 "  created REAL NOT NULL, expires REAL NOT NULL);"
	 "CREATE TABLE login_failures (key TEXT PRIMARY KEY, failures INTEGER NOT NULL, since REAL NOT NULL);"
	 "CREATE TABLE audit_log ("
	 "  id INTEGER PRIMARY KEY, at TEXT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL, target TEXT, detail TEXT);"},
	/* 18: the name shown with an expert's advice (an organisation's, in Chinese) and where reminders go. */
	{18, "accounts",
	 "ALTER TABLE users ADD COLUMN display_name TEXT;"
	 "ALTER TABLE users ADD COLUMN email TEXT;"},
};

__attribute__((constructor)) static void accounts_schema_register(void)
{
	db_schema_register(accounts_schema, sizeof(accounts_schema) / sizeof(accounts_schema[0]));
}

#define SESSION_TTL (12 * 3600.0)
#define FAIL_WINDOW (15 * 60.0)
#define FAIL_MAX 5
#define PASSWORD_MIN 12
#define PASSWORD_MAX 1024

static const char *const role_names[] = {"admin", "analyst", "translator", "expert"};

int role_from_name(const char *name)
{
	for (int i = 0; name && i < 4; i++)
		if (!strcmp(name, role_names[i]))
			return 1 << i;
	return 0;
}

const char *role_name(int role)
{
	for (int i = 0; i < 4; i++)
		if (role == 1 << i)
			return role_names[i];
	return "?";
}

int accounts_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (!n || n > 64)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr(".-_@", *p)))
			return 0;
	return 1;
}

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_ok;
/* A hash of no one's password: an unknown name is checked against it, so that it takes as long as a known one. */
static char dummy_hash[crypto_pwhash_STRBYTES];

static void sodium_setup(void)
{
	sodium_ok = sodium_init() >= 0 &&
		    !crypto_pwhash_str_alg(dummy_hash, "tbtwarn: no such user", 21, crypto_pwhash_OPSLIMIT_INTERACTIVE,
					   crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13);
}

/* Argon2id with libsodium's interactive limits (64 MiB, about a tenth of a second here). */
static int hash_password(const char *password, char out[crypto_pwhash_STRBYTES], char *err, size_t errlen)
{
	size_t n = strlen(password);
	pthread_once(&sodium_once, sodium_setup);
	if (!sodium_ok) {
		errf(err, errlen, "libsodium could not start");
		return -EIO;
	}
	if (n < PASSWORD_MIN || n > PASSWORD_MAX) {
		errf(err, errlen, "a password has %d to %d characters (this one has %zu)", PASSWORD_MIN, PASSWORD_MAX, n);
		return -EINVAL;
	}
	if (crypto_pwhash_str_alg(out, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
				  crypto_pwhash_ALG_ARGON2ID13)) {
		errf(err, errlen, "out of memory hashing the password");
		return -ENOMEM;
	}
	return 0;
}

static int fail_db(struct db *db, struct db_stmt *q, char *err, size_t errlen, const char *what)
{
	errf(err, errlen, "%s: %s", what, db_errmsg(db));
	if (q)
		db_reset(q);
	return -TBT_EDB;
}

static const char audit_sql[] = "INSERT INTO audit_log (at, who, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)";

void accounts_audit(struct store *st, const char *who, const char *action, const char *target, const char *detail)
{
	struct db_stmt *q = db_cached(store_db(st), audit_sql);
	char now[21];
	if (!q)
		return;
	now_iso(now);
	db_bind_text(q, 1, now);
	db_bind_text(q, 2, who ? who : "?");
	db_bind_text(q, 3, action);
	db_bind_text(q, 4, target);
	db_bind_text(q, 5, detail);
	if (db_step(q) != DB_DONE)
		fprintf(stderr, "tbtwarn: audit log: %s\n", db_errmsg(store_db(st)));
	db_reset(q);
}

/* The rows of sql (its one parameter: limit, when > 0) as objects with keys, NULL columns as null. */
json_t *accounts_audit_json(struct store *st, int limit)
{
	static const char *const keys[] = {"at", "who", "action", "target", "detail"};
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT at, who, action, target, detail FROM audit_log ORDER BY id DESC LIMIT %d",
		 limit > 0 ? limit : 500);
	return store_rows_json(st, sql, NULL, keys, 5);
}

int accounts_user_add(struct store *st, const char *name, int role, const char *password, const char *categories,
		      const char *who, char *err, size_t errlen)
{
	char h[crypto_pwhash_STRBYTES], now[21];
	struct db *db = store_db(st);
	struct db_stmt *q;
	int rc;
	if (!accounts_name_ok(name)) {
		errf(err, errlen, "user name '%s': 1 to 64 letters, digits, '.', '-', '_' or '@'", name ? name : "");
		return -EINVAL;
	}
	if (!strcmp(role_name(role), "?")) {
		errf(err, errlen, "role: admin, analyst, translator or expert");
		return -EINVAL;
	}
	if ((rc = hash_password(password, h, err, errlen)))
		return rc;
	if (db_prepare(db, "INSERT INTO users (name, role, pwhash, categories, created_at, updated_at) "
			   "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (name) DO NOTHING",
		       &q))
		return fail_db(db, NULL, err, errlen, "add a user");
	now_iso(now);
	db_bind_text(q, 1, name);
	db_bind_text(q, 2, role_name(role));
	db_bind_text(q, 3, h);
	db_bind_text(q, 4, categories && *categories ? categories : NULL);
	db_bind_text(q, 5, now);
	rc = db_step(q);
	db_finalize(q);
	if (rc != DB_DONE)
		return fail_db(db, NULL, err, errlen, "add a user");
	if (db_changes(db) != 1) {
		errf(err, errlen, "there is already a user '%s'", name);
		return -EEXIST;
	}
	accounts_audit(st, who, "user add", name, role_name(role));
	return 0;
}

int accounts_user_passwd(struct store *st, const char *name, const char *password, const char *who, char *err,
			 size_t errlen)
{
	char h[crypto_pwhash_STRBYTES], now[21];
	struct db *db = store_db(st);
	struct db_stmt *q;
	int rc;
	if ((rc = hash_password(password, h, err, errlen)))
		return rc;
	if (db_prepare(db, "UPDATE users SET pwhash = ?2, updated_at = ?3 WHERE name = ?1", &q))
		return fail_db(db, NULL, err, errlen, "change a password");
	now_iso(now);
	db_bind_text(q, 1, name);
	db_bind_text(q, 2, h);
	db_bind_text(q, 3, now);
	rc = db_step(q);
	db_finalize(q);
	if (rc != DB_DONE)
		return fail_db(db, NULL, err, errlen, "change a password");
	if (db_changes(db) != 1) {
		errf(err, errlen, "no user '%s'", name);
		return -ENOENT;
	}
	/* A new password ends the sessions the old one opened. */
	if (!db_prepare(db, "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)", &q)) {
		db_bind_text(q, 1, name);
		db_step(q);
		db_finalize(q);
	}
	accounts_audit(st, who, "user passwd", name, NULL);
	return 0;
}

int accounts_user_remove(struct store *st, const char *name, const char *who, char *err, size_t errlen)
{
	struct db *db = store_db(st);
	struct db_stmt *q;
	if (db_savepoint(db, "user_remove"))
		return fail_db(db, NULL, err, errlen, "remove a user");
	int rc = db_prepare(db, "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)", &q);
	if (!rc) {
		db_bind_text(q, 1, name);
		rc = db_step(q) == DB_DONE ? 0 : DB_ERROR;
		db_finalize(q);
	}
	int64_t gone = 0;
	if (!rc && !(rc = db_prepare(db, "DELETE FROM users WHERE name = ?1", &q))) {
		db_bind_text(q, 1, name);
		rc = db_step(q) == DB_DONE ? 0 : DB_ERROR;
		gone = db_changes(db);
		db_finalize(q);
	}
	if (rc) {
		fail_db(db, NULL, err, errlen, "remove a user");
		db_release(db, "user_remove", 0);
		return -TBT_EDB;
	}
	if (db_release(db, "user_remove", 1))
		return fail_db(db, NULL, err, errlen, "remove a user");
	if (!gone) {
		errf(err, errlen, "no user '%s'", name);
		return -ENOENT;
	}
	accounts_audit(st, who, "user remove", name, NULL);
	return 0;
}

int accounts_profile_check(const char *display_name, const char *email, char *err, size_t errlen)
{
	if (display_name && (strlen(display_name) > 200 || !utf8_valid(display_name, strlen(display_name), NULL) ||
			     strpbrk(display_name, "<>\r\n\t"))) {
		errf(err, errlen, "--display-name: at most 200 bytes of text, without <, > or line breaks");
		return -EINVAL;
	}
	if (email && *email && (strlen(email) > 254 || !strchr(email, '@') || strpbrk(email, " <>\r\n\t,;\"'"))) {
		errf(err, errlen, "--email '%s': one address, like name@example.org", email);
		return -EINVAL;
	}
	return 0;
}

int accounts_user_set(struct store *st, const char *name, const char *display_name, const char *email,
		      const char *who, char *err, size_t errlen)
{
	struct db *db = store_db(st);
	struct db_stmt *q;
	char now[21];
	int rc = accounts_profile_check(display_name, email, err, errlen);
	if (rc)
		return rc;
	if (db_prepare(db, "UPDATE users SET display_name = coalesce(CAST(?2 AS TEXT), display_name), "
			   "email = CASE WHEN CAST(?3 AS TEXT) IS NULL THEN email WHEN CAST(?3 AS TEXT) = '' THEN NULL "
			   "ELSE CAST(?3 AS TEXT) END, updated_at = ?4 "
			   "WHERE name = ?1",
		       &q))
		return fail_db(db, NULL, err, errlen, "change a user");
	now_iso(now);
	db_bind_text(q, 1, name);
	db_bind_text(q, 2, display_name);
	db_bind_text(q, 3, email);
	db_bind_text(q, 4, now);
	rc = db_step(q);
	db_finalize(q);
	if (rc != DB_DONE)
		return fail_db(db, NULL, err, errlen, "change a user");
	if (db_changes(db) != 1) {
		errf(err, errlen, "there is no user '%s'", name);
		return -ENOENT;
	}
	accounts_audit(st, who, "user set", name, NULL);
	return 0;
}

json_t *accounts_user_list(struct store *st)
{
	static const char *const keys[] = {"name", "role", "categories", "created_at", "updated_at", "display_name", "email"};
	return store_rows_json(st, "SELECT name, role, categories, created_at, updated_at, display_name, email FROM users "
				   "ORDER BY name", NULL, keys, 7);
}

json_t *accounts_emails(struct store *st, int roles)
{
	json_t *all = accounts_user_list(st), *out = json_array(), *u;
	size_t i;
	json_array_foreach(all, i, u)
	{
		const char *e = json_string_value(json_object_get(u, "email"));
		if (e && (role_from_name(json_string_value(json_object_get(u, "role"))) & roles))
			json_array_append_new(out, json_pack("{s:O, s:s}", "name", json_object_get(u, "name"), "email", e));
	}
	json_decref(all);
	return out;
}

/* ---- throttling: failures per name and per client, in a window ---- */

static long throttled(struct db *db, const char *key, double now)
{
	static const char sql[] = "SELECT failures, since FROM login_failures WHERE key = ?1";
	struct db_stmt *q = db_cached(db, sql);
	long wait = 0;
	if (!q)
		return 0;
	db_bind_text(q, 1, key);
	if (db_step(q) == DB_ROW && db_col_int(q, 0) >= FAIL_MAX && db_col_double(q, 1) + FAIL_WINDOW > now)
		wait = (long)(db_col_double(q, 1) + FAIL_WINDOW - now) + 1;
	db_reset(q);
	return wait;
}

static void failed(struct db *db, const char *key, double now)
{
	/* A failure after the window starts a new one. */
	static const char sql[] =
		"INSERT INTO login_failures (key, failures, since) VALUES (?1, 1, ?2) ON CONFLICT (key) DO UPDATE SET "
		"failures = CASE WHEN login_failures.since + ?3 < ?2 THEN 1 ELSE login_failures.failures + 1 END, "
		"since = CASE WHEN login_failures.since + ?3 < ?2 THEN ?2 ELSE login_failures.since END";
	struct db_stmt *q = db_cached(db, sql);
	if (!q)
		return;
	db_bind_text(q, 1, key);
	db_bind_double(q, 2, now);
	db_bind_double(q, 3, FAIL_WINDOW);
	db_step(q);
	db_reset(q);
}

static void forgive(struct db *db, const char *key)
{
	static const char sql[] = "DELETE FROM login_failures WHERE key = ?1";
	struct db_stmt *q = db_cached(db, sql);
	if (!q)
		return;
	db_bind_text(q, 1, key);
	db_step(q);
	db_reset(q);
}

static void random_hex(char out[ACCOUNTS_TOKEN_LEN])
{
	unsigned char b[32];
	randombytes_buf(b, sizeof(b));
	sodium_bin2hex(out, ACCOUNTS_TOKEN_LEN, b, sizeof(b));
}

int accounts_login(struct store *st, const char *name, const char *password, const char *client, struct session *s,
		   long *retry_after, char *err, size_t errlen)
{
	struct db *db = store_db(st);
	char ukey[128], ckey[128], hash[crypto_pwhash_STRBYTES] = "";
	double now = now_epoch();
	int64_t uid = 0;
	memset(s, 0, sizeof(*s));
	*retry_after = 0;
	pthread_once(&sodium_once, sodium_setup);
	if (!sodium_ok) {
		errf(err, errlen, "libsodium could not start");
		return -EIO;
	}
	if (!name || !password || !accounts_name_ok(name) || strlen(password) > PASSWORD_MAX) {
		errf(err, errlen, "wrong user name or password");
		return -EACCES;
	}
	snprintf(ukey, sizeof(ukey), "user:%s", name);
	snprintf(ckey, sizeof(ckey), "client:%s", client ? client : "?");
	long wu = throttled(db, ukey, now), wc = throttled(db, ckey, now);
	if (wu || wc) {
		*retry_after = wu > wc ? wu : wc;
		errf(err, errlen, "too many failed logins: try again in %ld s", *retry_after);
		accounts_audit(st, name, "login throttled", name, client);
		return -EAGAIN;
	}
	struct db_stmt *q;
	if (db_prepare(db, "SELECT id, role, pwhash, categories FROM users WHERE name = ?1", &q))
		return fail_db(db, NULL, err, errlen, "log in");
	db_bind_text(q, 1, name);
	if (db_step(q) == DB_ROW) {
		uid = db_col_int64(q, 0);
		s->role = role_from_name(db_col_text(q, 1));
		snprintf(hash, sizeof(hash), "%s", db_col_text(q, 2) ? db_col_text(q, 2) : "");
		snprintf(s->categories, sizeof(s->categories), "%s", db_col_text(q, 3) ? db_col_text(q, 3) : "");
	}
	db_finalize(q);
	int good = crypto_pwhash_str_verify(uid ? hash : dummy_hash, password, strlen(password)) == 0 && uid;
	if (!good) {
		failed(db, ukey, now);
		failed(db, ckey, now);
		accounts_audit(st, name, "login failed", name, client);
		errf(err, errlen, "wrong user name or password");
		memset(s, 0, sizeof(*s));
		return -EACCES;
	}
	forgive(db, ukey);
	forgive(db, ckey);
	random_hex(s->token);
	random_hex(s->csrf);
	snprintf(s->user, sizeof(s->user), "%s", name);
	char sha[65];
	sha256_hex(s->token, strlen(s->token), sha);
	if (db_prepare(db, "INSERT INTO sessions (token_sha, user_id, csrf, client, created, expires) "
			   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		       &q))
		return fail_db(db, NULL, err, errlen, "open a session");
	db_bind_text(q, 1, sha);
	db_bind_int64(q, 2, uid);
	db_bind_text(q, 3, s->csrf);
	db_bind_text(q, 4, client);
	db_bind_double(q, 5, now);
	db_bind_double(q, 6, now + SESSION_TTL);
	int rc = db_step(q);
	db_finalize(q);
	if (rc != DB_DONE)
		return fail_db(db, NULL, err, errlen, "open a session");
	/* Expired sessions go as new ones come. */
	if (!db_prepare(db, "DELETE FROM sessions WHERE expires < ?1", &q)) {
		db_bind_double(q, 1, now);
		db_step(q);
		db_finalize(q);
	}
	accounts_audit(st, name, "login", name, client);
	return 0;
}

int accounts_session(struct store *st, const char *token, struct session *s)
{
	static const char sql[] = "SELECT u.name, u.role, s.csrf, u.categories, u.display_name FROM sessions s JOIN users u ON "
				  "u.id = s.user_id WHERE s.token_sha = ?1 AND s.expires > ?2";
	char sha[65];
	memset(s, 0, sizeof(*s));
	if (!token || strlen(token) != ACCOUNTS_TOKEN_LEN - 1)
		return -ENOENT;
	struct db_stmt *q = db_cached(store_db(st), sql);
	if (!q)
		return -ENOENT;
	sha256_hex(token, strlen(token), sha);
	db_bind_text(q, 1, sha);
	db_bind_double(q, 2, now_epoch());
	int rc = -ENOENT;
	if (db_step(q) == DB_ROW) {
		snprintf(s->token, sizeof(s->token), "%s", token);
		snprintf(s->user, sizeof(s->user), "%s", db_col_text(q, 0) ? db_col_text(q, 0) : "");
		s->role = role_from_name(db_col_text(q, 1));
		snprintf(s->csrf, sizeof(s->csrf), "%s", db_col_text(q, 2) ? db_col_text(q, 2) : "");
		snprintf(s->categories, sizeof(s->categories), "%s", db_col_text(q, 3) ? db_col_text(q, 3) : "");
		snprintf(s->display, sizeof(s->display), "%s", db_col_text(q, 4) ? db_col_text(q, 4) : s->user);
		rc = 0;
	}
	db_reset(q);
	return rc;
}

void accounts_logout(struct store *st, const char *token)
{
	struct db_stmt *q;
	char sha[65];
	if (!token || db_prepare(store_db(st), "DELETE FROM sessions WHERE token_sha = ?1", &q))
		return;
	sha256_hex(token, strlen(token), sha);
	db_bind_text(q, 1, sha);
	db_step(q);
	db_finalize(q);
}
