/* render.c: one description of an alert (a list of labelled fields per notification) written out as e-mail text and
 * HTML, robot markdown and Feishu rich text; the webhook JSON; and the three signing schemes. */
#include "render.h"

#include "summary.h"

#include "buf.h"
#include "text.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- small pieces ---- */

static void b64(struct buf *out, const unsigned char *data, size_t len)
{
	unsigned char tmp[4 * 1024 + 8];
	for (size_t off = 0; off < len; off += 3 * 1024) {
		size_t n = len - off < 3 * 1024 ? len - off : 3 * 1024;
		int w = EVP_EncodeBlock(tmp, data + off, (int)n);
		buf_add(out, tmp, (size_t)w);
	}
}

static void hmac_b64(const void *key, size_t keylen, const char *msg, size_t msglen, struct buf *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, msglen, mac, &maclen);
	b64(out, mac, maclen);
}

void sign_standard_webhook(const char *secret, const char *id, long ts, const char *body, struct buf *out)
{
	unsigned char key[256];
	const char *k = starts_with(secret, "whsec_") ? secret + 6 : secret;
	size_t kl = strlen(k);
	int klen = kl <= 340 ? EVP_DecodeBlock(key, (const unsigned char *)k, (int)kl) : -1;
	/* EVP_DecodeBlock counts the padding as data: take it off. */
	if (klen > 0 && k[kl - 1] == '=')
		klen--;
	if (klen > 0 && kl > 1 && k[kl - 2] == '=')
		klen--;
	struct buf msg;
	buf_init(&msg, BUF_NOMAX);
	buf_addf(&msg, "%s.%ld.%s", id, ts, body);
	buf_addstr(out, "v1,");
	hmac_b64(key, klen > 0 ? (size_t)klen : 0, msg.s, msg.len, out);
	buf_release(&msg);
}

static void url_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-_.~", *p)) {
			buf_addch(out, (char)*p);
		} else {
			buf_addch(out, '%');
			buf_addch(out, hex[*p >> 4]);
			buf_addch(out, hex[*p & 15]);
		}
	}
}

void sign_dingtalk(const char *secret, long long ts_ms, struct buf *out)
{
	struct buf msg, sig;
	buf_init(&msg, BUF_NOMAX);
	buf_init(&sig, BUF_NOMAX);
	buf_addf(&msg, "%lld\n%s", ts_ms, secret);
	hmac_b64(secret, strlen(secret), msg.s, msg.len, &sig);
	url_encode(out, sig.s);
	buf_release(&msg);
	buf_release(&sig);
}

void sign_feishu(const char *secret, long ts, struct buf *out)
{
	struct buf key;
	buf_init(&key, BUF_NOMAX);
	buf_addf(&key, "%ld\n%s", ts, secret);
	hmac_b64(key.s, key.len, "", 0, out);
	buf_release(&key);
}

/* Appends at most max bytes of s, cut on a character boundary, with newlines as spaces and "…" when cut. */
static void add_clipped(struct buf *out, const char *s, size_t max)
{
	size_t n = strlen(s), take = n;
	if (n > max) {
		take = max;
		while (take && ((unsigned char)s[take] & 0xC0) == 0x80)
			take--;
	}
	for (size_t i = 0; i < take; i++)
		buf_addch(out, s[i] == '\n' || s[i] == '\r' || s[i] == '\t' ? ' ' : s[i]);
	if (take < n)
		buf_addstr(out, "…");
}

/* Text from a source in a robot's markdown: on one line, clipped, and with the characters that make links, emphasis,
 * code or HTML in WeCom's, DingTalk's and Feishu's markdown replaced by their full-width forms (the robots document no
 * escape that all three honour), so that a title cannot forge a "查看详情" link or a line of its own. */
static void add_md(struct buf *out, const char *s, size_t max)
{
	static const char *const wide[][2] = {{"[", "［"}, {"]", "］"}, {"(", "（"}, {")", "）"}, {"<", "＜"}, {">", "＞"},
					      {"`", "｀"}, {"*", "＊"}, {"_", "＿"}, {"\\", "＼"}, {"~", "～"}, {"#", "＃"},
					      {"|", "｜"}, {"!", "！"}};
	struct buf one;
	buf_init(&one, BUF_NOMAX);
	add_clipped(&one, s, max);
	for (const char *p = one.s ? one.s : ""; *p; p++) {
		size_t k = 0;
		while (k < sizeof(wide) / sizeof(wide[0]) && *p != wide[k][0][0])
			k++;
		if (k < sizeof(wide) / sizeof(wide[0]))
			buf_addstr(out, wide[k][1]);
		else
			buf_addch(out, *p);
	}
	buf_release(&one);
}

static const char *risk_zh(const char *level)
{
	return !strcmp(level, "high") ? "高" : !strcmp(level, "medium") ? "中" : "低";
}

static int is_zh(const struct subscriber *who)
{
	return !who || !who->lang || strcmp(who->lang, "en");
}

static const char *member_display(const struct notif *n, int zh)
{
	if (zh && n->text[LANG_ZH].member_name)
		return n->text[LANG_ZH].member_name;
	return n->text[LANG_EN].member_name ? n->text[LANG_EN].member_name : n->member;
}

static const char *first_category(const struct alert_item *it, int zh)
{
	if (!it->cats.n)
		return zh ? "其他产品" : "other products";
	return zh ? it->cats.m[0].cat->name_zh : it->cats.m[0].cat->name_en;
}

/* "2025-05-13（还剩 12 天）" or "2025-05-13 (12 days left)"; closed and far dates say so. */
static void add_date_left(struct buf *out, const char *iso, const char *today, int zh)
{
	long left = iso_days_between(today, iso);
	buf_addstr(out, iso);
	if (left > 0)
		buf_addf(out, zh ? "（还剩 %ld 天）" : " (%ld days left)", left);
	else if (left == 0)
		buf_addstr(out, zh ? "（今天）" : " (today)");
	else
		buf_addstr(out, zh ? "（已过）" : " (passed)");
}

/* ---- the fields of one item ---- */

struct field {
	const char *label;
	char *value;
	int link; /* the value is a URL */
};

struct fields {
	struct field f[40];
	size_t n;
};

static void put(struct fields *fs, const char *label, char *value, int link)
{
	if (!value || fs->n == sizeof(fs->f) / sizeof(fs->f[0])) {
		free(value);
		return;
	}
	fs->f[fs->n++] = (struct field){label, value, link};
}

/* The item's offline Chinese digest (summary.h). Caller frees. */
static char *item_summary(const struct message *m, const struct alert_item *it)
{
	struct strv names;
	struct buf b;
	strv_init(&names);
	for (size_t i = 0; i < it->cats.n; i++)
		strv_push(&names, it->cats.m[i].cat->name_zh);
	buf_init(&b, BUF_NOMAX);
	summary_zh(it->n, &names, m->today, &b);
	strv_release(&names);
	return buf_detach(&b);
}

/* The signed link of "这项措施影响我们吗？": the firm's report on this notification (web /impact), or NULL when the
 * message has no subscriber to sign for. Caller frees. */
static char *impact_url(const struct message *m, const struct notif *n)
{
	if (!m->who || m->who->id <= 0 || !m->secret || !m->base_url)
		return NULL;
	char tok[SUBS_TOKEN_LEN + 1];
	struct buf b;
	subs_impact_token(m->secret, m->who->id, n->symbol, tok);
	buf_init(&b, BUF_NOMAX);
	buf_addf(&b, "%s/impact?s=%lld&n=%s&t=%s", m->base_url, (long long)m->who->id, n->symbol, tok);
	return buf_detach(&b);
}

static void item_fields(const struct message *m, const struct alert_item *it, struct fields *fs)
{
	int zh = is_zh(m->who);
	const struct notif *n = it->n;
	struct buf b;
	fs->n = 0;
	put(fs, zh ? "通报号" : "Symbol", xstrdup(n->symbol), 0);
	if (zh)
		put(fs, "摘要", item_summary(m, it), 0);
	const char *change = zh ? it->change_zh : it->change_en;
	if (change && *change)
		put(fs, zh ? "变更" : "What changed", xstrdup(change), 0);
	buf_init(&b, BUF_NOMAX);
	buf_addf(&b, "%s (%s)", member_display(n, zh), n->member);
	put(fs, zh ? "通报成员" : "Market", buf_detach(&b), 0);
	if (zh && n->text[LANG_ZH].title)
		put(fs, it->machine_zh & 1 ? "标题（机器翻译）" : "标题", xstrdup(n->text[LANG_ZH].title), 0);
	if (n->text[LANG_EN].title)
		put(fs, zh ? "标题（原文）" : "Title", xstrdup(n->text[LANG_EN].title), 0);
	const char *products = zh && n->text[LANG_ZH].products ? n->text[LANG_ZH].products : n->text[LANG_EN].products;
	if (products) {
		buf_init(&b, BUF_NOMAX);
		add_clipped(&b, products, 600);
		put(fs, zh ? (n->text[LANG_ZH].products && it->machine_zh & 4 ? "涉及产品（机器翻译）" : "涉及产品")
			   : "Products covered",
		    buf_detach(&b), 0);
	}
	if (it->cats.n) {
		struct buf why;
		buf_init(&b, BUF_NOMAX);
		buf_init(&why, BUF_NOMAX);
		for (size_t i = 0; i < it->cats.n; i++) {
			buf_addf(&b, "%s%s / %s", i ? "；" : "", it->cats.m[i].cat->name_zh, it->cats.m[i].cat->name_en);
			char ev[800];
			if (zh)
				evidence_zh(it->cats.m[i].evidence, ev, sizeof(ev));
			buf_addf(&why, "%s%s%s%s", i ? "；" : "", zh ? it->cats.m[i].cat->name_zh : it->cats.m[i].cat->name_en,
				 zh ? "：" : ": ", zh ? ev : it->cats.m[i].evidence);
		}
		put(fs, zh ? "产品类别" : "Categories", buf_detach(&b), 0);
		put(fs, zh ? "匹配依据" : "Why it matched", buf_detach(&why), 0);
	}
	buf_init(&b, BUF_NOMAX);
	if (zh)
		buf_addf(&b, "%s（%s）", risk_zh(it->risk.level), it->risk.level);
	else
		buf_addstr(&b, it->risk.level);
	if (it->risk.reasons[0])
		buf_addf(&b, " — %s", zh ? it->risk.reasons_zh : it->risk.reasons);
	put(fs, zh ? "风险等级" : "Risk", buf_detach(&b), 0);
	buf_init(&b, BUF_NOMAX);
	if (it->deadline[0])
		add_date_left(&b, it->deadline, m->today, zh);
	else
		buf_addstr(&b, zh ? "未规定" : "not given");
	put(fs, zh ? "评议截止" : "Comments until", buf_detach(&b), 0);
	static const enum notif_date more[] = {D_ADOPTION, D_ENTRY_FORCE};
	for (int i = 0; i < 2; i++) {
		const struct notif_datev *d = &n->dates[more[i]];
		if (!d->iso[0] && !d->text)
			continue;
		buf_init(&b, BUF_NOMAX);
		if (d->iso[0])
			add_date_left(&b, d->iso, m->today, zh);
		else {
			char pz[128];
			const char *t = zh ? (d->text_zh ? d->text_zh : date_prose_zh(d->text, pz, sizeof(pz))) : NULL;
			buf_addstr(&b, t ? t : d->text);
		}
		put(fs, more[i] == D_ADOPTION ? (zh ? "拟批准" : "Proposed adoption") : (zh ? "拟生效" : "Entry into force"),
		    buf_detach(&b), 0);
	}
	buf_init(&b, BUF_NOMAX);
	buf_addf(&b, "%s/n/%s", m->base_url, n->symbol);
	put(fs, zh ? "详情" : "Details", buf_detach(&b), 1);
	char *imp = impact_url(m, n);
	if (imp)
		put(fs, zh ? "这项措施影响我们吗？" : "Does this affect you?", imp, 1);
	if (n->notification_url)
		put(fs, zh ? "通报原文" : "Notification", xstrdup(n->notification_url), 1);
	for (size_t i = 0; i < n->document_urls.n && i < 5; i++)
		put(fs, zh ? "法规文本" : "Text", xstrdup(n->document_urls.items[i]), 1);
}

static void fields_release(struct fields *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->f[i].value);
	fs->n = 0;
}

/* "美国 · 锂离子电池 · G/TBT/N/USA/2201" */
static void item_heading(struct buf *out, const struct message *m, const struct alert_item *it)
{
	int zh = is_zh(m->who);
	if (it->relevant == RELEVANT_PRODUCTS)
		buf_addstr(out, zh ? "【涉及贵企业所报产品】" : "[Your products] ");
	else if (it->relevant == RELEVANT_MARKET)
		buf_addstr(out, zh ? "【贵企业所报市场】" : "[Your market] ");
	if (it->kind == ITEM_REMINDER && m->kind == MSG_DIGEST)
		buf_addstr(out, zh ? "【截止提醒】" : "[Deadline reminder] ");
	buf_addf(out, "%s · %s · %s", member_display(it->n, zh), first_category(it, zh), it->n->symbol);
}

/* ---- ordering ---- */

static int risk_rank(const char *level)
{
	return !strcmp(level, "high") ? 0 : !strcmp(level, "medium") ? 1 : 2;
}

static int item_cmp(const void *pa, const void *pb)
{
	const struct alert_item *a = pa, *b = pb;
	if (a->relevant != b->relevant)
		return b->relevant - a->relevant;
	int ra = risk_rank(a->risk.level), rb = risk_rank(b->risk.level);
	if (ra != rb)
		return ra - rb;
	/* Items with a deadline come first, the nearest first. */
	if (!a->deadline[0] != !b->deadline[0])
		return a->deadline[0] ? -1 : 1;
	int c = strcmp(a->deadline, b->deadline);
	return c ? c : strcmp(a->n->symbol, b->n->symbol);
}

/* Whether two HS codes share their first four digits or more (one may be longer than the other). */
static int hs_near(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), k = la < lb ? la : lb;
	return k >= 4 && !strncmp(a, b, k);
}

void message_mark_interests(struct message *m, const char *interests)
{
	json_error_t jerr;
	json_t *j = interests ? json_loads(interests, 0, &jerr) : NULL, *x;
	const json_t *hs = json_object_get(j, "hs"), *mk = json_object_get(j, "markets");
	size_t k;
	for (size_t i = 0; j && i < m->n; i++) {
		const struct notif *n = m->items[i].n;
		int hit = 0;
		json_array_foreach(mk, k, x)
		{
			if (json_is_string(x) && !strcmp(json_string_value(x), n->member))
				hit = RELEVANT_MARKET;
		}
		for (size_t h = 0; hit < RELEVANT_PRODUCTS && h < n->hs.n; h++)
			json_array_foreach(hs, k, x)
			{
				if (json_is_string(x) && hs_near(json_string_value(x), n->hs.items[h]))
					hit = RELEVANT_PRODUCTS;
			}
		m->items[i].relevant = hit;
	}
	json_decref(j);
}

void message_sort(struct message *m)
{
	if (m->n > 1)
		qsort(m->items, m->n, sizeof(m->items[0]), item_cmp);
}

/* ---- subject and intro ---- */

static const char *type_tag(const struct message *m)
{
	int tbt = 0, sps = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (m->items[i].n->type == NT_SPS)
			sps++;
		else
			tbt++;
	}
	return tbt && sps ? "TBT/SPS" : sps ? "SPS" : "TBT";
}

static void subject(struct buf *out, const struct message *m)
{
	int zh = is_zh(m->who);
	if (m->kind == MSG_TEST)
		buf_addstr(out, zh ? "[测试] " : "[test] ");
	if (m->kind == MSG_DIGEST) {
		size_t high = 0;
		for (size_t i = 0; i < m->n; i++)
			high += !strcmp(m->items[i].risk.level, "high");
		int weekly = m->frequency == FREQ_WEEKLY;
		if (zh && !m->n) {
			buf_addf(out, "[%s预警] %s %s · 0 项通报", type_tag(m), weekly ? "每周摘要" : "每日摘要", m->today);
		} else if (zh) {
			/* Chinese first: the first (most urgent) item's Chinese title, or its category, names the digest. */
			const struct alert_item *top = &m->items[0];
			const char *tz = top->n->text[LANG_ZH].title;
			buf_addf(out, "[%s预警] %s %s · %s · ", type_tag(m), weekly ? "每周摘要" : "每日摘要", m->today,
				 member_display(top->n, 1));
			if (tz && *tz)
				add_clipped(out, tz, 60);
			else
				buf_addstr(out, first_category(top, 1));
			if (m->n > 1)
				buf_addf(out, " 等 %zu 项通报", m->n);
			buf_addf(out, "（%zu 项高风险）", high);
		} else
			buf_addf(out, "[%s alerts] %s %s · %zu notifications (%zu high risk)", type_tag(m),
				 weekly ? "Weekly digest" : "Daily digest", m->today, m->n, high);
		return;
	}
	const struct alert_item *it = &m->items[0];
	int reminder = it->kind == ITEM_REMINDER;
	if (m->kind == MSG_ANALYSIS) {
		const char *t = zh ? it->n->text[LANG_ZH].title : NULL;
		buf_addf(out, "[%s%s] %s · %s · ", type_tag(m), zh ? "解读" : " analysis",
			 zh ? "专家解读与应对建议" : "What it means and what to do", member_display(it->n, zh));
		if (t && *t)
			add_clipped(out, t, 80);
		else
			buf_addstr(out, first_category(it, zh));
		buf_addf(out, " · %s", it->n->symbol);
		return;
	}
	/* Chinese first: a Chinese reader's subject carries the Chinese title when there is one (the source's, a
	 * person's or a machine's), else our category. */
	const char *tz = zh ? it->n->text[LANG_ZH].title : NULL;
	buf_addf(out, "[%s%s] %s · ", type_tag(m), zh ? (reminder ? "提醒" : "预警") : (reminder ? " reminder" : " alert"),
		 member_display(it->n, zh));
	if (tz && *tz)
		add_clipped(out, tz, 90);
	else
		buf_addstr(out, first_category(it, zh));
	buf_addstr(out, " · ");
	if (it->deadline[0]) {
		buf_addf(out, "%s%s", zh ? "评议截止 " : "comments until ", it->deadline);
		if (reminder) {
			long left = iso_days_between(m->today, it->deadline);
			buf_addf(out, zh ? "（还剩 %ld 天）" : " (%ld days left)", left);
		}
	} else {
		buf_addstr(out, zh ? "评议截止 未定" : "no comment deadline");
	}
	buf_addf(out, " · %s", it->n->symbol);
}

static const char *intro(const struct message *m)
{
	int zh = is_zh(m->who);
	switch (m->kind) {
	case MSG_REMINDER:
		return zh ? "您关注的通报评议截止日期临近，如需提交评议意见，请尽快准备。"
			  : "The comment period of a notification you were alerted to closes soon.";
	case MSG_DIGEST:
		return zh ? "以下是与您订阅的产品相关的技术性贸易措施通报摘要，按风险和截止日期排序。"
			  : "The notifications that concern your products, highest risk and nearest deadline first.";
	case MSG_TEST:
		return zh ? "这是一封测试预警：订阅设置正确时，新通报将以此格式送达。"
			  : "This is a test alert: new notifications will arrive in this form.";
	case MSG_ANALYSIS:
		return zh ? "您此前收到预警的这项通报，现已发布专家解读与应对建议，请据此评估影响并安排应对。"
			  : "The notification you were alerted to now has an analysis: what it requires, and what to do by when.";
	default:
		return zh ? "您订阅的产品类别有新的技术性贸易措施通报。" : "A new notification concerns your products.";
	}
}

/* ---- e-mail ---- */

/* RFC 2047 encoded-words of at most 75 characters each, folded, for a UTF-8 header value. */
static void header_utf8(struct buf *out, const char *s)
{
	size_t n = strlen(s), off = 0;
	int first = 1;
	while (off < n) {
		size_t take = n - off < 45 ? n - off : 45;
		while (off + take < n && ((unsigned char)s[off + take] & 0xC0) == 0x80)
			take--;
		if (!first)
			buf_addstr(out, "\r\n ");
		buf_addstr(out, "=?UTF-8?B?");
		b64(out, (const unsigned char *)s + off, take);
		buf_addstr(out, "?=");
		off += take;
		first = 0;
	}
}

static void mail_headers(struct buf *msg, const struct subscriber *who, const char *message_id, const char *mail_from,
			 const char *subj)
{
	char date[64];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_addf(msg, "From: =?UTF-8?B?");
	b64(msg, (const unsigned char *)"tbtwarn 技术性贸易措施预警", strlen("tbtwarn 技术性贸易措施预警"));
	buf_addf(msg, "?= <%s>\r\nTo: <%s>\r\nDate: %s\r\nMessage-ID: %s\r\nSubject: ", mail_from, who->email, date,
		 message_id);
	header_utf8(msg, subj);
	buf_addstr(msg, "\r\nMIME-Version: 1.0\r\n");
}

static void mail_parts(struct buf *msg, const struct buf *text, const struct buf *html)
{
	buf_addstr(msg, "Content-Type: multipart/alternative; boundary=\"=_tbtwarn_part\"\r\n\r\n");
	const struct buf *parts[2] = {text, html};
	const char *types[2] = {"text/plain", "text/html"};
	for (int i = 0; i < 2; i++) {
		buf_addf(msg, "--=_tbtwarn_part\r\nContent-Type: %s; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
			 types[i]);
		struct buf enc;
		buf_init(&enc, BUF_NOMAX);
		b64(&enc, (const unsigned char *)parts[i]->s, parts[i]->len);
		for (size_t off = 0; off < enc.len; off += 76) {
			buf_add(msg, enc.s + off, enc.len - off < 76 ? enc.len - off : 76);
			buf_addstr(msg, "\r\n");
		}
		buf_release(&enc);
	}
	buf_addstr(msg, "--=_tbtwarn_part--\r\n");
}

static void html_open(struct buf *h, int zh, const char *title)
{
	buf_addf(h, "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\"><title>", zh ? "zh-CN" : "en");
	buf_add_html(h, title);
	buf_addstr(h, "</title></head><body style=\"font-family:sans-serif;color:#1a1a1a;max-width:760px\">");
}

/* A string member of o, or "". */
static const char *jstr_or(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

/* The analysis (解读与应对建议) as labelled parts: the summary, what the measure requires, what to do (numbered),
 * links. Plain text into text, HTML into html (either may be NULL). */
static void analysis_section(const struct message *m, struct buf *text, struct buf *html)
{
	const json_t *an = m->analysis;
	if (!an)
		return;
	const char *sum = json_string_value(json_object_get(an, "summary_zh"));
	const char *req = json_string_value(json_object_get(an, "requirements_zh"));
	const json_t *acts = json_object_get(an, "actions_zh"), *links = json_object_get(an, "links"), *x;
	const json_t *advice = json_object_get(an, "advice"); /* experts' advice an analyst accepted */
	const char *author = json_string_value(json_object_get(an, "author"));
	size_t i;
	if (text) {
		buf_addstr(text, "\n■ 专家解读与应对建议\n");
		if (sum && *sum)
			buf_addf(text, "解读：%s\n", sum);
		if (req && *req)
			buf_addf(text, "措施要求：%s\n", req);
		if (json_array_size(acts)) {
			buf_addstr(text, "应对建议：\n");
			json_array_foreach(acts, i, x)
			{
				if (json_is_string(x))
					buf_addf(text, "  %zu. %s\n", i + 1, json_string_value(x));
			}
		}
		json_array_foreach(links, i, x)
		{
			if (json_is_string(x) && url_is_web(json_string_value(x)))
				buf_addf(text, "参考：%s\n", json_string_value(x));
		}
		json_array_foreach(advice, i, x)
		{
			if (!i)
				buf_addstr(text, "专业机构建议：\n");
			buf_addf(text, "  · %s —— %s\n", jstr_or(x, "text_zh"), jstr_or(x, "name"));
		}
		if (author)
			buf_addf(text, "（%s 发布）\n", author);
	}
	if (html) {
		buf_addstr(html, "<h2 style=\"font-size:1.1em;border-top:1px solid #ccc;padding-top:.6em\">专家解读与应对建议</h2>");
		if (sum && *sum) {
			buf_addstr(html, "<p><b>解读：</b>");
			buf_add_html(html, sum);
			buf_addstr(html, "</p>");
		}
		if (req && *req) {
			buf_addstr(html, "<p><b>措施要求：</b>");
			buf_add_html(html, req);
			buf_addstr(html, "</p>");
		}
		if (json_array_size(acts)) {
			buf_addstr(html, "<p><b>应对建议：</b></p><ol>");
			json_array_foreach(acts, i, x)
			{
				if (!json_is_string(x))
					continue;
				buf_addstr(html, "<li>");
				buf_add_html(html, json_string_value(x));
				buf_addstr(html, "</li>");
			}
			buf_addstr(html, "</ol>");
		}
		json_array_foreach(links, i, x)
		{
			const char *u = json_string_value(x);
			if (!u || !url_is_web(u))
				continue;
			buf_addstr(html, "<p>参考：<a href=\"");
			buf_add_html(html, u);
			buf_addstr(html, "\">");
			buf_add_html(html, u);
			buf_addstr(html, "</a></p>");
		}
		json_array_foreach(advice, i, x)
		{
			buf_addstr(html, i ? "<li>" : "<p><b>专业机构建议：</b></p><ul><li>");
			buf_add_html(html, jstr_or(x, "text_zh"));
			buf_addstr(html, " —— ");
			buf_add_html(html, jstr_or(x, "name"));
			buf_addstr(html, i + 1 == json_array_size(advice) ? "</li></ul>" : "</li>");
		}
		if (author) {
			buf_addstr(html, "<p style=\"color:#444\">（");
			buf_add_html(html, author);
			buf_addstr(html, " 发布）</p>");
		}
	}
}

char *render_mail(const struct message *m)
{
	int zh = is_zh(m->who);
	struct buf subj, text, html, msg;
	char unsub[SUBS_TOKEN_LEN + 1], manage[SUBS_TOKEN_LEN + 1];
	buf_init(&subj, BUF_NOMAX);
	buf_init(&text, BUF_NOMAX);
	buf_init(&html, BUF_NOMAX);
	buf_init(&msg, BUF_NOMAX);
	subject(&subj, m);
	subs_token(m->secret, "unsubscribe", m->who->id, unsub);
	subs_token(m->secret, "manage", m->who->id, manage);
	html_open(&html, zh, subj.s);
	buf_addf(&text, "%s\n", intro(m));
	buf_addstr(&html, "<p>");
	buf_add_html(&html, intro(m));
	buf_addstr(&html, "</p>");
	analysis_section(m, &text, &html);
	for (size_t i = 0; i < m->n; i++) {
		struct fields fs;
		struct buf head;
		buf_init(&head, BUF_NOMAX);
		item_heading(&head, m, &m->items[i]);
		item_fields(m, &m->items[i], &fs);
		buf_addf(&text, "\n■ %s\n", head.s);
		buf_addstr(&html, "<h2 style=\"font-size:1.1em;border-top:1px solid #ccc;padding-top:.6em\">");
		buf_add_html(&html, head.s);
		buf_addstr(&html, "</h2><table style=\"border-collapse:collapse\">");
		for (size_t k = 0; k < fs.n; k++) {
			/* Pieces, not a format: the values are long, and printf copies them slowly. */
			buf_addstr(&text, fs.f[k].label);
			buf_addstr(&text, zh ? "：" : ": ");
			buf_addstr(&text, fs.f[k].value);
			buf_addch(&text, '\n');
			buf_addstr(&html, "<tr><th style=\"text-align:left;vertical-align:top;padding:2px 12px 2px 0;white-space:nowrap\">");
			buf_add_html(&html, fs.f[k].label);
			buf_addstr(&html, "</th><td style=\"padding:2px 0\">");
			if (fs.f[k].link && url_is_web(fs.f[k].value)) {
				buf_addstr(&html, "<a href=\"");
				buf_add_html(&html, fs.f[k].value);
				buf_addstr(&html, "\">");
				buf_add_html(&html, fs.f[k].value);
				buf_addstr(&html, "</a>");
			} else {
				buf_add_html(&html, fs.f[k].value);
			}
			buf_addstr(&html, "</td></tr>");
		}
		buf_addstr(&html, "</table>");
		fields_release(&fs);
		buf_release(&head);
	}
	struct buf links;
	buf_init(&links, BUF_NOMAX);
	buf_addf(&links, "%s/manage?s=%lld&t=%s&lang=%s", m->base_url, (long long)m->who->id, manage, zh ? "zh" : "en");
	buf_addf(&text, "\n--\n%s %s\n%s %s/unsubscribe?s=%lld&t=%s\n", zh ? "管理订阅：" : "Manage your subscriptions:", links.s,
		 zh ? "退订：" : "Unsubscribe:", m->base_url, (long long)m->who->id, unsub);
	buf_addstr(&html, "<hr><p style=\"font-size:.9em;color:#444\"><a href=\"");
	buf_add_html(&html, links.s);
	buf_addf(&html, "\">%s</a> · <a href=\"", zh ? "管理订阅" : "Manage your subscriptions");
	buf_reset(&links);
	buf_addf(&links, "%s/unsubscribe?s=%lld&t=%s", m->base_url, (long long)m->who->id, unsub);
	buf_add_html(&html, links.s);
	buf_addf(&html, "\">%s</a></p></body></html>", zh ? "退订" : "Unsubscribe");
	mail_headers(&msg, m->who, m->message_id, m->mail_from, subj.s);
	buf_addf(&msg, "List-Unsubscribe: <%s>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", links.s);
	if (m->kind == MSG_REMINDER || m->kind == MSG_ANALYSIS || (m->n && m->kind == MSG_ALERT))
		buf_addf(&msg, "X-TBT-Symbol: %s\r\n", m->items[0].n->symbol);
	mail_parts(&msg, &text, &html);
	buf_release(&links);
	buf_release(&subj);
	buf_release(&text);
	buf_release(&html);
	return buf_detach(&msg);
}

char *render_confirm_mail(const struct subscriber *who, const char *message_id, const char *base_url, const char *secret,
			  const char *mail_from, int manage)
{
	int zh = is_zh(who);
	char token[SUBS_TOKEN_LEN + 1];
	struct buf text, html, msg, link;
	buf_init(&text, BUF_NOMAX);
	buf_init(&html, BUF_NOMAX);
	buf_init(&msg, BUF_NOMAX);
	buf_init(&link, BUF_NOMAX);
	subs_token(secret, manage ? "manage" : "confirm", who->id, token);
	buf_addf(&link, "%s/%s?s=%lld&t=%s", base_url, manage ? "manage" : "confirm", (long long)who->id, token);
	const char *subj = manage ? (zh ? "管理您的 tbtwarn 预警订阅" : "Manage your tbtwarn subscriptions")
				  : (zh ? "请确认订阅 tbtwarn 技术性贸易措施预警" : "Please confirm your tbtwarn subscription");
	const char *hello = who->name ? who->name : "";
	if (manage && zh)
		buf_addf(&text, "您好%s%s：\n\n有人（可能是您本人）用此邮箱在 tbtwarn 提交了订阅。此邮箱已有订阅；请打开以下链接"
				"查看、添加或删除订阅：\n\n%s\n\n如果不是您本人操作，请忽略本邮件，您的订阅不会改变。\n",
			 *hello ? " " : "", hello, link.s);
	else if (manage)
		buf_addf(&text, "Hello%s%s,\n\nSomeone, probably you, used this address on tbtwarn's subscription form. It is "
				"subscribed already; open this link to see, add or remove subscriptions:\n\n%s\n\n"
				"If it was not you, ignore this message: nothing changes.\n",
			 *hello ? " " : "", hello, link.s);
	else if (zh)
		buf_addf(&text, "您好%s%s：\n\n有人（可能是您本人）用此邮箱订阅了 tbtwarn 技术性贸易措施预警。请打开以下链接确认，"
				"确认之前我们不会向您发送任何预警：\n\n%s\n\n如果不是您本人操作，请忽略本邮件。\n",
			 *hello ? " " : "", hello, link.s);
	else
		buf_addf(&text, "Hello%s%s,\n\nSomeone, probably you, subscribed this address to tbtwarn's alerts on technical "
				"regulations. Open this link to confirm; nothing else is sent to you before you do:\n\n%s\n\n"
				"If it was not you, ignore this message.\n",
			 *hello ? " " : "", hello, link.s);
	html_open(&html, zh, subj);
	buf_addstr(&html, "<p>");
	buf_add_html(&html, manage ? (zh ? "此邮箱已有订阅。点击下面的按钮查看、添加或删除订阅。"
					: "This address is subscribed already. See, add or remove subscriptions with the button below.")
				  : (zh ? "请点击下面的按钮确认订阅。确认之前我们不会向您发送任何预警。"
					: "Confirm your subscription with the button below. Nothing else is sent to you before you do."));
	buf_addstr(&html, "</p><p><a style=\"background:#0b5394;color:#fff;padding:8px 16px;text-decoration:none\" href=\"");
	buf_add_html(&html, link.s);
	buf_addf(&html, "\">%s</a></p><p style=\"font-size:.9em;color:#444\">%s</p></body></html>",
		 manage ? (zh ? "管理订阅" : "Manage") : (zh ? "确认订阅" : "Confirm"),
		 zh ? "如果不是您本人操作，请忽略本邮件。" : "If it was not you, ignore this message.");
	mail_headers(&msg, who, message_id, mail_from, subj);
	mail_parts(&msg, &text, &html);
	buf_release(&text);
	buf_release(&html);
	buf_release(&link);
	return buf_detach(&msg);
}

char *render_note_mail(const struct subscriber *who, const char *message_id, const char *mail_from, const char *note)
{
	struct buf text, html, msg, subj;
	const char *nl = strchr(note, '\n');
	buf_init(&text, BUF_NOMAX);
	buf_init(&html, BUF_NOMAX);
	buf_init(&msg, BUF_NOMAX);
	buf_init(&subj, 256);
	buf_add(&subj, note, nl ? (size_t)(nl - note) : strlen(note));
	buf_addstr(&text, nl ? nl + 1 : "");
	html_open(&html, is_zh(who), subj.s);
	buf_addstr(&html, "<pre style=\"white-space:pre-wrap;font-family:sans-serif\">");
	buf_add_html(&html, text.s ? text.s : "");
	buf_addstr(&html, "</pre></body></html>");
	mail_headers(&msg, who, message_id, mail_from, subj.s);
	mail_parts(&msg, &text, &html);
	buf_release(&text);
	buf_release(&html);
	buf_release(&subj);
	return buf_detach(&msg);
}

/* ---- webhook JSON ---- */

static json_t *item_json(const struct message *m, const struct alert_item *it)
{
	const struct notif *n = it->n;
	json_t *o = json_object(), *nj = archive_hit_json(n), *links = json_object(), *docs = json_array();
	char url[1024];
	char *sum = item_summary(m, it);
	json_object_set_new(nj, "summary_zh", json_string(sum));
	free(sum);
	json_object_set_new(nj, "adoption", n->dates[D_ADOPTION].iso[0] ? json_string(n->dates[D_ADOPTION].iso) : json_null());
	json_object_set_new(nj, "entry_into_force",
			    n->dates[D_ENTRY_FORCE].iso[0] ? json_string(n->dates[D_ENTRY_FORCE].iso) : json_null());
	if (it->deadline[0]) {
		json_object_set_new(nj, "comment_deadline", json_string(it->deadline));
		json_object_set_new(nj, "days_left", json_integer(iso_days_between(m->today, it->deadline)));
	} else {
		json_object_set_new(nj, "days_left", json_null());
	}
	snprintf(url, sizeof(url), "%s/n/%s", m->base_url, n->symbol);
	json_object_set_new(links, "details", json_string(url));
	char *imp = impact_url(m, n);
	json_object_set_new(links, "impact", imp ? json_string(imp) : json_null());
	free(imp);
	json_object_set_new(links, "notification", n->notification_url ? json_string(n->notification_url) : json_null());
	for (size_t i = 0; i < n->document_urls.n; i++)
		json_array_append_new(docs, json_string(n->document_urls.items[i]));
	json_object_set_new(links, "documents", docs);
	json_object_set_new(nj, "links", links);
	json_object_set_new(o, "kind", json_string(it->kind == ITEM_REMINDER ? "reminder" : "alert"));
	/* What the firm's impact reports named that this concerns: "products", "market", or null. */
	json_object_set_new(o, "matches_your_reports", it->relevant == RELEVANT_PRODUCTS ? json_string("products")
					 : it->relevant == RELEVANT_MARKET ? json_string("market") : json_null());
	json_t *ch = json_null();
	if ((it->change_zh && *it->change_zh) || (it->change_en && *it->change_en)) {
		ch = json_object();
		json_object_set_new(ch, "zh", json_string(it->change_zh ? it->change_zh : ""));
		json_object_set_new(ch, "en", json_string(it->change_en ? it->change_en : ""));
	}
	json_object_set_new(o, "change", ch);
	json_object_set_new(o, "notification", nj);
	json_object_set_new(o, "categories", classify_json(&it->cats));
	json_object_set_new(o, "risk", risk_json(&it->risk));
	return o;
}

json_t *render_webhook(const struct message *m)
{
	static const char *const types[] = {"notification.matched", "notification.reminder", "digest", "test",
					    "notification.analysis"};
	json_t *o;
	if (m->kind == MSG_DIGEST) {
		json_t *items = json_array();
		o = json_object();
		for (size_t i = 0; i < m->n; i++)
			json_array_append_new(items, item_json(m, &m->items[i]));
		json_object_set_new(o, "frequency", json_string(frequency_name(m->frequency)));
		json_object_set_new(o, "items", items);
	} else {
		/* One notification: its fields at the top level (the schema of version 1). */
		o = item_json(m, &m->items[0]);
		json_object_del(o, "kind");
	}
	json_object_set_new(o, "type", json_string(types[m->kind]));
	if (m->analysis)
		json_object_set(o, "analysis", (json_t *)m->analysis);
	json_object_set_new(o, "id", json_string(m->message_id));
	json_object_set_new(o, "subscription", json_integer(m->subscription));
	json_object_set_new(o, "schema", json_integer(1));
	return o;
}

/* ---- robots ---- */

static char *robot_markdown(const struct message *m, size_t budget, const char **title_out, struct buf *title)
{
	int zh = is_zh(m->who);
	struct buf md;
	buf_init(&md, BUF_NOMAX);
	subject(title, m);
	*title_out = title->s;
	buf_addstr(&md, "### ");
	add_md(&md, title->s, 400);
	buf_addf(&md, "\n%s\n", intro(m));
	if (m->analysis) {
		struct buf an;
		buf_init(&an, BUF_NOMAX);
		analysis_section(m, &an, NULL);
		buf_addstr(&md, "> ");
		add_md(&md, an.s, 1200);
		buf_addch(&md, '\n');
		buf_release(&an);
	}
	size_t shown = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct alert_item *it = &m->items[i];
		struct buf one, head;
		buf_init(&one, BUF_NOMAX);
		buf_init(&head, BUF_NOMAX);
		item_heading(&head, m, it);
		buf_addstr(&one, "\n**");
		add_md(&one, head.s, 400);
		buf_addstr(&one, "**\n");
		/* Chinese first: the Chinese title, else the digest, with the original title after it. */
		const char *t = zh && it->n->text[LANG_ZH].title ? it->n->text[LANG_ZH].title : notif_title(it->n);
		if (zh) {
			char *sum = item_summary(m, it);
			buf_addstr(&one, "> ");
			add_md(&one, sum, 300);
			buf_addch(&one, '\n');
			free(sum);
		}
		if (*t) {
			buf_addstr(&one, "> ");
			add_md(&one, t, 300);
			if (zh && it->n->text[LANG_ZH].title && it->machine_zh & 1)
				buf_addstr(&one, "（机器翻译）");
			buf_addch(&one, '\n');
		}
		const char *change = zh ? it->change_zh : it->change_en;
		if (change && *change) {
			buf_addstr(&one, zh ? "> **变更：" : "> **What changed: ");
			add_md(&one, change, 300);
			buf_addstr(&one, "**\n");
		}
		buf_addf(&one, "> %s%s%s", zh ? "风险：" : "Risk: ", zh ? risk_zh(it->risk.level) : it->risk.level,
			 zh ? "；评议截止：" : "; comments until: ");
		if (it->deadline[0])
			add_date_left(&one, it->deadline, m->today, zh);
		else
			buf_addstr(&one, zh ? "未规定" : "not given");
		buf_addch(&one, '\n');
		if (it->cats.n) {
			char ev[800];
			evidence_zh(it->cats.m[0].evidence, ev, sizeof(ev));
			buf_addstr(&one, zh ? "> 匹配依据：" : "> Why: ");
			add_md(&one, zh ? ev : it->cats.m[0].evidence, 200);
			buf_addch(&one, '\n');
		}
		buf_addf(&one, "[%s](%s/n/%s)", zh ? "查看详情" : "Details", m->base_url, it->n->symbol);
		char *imp = impact_url(m, it->n);
		if (imp)
			buf_addf(&one, " · [%s](%s)", zh ? "这项措施影响我们吗？" : "Does this affect you?", imp);
		free(imp);
		buf_addch(&one, '\n');
		/* Robots cap a message's size (WeCom 4096 bytes): what does not fit is counted, not cut in half. */
		if (md.len + one.len + 200 > budget && shown) {
			buf_release(&one);
			buf_release(&head);
			break;
		}
		buf_add(&md, one.s, one.len);
		shown++;
		buf_release(&one);
		buf_release(&head);
	}
	if (shown < m->n)
		buf_addf(&md, zh ? "\n……另有 %zu 项，请查看邮件或网站。\n" : "\n… and %zu more on the web site.\n", m->n - shown);
	return buf_detach(&md);
}

/* One line of robot markdown as a Feishu paragraph: text, and each "[text](href)" as an "a" element (the line may hold
 * several: details and the impact report's link). Markdown characters of source text were replaced by full-width
 * forms (add_md), so every "[" here is one of ours. */
static json_t *feishu_paragraph(const char *line)
{
	json_t *para = json_array();
	const char *p = line;
	while (*p) {
		const char *lb = strchr(p, '['), *mid = lb ? strstr(lb, "](") : NULL, *end = mid ? strchr(mid + 2, ')') : NULL;
		if (!end) {
			json_array_append_new(para, json_pack("{s:s, s:s}", "tag", "text", "text", p));
			break;
		}
		if (lb > p)
			json_array_append_new(para, json_pack("{s:s, s:s%}", "tag", "text", "text", p, (size_t)(lb - p)));
		json_array_append_new(para, json_pack("{s:s, s:s%, s:s%}", "tag", "a", "text", lb + 1, (size_t)(mid - lb - 1),
						      "href", mid + 2, (size_t)(end - mid - 2)));
		p = end + 1;
	}
	return para;
}

char *render_robot(const struct message *m, enum channel ch, const char *secret, long ts)
{
	struct buf title;
	const char *t;
	buf_init(&title, BUF_NOMAX);
	char *md = robot_markdown(m, ch == CH_WECOM ? 4000 : 15000, &t, &title);
	json_t *o = json_object(), *inner = json_object();
	if (ch == CH_WECOM) {
		json_object_set_new(o, "msgtype", json_string("markdown"));
		json_object_set_new(inner, "content", json_string(md));
		json_object_set_new(o, "markdown", inner);
	} else if (ch == CH_DINGTALK) {
		json_object_set_new(o, "msgtype", json_string("markdown"));
		json_object_set_new(inner, "title", json_string(t));
		json_object_set_new(inner, "text", json_string(md));
		json_object_set_new(o, "markdown", inner);
	} else {
		/* Feishu rich text: one paragraph per line, links as "a" elements. */
		json_t *post = json_object(), *lang = json_object(), *content = json_array();
		char *save = NULL;
		for (char *line = strtok_r(md, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (starts_with(line, "### "))
				continue; /* the title says it */
			json_array_append_new(content, feishu_paragraph(line));
		}
		json_object_set_new(lang, "title", json_string(t));
		json_object_set_new(lang, "content", content);
		json_object_set_new(post, is_zh(m->who) ? "zh_cn" : "en_us", lang);
		json_object_set_new(inner, "post", post);
		json_object_set_new(o, "msg_type", json_string("post"));
		json_object_set_new(o, "content", inner);
		if (secret) {
			struct buf sig;
			char tsbuf[32];
			buf_init(&sig, BUF_NOMAX);
			sign_feishu(secret, ts, &sig);
			snprintf(tsbuf, sizeof(tsbuf), "%ld", ts);
			json_object_set_new(o, "timestamp", json_string(tsbuf));
			json_object_set_new(o, "sign", json_string(sig.s));
			buf_release(&sig);
		}
	}
	char *body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	free(md);
	buf_release(&title);
	return body;
}
