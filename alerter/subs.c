/* subs.c: subscribers and subscriptions in SQLite (tables created by the store's migrations). */
#include "subs.h"
#include "alert.h"

#include "csv.h"
#include "text.h"
#include "db.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const channel_names[] = {"email", "webhook", "wecom", "dingtalk", "feishu"};
static const char *const frequency_names[] = {"immediate", "daily", "weekly"};
static const char *const risk_names[] = {"low", "medium", "high"};

const char *channel_name(enum channel c)
{
	return channel_names[c];
}

int channel_from_name(const char *s)
{
	for (int i = 0; i < 5; i++)
		if (!strcmp(s, channel_names[i]))
			return i;
	return -1;
}

const char *frequency_name(enum frequency f)
{
	return frequency_names[f];
}

int frequency_from_name(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, frequency_names[i]))
			return i;
	return -1;
}

int email_valid(const char *a)
{
	const char *at = strchr(a, '@');
	size_t len = strlen(a);
	if (!at || at == a || strchr(at + 1, '@') || len > 254 || (size_t)(at - a) > 64 || !utf8_valid(a, len, NULL))
		return 0;
	/* The local part: RFC 5322's atoms joined by single dots (UTF-8 allowed, RFC 6531); no quoted strings, no '%'
	 * (old source routing), no dot at either end or twice. */
	for (const char *p = a; p < at; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (c == '.' && p > a && p + 1 < at && p[1] != '.')
			continue;
		if (!strchr("!#$&'*+-/=?^_{}~", c) || !c)
			return 0;
	}
	/* The domain: dotted labels of letters, digits and hyphens (or UTF-8, an IDN), no IP literal, a top level that
	 * is not a number. */
	const char *d = at + 1, *label = d;
	int digits_only = 1, labels = 0;
	if (!*d || *d == '[' || strlen(d) > 253)
		return 0;
	for (const char *p = d;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '.' || !c) {
			size_t n = (size_t)(p - label);
			if (!n || n > 63 || label[0] == '-' || p[-1] == '-')
				return 0;
			labels++;
			if (!c)
				break;
			label = p + 1;
			digits_only = 1;
			continue;
		}
		if (c >= '0' && c <= '9')
			continue;
		digits_only = 0;
		if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')
			continue;
		return 0;
	}
	return labels >= 2 && !digits_only;
}

static int prep(struct store *st, const char *sql, struct db_stmt **out, char *err, size_t errlen)
{
	struct db *db = store_db(st);
	if (db_prepare(db, sql, out) != DB_OK) {
		errf(err, errlen, "%s", db_errmsg(db));
		return -TBT_EDB;
	}
	return 0;
}

static int db_fail(struct store *st, struct db_stmt *stmt, char *err, size_t errlen, const char *what)
{
	errf(err, errlen, "%s: %s", what, db_errmsg(store_db(st)));
	db_finalize(stmt);
	return -TBT_EDB;
}

static char *col(struct db_stmt *s, int i)
{
	const char *v = db_col_text(s, i);
	return v ? xstrdup((const char *)v) : NULL;
}

int subs_add_subscriber(struct store *st, const struct subscriber *s, int confirmed, int64_t *id, char *err, size_t errlen)
{
	struct db_stmt *q;
	char now[21];
	if (!email_valid(s->email)) {
		errf(err, errlen, "'%s' is not an e-mail address", s->email);
		return -EINVAL;
	}
	if (prep(st, "SELECT id FROM subscribers WHERE email = ?1", &q, err, errlen))
		return -TBT_EDB;
	db_bind_text(q, 1, s->email);
	if (db_step(q) == DB_ROW) {
		*id = db_col_int64(q, 0);
		db_finalize(q);
		errf(err, errlen, "a subscriber with the address '%s' exists already (id %lld)", s->email, (long long)*id);
		return -EEXIST;
	}
	db_finalize(q);
	now_iso(now);
	if (prep(st, "INSERT INTO subscribers (email, name, org, lang, tz, status, created_at, confirmed_at) "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
		 &q, err, errlen))
		return -TBT_EDB;
	db_bind_text(q, 1, s->email);
	db_bind_text(q, 2, s->name);
	db_bind_text(q, 3, s->org);
	db_bind_text(q, 4, s->lang ? s->lang : "zh");
	db_bind_text(q, 5, s->tz ? s->tz : "Asia/Shanghai");
	db_bind_text(q, 6, confirmed ? "confirmed" : "pending");
	db_bind_text(q, 7, now);
	db_bind_text(q, 8, confirmed ? now : NULL);
	struct db *db = store_db(st);
	if (db_savepoint(db, "add_subscriber") != DB_OK)
		return db_fail(st, q, err, errlen, "add subscriber");
	if (db_step(q) != DB_DONE) {
		int rc = db_fail(st, q, err, errlen, "add subscriber");
		db_release(db, "add_subscriber", 0);
		return rc;
	}
	db_finalize(q);
	*id = db_last_id(db);
	/* Double opt-in: the request to confirm is queued with the subscriber, so that neither exists without the other. */
	if (!confirmed) {
		int rc = outbox_add_confirm(st, *id, 1, err, errlen);
		if (rc) {
			db_release(db, "add_subscriber", 0);
			return rc;
		}
	}
	/* Outside a transaction of the caller's, the release is the commit: its failure is the caller's to know. */
	if (db_release(db, "add_subscriber", 1) != DB_OK) {
		errf(err, errlen, "add subscriber: %s", db_errmsg(db));
		db_release(db, "add_subscriber", 0);
		return -TBT_EDB;
	}
	return 0;
}

/* HMAC-SHA256 of msg under secret. Every e-mail carries two tokens: OpenSSL 3's one-shot HMAC() looks the algorithms
 * up at each call (a third of a message's rendering), so one context keyed with the last secret is kept and reused. */
static void token_mac(const char *secret, const char *msg, size_t n, unsigned char *mac, unsigned *maclen)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static EVP_MAC_CTX *ctx;
	static char *keyed; /* the secret ctx holds */
	size_t len = 0;
	int ok = 0;
	pthread_mutex_lock(&lock);
	if (!ctx) {
		EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
		EVP_MAC_free(hmac);
	}
	if (ctx && *secret) {
		if (keyed && !strcmp(keyed, secret)) {
			ok = EVP_MAC_init(ctx, NULL, 0, NULL);
		} else {
			OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
					       OSSL_PARAM_construct_end()};
			free(keyed);
			keyed = NULL;
			ok = EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params);
			if (ok)
				keyed = xstrdup(secret);
		}
		ok = ok && EVP_MAC_update(ctx, (const unsigned char *)msg, n) &&
		     EVP_MAC_final(ctx, mac, &len, EVP_MAX_MD_SIZE);
	}
	pthread_mutex_unlock(&lock);
	if (ok) {
		*maclen = (unsigned)len;
		return;
	}
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, n, mac, maclen);
}

void subs_token(const char *secret, const char *purpose, int64_t subscriber, char out[SUBS_TOKEN_LEN + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	char msg[256];
	static const char hex[] = "0123456789abcdef";
	int n = snprintf(msg, sizeof(msg), "%s:%lld", purpose, (long long)subscriber);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1; /* a purpose that long (none is) signs its first bytes */
	token_mac(secret, msg, (size_t)n, mac, &maclen);
	for (unsigned i = 0; i < SUBS_TOKEN_LEN / 2 && i < maclen; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[SUBS_TOKEN_LEN] = '\0';
}

void subs_impact_token(const char *secret, int64_t subscriber, const char *symbol, char out[SUBS_TOKEN_LEN + 1])
{
	char purpose[160];
	snprintf(purpose, sizeof(purpose), "impact:%s", symbol);
	subs_token(secret, purpose, subscriber, out);
}

int subs_impact_token_ok(const char *secret, int64_t subscriber, const char *symbol, const char *token)
{
	char purpose[160];
	snprintf(purpose, sizeof(purpose), "impact:%s", symbol);
	return subs_token_ok(secret, purpose, subscriber, token);
}

int subs_token_ok(const char *secret, const char *purpose, int64_t subscriber, const char *token)
{
	char want[SUBS_TOKEN_LEN + 1];
	if (!token || strlen(token) != SUBS_TOKEN_LEN)
		return 0;
	subs_token(secret, purpose, subscriber, want);
	return CRYPTO_memcmp(want, token, SUBS_TOKEN_LEN) == 0;
}

static int set_status(struct store *st, int64_t id, const char *status, char *err, size_t errlen)
{
	struct db_stmt *q;
	char now[21];
	now_iso(now);
	if (prep(st, "UPDATE subscribers SET status = ?2, confirmed_at = CASE WHEN ?2 = 'confirmed' THEN ?3 ELSE confirmed_at "
		     "END WHERE id = ?1",
		 &q, err, errlen))
		return -TBT_EDB;
	db_bind_int64(q, 1, id);
	db_bind_text(q, 2, status);
	db_bind_text(q, 3, now);
	if (db_step(q) != DB_DONE)
		return db_fail(st, q, err, errlen, "update subscriber");
	db_finalize(q);
	if (!db_changes(store_db(st))) {
		errf(err, errlen, "no subscriber %lld", (long long)id);
		return -ENOENT;
	}
	return 0;
}

int subs_resubscribe(struct store *st, int64_t id, char *err, size_t errlen)
{
	struct db *db = store_db(st);
	struct db_stmt *q;
	char now[21];
	int rc = 0;
	long long confirms = 0;
	now_iso(now);
	/* The window as alert_queue_manage reads it: created_at against the time ten minutes ago, as text. */
	if (prep(st, "SELECT s.status, (SELECT COUNT(*) FROM outbox WHERE kind = 'confirm' AND subscriber_id = s.id), "
		     "(SELECT COUNT(*) FROM outbox WHERE kind = 'confirm' AND subscriber_id = s.id "
		     "AND created_at > ?2) "
		     "FROM subscribers s WHERE s.id = ?1",
		 &q, err, errlen))
		return -TBT_EDB;
	char ten_min[21];
	epoch_iso(now_epoch() - 600, ten_min);
	db_bind_int64(q, 1, id);
	db_bind_text(q, 2, ten_min);
	if (db_step(q) != DB_ROW) {
		db_finalize(q);
		errf(err, errlen, "no subscriber %lld", (long long)id);
		return -ENOENT;
	}
	const char *status = db_col_text(q, 0);
	if (!status || strcmp(status, "unsubscribed"))
		rc = -EINVAL;
	else if (db_col_int64(q, 2))
		rc = -EAGAIN;
	confirms = db_col_int64(q, 1);
	db_finalize(q);
	if (rc) {
		errf(err, errlen, rc == -EAGAIN ? "a request to confirm went out in the last 10 minutes" : "the subscriber has not unsubscribed");
		return rc;
	}
	if (db_savepoint(db, "resubscribe") != DB_OK) {
		errf(err, errlen, "resubscribe: %s", db_errmsg(db));
		return -TBT_EDB;
	}
	static const char *const steps[] = {
	    "DELETE FROM subscriptions WHERE subscriber_id = ?1",
	    "UPDATE subscribers SET status = 'pending', confirmed_at = NULL WHERE id = ?1",
	};
	for (int i = 0; i < 2 && !rc; i++) {
		if (prep(st, steps[i], &q, err, errlen)) {
			rc = -TBT_EDB;
			break;
		}
		db_bind_int64(q, 1, id);
		if (db_step(q) != DB_DONE)
			rc = db_fail(st, q, err, errlen, "resubscribe");
		else
			db_finalize(q);
	}
	if (!rc)
		rc = outbox_add_confirm(st, id, confirms + 1, err, errlen);
	if (rc) {
		db_release(db, "resubscribe", 0);
		return rc;
	}
	if (db_release(db, "resubscribe", 1) != DB_OK) {
		errf(err, errlen, "resubscribe: %s", db_errmsg(db));
		db_release(db, "resubscribe", 0);
		return -TBT_EDB;
	}
	return 0;
}

int subs_set_lang(struct store *st, int64_t id, const char *lang, char *err, size_t errlen)
{
	struct db_stmt *q;
	if (!lang || (strcmp(lang, "zh") && strcmp(lang, "en"))) {
		errf(err, errlen, "lang: '%s' is not zh or en", lang ? lang : "");
		return -EINVAL;
	}
	if (prep(st, "UPDATE subscribers SET lang = ?2 WHERE id = ?1", &q, err, errlen))
		return -TBT_EDB;
	db_bind_int64(q, 1, id);
	db_bind_text(q, 2, lang);
	if (db_step(q) != DB_DONE)
		return db_fail(st, q, err, errlen, "update subscriber");
	db_finalize(q);
	return 0;
}

int subs_confirm(struct store *st, int64_t id, char *err, size_t errlen)
{
	return set_status(st, id, "confirmed", err, errlen);
}

int subs_unsubscribe(struct store *st, int64_t id, char *err, size_t errlen)
{
	struct db *db = store_db(st);
	struct db_stmt *q;
	if (db_savepoint(db, "unsubscribe") != DB_OK) {
		errf(err, errlen, "unsubscribe: %s", db_errmsg(db));
		return -TBT_EDB;
	}
	int rc = set_status(st, id, "unsubscribed", err, errlen);
	/* Nothing more goes out to them: what waits in the outbox is cancelled with the reason. */
	if (!rc && !(rc = prep(st, "UPDATE outbox SET state = 'cancelled', last_error = 'unsubscribed' WHERE subscriber_id = ?1 "
				   "AND state IN ('pending', 'held')",
			       &q, err, errlen))) {
		db_bind_int64(q, 1, id);
		rc = db_step(q) == DB_DONE ? 0 : db_fail(st, q, err, errlen, "cancel deliveries");
		if (!rc)
			db_finalize(q);
	}
	if (!rc && db_release(db, "unsubscribe", 1) != DB_OK) {
		errf(err, errlen, "unsubscribe: %s", db_errmsg(db));
		rc = -TBT_EDB;
	}
	if (rc)
		db_release(db, "unsubscribe", 0);
	return rc;
}

void subscriber_release(struct subscriber *s)
{
	free(s->email);
	free(s->name);
	free(s->org);
	free(s->lang);
	free(s->tz);
	free(s->status);
	memset(s, 0, sizeof(*s));
}

int subs_get_subscriber(struct store *st, int64_t id, struct subscriber *out, char *err, size_t errlen)
{
	struct db_stmt *q;
	memset(out, 0, sizeof(*out));
	if (prep(st, "SELECT email, name, org, lang, tz, status FROM subscribers WHERE id = ?1", &q, err, errlen))
		return -TBT_EDB;
	db_bind_int64(q, 1, id);
	if (db_step(q) != DB_ROW) {
		db_finalize(q);
		errf(err, errlen, "no subscriber %lld", (long long)id);
		return -ENOENT;
	}
	out->id = id;
	out->email = col(q, 0);
	out->name = col(q, 1);
	out->org = col(q, 2);
	out->lang = col(q, 3);
	out->tz = col(q, 4);
	out->status = col(q, 5);
	db_finalize(q);
	return 0;
}

static int delete_by_id(struct store *st, const char *sql, int64_t id, const char *what, char *err, size_t errlen)
{
	struct db_stmt *q;
	if (prep(st, sql, &q, err, errlen))
		return -TBT_EDB;
	db_bind_int64(q, 1, id);
	if (db_step(q) != DB_DONE)
		return db_fail(st, q, err, errlen, what);
	db_finalize(q);
	if (!db_changes(store_db(st))) {
		errf(err, errlen, "no %s %lld", what, (long long)id);
		return -ENOENT;
	}
	return 0;
}

int subs_remove_subscriber(struct store *st, int64_t id, char *err, size_t errlen)
{
	return delete_by_id(st, "DELETE FROM subscribers WHERE id = ?1", id, "subscriber", err, errlen);
}

int subs_remove_subscription(struct store *st, int64_t id, char *err, size_t errlen)
{
	return delete_by_id(st, "DELETE FROM subscriptions WHERE id = ?1", id, "subscription", err, errlen);
}

/* ---- a webhook's or robot's delivery record (written by the alerter through these, never by its own SQL) ---- */

static const char target_ok_sql[] = "UPDATE subscriptions SET failures = 0 WHERE id = ?1 AND failures <> 0";
static const char target_failed_sql[] =
	"UPDATE subscriptions SET failures = failures + 1, "
	"active = CASE WHEN failures + 1 >= ?2 THEN 0 ELSE active END, "
	"paused_reason = CASE WHEN failures + 1 >= ?2 THEN ?3 ELSE paused_reason END "
	"WHERE id = ?1 AND active = 1 RETURNING active";
static const char disable_sql[] = "UPDATE subscriptions SET active = 0, paused_reason = ?2 WHERE id = ?1";

/* Adds the tokens of list (HS codes: 4 to 10 digits, cut to 6; markets: 2 to 7 letters, upper-cased) to set,
 * newest last, at most 40. */
static void add_tokens(json_t *set, const char *list, int digits)
{
	char *dup = list ? xstrdup(list) : NULL;
	for (char *tok = dup, *save = NULL; dup && (tok = strtok_r(tok, ", ;", &save)); tok = NULL) {
		char v[16];
		size_t k = 0, bad = 0;
		for (const char *p = tok; *p; p++) {
			if (digits && *p == '.')
				continue;
			int ok = digits ? (*p >= '0' && *p <= '9') : ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'));
			if (!ok || k >= sizeof(v) - 1) {
				bad = 1;
				break;
			}
			v[k++] = (char)(digits ? *p : (*p >= 'a' ? *p - 32 : *p));
		}
		if (bad || k < (digits ? 4u : 2u) || k > (digits ? 10u : 7u))
			continue;
		v[digits && k > 6 ? 6 : k] = '\0';
		size_t i;
		json_t *x;
		json_array_foreach(set, i, x)
		{
			if (!strcmp(json_string_value(x), v)) {
				json_array_remove(set, i);
				break;
			}
		}
		json_array_append_new(set, json_string(v));
		while (json_array_size(set) > 40)
			json_array_remove(set, 0);
	}
	free(dup);
}

int subs_add_interests(struct store *st, int64_t id, const char *hs, const char *markets, char *err, size_t errlen)
{
	struct db_stmt *q;
	json_t *cur = NULL;
	if (prep(st, "SELECT interests FROM subscribers WHERE id = ?1", &q, err, errlen))
		return -TBT_EDB;
	db_bind_int64(q, 1, id);
	int rc = db_step(q);
	if (rc == DB_ROW && db_col_text(q, 0)) {
		json_error_t jerr;
		cur = json_loads(db_col_text(q, 0), 0, &jerr);
	}
	db_finalize(q);
	if (rc != DB_ROW) {
		json_decref(cur);
		return -ENOENT;
	}
	if (!json_is_object(cur)) {
		json_decref(cur);
		cur = json_pack("{s:[], s:[]}", "hs", "markets");
	}
	if (!json_is_array(json_object_get(cur, "hs")))
		json_object_set_new(cur, "hs", json_array());
	if (!json_is_array(json_object_get(cur, "markets")))
		json_object_set_new(cur, "markets", json_array());
	add_tokens(json_object_get(cur, "hs"), hs, 1);
	add_tokens(json_object_get(cur, "markets"), markets, 0);
	char *text = json_dumps(cur, JSON_COMPACT);
	json_decref(cur);
	if (prep(st, "UPDATE subscribers SET interests = ?2 WHERE id = ?1", &q, err, errlen)) {
		free(text);
		return -TBT_EDB;
	}
	db_bind_int64(q, 1, id);
	db_bind_text(q, 2, text);
	free(text);
	if (db_step(q) != DB_DONE)
		return db_fail(st, q, err, errlen, "save a subscriber's interests");
	db_finalize(q);
	return 0;
}

int subs_operator(struct store *st, const char *email, int64_t *id, char *err, size_t errlen)
{
	return subs_internal(st, email, "tbtwarn operator", "en", id, err, errlen);
}

int subs_internal(struct store *st, const char *email, const char *org, const char *lang, int64_t *id, char *err,
		  size_t errlen)
{
	struct db *db = store_db(st);
	struct db_stmt *q;
	char now[21];
	*id = 0;
	if (prep(st, "SELECT id FROM subscribers WHERE email = ?1", &q, err, errlen))
		return -TBT_EDB;
	db_bind_text(q, 1, email);
	if (db_step(q) == DB_ROW)
		*id = db_col_int64(q, 0);
	db_finalize(q);
	if (*id)
		return 0;
	if (prep(st, "INSERT INTO subscribers (email, org, lang, status, created_at, confirmed_at) "
		     "VALUES (?1, ?3, ?4, 'confirmed', ?2, ?2)",
		 &q, err, errlen))
		return -TBT_EDB;
	now_iso(now);
	db_bind_text(q, 1, email);
	db_bind_text(q, 2, now);
	db_bind_text(q, 3, org);
	db_bind_text(q, 4, lang);
	if (db_step(q) != DB_DONE)
		return db_fail(st, q, err, errlen, "add the operator's address");
	*id = db_last_id(db);
	db_finalize(q);
	return 0;
}

int64_t subs_count_active(struct store *st)
{
	return db_scalar(store_db(st), "SELECT count(*) FROM subscriptions WHERE active = 1", 0);
}

int subs_target_ok(struct store *st, int64_t id)
{
	struct db_stmt *q = db_cached(store_db(st), target_ok_sql);
	if (!q)
		return -TBT_EDB;
	db_bind_int64(q, 1, id);
	int rc = db_step(q);
	db_reset(q);
	return rc == DB_DONE ? 0 : -TBT_EDB;
}

int subs_target_failed(struct store *st, int64_t id, int pause_after, const char *why)
{
	struct db_stmt *q = db_cached(store_db(st), target_failed_sql);
	if (!q)
		return -TBT_EDB;
	db_bind_int64(q, 1, id);
	db_bind_int64(q, 2, pause_after);
	db_bind_text(q, 3, why);
	int rc = db_step(q), paused = rc == DB_ROW && db_col_int(q, 0) == 0;
	db_reset(q);
	return rc == DB_ERROR ? -TBT_EDB : paused;
}

int subs_disable(struct store *st, int64_t id, const char *why)
{
	struct db_stmt *q = db_cached(store_db(st), disable_sql);
	if (!q)
		return -TBT_EDB;
	db_bind_int64(q, 1, id);
	db_bind_text(q, 2, why);
	int rc = db_step(q);
	db_reset(q);
	return rc == DB_DONE ? 0 : -TBT_EDB;
}

json_t *subs_list_subscribers(struct store *st)
{
	struct db_stmt *q;
	char err[ERRBUF_SIZE];
	json_t *a = json_array();
	if (prep(st,
		 "SELECT s.id, email, name, org, lang, tz, status, (SELECT count(*) FROM subscriptions WHERE "
		 "subscriber_id = s.id) FROM subscribers s ORDER BY s.id",
		 &q, err, sizeof(err)))
		return a;
	while (db_step(q) == DB_ROW) {
		json_t *o = json_object();
		static const char *const keys[] = {"email", "name", "org", "lang", "tz", "status"};
		json_object_set_new(o, "id", json_integer(db_col_int64(q, 0)));
		for (int i = 0; i < 6; i++) {
			const char *v = db_col_text(q, i + 1);
			json_object_set_new(o, keys[i], v ? json_string((const char *)v) : json_null());
		}
		json_object_set_new(o, "subscriptions", json_integer(db_col_int64(q, 7)));
		json_array_append_new(a, o);
	}
	db_finalize(q);
	return a;
}

static json_t *jstrv(const struct strv *v)
{
	json_t *a = json_array();
	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->items[i]));
	return a;
}

json_t *sub_filter_json(const struct sub_filter *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "categories", jstrv(&f->categories));
	json_object_set_new(o, "hs", jstrv(&f->hs));
	json_object_set_new(o, "ics", jstrv(&f->ics));
	json_object_set_new(o, "members", jstrv(&f->members));
	json_object_set_new(o, "kinds", jstrv(&f->kinds));
	json_object_set_new(o, "type", f->type == NT_TBT ? json_string("tbt") : f->type == NT_SPS ? json_string("sps") : json_null());
	json_object_set_new(o, "query", f->query ? json_string(f->query) : json_null());
	json_object_set_new(o, "min_risk", json_string(risk_names[f->min_risk]));
	return o;
}

static void load_strv(const json_t *a, struct strv *v)
{
	size_t i;
	json_t *x;
	json_array_foreach(a, i, x)
	{
		if (json_is_string(x))
			strv_push(v, json_string_value(x));
	}
}

int sub_filter_from_json(const json_t *j, struct sub_filter *f)
{
	sub_filter_init(f);
	if (!json_is_object(j))
		return -EINVAL;
	load_strv(json_object_get(j, "categories"), &f->categories);
	load_strv(json_object_get(j, "hs"), &f->hs);
	load_strv(json_object_get(j, "ics"), &f->ics);
	load_strv(json_object_get(j, "members"), &f->members);
	load_strv(json_object_get(j, "kinds"), &f->kinds);
	const char *t = json_string_value(json_object_get(j, "type"));
	f->type = t && !strcmp(t, "tbt") ? NT_TBT : t && !strcmp(t, "sps") ? NT_SPS : 0;
	const char *q = json_string_value(json_object_get(j, "query"));
	f->query = q ? xstrdup(q) : NULL;
	const char *r = json_string_value(json_object_get(j, "min_risk"));
	f->min_risk = r && !strcmp(r, "high") ? 2 : r && !strcmp(r, "medium") ? 1 : 0;
	return 0;
}

int subs_add_subscription(struct store *st, const struct subscription *s, int64_t *id, char *err, size_t errlen)
{
	struct subscriber who;
	struct db_stmt *q;
	char now[21];
	int rc = subs_get_subscriber(st, s->subscriber_id, &who, err, errlen);
	if (rc)
		return rc;
	subscriber_release(&who);
	if (s->channel != CH_EMAIL && (!s->url || !url_is_web(s->url))) {
		errf(err, errlen, "a %s subscription needs an http or https address without spaces or control characters, "
				  "got '%.200s'", channel_name(s->channel), s->url ? s->url : "");
		for (char *p = err; *p; p++)
			if ((unsigned char)*p < ' ')
				*p = ' '; /* the message goes to logs and pages: never a raw line break */
		return -EINVAL;
	}
	if (s->hour < 0 || s->hour > 23) {
		errf(err, errlen, "--hour must be from 0 to 23, got %d", s->hour);
		return -EINVAL;
	}
	json_t *fj = sub_filter_json(&s->filter);
	char *filter = json_dumps(fj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(fj);
	now_iso(now);
	if ((rc = prep(st, "INSERT INTO subscriptions (subscriber_id, channel, url, secret, filter, frequency, hour, "
			   "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
		       &q, err, errlen))) {
		free(filter);
		return rc;
	}
	db_bind_int64(q, 1, s->subscriber_id);
	db_bind_text(q, 2, channel_name(s->channel));
	db_bind_text(q, 3, s->url);
	db_bind_text(q, 4, s->secret);
	db_bind_text(q, 5, filter);
	db_bind_text(q, 6, frequency_name(s->frequency));
	db_bind_int64(q, 7, s->hour);
	db_bind_text(q, 8, now);
	rc = db_step(q) == DB_DONE ? 0 : db_fail(st, q, err, errlen, "add subscription");
	if (!rc) {
		db_finalize(q);
		*id = db_last_id(store_db(st));
	}
	free(filter);
	return rc;
}

static const char sub_cols[] = "SELECT s.id, s.subscriber_id, s.channel, s.url, s.secret, s.filter, s.frequency, s.hour, "
				"p.tz, p.status, s.active, s.paused_reason FROM subscriptions s JOIN subscribers p ON p.id = s.subscriber_id";

static int row_to_subscription(struct db_stmt *q, struct subscription *s)
{
	json_error_t jerr;
	memset(s, 0, sizeof(*s));
	s->id = db_col_int64(q, 0);
	s->subscriber_id = db_col_int64(q, 1);
	int c = channel_from_name(db_col_text(q, 2));
	s->channel = c < 0 ? CH_EMAIL : (enum channel)c;
	s->url = col(q, 3);
	s->secret = col(q, 4);
	json_t *fj = json_loads(db_col_text(q, 5), 0, &jerr);
	sub_filter_from_json(fj, &s->filter);
	json_decref(fj);
	int f = frequency_from_name(db_col_text(q, 6));
	s->frequency = f < 0 ? FREQ_IMMEDIATE : (enum frequency)f;
	s->hour = db_col_int(q, 7);
	s->tz = col(q, 8);
	s->status = col(q, 9);
	s->active = db_col_int(q, 10);
	return 0;
}

void subscription_release(struct subscription *s)
{
	free(s->url);
	free(s->secret);
	free(s->tz);
	free(s->status);
	sub_filter_release(&s->filter);
}

int subs_get_subscription(struct store *st, int64_t id, struct subscription *out, char *err, size_t errlen)
{
	struct db_stmt *q;
	char sql[320];
	snprintf(sql, sizeof(sql), "%s WHERE s.id = ?1", sub_cols);
	memset(out, 0, sizeof(*out));
	if (prep(st, sql, &q, err, errlen))
		return -TBT_EDB;
	db_bind_int64(q, 1, id);
	if (db_step(q) != DB_ROW) {
		db_finalize(q);
		errf(err, errlen, "no subscription %lld", (long long)id);
		return -ENOENT;
	}
	row_to_subscription(q, out);
	db_finalize(q);
	return 0;
}

json_t *subs_list_subscriptions(struct store *st, int64_t subscriber)
{
	struct db_stmt *q;
	char err[ERRBUF_SIZE], sql[320];
	json_t *a = json_array();
	snprintf(sql, sizeof(sql), "%s WHERE ?1 = 0 OR s.subscriber_id = ?1 ORDER BY s.id", sub_cols);
	if (prep(st, sql, &q, err, sizeof(err)))
		return a;
	db_bind_int64(q, 1, subscriber);
	while (db_step(q) == DB_ROW) {
		struct subscription s;
		row_to_subscription(q, &s);
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(s.id));
		json_object_set_new(o, "subscriber", json_integer(s.subscriber_id));
		json_object_set_new(o, "channel", json_string(channel_name(s.channel)));
		json_object_set_new(o, "url", s.url ? json_string(s.url) : json_null());
		json_object_set_new(o, "has_secret", json_boolean(s.secret != NULL));
		json_object_set_new(o, "filter", sub_filter_json(&s.filter));
		json_object_set_new(o, "frequency", json_string(frequency_name(s.frequency)));
		json_object_set_new(o, "hour", json_integer(s.hour));
		json_object_set_new(o, "active", json_boolean(s.active));
		const char *why = db_col_text(q, 11);
		json_object_set_new(o, "paused_reason", why ? json_string(why) : json_null());
		json_array_append_new(a, o);
		subscription_release(&s);
	}
	db_finalize(q);
	return a;
}

int subs_each(struct store *st, int (*fn)(void *arg, const struct subscription *s), void *arg, char *err, size_t errlen)
{
	struct db_stmt *q;
	char sql[320];
	int rc = 0;
	snprintf(sql, sizeof(sql), "%s WHERE s.active = 1 ORDER BY s.id", sub_cols);
	if (prep(st, sql, &q, err, errlen))
		return -TBT_EDB;
	while (!rc && db_step(q) == DB_ROW) {
		struct subscription s;
		row_to_subscription(q, &s);
		rc = fn(arg, &s);
		subscription_release(&s);
	}
	db_finalize(q);
	return rc;
}

static int column_of(const struct strv *head, const char *name)
{
	for (size_t i = 0; i < head->n; i++)
		if (!strcasecmp(head->items[i], name))
			return (int)i;
	return -1;
}

static const char *field(const struct strv *f, int col)
{
	return col >= 0 && (size_t)col < f->n && f->items[col][0] ? f->items[col] : NULL;
}

int subs_import_csv(struct store *st, const char *text, const char *name, FILE *report, struct subs_import *r, char *err,
		    size_t errlen)
{
	struct strv head, f;
	long line = 0;
	int rc;
	memset(r, 0, sizeof(*r));
	if (starts_with(text, "\xEF\xBB\xBF")) /* spreadsheet programs write a BOM */
		text += 3;
	strv_init(&head);
	strv_init(&f);
	if ((rc = csv_record(&text, &head, &line, err, errlen)) <= 0) {
		if (!rc)
			errf(err, errlen, "%s: empty, expected a header line with at least 'email'", name);
		strv_release(&head);
		return -EINVAL;
	}
	int c_email = column_of(&head, "email"), c_name = column_of(&head, "name"), c_org = column_of(&head, "org"),
	    c_lang = column_of(&head, "lang"), c_tz = column_of(&head, "tz"), c_conf = column_of(&head, "confirmed");
	if (c_email < 0) {
		errf(err, errlen, "%s:1: no 'email' column in the header (columns: email, name, org, lang, tz, confirmed)", name);
		strv_release(&head);
		return -EINVAL;
	}
	struct db *db = store_db(st);
	if (db_exec(db, "BEGIN IMMEDIATE") != DB_OK) {
		errf(err, errlen, "%s", db_errmsg(db));
		strv_release(&head);
		return -TBT_EDB;
	}
	for (;;) {
		long at = line + 1;
		char why[ERRBUF_SIZE];
		int got = csv_record(&text, &f, &line, why, sizeof(why));
		if (got == 0)
			break;
		if (got < 0) {
			/* The rest of the file cannot be split into records reliably: report it and stop reading. */
			fprintf(report, "%s:%ld: %s; the rest of the file was not read\n", name, at, why);
			r->bad++;
			break;
		}
		if (f.n == 1 && !f.items[0][0])
			continue; /* a blank line */
		const char *email = field(&f, c_email), *lang = field(&f, c_lang), *tz = field(&f, c_tz),
			   *conf = field(&f, c_conf);
		int bad_utf8 = 0;
		for (size_t i = 0; i < f.n; i++)
			bad_utf8 |= !utf8_valid(f.items[i], strlen(f.items[i]), NULL);
		const char *problem = bad_utf8			    ? "not valid UTF-8 (save the file as CSV UTF-8)"
				      : !email			    ? "no e-mail address"
				      : lang && strcmp(lang, "zh") && strcmp(lang, "en") ? "lang must be zh or en"
				      : tz && (strlen(tz) > 64 || strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_/+-0123456789") != strlen(tz))
					  ? "tz is not a time zone name such as Asia/Shanghai"
				      : conf && strcasecmp(conf, "yes") && strcasecmp(conf, "no") && strcmp(conf, "1") && strcmp(conf, "0") &&
						strcasecmp(conf, "true") && strcasecmp(conf, "false")
					  ? "confirmed must be yes or no"
					  : NULL;
		if (problem) {
			fprintf(report, "%s:%ld: %s; row skipped\n", name, at, problem);
			r->bad++;
			continue;
		}
		struct subscriber s = {0};
		s.email = (char *)email;
		s.name = (char *)field(&f, c_name);
		s.org = (char *)field(&f, c_org);
		s.lang = (char *)lang;
		s.tz = (char *)tz;
		int confirmed = conf && (!strcasecmp(conf, "yes") || !strcmp(conf, "1") || !strcasecmp(conf, "true"));
		int64_t id;
		rc = subs_add_subscriber(st, &s, confirmed, &id, why, sizeof(why));
		if (rc == -EEXIST) {
			fprintf(report, "%s:%ld: %s; row skipped\n", name, at, why);
			r->existing++;
		} else if (rc == -EINVAL) {
			fprintf(report, "%s:%ld: %s; row skipped\n", name, at, why);
			r->bad++;
		} else if (rc) {
			errf(err, errlen, "%s:%ld: %s", name, at, why);
			db_exec(db, "ROLLBACK");
			strv_release(&head);
			strv_release(&f);
			return rc;
		} else {
			r->added++;
			r->to_confirm += !confirmed;
		}
	}
	strv_release(&head);
	strv_release(&f);
	if (db_exec(db, "COMMIT") != DB_OK) {
		errf(err, errlen, "%s", db_errmsg(db));
		db_exec(db, "ROLLBACK");
		return -TBT_EDB;
	}
	return 0;
}
