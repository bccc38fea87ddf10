/* alert.c: the alerter's two halves. collect: store changes -> matcher -> outbox rows, with the cursor, in one
 * transaction. deliver: due outbox rows -> e-mail or signed webhook through the fetcher -> sent, retrying or failed. */
#include "alert.h"

#include "buf.h"
#include "match.h"
#include "subs.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void alert_opts_default(struct alert_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mail_from = "tbtwarn@localhost";
	o->base_url = "http://127.0.0.1:8080";
	o->secret = "tbtwarn-unsubscribe";
	o->retry_base = 60;
	o->retry_max = 6 * 3600;
	o->give_up_after = 3 * 86400;
}

static sqlite3 *db(struct archive *a)
{
	return (sqlite3 *)store_db(archive_store(a));
}

static int exec_sql(struct archive *a, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(db(a), sql, NULL, NULL, &msg) != SQLITE_OK) {
		errf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db(a)));
		sqlite3_free(msg);
		return -TBT_EDB;
	}
	return 0;
}

/* ---- collect ---- */

struct load_ctx {
	struct archive *a;
	struct matcher *m;
	char *err;
	size_t errlen;
	int rc;
};

static int add_sub(void *arg, const struct subscription *s)
{
	struct load_ctx *c = arg;
	struct subscriber who;
	char err[ERRBUF_SIZE];
	/* E-mail goes only to confirmed subscribers (double opt-in); robots and webhooks belong to the firm. */
	if (subs_get_subscriber(archive_store(c->a), s->subscriber_id, &who, err, sizeof(err)))
		return 0;
	int ok = strcmp(who.status, "unsubscribed") && (s->channel != CH_EMAIL || !strcmp(who.status, "confirmed"));
	subscriber_release(&who);
	if (ok && matcher_add(c->m, s->id, &s->filter, err, sizeof(err)))
		fprintf(stderr, "tbtwarn: subscription %lld skipped: %s\n", (long long)s->id, err);
	return 0;
}

struct collect_ctx {
	struct archive *a;
	struct matcher *m;
	struct alert_stats *st;
	sqlite3_stmt *ins;
	int64_t last_seq;
	int rc;
	char *err;
	size_t errlen;
};

static int collect_one(void *arg, int64_t id, int64_t seq, struct notif *n)
{
	struct collect_ctx *c = arg;
	struct cat_result cats;
	struct risk risk;
	char now[21];
	archive_classify(c->a, n, &cats, &risk);
	struct match_doc d = {n, &cats, risk.level};
	int64_t *ids = NULL;
	size_t nids = 0;
	matcher_match(c->m, &d, &ids, &nids);
	now_iso(now);
	for (size_t i = 0; i < nids; i++) {
		char mid[256];
		/* One message per subscription and change of the notification: the same id whatever happens later. */
		snprintf(mid, sizeof(mid), "<tbtwarn.%lld.%lld.%lld@tbtwarn>", (long long)ids[i], (long long)id, (long long)seq);
		sqlite3_reset(c->ins);
		sqlite3_bind_int64(c->ins, 1, ids[i]);
		sqlite3_bind_int64(c->ins, 2, id);
		sqlite3_bind_text(c->ins, 3, n->symbol, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(c->ins, 4, mid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(c->ins, 5, now, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(c->ins) != SQLITE_DONE) {
			errf(c->err, c->errlen, "queue delivery: %s", sqlite3_errmsg(db(c->a)));
			free(ids);
			return c->rc = -TBT_EDB;
		}
		c->st->queued += (unsigned)sqlite3_changes(db(c->a));
	}
	free(ids);
	c->st->notifications++;
	c->last_seq = seq;
	return 0;
}

static int64_t cursor_get(struct archive *a)
{
	sqlite3_stmt *q;
	int64_t v = 0;
	if (sqlite3_prepare_v2(db(a), "SELECT value FROM alert_state WHERE key = 'seq'", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			v = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	return v;
}

int alert_collect(struct archive *a, struct alert_stats *st, char *err, size_t errlen)
{
	struct matcher *m = matcher_new(err, errlen);
	int rc;
	if (!m)
		return -TBT_EIDX;
	struct load_ctx lc = {a, m, err, errlen, 0};
	if ((rc = subs_each(archive_store(a), add_sub, &lc, err, errlen))) {
		matcher_free(m);
		return rc;
	}
	struct collect_ctx c = {a, m, st, NULL, 0, 0, err, errlen};
	if ((rc = exec_sql(a, "BEGIN IMMEDIATE", err, errlen)))
		goto out;
	if (sqlite3_prepare_v2(db(a), "INSERT OR IGNORE INTO outbox (subscription_id, notification_id, symbol, message_id, "
				      "created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
			       -1, &c.ins, NULL) != SQLITE_OK) {
		errf(err, errlen, "%s", sqlite3_errmsg(db(a)));
		exec_sql(a, "ROLLBACK", NULL, 0);
		rc = -TBT_EDB;
		goto out;
	}
	int64_t from = cursor_get(a);
	c.last_seq = from;
	rc = store_changes_since(archive_store(a), from, collect_one, &c, err, errlen);
	if (!rc && c.rc)
		rc = c.rc;
	sqlite3_finalize(c.ins);
	if (!rc && c.last_seq != from) {
		char sql[128];
		snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO alert_state (key, value) VALUES ('seq', '%lld')",
			 (long long)c.last_seq);
		rc = exec_sql(a, sql, err, errlen);
	}
	/* The decisions and the cursor become durable together, or not at all. */
	if (rc)
		exec_sql(a, "ROLLBACK", NULL, 0);
	else
		rc = exec_sql(a, "COMMIT", err, errlen);
out:
	matcher_free(m);
	return rc;
}

/* ---- rendering ---- */

static void b64(struct buf *out, const unsigned char *data, size_t len)
{
	unsigned char tmp[4 * 1024 + 8];
	for (size_t off = 0; off < len; off += 3 * 1024) {
		size_t n = len - off < 3 * 1024 ? len - off : 3 * 1024;
		int w = EVP_EncodeBlock(tmp, data + off, (int)n);
		buf_add(out, tmp, (size_t)w);
	}
}

/* Standard Webhooks: v1,base64(HMAC-SHA256(key, id.timestamp.body)), the key being the base64 after "whsec_". */
static void webhook_signature(const char *secret, const char *id, long ts, const char *body, struct buf *out)
{
	unsigned char key[256], mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	const char *k = starts_with(secret, "whsec_") ? secret + 6 : secret;
	int klen = EVP_DecodeBlock(key, (const unsigned char *)k, (int)strlen(k));
	size_t kl = strlen(k);
	/* EVP_DecodeBlock counts the padding as data: take it off. */
	if (klen > 0 && kl && k[kl - 1] == '=')
		klen--;
	if (klen > 0 && kl > 1 && k[kl - 2] == '=')
		klen--;
	struct buf msg;
	buf_init(&msg, BUF_NOMAX);
	buf_addf(&msg, "%s.%ld.%s", id, ts, body);
	HMAC(EVP_sha256(), key, klen > 0 ? klen : 0, (const unsigned char *)msg.s, msg.len, mac, &maclen);
	buf_release(&msg);
	buf_addstr(out, "v1,");
	b64(out, mac, maclen);
}

/* An unforgeable unsubscribe token: HMAC-SHA256 of the subscriber's id under the installation's secret. */
static void unsubscribe_token(const char *secret, int64_t subscriber, char out[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	char idtxt[32];
	static const char hex[] = "0123456789abcdef";
	snprintf(idtxt, sizeof(idtxt), "%lld", (long long)subscriber);
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)idtxt, strlen(idtxt), mac, &maclen);
	for (unsigned i = 0; i < 32 && i < maclen; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[64] = '\0';
}

/* The webhook body: a documented, stable JSON schema (docs/api.md). Caller json_decref()s. */
static json_t *alert_json(struct archive *a, const char *message_id, int64_t subscription, const struct notif *n)
{
	struct cat_result cats;
	struct risk risk;
	archive_classify(a, n, &cats, &risk);
	json_t *o = json_object(), *nj = archive_hit_json(n), *links = json_object(), *docs = json_array();
	json_object_set_new(o, "type", json_string("notification.matched"));
	json_object_set_new(o, "id", json_string(message_id));
	json_object_set_new(o, "subscription", json_integer(subscription));
	json_object_set_new(nj, "adoption", n->dates[D_ADOPTION].iso[0] ? json_string(n->dates[D_ADOPTION].iso) : json_null());
	json_object_set_new(nj, "entry_into_force",
			    n->dates[D_ENTRY_FORCE].iso[0] ? json_string(n->dates[D_ENTRY_FORCE].iso) : json_null());
	json_object_set_new(links, "notification", n->notification_url ? json_string(n->notification_url) : json_null());
	for (size_t i = 0; i < n->document_urls.n; i++)
		json_array_append_new(docs, json_string(n->document_urls.items[i]));
	json_object_set_new(links, "documents", docs);
	json_object_set_new(nj, "links", links);
	json_object_set_new(o, "notification", nj);
	json_object_set_new(o, "categories", classify_json(&cats));
	json_object_set_new(o, "risk", risk_json(&risk));
	return o;
}

/* RFC 2047 encoded-word for a UTF-8 header. */
static void header_utf8(struct buf *out, const char *s)
{
	buf_addstr(out, "=?UTF-8?B?");
	b64(out, (const unsigned char *)s, strlen(s));
	buf_addstr(out, "?=");
}

/* A multipart/alternative message, Chinese first for zh subscribers, with RFC 8058 one-click unsubscribe. */
static char *render_mail(struct archive *a, const struct alert_opts *o, const struct subscriber *who,
			 const char *message_id, const struct notif *n)
{
	struct cat_result cats;
	struct risk risk;
	struct buf subj, text, html, msg;
	char token[65], date[64];
	archive_classify(a, n, &cats, &risk);
	int zh = !who->lang || !strcmp(who->lang, "zh");
	const char *member = zh && n->text[LANG_ZH].member_name ? n->text[LANG_ZH].member_name
			     : n->text[LANG_EN].member_name	  ? n->text[LANG_EN].member_name
							       : n->member;
	const char *cat = cats.n ? (zh ? cats.m[0].cat->name_zh : cats.m[0].cat->name_en) : (zh ? "其他" : "other");
	const char *deadline = n->dates[D_COMMENTS].iso[0] ? n->dates[D_COMMENTS].iso : NULL;
	buf_init(&subj, BUF_NOMAX);
	buf_addf(&subj, "[%s%s] %s · %s · %s%s · %s", n->type == NT_SPS ? "SPS" : "TBT", zh ? "预警" : " alert", member, cat,
		 zh ? "评议截止 " : "comments until ", deadline ? deadline : (zh ? "未定" : "n/a"), n->symbol);
	buf_init(&text, BUF_NOMAX);
	const char *title_zh = n->text[LANG_ZH].title, *title_en = n->text[LANG_EN].title;
	buf_addf(&text, "%s\n\n", zh ? "您订阅的产品类别有新的技术性贸易措施通报。" : "A new notification concerns your products.");
	buf_addf(&text, "%s %s\n", zh ? "通报号：" : "Symbol:", n->symbol);
	buf_addf(&text, "%s %s (%s)\n", zh ? "通报成员：" : "Market:", member, n->member);
	if (zh && title_zh)
		buf_addf(&text, "标题：%s\n", title_zh);
	if (title_en)
		buf_addf(&text, "%s %s\n", zh ? "标题（原文）：" : "Title:", title_en);
	buf_addf(&text, "%s %s\n", zh ? "风险等级：" : "Risk:", risk.level);
	for (size_t i = 0; i < cats.n; i++)
		buf_addf(&text, "%s %s / %s — %s\n", zh ? "类别：" : "Category:", cats.m[i].cat->name_zh, cats.m[i].cat->name_en,
			 cats.m[i].evidence);
	buf_addf(&text, "%s %s\n", zh ? "提意见截止日期：" : "Comments until:", deadline ? deadline : "-");
	if (n->dates[D_ADOPTION].iso[0] || n->dates[D_ADOPTION].text)
		buf_addf(&text, "%s %s\n", zh ? "拟批准日期：" : "Adoption:",
			 n->dates[D_ADOPTION].iso[0] ? n->dates[D_ADOPTION].iso : n->dates[D_ADOPTION].text);
	if (n->dates[D_ENTRY_FORCE].iso[0] || n->dates[D_ENTRY_FORCE].text)
		buf_addf(&text, "%s %s\n", zh ? "拟生效日期：" : "Entry into force:",
			 n->dates[D_ENTRY_FORCE].iso[0] ? n->dates[D_ENTRY_FORCE].iso : n->dates[D_ENTRY_FORCE].text);
	if (n->notification_url)
		buf_addf(&text, "%s %s\n", zh ? "通报原文：" : "Notification:", n->notification_url);
	for (size_t i = 0; i < n->document_urls.n; i++)
		buf_addf(&text, "%s %s\n", zh ? "文本：" : "Text:", n->document_urls.items[i]);
	unsubscribe_token(o->secret, who->id, token);
	buf_addf(&text, "\n%s %s/unsubscribe?s=%lld&t=%s\n", zh ? "退订：" : "Unsubscribe:", o->base_url, (long long)who->id,
		 token);
	buf_init(&html, BUF_NOMAX);
	buf_addstr(&html, "<!DOCTYPE html><html><body><pre style=\"font-family:sans-serif;white-space:pre-wrap\">");
	for (const char *p = text.s; *p; p++) {
		if (*p == '<')
			buf_addstr(&html, "&lt;");
		else if (*p == '>')
			buf_addstr(&html, "&gt;");
		else if (*p == '&')
			buf_addstr(&html, "&amp;");
		else
			buf_addch(&html, *p);
	}
	buf_addstr(&html, "</pre></body></html>");
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_init(&msg, BUF_NOMAX);
	buf_addf(&msg, "From: tbtwarn <%s>\r\nTo: <%s>\r\nDate: %s\r\nMessage-ID: %s\r\nSubject: ", o->mail_from, who->email, date,
		 message_id);
	header_utf8(&msg, subj.s);
	buf_addf(&msg, "\r\nMIME-Version: 1.0\r\nList-Unsubscribe: <%s/unsubscribe?s=%lld&t=%s>\r\n"
		       "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
		       "Content-Type: multipart/alternative; boundary=\"tbtwarn-part\"\r\n\r\n",
		 o->base_url, (long long)who->id, token);
	const struct buf *parts[2] = {&text, &html};
	const char *types[2] = {"text/plain", "text/html"};
	for (int i = 0; i < 2; i++) {
		buf_addf(&msg, "--tbtwarn-part\r\nContent-Type: %s; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
			 types[i]);
		struct buf enc;
		buf_init(&enc, BUF_NOMAX);
		b64(&enc, (const unsigned char *)parts[i]->s, parts[i]->len);
		for (size_t off = 0; off < enc.len; off += 76) {
			buf_add(&msg, enc.s + off, enc.len - off < 76 ? enc.len - off : 76);
			buf_addstr(&msg, "\r\n");
		}
		buf_release(&enc);
	}
	buf_addstr(&msg, "--tbtwarn-part--\r\n");
	buf_release(&subj);
	buf_release(&text);
	buf_release(&html);
	return buf_detach(&msg);
}

/* ---- delivery ---- */

struct delivery {
	struct archive *a;
	const struct alert_opts *o;
	struct alert_stats *st;
	FILE *report;
	int64_t id;
	int attempts;
	double created;
	char *message_id;
	int mail;
};

static void record(struct delivery *d, const char *state, double next, const char *error)
{
	sqlite3_stmt *q;
	char now[21];
	now_iso(now);
	if (sqlite3_prepare_v2(db(d->a), "UPDATE outbox SET state = ?2, attempts = attempts + 1, next_attempt = ?3, "
					 "last_error = ?4, sent_at = CASE WHEN ?2 = 'sent' THEN ?5 ELSE sent_at END WHERE id = ?1",
			       -1, &q, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(q, 1, d->id);
	sqlite3_bind_text(q, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_double(q, 3, next);
	sqlite3_bind_text(q, 4, error, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, now, -1, SQLITE_STATIC);
	sqlite3_step(q);
	sqlite3_finalize(q);
}

/* A delivery that cannot even start: recorded as failed, with the reason, and reported. */
static void fail_now(struct delivery *d, const char *why)
{
	record(d, "failed", 0, why);
	d->st->failed++;
	if (d->report)
		fprintf(d->report, "failed %s: %s\n", d->message_id, why);
}

static void on_sent(void *arg, struct fetch_result *r)
{
	struct delivery *d = arg;
	if (!r->failed) {
		record(d, "sent", 0, NULL);
		d->st->sent++;
		if (d->report)
			fprintf(d->report, "delivered %s (%s)\n", d->message_id, d->mail ? "e-mail" : "webhook");
	} else {
		/* Permanent: SMTP 5xx, HTTP 4xx except 408 and 429. Everything else is retried with backoff and jitter. */
		int permanent = d->mail ? r->status >= 500 && r->status < 600
					: r->status >= 400 && r->status < 500 && r->status != 408 && r->status != 429;
		double now = now_epoch();
		if (!permanent && now - d->created < d->o->give_up_after) {
			double delay = fmin(d->o->retry_max, d->o->retry_base * pow(2.0, d->attempts));
			delay *= 0.5 + (double)rand() / RAND_MAX;
			if (r->retry_after > delay)
				delay = r->retry_after;
			record(d, "pending", now + delay, r->error);
			d->st->retrying++;
			if (d->report)
				fprintf(d->report, "retrying %s in %.0f s: %s\n", d->message_id, delay, r->error);
		} else {
			record(d, "failed", 0, r->error);
			d->st->failed++;
			if (d->report)
				fprintf(d->report, "failed %s: %s\n", d->message_id, r->error);
		}
	}
	free(d->message_id);
	free(d);
}

/* Loopback, private, link-local and unspecified IPv4 addresses and localhost names. */
static int private_target(const char *url)
{
	const char *h = strstr(url, "://");
	if (!h)
		return 1;
	h += 3;
	if (starts_with_ci(h, "localhost") || starts_with(h, "[") || starts_with(h, "0."))
		return 1;
	char *end;
	unsigned long a = strtoul(h, &end, 10), b;
	if (end == h || *end != '.')
		return 0; /* a name, not an address */
	const char *second = end + 1;
	b = strtoul(second, &end, 10);
	if (end == second || *end != '.')
		return 0;
	return a == 127 || a == 10 || (a == 172 && b >= 16 && b <= 31) || (a == 192 && b == 168) || (a == 169 && b == 254) ||
	       a == 0;
}

int alert_deliver(struct archive *a, struct ev_loop *loop, struct fetcher *f, const struct alert_opts *o,
		  struct alert_stats *st, FILE *report, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db(a), "SELECT o.id, o.subscription_id, o.notification_id, o.message_id, o.attempts, "
				      "strftime('%s', o.created_at), s.channel, s.url, s.secret, s.subscriber_id "
				      "FROM outbox o JOIN subscriptions s ON s.id = o.subscription_id "
				      "WHERE o.state = 'pending' AND o.next_attempt <= ?1 ORDER BY o.id",
			       -1, &q, NULL) != SQLITE_OK) {
		errf(err, errlen, "%s", sqlite3_errmsg(db(a)));
		return -TBT_EDB;
	}
	sqlite3_bind_double(q, 1, now_epoch());
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct delivery *d = xcalloc(1, sizeof(*d));
		d->a = a;
		d->o = o;
		d->st = st;
		d->report = report;
		d->id = sqlite3_column_int64(q, 0);
		int64_t sub = sqlite3_column_int64(q, 1), nid = sqlite3_column_int64(q, 2);
		d->message_id = xstrdup((const char *)sqlite3_column_text(q, 3));
		d->attempts = sqlite3_column_int(q, 4);
		d->created = sqlite3_column_double(q, 5);
		const char *channel = (const char *)sqlite3_column_text(q, 6);
		const char *url = (const char *)sqlite3_column_text(q, 7);
		const char *secret = (const char *)sqlite3_column_text(q, 8);
		int64_t who_id = sqlite3_column_int64(q, 9);
		struct notif *n;
		char sub_err[ERRBUF_SIZE];
		if (store_get_by_id(archive_store(a), nid, &n, sub_err, sizeof(sub_err))) {
			fail_now(d, sub_err);
			free(d->message_id);
			free(d);
			continue;
		}
		struct fetch_req req;
		memset(&req, 0, sizeof(req));
		char *body = NULL;
		struct buf sig, h1, h2, h3;
		buf_init(&sig, 256);
		buf_init(&h1, 256);
		buf_init(&h2, 64);
		buf_init(&h3, 512);
		const char *headers[5] = {NULL};
		int start = 1;
		if (!strcmp(channel, "email")) {
			struct subscriber who;
			d->mail = 1;
			if (!o->smtp_url) {
				/* No relay configured: the row waits, nothing is lost. */
				start = 0;
			} else if (subs_get_subscriber(archive_store(a), who_id, &who, sub_err, sizeof(sub_err))) {
				fail_now(d, sub_err);
				start = 0;
			} else {
				body = render_mail(a, o, &who, d->message_id, n);
				req.url = o->smtp_url;
				req.mail_from = o->mail_from;
				req.mail_rcpt = who.email;
				req.body = body;
				req.body_len = strlen(body);
				if (fetch_start(f, &req, on_sent, d)) {
					fail_now(d, "the mail relay is not an smtp:// or smtps:// URL");
					start = 0;
				}
				subscriber_release(&who);
				start = start ? 2 : 0;
			}
		} else {
			if (!o->allow_private_targets && private_target(url)) {
				fail_now(d, "webhook target is a loopback or private address (not allowed)");
				start = 0;
			} else {
				json_t *j = alert_json(a, d->message_id, sub, n);
				body = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
				json_decref(j);
				long ts = (long)now_epoch();
				if (secret)
					webhook_signature(secret, d->message_id, ts, body, &sig);
				buf_addf(&h1, "webhook-id: %s", d->message_id);
				buf_addf(&h2, "webhook-timestamp: %ld", ts);
				buf_addf(&h3, "webhook-signature: %s", sig.s);
				headers[0] = "Content-Type: application/json";
				headers[1] = h1.s;
				headers[2] = h2.s;
				headers[3] = secret ? h3.s : NULL;
				req.url = url;
				req.headers = headers;
				req.body = body;
				req.body_len = strlen(body);
				if (fetch_start(f, &req, on_sent, d)) {
					fail_now(d, "webhook URL is not http or https");
					start = 0;
				} else {
					start = 2;
				}
			}
		}
		if (start != 2) {
			free(d->message_id);
			free(d);
		}
		free(body);
		buf_release(&sig);
		buf_release(&h1);
		buf_release(&h2);
		buf_release(&h3);
		notif_free(n);
	}
	sqlite3_finalize(q);
	ev_run(loop, 0);
	return 0;
}

json_t *alert_outbox_json(struct archive *a)
{
	sqlite3_stmt *q;
	json_t *arr = json_array();
	if (sqlite3_prepare_v2(db(a), "SELECT id, subscription_id, symbol, message_id, state, attempts, next_attempt, last_error, "
				      "sent_at FROM outbox ORDER BY id",
			       -1, &q, NULL) != SQLITE_OK)
		return arr;
	while (sqlite3_step(q) == SQLITE_ROW) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(sqlite3_column_int64(q, 0)));
		json_object_set_new(o, "subscription", json_integer(sqlite3_column_int64(q, 1)));
		json_object_set_new(o, "symbol", json_string((const char *)sqlite3_column_text(q, 2)));
		json_object_set_new(o, "message_id", json_string((const char *)sqlite3_column_text(q, 3)));
		const char *state = (const char *)sqlite3_column_text(q, 4);
		int attempts = sqlite3_column_int(q, 5);
		/* A pending row that has been tried is retrying. */
		json_object_set_new(o, "state", json_string(!strcmp(state, "pending") && attempts ? "retrying" : state));
		json_object_set_new(o, "attempts", json_integer(attempts));
		json_object_set_new(o, "next_attempt", json_real(sqlite3_column_double(q, 6)));
		const unsigned char *e = sqlite3_column_text(q, 7), *s = sqlite3_column_text(q, 8);
		json_object_set_new(o, "last_error", e ? json_string((const char *)e) : json_null());
		json_object_set_new(o, "sent_at", s ? json_string((const char *)s) : json_null());
		json_array_append_new(arr, o);
	}
	sqlite3_finalize(q);
	return arr;
}

int alert_outbox_retry(struct archive *a, int64_t id, char *err, size_t errlen)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db(a), "UPDATE outbox SET state = 'pending', next_attempt = 0 WHERE id = ?1 AND state <> 'sent'",
			       -1, &q, NULL) != SQLITE_OK) {
		errf(err, errlen, "%s", sqlite3_errmsg(db(a)));
		return -TBT_EDB;
	}
	sqlite3_bind_int64(q, 1, id);
	sqlite3_step(q);
	sqlite3_finalize(q);
	if (!sqlite3_changes(db(a))) {
		errf(err, errlen, "no undelivered outbox row %lld", (long long)id);
		return -ENOENT;
	}
	return 0;
}
