/* feeds.c: Atom feeds (RFC 4287) of the newest notifications of a query, a category or a market, and iCalendar
 * (RFC 5545) calendars of comment deadlines and entry-into-force dates. */
#include "http.h"

#include "norm.h"
#include "subs.h"
#include "text.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The filters of a feed or calendar as a query: category, member, type, risk parameters (validated like the API's). */
static int filter_query(struct req *r, struct buf *q, enum MHD_Result *answered)
{
	static const char *const fields[] = {"category", "member", "type", "risk", "hs", "ics", "kind"};
	const char *text = req_param(r, "q");
	if (text) {
		if (strlen(text) > 1000 || !utf8_valid(text, strlen(text), NULL)) {
			*answered = respond_error(r, 400, "bad_parameter", "q: at most 1000 bytes of UTF-8");
			return -1;
		}
		buf_addstr(q, text);
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct strv v;
		strv_init(&v);
		req_params(r, fields[i], &v);
		for (size_t k = 0; k < v.n; k++) {
			const char *x = v.items[k];
			int ok = strlen(x) <= 100 && utf8_valid(x, strlen(x), NULL);
			for (const unsigned char *p = (const unsigned char *)x; ok && *p; p++)
				ok = *p >= 0x80 || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				     strchr("._-", *p);
			if (!ok) {
				*answered = respond_error(r, 400, "bad_parameter", "%s: '%s' is not a value this filter takes", fields[i], x);
				strv_release(&v);
				return -1;
			}
			buf_addf(q, " %s:%s", fields[i], x);
		}
		strv_release(&v);
	}
	return 0;
}

static const char *base_url(struct req *r)
{
	return r->w->ao->base_url;
}

/* The tag URI authority: the host of the base URL. */
static void authority(struct req *r, char *out, size_t outlen)
{
	const char *b = base_url(r), *h = strstr(b, "://");
	h = h ? h + 3 : b;
	size_t n = strcspn(h, ":/");
	snprintf(out, outlen, "%.*s", (int)(n ? n : 9), n ? h : "localhost");
}

static void xml_text(struct buf *o, const char *s)
{
	/* XML 1.0 forbids most control characters even escaped: they are dropped. */
	struct buf t;
	buf_init(&t, BUF_NOMAX);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
		if (*p >= 0x20 || *p == '\n' || *p == '\t')
			buf_addch(&t, (char)*p);
	buf_add_html(o, t.s ? t.s : "");
	buf_release(&t);
}

static enum MHD_Result atom(struct req *r, const char *query, const char *title, const char *self)
{
	struct search_opts so = {0, 50, 1, 0};
	json_t *res;
	char err[ERRBUF_SIZE], auth[128], now[21];
	int rc = archive_search(r->w->a, query, &so, &res, err, sizeof(err));
	if (rc)
		return respond_error(r, rc == -EINVAL ? 400 : 500, rc == -EINVAL ? "bad_query" : "search_failed", "%s", err);
	authority(r, auth, sizeof(auth));
	now_iso(now);
	struct buf o;
	buf_init(&o, BUF_NOMAX);
	buf_addstr(&o, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"zh-CN\">\n");
	buf_addstr(&o, "<title>");
	xml_text(&o, title);
	buf_addf(&o, "</title>\n<id>tag:%s,2025:feed:", auth);
	xml_text(&o, self);
	buf_addstr(&o, "</id>\n<link rel=\"self\" href=\"");
	xml_text(&o, base_url(r));
	xml_text(&o, self);
	buf_addstr(&o, "\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"");
	xml_text(&o, base_url(r));
	buf_addstr(&o, "/\"/>\n<author><name>tbtwarn</name></author>\n<generator>tbtwarn</generator>\n");
	/* The feed was last updated when its newest entry was distributed (or now, when it is empty). */
	json_t *hits = json_object_get(res, "hits");
	const char *newest = json_array_size(hits) ? json_string_value(json_object_get(json_array_get(hits, 0), "distributed")) : NULL;
	if (newest)
		buf_addf(&o, "<updated>%sT00:00:00Z</updated>\n", newest);
	else
		buf_addf(&o, "<updated>%s</updated>\n", now);
	size_t i;
	json_t *h;
	json_array_foreach(hits, i, h)
	{
		const char *sym = json_string_value(json_object_get(h, "symbol"));
		const char *t = json_string_value(json_object_get(h, "title"));
		const char *tz = json_string_value(json_object_get(h, "title_zh"));
		const char *member = json_string_value(json_object_get(h, "member_name"));
		const char *dist = json_string_value(json_object_get(h, "distributed"));
		const char *dl = json_string_value(json_object_get(h, "comment_deadline"));
		const char *risk = json_string_value(json_object_get(h, "risk"));
		buf_addstr(&o, "<entry>\n<id>tag:");
		buf_addf(&o, "%s,2025:notification:", auth);
		xml_text(&o, sym);
		buf_addstr(&o, "</id>\n<title>");
		xml_text(&o, sym);
		buf_addstr(&o, " · ");
		xml_text(&o, member ? member : json_string_value(json_object_get(h, "member")));
		buf_addstr(&o, " · ");
		xml_text(&o, tz && *tz ? tz : t);
		buf_addstr(&o, "</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"");
		xml_text(&o, base_url(r));
		buf_addstr(&o, "/n/");
		xml_text(&o, sym);
		buf_addf(&o, "\"/>\n<updated>%sT00:00:00Z</updated>\n<published>%sT00:00:00Z</published>\n",
			 dist ? dist : "2000-01-01", dist ? dist : "2000-01-01");
		size_t k;
		json_t *c;
		json_array_foreach(json_object_get(h, "categories"), k, c)
		{
			buf_addstr(&o, "<category term=\"");
			xml_text(&o, json_string_value(c));
			buf_addstr(&o, "\"/>\n");
		}
		/* Chinese first: the digest, then the original title. */
		const char *sz = json_string_value(json_object_get(h, "summary_zh"));
		buf_addstr(&o, "<summary type=\"text\">");
		if (sz) {
			xml_text(&o, sz);
			buf_addstr(&o, " — ");
		}
		xml_text(&o, t);
		if (dl) {
			buf_addstr(&o, " — 评议截止 / comments until ");
			xml_text(&o, dl);
		}
		if (risk) {
			buf_addstr(&o, " — 风险 / risk: ");
			xml_text(&o, risk);
		}
		buf_addstr(&o, "</summary>\n</entry>\n");
	}
	buf_addstr(&o, "</feed>\n");
	json_decref(res);
	const char *hd[] = {"Cache-Control", "max-age=300", NULL};
	enum MHD_Result out = respond(r, 200, "application/atom+xml; charset=utf-8", o.s, o.len, hd);
	buf_release(&o);
	return out;
}

/* ---- iCalendar ---- */

/* Appends a content line folded at 75 octets (never inside a UTF-8 sequence), CRLF-terminated. */
static void ics_line(struct buf *o, const char *line)
{
	size_t n = strlen(line), col = 0;
	for (size_t i = 0; i < n;) {
		size_t len = 1;
		unsigned char c = (unsigned char)line[i];
		if (c >= 0xF0)
			len = 4;
		else if (c >= 0xE0)
			len = 3;
		else if (c >= 0xC0)
			len = 2;
		if (col + len > 75) {
			buf_addstr(o, "\r\n ");
			col = 1;
		}
		buf_add(o, line + i, len);
		col += len;
		i += len;
	}
	buf_addstr(o, "\r\n");
}

/* TEXT value escaping: backslash, semicolon, comma, newline. */
static void ics_text(struct buf *o, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == ';' || *s == ',')
			buf_addch(o, '\\');
		if (*s == '\n') {
			buf_addstr(o, "\\n");
			continue;
		}
		if ((unsigned char)*s < 0x20)
			continue;
		buf_addch(o, *s);
	}
}

static void ics_event(struct buf *o, const char *uid, const char *date, const char *summary, const char *desc,
		      const char *url, const char *stamp)
{
	struct buf l;
	char compact[9], next[11], compact_next[9];
	snprintf(compact, sizeof(compact), "%.4s%.2s%.2s", date, date + 5, date + 8);
	iso_add_days(date, 1, next);
	snprintf(compact_next, sizeof(compact_next), "%.4s%.2s%.2s", next, next + 5, next + 8);
	buf_init(&l, BUF_NOMAX);
	ics_line(o, "BEGIN:VEVENT");
	buf_addstr(&l, "UID:");
	ics_text(&l, uid);
	ics_line(o, l.s);
	buf_reset(&l);
	buf_addf(&l, "DTSTAMP:%s", stamp);
	ics_line(o, l.s);
	buf_reset(&l);
	buf_addf(&l, "DTSTART;VALUE=DATE:%s", compact);
	ics_line(o, l.s);
	buf_reset(&l);
	buf_addf(&l, "DTEND;VALUE=DATE:%s", compact_next);
	ics_line(o, l.s);
	buf_reset(&l);
	buf_addstr(&l, "SUMMARY:");
	ics_text(&l, summary);
	ics_line(o, l.s);
	buf_reset(&l);
	buf_addstr(&l, "DESCRIPTION:");
	ics_text(&l, desc);
	ics_line(o, l.s);
	buf_reset(&l);
	buf_addf(&l, "URL:%s", url);
	ics_line(o, l.s);
	ics_line(o, "TRANSP:TRANSPARENT");
	ics_line(o, "END:VEVENT");
	buf_release(&l);
}

static enum MHD_Result calendar(struct req *r)
{
	struct buf q, o;
	enum MHD_Result answered;
	char err[ERRBUF_SIZE], auth[128], stamp[17], today[11], from[11];
	buf_init(&q, 4096);
	const char *sub = req_param(r, "subscription");
	if (sub) {
		/* A subscription's calendar: its filter, for its owner (the manage token). */
		long sid;
		int64_t who;
		if (parse_long(sub, 1, LONG_MAX, &sid)) {
			buf_release(&q);
			return respond_error(r, 400, "bad_parameter", "subscription: '%s' is not an id", sub);
		}
		if (!req_subscriber(r, "manage", &who)) {
			buf_release(&q);
			return respond_error(r, 403, "bad_token", "a subscription's calendar needs its manage link's s and t");
		}
		struct subscription x;
		if (subs_get_subscription(archive_store(r->w->a), sid, &x, err, sizeof(err)) || x.subscriber_id != who) {
			subscription_release(&x); /* zeroed when it was not found */
			buf_release(&q);
			return respond_error(r, 404, "not_found", "subscription %ld is not one of yours", sid);
		}
		sub_filter_query(&x.filter, &q);
		subscription_release(&x);
	} else if (filter_query(r, &q, &answered)) {
		buf_release(&q);
		return answered;
	}
	/* Dates from a month ago on: what is still ahead, and what just passed. */
	today_iso(today);
	iso_add_days(today, -31, from);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	authority(r, auth, sizeof(auth));
	struct buf dq;
	buf_init(&dq, 4096);
	buf_addf(&dq, "%s deadline:%s..", q.s ? q.s : "", from);
	json_t *res;
	struct search_opts so = {0, 1000, 1, 0};
	int rc = archive_search(r->w->a, dq.s, &so, &res, err, sizeof(err));
	buf_release(&dq);
	buf_release(&q);
	if (rc)
		return respond_error(r, rc == -EINVAL ? 400 : 500, rc == -EINVAL ? "bad_query" : "search_failed", "%s", err);
	buf_init(&o, BUF_NOMAX);
	ics_line(&o, "BEGIN:VCALENDAR");
	ics_line(&o, "VERSION:2.0");
	ics_line(&o, "PRODID:-//tbtwarn//TBT SPS deadlines//ZH");
	ics_line(&o, "CALSCALE:GREGORIAN");
	ics_line(&o, "METHOD:PUBLISH");
	ics_line(&o, "X-WR-CALNAME:TBT/SPS 评议截止与生效日期");
	size_t i;
	json_t *h;
	struct strv seen;
	strv_init(&seen);
	json_array_foreach(json_object_get(res, "hits"), i, h)
	{
		/* One event per measure (its base, its addenda and corrigenda share it), at its current dates, named by
		 * the base with the member's name and the products. */
		const char *hit = json_string_value(json_object_get(h, "symbol"));
		struct symbol_parts sp;
		if (!hit || symbol_parse(hit, &sp) || strv_contains(&seen, sp.root))
			continue;
		strv_push(&seen, sp.root);
		json_t *full;
		if (archive_show(r->w->a, sp.root, &full, err, sizeof(err)) && archive_show(r->w->a, hit, &full, err, sizeof(err)))
			continue;
		const char *sym = json_string_value(json_object_get(full, "symbol"));
		json_t *en = json_object_get(json_object_get(full, "text"), "en"), *zh = json_object_get(json_object_get(full, "text"), "zh");
		const char *title = json_string_value(json_object_get(en, "title"));
		const char *tz = json_string_value(json_object_get(zh, "title"));
		const char *prod = json_string_value(json_object_get(zh, "products"));
		if (!prod)
			prod = json_string_value(json_object_get(en, "products"));
		const char *mname = json_string_value(json_object_get(zh, "member_name"));
		if (!mname)
			mname = json_string_value(json_object_get(en, "member_name"));
		json_t *eff = json_object_get(full, "effective_dates");
		const char *dl = json_string_value(json_object_get(json_object_get(eff, "comment_deadline"), "date"));
		const char *eif = json_string_value(json_object_get(json_object_get(eff, "entry_into_force"), "date"));
		if (json_object_get(eff, "withdrawn") && !json_is_null(json_object_get(eff, "withdrawn")))
			dl = NULL;
		struct buf uid, sum, desc, url;
		buf_init(&uid, 256);
		buf_init(&sum, 512);
		buf_init(&desc, 1024);
		buf_init(&url, 512);
		buf_addf(&url, "%s/n/%s", base_url(r), sym);
		buf_addf(&desc, "%s\n%s", tz && *tz ? tz : "", title ? title : "");
		if (prod && *prod) {
			buf_addstr(&desc, "\n涉及产品 Products: ");
			size_t cut = text_fit(prod, 300);
			buf_add(&desc, prod, cut);
		}
		if (dl && strlen(dl) == 10) {
			buf_addf(&uid, "deadline-%s-%s@%s", sym, dl, auth);
			buf_addf(&sum, "评议截止 Comments close: %s %s (%s)", mname ? mname : "", sym,
				 json_string_value(json_object_get(full, "member")));
			ics_event(&o, uid.s, dl, sum.s, desc.s, url.s, stamp);
		}
		if (eif && strlen(eif) == 10) {
			buf_reset(&uid);
			buf_reset(&sum);
			buf_addf(&uid, "force-%s-%s@%s", sym, eif, auth);
			buf_addf(&sum, "生效 Entry into force: %s %s (%s)", mname ? mname : "", sym,
				 json_string_value(json_object_get(full, "member")));
			ics_event(&o, uid.s, eif, sum.s, desc.s, url.s, stamp);
		}
		json_decref(full);
		buf_release(&uid);
		buf_release(&sum);
		buf_release(&desc);
		buf_release(&url);
	}
	strv_release(&seen);
	ics_line(&o, "END:VCALENDAR");
	json_decref(res);
	const char *hd[] = {"Cache-Control", "max-age=300", "Content-Disposition", "inline; filename=\"tbtwarn.ics\"", NULL};
	enum MHD_Result out = respond(r, 200, "text/calendar; charset=utf-8", o.s, o.len, hd);
	buf_release(&o);
	return out;
}

int feeds_handle(struct req *r)
{
	const char *p = r->path;
	if (strcmp(r->method, "GET") && !r->head)
		return -1;
	if (!strcmp(p, "/feeds/notifications.atom")) {
		struct buf q;
		enum MHD_Result answered;
		buf_init(&q, 4096);
		if (filter_query(r, &q, &answered)) {
			buf_release(&q);
			return answered;
		}
		enum MHD_Result rc = atom(r, q.s ? q.s : "", "tbtwarn: TBT/SPS 通报 notifications", p);
		buf_release(&q);
		return rc;
	}
	const char *kinds[] = {"/feeds/category/", "/feeds/member/"};
	for (int k = 0; k < 2; k++) {
		if (!starts_with(p, kinds[k]) || strlen(p) < 5 || strcmp(p + strlen(p) - 5, ".atom"))
			continue;
		const char *v = p + strlen(kinds[k]);
		size_t n = strlen(v) - 5;
		char val[64], q[128], title[160];
		if (!n || n >= sizeof(val))
			return respond_error(r, 404, "not_found", "no such feed");
		memcpy(val, v, n);
		val[n] = '\0';
		for (char *c = val; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
				return respond_error(r, 404, "not_found", "no such feed");
		if (!k && !catalog_find(catalog_default(), val))
			return respond_error(r, 404, "not_found", "no category '%s' (see /api/categories)", val);
		snprintf(q, sizeof(q), "%s:%s", k ? "member" : "category", val);
		snprintf(title, sizeof(title), "tbtwarn: %s %s", k ? "market" : "category", val);
		return atom(r, q, title, p);
	}
	if (!strcmp(p, "/calendar/deadlines.ics"))
		return calendar(r);
	return -1;
}
