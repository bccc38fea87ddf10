/* pages.c: the pages behind the links in messages: confirm (double opt-in) and unsubscribe (RFC 8058). A GET shows
 * a page with a button and changes nothing (mail scanners open links); a POST acts. */
#include "http.h"

#include "subs.h"

#include <stdlib.h>
#include <limits.h>
#include <string.h>

static void page_open(struct buf *o, const char *lang, const char *title)
{
	buf_addf(o, "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>",
		 !strcmp(lang, "en") ? "en" : "zh-CN");
	buf_add_html(o, title);
	buf_addstr(o, "</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main class=\"narrow\"><h1>");
	buf_add_html(o, title);
	buf_addstr(o, "</h1>");
}

static enum MHD_Result page_close(struct req *r, unsigned status, struct buf *o)
{
	buf_addstr(o, "<p><a href=\"/\">tbtwarn</a></p></main></body></html>");
	const char *hd[] = {"Cache-Control", "no-store", NULL};
	enum MHD_Result rc = respond(r, status, "text/html; charset=utf-8", o->s, o->len, hd);
	buf_release(o);
	return rc;
}

static void hidden(struct buf *o, const char *name, const char *value)
{
	buf_addf(o, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	buf_add_html(o, value);
	buf_addstr(o, "\">");
}

/* purpose is "confirm" or "unsubscribe". */
static enum MHD_Result link_page(struct req *r, const char *purpose)
{
	struct store *st = archive_store(r->w->a);
	const char *s = req_param(r, "s"), *t = req_param(r, "t");
	int64_t id = 0;
	struct subscriber who;
	char err[ERRBUF_SIZE];
	int valid = req_subscriber(r, purpose, &id);
	int found = valid && !subs_get_subscriber(st, id, &who, err, sizeof(err));
	const char *lang = found && who.lang ? who.lang : r->lang;
	int en = !strcmp(lang, "en"), confirm = !strcmp(purpose, "confirm");
	struct buf o;
	buf_init(&o, BUF_NOMAX);
	if (!found) {
		page_open(&o, lang, en ? "This link is not valid" : "链接无效");
		buf_addstr(&o, en ? "<p>The link may have been cut or altered. Copy the whole link from the message.</p>"
				  : "<p>链接可能不完整或被修改。请从邮件中复制完整的链接。</p>");
		return page_close(r, 403, &o);
	}
	if (!strcmp(r->method, "POST")) {
		if (r->w->o.read_only) {
			subscriber_release(&who);
			page_open(&o, lang, en ? "Not available here" : "此处不可用");
			return page_close(r, 503, &o);
		}
		/* The page's own button carries a CSRF token; a mail provider's RFC 8058 one-click POST carries
		 * List-Unsubscribe=One-Click instead, and the link's own token is proof enough for it. */
		const char *one_click = req_param(r, "List-Unsubscribe");
		const char *why = confirm || !one_click || strcmp(one_click, "One-Click") ? guard_csrf_check(r) : NULL;
		if (why) {
			subscriber_release(&who);
			r->w->csrf_refused++;
			page_open(&o, lang, en ? "Please try again" : "请重试");
			buf_addstr(&o, "<p>");
			buf_add_html(&o, why);
			buf_addstr(&o, "</p>");
			return page_close(r, 403, &o);
		}
		int rc = confirm ? subs_confirm(st, id, err, sizeof(err)) : subs_unsubscribe(st, id, err, sizeof(err));
		if (rc) {
			subscriber_release(&who);
			page_open(&o, lang, en ? "Something went wrong" : "出错了");
			buf_addstr(&o, "<p>");
			buf_add_html(&o, err);
			buf_addstr(&o, "</p>");
			return page_close(r, 500, &o);
		}
		char mt[SUBS_TOKEN_LEN + 1];
		subs_token(r->w->ao->secret, "manage", id, mt);
		if (confirm) {
			page_open(&o, lang, en ? "Subscription confirmed" : "订阅已确认");
			buf_addstr(&o, en ? "<p>Thank you. Alerts will now reach " : "<p>谢谢！预警将发送至 ");
			buf_add_html(&o, who.email);
			buf_addstr(&o, en ? ".</p>" : "。</p>");
		} else {
			page_open(&o, lang, en ? "Unsubscribed" : "已退订");
			buf_addstr(&o, en ? "<p>Nothing more will be sent to " : "<p>我们将不再向 ");
			buf_add_html(&o, who.email);
			buf_addstr(&o, en ? ".</p>" : " 发送任何邮件。</p>");
		}
		buf_addf(&o, "<p><a class=\"button\" href=\"/manage?s=%lld&amp;t=%s&amp;lang=%s\">%s</a></p>", (long long)id, mt,
			 en ? "en" : "zh",
			 en ? "Manage subscriptions" : "管理订阅");
		subscriber_release(&who);
		return page_close(r, 200, &o);
	}
	/* GET: a page with the button; nothing changes until it is pressed. */
	if (confirm) {
		page_open(&o, lang, en ? "Confirm your subscription" : "确认订阅");
		buf_addstr(&o, en ? "<p>Press the button to receive tbtwarn's alerts at " : "<p>请点击下面的按钮，确认用以下邮箱接收 tbtwarn 预警：");
	} else {
		page_open(&o, lang, en ? "Unsubscribe" : "退订");
		buf_addstr(&o, en ? "<p>Press the button to stop every message to " : "<p>点击下面的按钮，停止向以下邮箱发送任何邮件：");
	}
	buf_add_html(&o, who.email);
	buf_addf(&o, "</p><form method=\"post\" action=\"/%s\">", purpose);
	hidden(&o, "s", s);
	hidden(&o, "t", t);
	char csrf[GUARD_CSRF_LEN];
	guard_csrf_token(r, csrf);
	hidden(&o, "csrf", csrf);
	buf_addf(&o, "<button type=\"submit\">%s</button></form>",
		 confirm ? (en ? "Confirm" : "确认订阅") : (en ? "Unsubscribe" : "确认退订"));
	subscriber_release(&who);
	return page_close(r, 200, &o);
}

int pages_handle(struct req *r)
{
	int get = !strcmp(r->method, "GET") || r->head, post = !strcmp(r->method, "POST");
	if (!strcmp(r->path, "/confirm") && (get || post))
		return link_page(r, "confirm");
	if (!strcmp(r->path, "/unsubscribe") && (get || post))
		return link_page(r, "unsubscribe");
	return -1;
}
