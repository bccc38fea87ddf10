/* parse_wto.c: parses the WTO notification forms as plain text, in English and in Chinese translation. */
#include "parse.h"

#include "buf.h"
#include "norm.h"
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which record field an item of the form fills. */
enum field {
	F_NONE = 0,
	F_MEMBER,
	F_AGENCY,
	F_ARTICLES,
	F_PRODUCTS,
	F_REGIONS,
	F_TITLE,
	F_DESCRIPTION,
	F_OBJECTIVES,
	F_STANDARDS,
	F_DOCUMENTS,
	F_DATES,    /* TBT item 9: adoption and entry into force together */
	F_ADOPTION, /* SPS item 10 */
	F_ENTRY,    /* SPS item 11 */
	F_COMMENTS,
	F_TEXTS,
};

struct item_def {
	enum field field;
	/* Words of the heading, any of which identifies the item (lower-case English, or Chinese). */
	const char *heading[6];
};

/* The 11-item TBT form; index is the item number. The wording changed over the years: match loosely. */
static const struct item_def tbt_items[] = {
	[1] = {F_MEMBER, {"member", "通报成员", "成员", NULL}},
	[2] = {F_AGENCY, {"agency", "机构", NULL}},
	[3] = {F_ARTICLES, {"notified under", "article", "条款", "通报依据", NULL}},
	[4] = {F_PRODUCTS, {"product", "产品", NULL}},
	[5] = {F_TITLE, {"title", "notified document", "标题", "名称", "通报文件", NULL}},
	[6] = {F_DESCRIPTION, {"description", "内容", NULL}},
	[7] = {F_OBJECTIVES, {"objective", "目的", NULL}},
	[8] = {F_DOCUMENTS, {"relevant documents", "相关文件", NULL}},
	[9] = {F_DATES, {"proposed date", "date of adoption", "拟批准", "拟生效", "日期", NULL}},
	[10] = {F_COMMENTS, {"final date", "comments", "意见", "评议", NULL}},
	[11] = {F_TEXTS, {"texts available", "text available", "文本", NULL}},
};

/* The 14-item SPS form numbers differently. */
static const struct item_def sps_items[] = {
	[1] = {F_MEMBER, {"member", "通报成员", "成员", NULL}},
	[2] = {F_AGENCY, {"agency", "机构", NULL}},
	[3] = {F_PRODUCTS, {"product", "产品", NULL}},
	[4] = {F_REGIONS, {"regions", "countries", "地区", "国家", NULL}},
	[5] = {F_TITLE, {"title", "标题", "名称", NULL}},
	[6] = {F_DESCRIPTION, {"description", "内容", NULL}},
	[7] = {F_OBJECTIVES, {"objective", "目的", NULL}},
	[8] = {F_STANDARDS, {"international standard", "standard", "国际标准", "标准", NULL}},
	[9] = {F_DOCUMENTS, {"relevant documents", "documents", "相关文件", "文件", NULL}},
	[10] = {F_ADOPTION, {"adoption", "批准", NULL}},
	[11] = {F_ENTRY, {"entry into force", "生效", NULL}},
	[12] = {F_COMMENTS, {"final date", "comments", "意见", "评议", NULL}},
	[13] = {F_NONE, {"agency", "handling", "机构", NULL}},
	[14] = {F_TEXTS, {"texts available", "text available", "文本", NULL}},
};

struct line {
	const char *s;
	size_t len;
};

struct doc {
	size_t first, end; /* line range [first, end) */
	struct strv symbols;
	int started; /* the form's items have begun, so a new symbol line starts a new document */
};

static void reject(const struct parse_sink *sink, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reject(const struct parse_sink *sink, size_t line, const char *fmt, ...)
{
	char msg[ERRBUF_SIZE], where[32];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(where, sizeof(where), "line %zu", line);
	else
		snprintf(where, sizeof(where), "file");
	if (sink->on_reject)
		sink->on_reject(sink->arg, sink->name, where, msg);
}

/* Converts GB18030 (which includes GBK and GB2312) to UTF-8; returns 0 or -EILSEQ. */
static int from_gb18030(const char *in, size_t len, struct buf *out)
{
	iconv_t cd = iconv_open("UTF-8", "GB18030");
	char *ip = (char *)in;
	size_t il = len;
	int rc = 0;
	if (cd == (iconv_t)-1)
		return -ENOTSUP;
	while (il) {
		char chunk[4096], *op = chunk;
		size_t ol = sizeof(chunk);
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		if (buf_add(out, chunk, sizeof(chunk) - ol)) {
			rc = -E2BIG;
			break;
		}
		if (r == (size_t)-1 && errno != E2BIG) {
			rc = -EILSEQ;
			break;
		}
	}
	iconv_close(cd);
	return rc;
}

static char *line_dup(const struct line *l)
{
	return strndup_trim(l->s, l->len);
}

/* A line that holds only symbols, optionally after a label ("通报号：G/TBT/N/USA/1"). Appends them to out (if not
 * NULL); returns how many. */
static int symbol_line(const struct line *l, struct strv *out)
{
	char *t = line_dup(l), *p = t;
	struct strv found;
	int ok = 1;
	if (!*t || strlen(t) > 200 || !strstr(t, "G/")) {
		free(t);
		return 0;
	}
	const char *g = strstr(t, "G/");
	const char *colon = strstr(t, "：");
	if (g != t && colon && colon < g)
		p = (char *)colon + 3;
	else if (g != t && strchr(t, ':') && strchr(t, ':') < g)
		p = strchr(t, ':') + 1;
	strv_init(&found);
	while (*p && ok) {
		size_t n;
		while (*p == ' ' || *p == ',' || *p == ';')
			p++;
		if (!strncmp(p, "，", 3) || !strncmp(p, "；", 3) || !strncmp(p, "、", 3)) {
			p += 3;
			continue;
		}
		if (!*p)
			break;
		n = strcspn(p, " ,;\xEF\xE3");
		char *tok = xstrndup(p, n);
		struct symbol_parts sp;
		if (symbol_parse(tok, &sp))
			ok = 0;
		else
			strv_push(&found, sp.norm);
		free(tok);
		p += n;
	}
	int count = ok ? (int)found.n : 0;
	for (size_t i = 0; ok && out && i < found.n; i++)
		strv_push_unique(out, found.items[i]);
	strv_release(&found);
	free(t);
	return count;
}

/* Does the heading (text before the colon) name item def? */
static int heading_matches(const struct item_def *def, const char *heading)
{
	for (int i = 0; i < 6 && def->heading[i]; i++)
		if (strcasestr_ascii(heading, def->heading[i]))
			return 1;
	return 0;
}

/* Finds the first ':' or '：' in s within limit bytes; returns a pointer just past it, or NULL. */
static const char *after_colon(const char *s, size_t limit)
{
	for (size_t i = 0; s[i] && i < limit; i++) {
		if (s[i] == ':')
			return s + i + 1;
		if (!strncmp(s + i, "：", 3))
			return s + i + 3;
	}
	return NULL;
}

/* An item's start: "4. Products covered: ..." or "4、覆盖的产品：". Returns the number and the rest. */
static int item_start(const struct line *l, const char **rest)
{
	const char *p = l->s, *e = l->s + l->len;
	int n = 0, nd = 0;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (p < e && isdigit((unsigned char)*p) && nd < 3) {
		n = n * 10 + (*p - '0');
		p++;
		nd++;
	}
	if (!nd || nd > 2)
		return 0;
	if (p < e && *p == '.')
		p++;
	else if (e - p >= 3 && (!strncmp(p, "．", 3) || !strncmp(p, "、", 3)))
		p += 3;
	else if (p < e && *p == ')')
		p++;
	else
		return 0;
	if (p < e && *p == ' ')
		p++;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (p < e && isdigit((unsigned char)*p))
		return 0; /* "2.9.2" and "10.1" are not item starts */
	*rest = p;
	return n;
}

/* Text between label and the next of the stop labels, after the colon that follows label. */
static char *labelled(const char *text, const char *const *labels, const char *const *stops)
{
	const char *start = NULL;
	for (int i = 0; labels[i] && !start; i++) {
		const char *p = strcasestr_ascii(text, labels[i]);
		if (p) {
			const char *c = after_colon(p, 120);
			start = c ? c : p + strlen(labels[i]);
		}
	}
	if (!start)
		return NULL;
	const char *end = start + strlen(start);
	for (int i = 0; stops[i]; i++) {
		const char *p = strcasestr_ascii(start, stops[i]);
		if (p && p < end)
			end = p;
	}
	char *v = strndup_trim(start, (size_t)(end - start));
	char *f = text_fold_space(v);
	free(v);
	if (!*f) {
		free(f);
		return NULL;
	}
	return f;
}

/* Sets a date from the form's words in lang (takes ownership of text). */
static void set_date(struct notif_datev *dv, enum notif_lang lang, char *text)
{
	char **slot = lang == LANG_ZH ? &dv->text_zh : &dv->text;
	if (!text)
		return;
	free(*slot);
	*slot = text;
	dv->iso[0] = '\0';
	date_parse(text, dv->iso);
}

static const struct {
	const char *word;
	const char *name;
} languages[] = {
	{"English", "English"}, {"French", "French"},       {"Spanish", "Spanish"},   {"Arabic", "Arabic"},
	{"Chinese", "Chinese"}, {"Japanese", "Japanese"},   {"Korean", "Korean"},     {"Portuguese", "Portuguese"},
	{"Russian", "Russian"}, {"Thai", "Thai"},           {"Vietnamese", "Vietnamese"}, {"Indonesian", "Indonesian"},
	{"German", "German"},   {"Italian", "Italian"},     {"Turkish", "Turkish"},   {"Hebrew", "Hebrew"},
	{"英文", "English"},    {"英语", "English"},        {"法文", "French"},       {"法语", "French"},
	{"西班牙文", "Spanish"}, {"西班牙语", "Spanish"},   {"阿拉伯文", "Arabic"},   {"阿拉伯语", "Arabic"},
	{"中文", "Chinese"},    {"日文", "Japanese"},       {"日语", "Japanese"},     {"韩文", "Korean"},
	{"韩语", "Korean"},     {"葡萄牙文", "Portuguese"}, {"葡萄牙语", "Portuguese"}, {"俄文", "Russian"},
	{"俄语", "Russian"},    {"泰文", "Thai"},           {"泰语", "Thai"},         {"越南文", "Vietnamese"},
	{"越南语", "Vietnamese"}, {"印尼文", "Indonesian"}, {"德文", "German"},       {"意大利文", "Italian"},
};

/* Appends the http(s) URLs found in text. */
static void urls_in(const char *text, struct strv *out)
{
	for (const char *p = text; p && (p = strstr(p, "http")) != NULL;) {
		if (!starts_with(p, "http://") && !starts_with(p, "https://")) {
			p += 4;
			continue;
		}
		size_t n = strcspn(p, " \t\n\r,;)<>\"]（）");
		while (n && (p[n - 1] == '.' || p[n - 1] == ':'))
			n--;
		char *u = xstrndup(p, n);
		strv_push_unique(out, u);
		free(u);
		p += n;
	}
}

/* Item 5: "Title (12 page(s), in English and Spanish)" -> title and languages. */
static void parse_title(struct notif *n, enum notif_lang lang, const char *value)
{
	static const char *const stops[] = {"Number of pages", "Language(s)", "Link to", "页数", "语言：", NULL};
	char *t = xstrdup(value);
	/* Newer forms: "Title: ...", then "Number of pages", "Language(s)", "Link to the notified document". */
	if (starts_with_ci(t, "title:"))
		memmove(t, t + 6, strlen(t + 6) + 1);
	else if (starts_with(t, "标题：") || starts_with(t, "名称："))
		memmove(t, t + 9, strlen(t + 9) + 1);
	for (int i = 0; stops[i]; i++) {
		char *s = (char *)strcasestr_ascii(t, stops[i]);
		if (s && s != t) {
			for (size_t k = 0; k < sizeof(languages) / sizeof(languages[0]); k++)
				if (strstr(s, languages[k].word))
					strv_push_unique(&n->doc_languages, languages[k].name);
			*s = '\0';
		}
	}
	/* The parenthesis that counts pages holds the languages; it is not part of the title. */
	char *pages = NULL, *last = NULL;
	for (char *p = t; *p; p++)
		if (!strncasecmp(p, "page", 4) || !strncmp(p, "页", 3))
			pages = p;
	for (char *p = t; pages && p < pages; p++)
		if (*p == '(' || !strncmp(p, "（", 3))
			last = p;
	/* "(24 page(s), in English)": the parenthesis before "page", not the one of "(s)". */
	if (last && pages && pages - last < 16) {
		for (size_t k = 0; k < sizeof(languages) / sizeof(languages[0]); k++)
			if (strstr(last, languages[k].word))
				strv_push_unique(&n->doc_languages, languages[k].name);
		*last = '\0';
	}
	/* URLs go to the document links, not the title. */
	urls_in(t, &n->document_urls);
	char *h = strstr(t, "http");
	if (h && h != t)
		*h = '\0';
	char *f = text_fold_space(t);
	size_t len = strlen(f);
	while (len && (f[len - 1] == ',' || f[len - 1] == ';'))
		f[--len] = '\0';
	free(t);
	if (*f) {
		free(n->text[lang].title);
		n->text[lang].title = f;
	} else {
		free(f);
	}
}

/* Lines that are form text, not content. */
static int form_line(const char *ln)
{
	return starts_with_ci(ln, "If applicable, name of local government") || starts_with(ln, "如可能") ||
	       starts_with(ln, "如适用");
}

/*
 * The value of an item: the text after the heading's colon, with the form's line wrapping undone (lines of a
 * paragraph joined by a space, blank lines kept as paragraph breaks) and entities decoded.
 */
static char *item_value(const char *raw, const char *heading_end)
{
	struct buf b;
	const char *v = heading_end ? heading_end : raw;
	int blank = 0;
	buf_init(&b, BUF_NOMAX);
	while (*v) {
		size_t n = strcspn(v, "\n");
		char *ln = strndup_trim(v, n);
		if (!*ln) {
			blank = 1;
		} else if (!form_line(ln)) {
			/* A line that starts with a tick box or a list mark starts a new line. */
			size_t bl;
			int starts_item = tickbox_at(ln, &bl) >= 0 || starts_with(ln, "- ") || starts_with(ln, "• ");
			if (b.len)
				buf_addstr(&b, blank ? "\n\n" : starts_item ? "\n" : " ");
			buf_addstr(&b, ln);
			blank = 0;
		}
		free(ln);
		v += n;
		if (*v)
			v++;
	}
	char *out = html_to_text(b.s);
	buf_release(&b);
	return out;
}

/* With tick boxes, only what follows a ticked box counts: "[ ] All [X] Specific regions: China" -> "Specific
 * regions: China". Text without boxes is returned as it is. Takes ownership of v. */
static char *ticked_only(char *v)
{
	size_t len;
	int boxes = 0;
	struct buf b;
	for (const char *p = v; *p && !boxes; p++)
		boxes = tickbox_at(p, &len) >= 0;
	if (!boxes)
		return v;
	buf_init(&b, BUF_NOMAX);
	for (const char *p = v; *p; p++) {
		if (tickbox_at(p, &len) != 1)
			continue;
		const char *s = p + len, *e = s;
		size_t l2;
		while (*e && tickbox_at(e, &l2) < 0)
			e++;
		char *seg = strndup_trim(s, (size_t)(e - s));
		char *f = text_fold_space(seg);
		size_t fl = strlen(f);
		while (fl && (f[fl - 1] == ',' || f[fl - 1] == ';'))
			f[--fl] = '\0';
		if (*f) {
			if (b.len)
				buf_addstr(&b, "; ");
			buf_addstr(&b, f);
		}
		free(seg);
		free(f);
		p = e - 1;
	}
	free(v);
	return buf_detach(&b);
}

/* Cuts s at the first of the markers (case-insensitive), in place. */
static void cut_at(char *s, const char *const *markers)
{
	for (int i = 0; markers[i]; i++) {
		char *p = (char *)strcasestr_ascii(s, markers[i]);
		if (p) {
			*p = '\0';
			while (p > s && (p[-1] == ' ' || p[-1] == '\n'))
				*--p = '\0';
		}
	}
}

static void take(char **dst, char *v)
{
	if (!v || !*v) {
		free(v);
		return;
	}
	free(*dst);
	*dst = v;
}

static const char *const adopt_labels[] = {"date of adoption", "拟批准日期", "批准日期", NULL};
static const char *const entry_labels[] = {"date of entry into force", "entry into force", "拟生效日期", "生效日期", NULL};
static const char *const date_stops[] = {"proposed date", "拟批准", "拟生效", "拟公布", "final date", NULL};

/* Applies one item's text to the record. */
static void apply_item(struct notif *n, enum notif_lang lang, enum field f, const char *raw)
{
	struct notif_text *t = &n->text[lang];
	const char *hv = after_colon(raw, 400);
	char *v = item_value(raw, hv);
	switch (f) {
	case F_MEMBER:
		take(&t->member_name, v);
		return;
	case F_AGENCY: {
		/* The form's sub-heading about who handles comments is not the agency's name. */
		static const char *const sub[] = {"Name and address", NULL};
		cut_at(v, sub);
		take(&t->agency, v);
		return;
	}
	case F_ARTICLES:
		articles_extract(raw, &n->articles);
		break;
	case F_PRODUCTS:
		codes_extract(v, &n->hs, &n->ics);
		take(&t->products, v);
		return;
	case F_REGIONS:
		take(&t->regions, ticked_only(v));
		return;
	case F_TITLE:
		urls_in(raw, &n->document_urls);
		parse_title(n, lang, v);
		break;
	case F_DESCRIPTION:
		take(&t->description, v);
		return;
	case F_OBJECTIVES:
		objectives_extract(v, &n->objectives);
		take(&t->objectives, ticked_only(v));
		return;
	case F_STANDARDS:
		take(&t->standards, ticked_only(v));
		return;
	case F_DOCUMENTS:
		take(&t->documents, v);
		return;
	case F_DATES:
		set_date(&n->dates[D_ADOPTION], lang, labelled(raw, adopt_labels, date_stops));
		set_date(&n->dates[D_ENTRY_FORCE], lang, labelled(raw, entry_labels, date_stops));
		break;
	case F_ADOPTION:
		set_date(&n->dates[D_ADOPTION], lang, labelled(raw, adopt_labels, date_stops));
		break;
	case F_ENTRY:
		set_date(&n->dates[D_ENTRY_FORCE], lang, *v ? ticked_only(text_fold_space(v)) : NULL);
		break;
	case F_COMMENTS:
		set_date(&n->dates[D_COMMENTS], lang, *v ? ticked_only(text_fold_space(v)) : NULL);
		break;
	case F_TEXTS:
		urls_in(raw, &n->document_urls);
		take(&t->texts_from, ticked_only(v));
		return;
	case F_NONE:
		break;
	}
	free(v);
}

/* Joins lines [a, b) with newlines. */
static char *join_lines(const struct line *lines, size_t a, size_t b)
{
	struct buf out;
	buf_init(&out, BUF_NOMAX);
	for (size_t i = a; i < b; i++) {
		if (i > a)
			buf_addch(&out, '\n');
		buf_add(&out, lines[i].s, lines[i].len);
	}
	return buf_detach(&out);
}

static int is_chinese_doc(const struct line *lines, size_t a, size_t b)
{
	static const char *const marks[] = {"通报成员", "负责机构", "内容简述", "通报", "补遗", "勘误", NULL};
	for (size_t i = a; i < b; i++)
		for (int k = 0; marks[k]; k++)
			if (lines[i].len >= strlen(marks[k]) && memmem(lines[i].s, lines[i].len, marks[k], strlen(marks[k])))
				return 1;
	return 0;
}

/* Addenda and corrigenda: "Title:", "Reason for Addendum:" boxes, "Description:". */
static void parse_addendum(struct notif *n, enum notif_lang lang, const struct line *lines, size_t a, size_t b)
{
	static const char *const title_labels[] = {"Title:", "标题：", "名称：", NULL};
	static const char *const desc_labels[] = {"Description:", "内容简述：", "说明：", "描述：", NULL};
	struct notif_text *t = &n->text[lang];
	struct buf reasons;
	buf_init(&reasons, BUF_NOMAX);
	for (size_t i = a; i < b; i++) {
		char *ln = line_dup(&lines[i]);
		for (int k = 0; title_labels[k]; k++) {
			if (starts_with_ci(ln, title_labels[k]) && !t->title) {
				/* The title may run over several lines, up to a blank line or the reasons. */
				size_t j = i + 1;
				while (j < b && lines[j].len && !memmem(lines[j].s, lines[j].len, "Reason", 6) &&
				       !memmem(lines[j].s, lines[j].len, "理由", 6))
					j++;
				char *joined = join_lines(lines, i, j);
				const char *lab = strcasestr_ascii(joined, title_labels[k]);
				char *v = text_fold_space(lab ? lab + strlen(title_labels[k]) : joined);
				free(joined);
				parse_title(n, lang, v);
				free(v);
			}
		}
		for (int k = 0; desc_labels[k]; k++) {
			if (starts_with_ci(ln, desc_labels[k])) {
				char *joined = join_lines(lines, i, b);
				const char *start = strstr(joined, desc_labels[k]);
				char *v = item_value(start ? start + strlen(desc_labels[k]) : joined, NULL);
				take(&t->description, v);
				free(joined);
				free(ln);
				goto done;
			}
		}
		size_t blen = 0;
		const char *box = NULL;
		for (const char *p = ln; *p && !box; p++)
			if (tickbox_at(p, &blen) == 1)
				box = p;
		if (box) {
			char *reason = text_fold_space(box + blen);
			if (reasons.len)
				buf_addstr(&reasons, "; ");
			/* "Notified measure adopted - date: 10 April 2025": the text before the date is the reason. */
			char *dash = strstr(reason, " - ");
			char *datepart = dash ? dash + 3 : (char *)after_colon(reason, 200);
			buf_add(&reasons, reason, dash ? (size_t)(dash - reason) : strlen(reason));
			char iso[11];
			if (datepart && !date_parse(datepart, iso)) {
				enum notif_date which = D_N;
				if (strcasestr_ascii(reason, "comment") || strstr(reason, "评议") || strstr(reason, "意见"))
					which = D_COMMENTS;
				else if (strcasestr_ascii(reason, "adopted") || strstr(reason, "批准") || strstr(reason, "通过"))
					which = D_ADOPTION;
				else if (strcasestr_ascii(reason, "into force") || strstr(reason, "生效"))
					which = D_ENTRY_FORCE;
				if (which != D_N) {
					const char *c = after_colon(datepart, 200);
					set_date(&n->dates[which], lang, text_fold_space(c ? c : datepart));
				}
			}
			free(reason);
		} else if (strcasestr_ascii(ln, "New deadline for comments") || strstr(ln, "新的评议截止日期") ||
			   strstr(ln, "新的意见截止日期")) {
			const char *c = after_colon(ln, 200);
			char iso[11];
			if (c && !date_parse(c, iso))
				set_date(&n->dates[D_COMMENTS], lang, text_fold_space(c));
		}
		free(ln);
	}
done:
	if (reasons.len)
		take(&t->reason, buf_detach(&reasons));
	buf_release(&reasons);
}

/* Corrigenda carry prose: everything after the "Corrigendum" heading is the description. */
static void parse_corrigendum(struct notif *n, enum notif_lang lang, const struct line *lines, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		char *ln = line_dup(&lines[i]);
		int head = !strcasecmp(ln, "Corrigendum") || !strcmp(ln, "勘误");
		free(ln);
		if (head) {
			size_t j = i + 1;
			/* Skip the circulation sentence and the rule under it. */
			while (j < b && (!lines[j].len || memmem(lines[j].s, lines[j].len, "___", 3) ||
					 memmem(lines[j].s, lines[j].len, "being circulated", 16)))
				j++;
			char *joined = join_lines(lines, j, b);
			char *v = item_value(joined, NULL);
			free(joined);
			if (*v) {
				take(&n->text[lang].description, v);
				return;
			}
			free(v);
			return;
		}
	}
}

/* The distribution date: a short line in the header that is a date, or a labelled one. */
static void header_date(struct notif *n, const struct line *lines, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		char *ln = line_dup(&lines[i]);
		char iso[11];
		int labelled_line = strcasestr_ascii(ln, "distribut") || strstr(ln, "分发日期") || strstr(ln, "通报日期") ||
				    strstr(ln, "发布日期");
		int is_item = 0;
		const char *rest;
		is_item = item_start(&lines[i], &rest) != 0;
		if (is_item) {
			free(ln);
			return;
		}
		if ((labelled_line || strlen(ln) <= 24) && !date_parse(ln, iso)) {
			memcpy(n->dates[D_DISTRIBUTED].iso, iso, sizeof(iso));
			free(ln);
			return;
		}
		free(ln);
	}
}

static int parse_doc(const struct parse_sink *sink, const struct line *lines, const struct doc *d)
{
	char err[ERRBUF_SIZE];
	struct notif *n = notif_new();
	enum notif_lang lang = is_chinese_doc(lines, d->first, d->end) ? LANG_ZH : LANG_EN;
	if (notif_set_symbol(n, d->symbols.items[0], err, sizeof(err))) {
		reject(sink, d->first + 1, "%s", err);
		notif_free(n);
		return 0;
	}
	if (d->symbols.n > NOTIF_MAX_JOINT) {
		reject(sink, d->first + 1, "the document names %zu symbols; a joint notification has at most %d", d->symbols.n,
		       NOTIF_MAX_JOINT);
		notif_free(n);
		return 0;
	}
	for (size_t i = 1; i < d->symbols.n; i++)
		strv_push_unique(&n->also_symbols, d->symbols.items[i]);
	header_date(n, lines, d->first, d->end);

	const struct item_def *defs = n->type == NT_SPS ? sps_items : tbt_items;
	int max = n->type == NT_SPS ? 14 : 11;
	int last = 0, items = 0;
	struct buf raw;
	buf_init(&raw, BUF_NOMAX);
	for (size_t i = d->first; i <= d->end; i++) {
		const char *rest = NULL;
		int num = i < d->end ? item_start(&lines[i], &rest) : 0;
		int accept = 0;
		if (num > last && num <= max && num <= last + 3) {
			size_t rl = (size_t)(lines[i].s + lines[i].len - rest);
			char *heading = xstrndup(rest, rl);
			const char *c = after_colon(heading, rl);
			if (c)
				heading[c - heading] = '\0';
			else if (strlen(heading) > 120)
				heading[120] = '\0';
			accept = heading_matches(&defs[num], heading);
			free(heading);
		}
		if (i == d->end || accept) {
			if (last) {
				apply_item(n, lang, defs[last].field, raw.s);
				items++;
			}
			buf_reset(&raw);
			if (i == d->end)
				break;
			last = num;
			buf_add(&raw, rest, (size_t)(lines[i].s + lines[i].len - rest));
			continue;
		}
		if (last) {
			/* The symbol repeated in a page header is not content. */
			if (!symbol_line(&lines[i], NULL)) {
				buf_addch(&raw, '\n');
				buf_add(&raw, lines[i].s, lines[i].len);
			}
		}
	}
	buf_release(&raw);

	if (n->relation == REL_ADDENDUM || n->relation == REL_SUPPLEMENT || (n->relation == REL_CORRIGENDUM && items < 3))
		parse_addendum(n, lang, lines, d->first, d->end);
	if (n->relation == REL_CORRIGENDUM && !n->text[lang].description && items < 3)
		parse_corrigendum(n, lang, lines, d->first, d->end);

	if (!n->text[lang].title && !n->text[lang].description && !n->text[lang].reason) {
		reject(sink, d->first + 1, "%s: no title, description or reason found (%d form items recognised)",
		       n->symbol, items);
		notif_free(n);
		return 0;
	}
	n->source = xstrdup("wto-text");
	notif_finish(n);
	return sink->on_record(sink->arg, n);
}

/* Splits the text into lines and the lines into documents, each starting at a new symbol. */
static int parse_text(const struct parse_sink *sink, const char *s, size_t len)
{
	struct line *lines = NULL;
	size_t n = 0, cap = 0;
	struct doc *docs = NULL;
	size_t nd = 0, capd = 0;
	int rc = 0;
	for (size_t i = 0; i < len;) {
		size_t e = i;
		while (e < len && s[e] != '\n')
			e++;
		size_t l = e - i;
		if (l && s[i + l - 1] == '\r')
			l--;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			lines = xrealloc(lines, cap * sizeof(*lines));
		}
		lines[n].s = s + i;
		lines[n].len = l;
		n++;
		i = e + 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct strv syms;
		struct doc *cur = nd ? &docs[nd - 1] : NULL;
		const char *rest;
		strv_init(&syms);
		if (symbol_line(&lines[i], &syms)) {
			if (cur && !strcmp(cur->symbols.items[0], syms.items[0])) {
				/* The symbol repeated in a page header. */
			} else if (cur && !cur->started) {
				/* Beyond the cap the document is refused anyway: stop comparing (quadratic) once past it. */
				for (size_t k = 0; k < syms.n && cur->symbols.n <= NOTIF_MAX_JOINT; k++)
					strv_push_unique(&cur->symbols, syms.items[k]);
			} else {
				if (cur)
					cur->end = i;
				if (nd == capd) {
					capd = capd ? capd * 2 : 16;
					docs = xrealloc(docs, capd * sizeof(*docs));
				}
				docs[nd].first = i;
				docs[nd].end = n;
				docs[nd].started = 0;
				strv_init(&docs[nd].symbols);
				for (size_t k = 0; k < syms.n && docs[nd].symbols.n <= NOTIF_MAX_JOINT; k++)
					strv_push_unique(&docs[nd].symbols, syms.items[k]);
				nd++;
			}
		} else if (cur && !cur->started) {
			char *ln = line_dup(&lines[i]);
			if (item_start(&lines[i], &rest) == 1 || starts_with_ci(ln, "Title:") || starts_with(ln, "标题：") ||
			    strcasestr_ascii(ln, "NOTIFICATION") || strstr(ln, "通报") || strstr(ln, "补遗") ||
			    strcasestr_ascii(ln, "Addendum") || strcasestr_ascii(ln, "Corrigendum") || strstr(ln, "勘误"))
				cur->started = 1;
			free(ln);
		}
		strv_release(&syms);
	}
	if (!nd)
		reject(sink, 0, "no notification symbol found (expected a line such as G/TBT/N/USA/1234)");
	for (size_t k = 0; k < nd; k++) {
		if (!rc)
			rc = parse_doc(sink, lines, &docs[k]);
		strv_release(&docs[k].symbols);
	}
	free(docs);
	free(lines);
	return nd ? 0 : -TBT_EPARSE;
}

int parse_wto_text(const struct parse_sink *sink, const char *data, size_t len)
{
	size_t bad;
	struct buf conv;
	int rc;
	const void *nul = memchr(data, '\0', len);
	if (nul) {
		size_t off = (size_t)((const char *)nul - data), line = 1;
		for (size_t i = 0; i < off; i++)
			line += data[i] == '\n';
		reject(sink, line, "binary data (a NUL byte at offset %zu): not a text document", off);
		return -TBT_EPARSE;
	}
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
		data += 3;
		len -= 3;
	}
	if (utf8_valid(data, len, &bad))
		return parse_text(sink, data, len);
	/* Chinese platforms still serve GB2312/GBK/GB18030. */
	buf_init(&conv, BUF_NOMAX);
	rc = from_gb18030(data, len, &conv);
	if (rc) {
		size_t line = 1;
		for (size_t i = 0; i < bad; i++)
			line += data[i] == '\n';
		reject(sink, line, "invalid UTF-8 at byte %zu, and not GB18030 either", bad);
		buf_release(&conv);
		return -TBT_EPARSE;
	}
	rc = parse_text(sink, conv.s, conv.len);
	buf_release(&conv);
	return rc;
}
