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
	F_SYMBOL,      /* a platform's "通报号:" item: the symbol, read when the document was split */
	F_DISTRIBUTED, /* a platform's "通报日期:" item */
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
	int bare;    /* it began on a line of symbols only, which the next such line may continue (joint) */
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

/* How a line names symbols. */
enum symline {
	SL_NONE = 0, /* no symbol, or one inside other text */
	SL_BARE,     /* only symbols, perhaps after a label: "通报号:G/TBT/N/USA/1", "G/SPS/N/BDI/149, G/SPS/N/KEN/358" */
	SL_HEADER,   /* a document's header: symbols with the date and a job number ("G/SPS/N/JPN/196 2007-9-17 07-3884") */
	SL_LEAD,     /* symbols leading other text, as on a listing page ("G/TBT/N/USA/2215 美国 电动滑板车 ...") */
};

/* A job number as the WTO prints it beside the symbol: "07-3884", "(25-2611)". */
static int job_number(const char *s)
{
	if (*s == '(')
		s++;
	size_t a = strspn(s, "0123456789");
	if (a != 2 || s[2] != '-')
		return 0;
	size_t b = strspn(s + 3, "0123456789");
	return b >= 3 && b <= 5 && (!s[3 + b] || s[3 + b] == ')' || s[3 + b] == ' ');
}

/* Whether the text after the symbols is what a header puts there: a date, a job number, a page count. */
static int header_tail(const char *t)
{
	char iso[11];
	if (job_number(t))
		return 1;
	if (!isdigit((unsigned char)*t) && strncasecmp(t, "page", 4))
		return 0;
	return !date_parse(t, iso) || starts_with_ci(t, "page");
}

/* Words that may stand before the symbol on a header line ("ORGANIZATION G/TBT/N/COL/20/Add.5 10 November 2005"). */
static int header_prefix(const char *pre)
{
	static const char *const words[] = {"ORGANIZATION", "WORLD TRADE ORGANIZATION", "WORLD TRADE", "世界贸易组织",
					    NULL};
	for (int i = 0; words[i]; i++)
		if (!strcasecmp(pre, words[i]))
			return 1;
	size_t l = strlen(pre);
	return (l && pre[l - 1] == ':') || (l >= 3 && !strcmp(pre + l - 3, "："));
}

/*
 * Reads the symbols a line names: only symbols (after a label or a header word), symbols with the header's date and
 * job number, or symbols leading other text. Appends them to out (if not NULL); *tail (if not NULL) gets what
 * follows them, or NULL. Returns the kind.
 */
static enum symline symbol_line(const struct line *l, struct strv *out, char **tail)
{
	char *t = line_dup(l), *p;
	struct strv found;
	enum symline kind = SL_NONE;
	if (tail)
		*tail = NULL;
	char *g = strstr(t, "G/");
	if (!g || strlen(t) > 400 || g - t > 120) {
		free(t);
		return SL_NONE;
	}
	char *pre = strndup_trim(t, (size_t)(g - t));
	int prefix_ok = !*pre || header_prefix(pre);
	free(pre);
	if (!prefix_ok) {
		free(t);
		return SL_NONE;
	}
	p = g;
	strv_init(&found);
	for (;;) {
		size_t n;
		while (*p == ' ' || *p == ',' || *p == ';' || *p == '\t')
			p++;
		if (!strncmp(p, "，", 3) || !strncmp(p, "；", 3) || !strncmp(p, "、", 3)) {
			p += 3;
			continue;
		}
		if (strncmp(p, "G/", 2))
			break;
		n = strcspn(p, " \t,;\xEF\xE3");
		char *tok = xstrndup(p, n);
		struct symbol_parts sp;
		int bad = symbol_parse(tok, &sp);
		if (!bad)
			strv_push(&found, sp.norm);
		free(tok);
		if (bad)
			break;
		p += n;
	}
	if (found.n) {
		char *rest = strndup_trim(p, strlen(p));
		if (!*rest)
			kind = SL_BARE;
		else if (header_tail(rest))
			kind = SL_HEADER;
		else
			kind = g == t ? SL_LEAD : SL_NONE;
		if (kind != SL_NONE && tail && *rest)
			*tail = rest;
		else
			free(rest);
	}
	for (size_t i = 0; kind != SL_NONE && out && i < found.n; i++)
		strv_push_unique(out, found.items[i]);
	strv_release(&found);
	free(t);
	return kind;
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

/* ---- layouts: what real documents do to the form, undone before the items are read ---- */

/* Labels that start an item wherever they stand at the start of a line, numbered or not, followed by a colon: the
 * Chinese platforms' labelled layouts and their own numberings. The longest label that matches wins. */
static const struct {
	const char *label;
	enum field field;
} item_labels[] = {
	{"通报号", F_SYMBOL},
	{"通报日期", F_DISTRIBUTED},
	{"分发日期", F_DISTRIBUTED},
	{"发布日期", F_DISTRIBUTED},
	{"通报成员", F_MEMBER},
	{"发布通报成员", F_MEMBER},
	{"负责机构", F_AGENCY},
	{"负责部门", F_AGENCY},
	{"通报依据的条款", F_ARTICLES},
	{"通报依据", F_ARTICLES},
	{"根据协定哪一条通报", F_ARTICLES},
	{"覆盖的产品", F_PRODUCTS},
	{"涵盖产品", F_PRODUCTS},
	{"覆盖产品", F_PRODUCTS},
	{"可能受影响的地区或国家", F_REGIONS},
	{"通报标题", F_TITLE},
	{"通报文件的名称", F_TITLE},
	{"通报文件的标题", F_TITLE},
	{"通报文件标题", F_TITLE},
	{"内容简述", F_DESCRIPTION},
	{"内容概述", F_DESCRIPTION},
	{"通报文件内容简述", F_DESCRIPTION},
	{"描述", F_DESCRIPTION},
	{"目的和理由", F_OBJECTIVES},
	{"目标及理由", F_OBJECTIVES},
	{"目标和理由", F_OBJECTIVES},
	{"是否有相关国际标准", F_STANDARDS},
	{"相关国际标准", F_STANDARDS},
	{"相关文件", F_DOCUMENTS},
	{"有关文件", F_DOCUMENTS},
	{"拟批准日期", F_DATES},
	{"拟生效日期", F_ENTRY},
	{"提意见截止日期", F_COMMENTS},
	{"评议截止日期", F_COMMENTS},
	{"意见截止日期", F_COMMENTS},
	{"意见反馈截止日期", F_COMMENTS},
	{"新的意见反馈截止日期", F_COMMENTS},
	{"可获得文本的机构", F_TEXTS},
	{"文本可从以下机构得到", F_TEXTS},
	{"负责处理评议的机构", F_NONE},
	{"负责处理意见的机构", F_NONE},
	{"语言及页数", F_NONE},
	{"补遗原因", F_NONE},
	{"勘误原因", F_NONE},
	{"备注", F_NONE},
	{"脚注", F_NONE},
	{"依据条例", F_NONE},
	{"Agency or authority designated to handle comments", F_NONE},
};

/* The label at p (after optional spaces), followed by a colon within what may stand between a label and its colon
 * ("通报文件的标题,页数和使用语言:"). Returns its index or -1; *after is set just past the label. */
static int label_at(const char *p, const char *e, const char **after)
{
	int best = -1;
	size_t bestlen = 0;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	for (size_t i = 0; i < sizeof(item_labels) / sizeof(item_labels[0]); i++) {
		size_t l = strlen(item_labels[i].label);
		if ((size_t)(e - p) >= l && !strncasecmp(p, item_labels[i].label, l) && l > bestlen) {
			size_t rest = (size_t)(e - p) - l;
			const char *c = after_colon(p + l, rest < 60 ? rest : 60);
			if (!c)
				continue;
			best = (int)i;
			bestlen = l;
		}
	}
	if (best >= 0 && after)
		*after = p + bestlen;
	return best;
}

/* Words a form's numbered heading starts with, in English and Chinese: where one follows a number glued to the
 * previous text ("To be determined10. Final date for comments:"), a new item begins there. */
static const char *const heading_starts[] = {
    "Notifying Member", "Agency responsible", "Notified under", "Products covered", "Regions or countries",
    "Title", "Details of notified", "Description of content", "Objective and rationale", "Relevant documents",
    "Is there a relevant", "Other relevant documents", "Proposed date", "Final date for comments",
    "Texts available", "Agency or authority", NULL,
};

/* Where in [p, e) a numbered heading is glued to the text before it; returns its start or NULL. */
static const char *glued_heading(const char *s, const char *e)
{
	for (const char *p = s + 1; p < e; p++) {
		if (!isdigit((unsigned char)*p) || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '.' || p[-1] == '/' ||
		    p[-1] == '-')
			continue;
		if (isdigit((unsigned char)p[-1])) {
			/* Only after a year: "Second quarter of 202511. Proposed date ..." */
			const char *r = p;
			while (r > s && isdigit((unsigned char)r[-1]))
				r--;
			if (p - r != 4 || (r > s && (isdigit((unsigned char)r[-1]) || r[-1] == '.')))
				continue;
		}
		const char *q = p;
		int num = 0;
		while (q < e && isdigit((unsigned char)*q) && q - p < 3)
			num = num * 10 + (*q++ - '0');
		if (q - p > 2 || num < 2 || num > 16 || q >= e)
			continue;
		if (*q == '.')
			q++;
		else if (e - q >= 3 && !strncmp(q, "、", 3))
			q += 3;
		else
			continue;
		while (q < e && *q == ' ')
			q++;
		for (int k = 0; heading_starts[k]; k++)
			if ((size_t)(e - q) >= strlen(heading_starts[k]) && !strncasecmp(q, heading_starts[k], strlen(heading_starts[k])))
				return p;
		const char *after;
		if (label_at(q, e, &after) >= 0)
			return p;
	}
	return NULL;
}

/* Characters that draw tables: lines of nothing else are rules, and the vertical ones frame cells. */
static int table_rule_line(const char *s, size_t len)
{
	static const char *const rule[] = {"─", "━", "│", "┃", "├", "┤", "┌", "┐", "└", "┘", "┬", "┴", "┼", "═", "║", NULL};
	int seen = 0;
	for (size_t i = 0; i < len;) {
		if (s[i] == '-' || s[i] == '|' || s[i] == '+' || s[i] == ':' || s[i] == '=' || s[i] == ' ' || s[i] == '\t') {
			seen |= s[i] == '-' || s[i] == '|' || s[i] == '+' || s[i] == '=';
			i++;
			continue;
		}
		int k;
		for (k = 0; rule[k]; k++)
			if (len - i >= 3 && !strncmp(s + i, rule[k], 3))
				break;
		if (!rule[k])
			return 0;
		seen = 1;
		i += 3;
	}
	return seen;
}

/* A cell separator at p: '|' or a box-drawing vertical; returns its length or 0. */
static size_t cell_bar(const char *p, const char *e)
{
	if (*p == '|')
		return 1;
	if (e - p >= 3 && (!strncmp(p, "│", 3) || !strncmp(p, "┃", 3) || !strncmp(p, "║", 3)))
		return 3;
	return 0;
}

/* Appends one line to out with its table cells joined by a space. */
static void add_cells(struct buf *out, const char *s, const char *e)
{
	size_t bl;
	int first = 1;
	while (s < e) {
		const char *c = s;
		while (c < e && !cell_bar(c, e))
			c++;
		char *cell = strndup_trim(s, (size_t)(c - s));
		if (*cell) {
			if (!first)
				buf_addch(out, ' ');
			buf_addstr(out, cell);
			first = 0;
		}
		free(cell);
		s = c < e ? c + ((bl = cell_bar(c, e)) ? bl : 1) : e;
	}
}

/* A line holding only an item number ("1.", "1", "1、"): returns it, or 0. */
static int number_only(const char *s, size_t len)
{
	char *t = strndup_trim(s, len);
	int n = 0, nd = 0;
	const char *p = t;
	while (isdigit((unsigned char)*p) && nd < 3)
		n = n * 10 + (*p++ - '0'), nd++;
	if (*p == '.' || *p == ')')
		p++;
	else if (!strncmp(p, "、", 3) || !strncmp(p, "．", 3))
		p += 3;
	int ok = nd && nd <= 2 && !*p && n >= 1;
	free(t);
	return ok ? n : 0;
}

/* The line that starts at *pos (without its CR LF); moves *pos past it. */
static const char *next_line(const char *s, size_t len, size_t *pos, size_t *l)
{
	size_t i = *pos, e = i;
	while (e < len && s[e] != '\n')
		e++;
	*l = e - i;
	if (*l && s[e - 1] == '\r')
		(*l)--;
	*pos = e + 1;
	return s + i;
}

/*
 * Undoes what tables, PDF extraction and web pages do to a form: rules drawn with characters become blank lines,
 * table cells are joined, a heading glued to the previous value moves to a line of its own, and a number alone on
 * its line joins the heading on the next. The result has the same number of lines or more.
 */
static void normalise_layout(const char *s, size_t len, struct buf *out)
{
	size_t i = 0;
	int pending = 0; /* a number alone on its line, waiting for its heading */
	while (i < len) {
		size_t l;
		const char *ls = next_line(s, len, &i, &l), *le = ls + l;
		while (ls < le && (*ls == ' ' || *ls == '\t'))
			ls++;
		if (ls < le && table_rule_line(ls, (size_t)(le - ls))) {
			/* a rule: blank */
		} else if (ls < le && cell_bar(ls, le)) {
			struct buf row;
			buf_init(&row, BUF_NOMAX);
			add_cells(&row, ls, le);
			buf_add(out, row.s ? row.s : "", row.len);
			buf_release(&row);
		} else if (!pending && number_only(ls, (size_t)(le - ls))) {
			/* The heading's line joins this one; a blank line keeps the count. */
			buf_add(out, ls, (size_t)(le - ls));
			buf_addch(out, ' ');
			pending = 1;
			continue;
		} else {
			const char *p = ls, *g;
			while ((g = glued_heading(p, le)) != NULL) {
				buf_add(out, p, (size_t)(g - p));
				buf_addch(out, '\n');
				p = g;
			}
			buf_add(out, p, (size_t)(le - p));
		}
		buf_addch(out, '\n');
		if (pending)
			buf_addch(out, '\n');
		pending = 0;
	}
}

/* An item's number: "4. Products covered: ..." or "4、覆盖的产品：". Returns the number and the rest; *dotless (if not
 * NULL) is set when only a space follows the number ("1 通报成员:美国"), which counts only before a known label. */
static int item_number(const struct line *l, const char **rest, int *dotless)
{
	const char *p = l->s, *e = l->s + l->len;
	int n = 0, nd = 0, nodot = 0;
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
	else if (dotless && p < e && (*p == ' ' || *p == '\t'))
		nodot = 1;
	else
		return 0;
	if (p < e && *p == ' ')
		p++;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (p < e && isdigit((unsigned char)*p))
		return 0; /* "2.9.2" and "10.1" are not item starts */
	*rest = p;
	if (dotless)
		*dotless = nodot;
	return n;
}

static int item_start(const struct line *l, const char **rest)
{
	return item_number(l, rest, NULL);
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
	if (!text || !*text) {
		free(text);
		return;
	}
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

/* Removes a leading symbol and a trailing relation marker ("(补遗)", "（勘误）", "(Addendum)") from a title. */
static void strip_title_markers(char *t)
{
	static const char *const marks[] = {"(补遗)", "（补遗）", "(勘误)", "（勘误）", "(修订)", "（修订）", "(修正)",
					    "（修正）", "(Addendum)", "(Corrigendum)", "(Revision)", NULL};
	char *p = t;
	while (*p == ' ')
		p++;
	if (starts_with(p, "G/")) {
		size_t k = strcspn(p, " (（");
		char *tok = xstrndup(p, k);
		struct symbol_parts sp;
		if (!symbol_parse(tok, &sp))
			memmove(t, p + k, strlen(p + k) + 1);
		free(tok);
	}
	for (int again = 1; again;) {
		again = 0;
		size_t l = strlen(t);
		while (l && t[l - 1] == ' ')
			t[--l] = '\0';
		for (int i = 0; marks[i]; i++) {
			size_t ml = strlen(marks[i]);
			if (l >= ml && !strcasecmp(t + l - ml, marks[i])) {
				t[l - ml] = '\0';
				again = 1;
				break;
			}
		}
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
	if (last && pages && pages - last < 40) {
		for (size_t k = 0; k < sizeof(languages) / sizeof(languages[0]); k++)
			if (strstr(last, languages[k].word))
				strv_push_unique(&n->doc_languages, languages[k].name);
		*last = '\0';
	}
	/* Platforms head an addendum's page with its symbol and a marker: "G/TBT/N/THA/702/Add.2(补遗)". */
	strip_title_markers(t);
	/* URLs go to the document links, not the title. */
	urls_in(t, &n->document_urls);
	char *h = strstr(t, "http");
	if (h && h != t)
		*h = '\0';
	char *f = text_fold_space(t);
	size_t len = strlen(f);
	/* What the cuts leave at the end: "草案（" of "草案（语言：韩文，页数：15）", a comma, a space. */
	for (int more = 1; more && len;) {
		more = 0;
		if (f[len - 1] == ',' || f[len - 1] == ';' || f[len - 1] == '(' || f[len - 1] == ' ') {
			f[--len] = '\0';
			more = 1;
		} else if (len >= 3 && (!strcmp(f + len - 3, "（") || !strcmp(f + len - 3, "，") || !strcmp(f + len - 3, "；"))) {
			len -= 3;
			f[len] = '\0';
			more = 1;
		}
	}
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

/* Whether s holds nothing but the labels of empty code fields ("HS: ICS:", "HS编码："). */
static int only_code_labels(const char *s)
{
	static const char *const words[] = {"HS编码", "ICS编码", "HS", "ICS", ":", "：", " ", ";", "；", ",", NULL};
	while (*s) {
		int k;
		for (k = 0; words[k]; k++)
			if (starts_with_ci(s, words[k])) {
				s += strlen(words[k]);
				break;
			}
		if (!words[k])
			return 0;
	}
	return 1;
}

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
		if (only_code_labels(v))
			v[0] = '\0'; /* an empty platform field: "HS: ICS:" */
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
	case F_DISTRIBUTED: {
		char iso[11];
		if (!date_parse(v, iso))
			memcpy(n->dates[D_DISTRIBUTED].iso, iso, sizeof(iso));
		break;
	}
	case F_SYMBOL:
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

/* Which of the measure's dates a reason box or a sentence speaks of, from its words; D_N when none. */
static enum notif_date date_meant(const char *s)
{
	if (strcasestr_ascii(s, "comment") || strstr(s, "评议") || strstr(s, "意见"))
		return D_COMMENTS;
	if (strcasestr_ascii(s, "into force") || strstr(s, "生效"))
		return D_ENTRY_FORCE;
	if (strcasestr_ascii(s, "adopted") || strcasestr_ascii(s, "adoption") || strstr(s, "批准") ||
	    strstr(s, "通过") || strstr(s, "采取"))
		return D_ADOPTION;
	return D_N;
}

/* Where a reason box's words end and its date begins: "Comment period changed - date: 12 June 2025",
 * "已通知采取的措施-日期:2025年7月18日", "Text of final measure available from: URL". */
static size_t reason_words(const char *r)
{
	static const char *const cuts[] = {" - ", "-日期", "－日期", "—日期", "- date", "-date", NULL};
	size_t end = strlen(r);
	for (int i = 0; cuts[i]; i++) {
		const char *p = strcasestr_ascii(r, cuts[i]);
		if (p && (size_t)(p - r) < end)
			end = (size_t)(p - r);
	}
	const char *c = after_colon(r, end);
	if (c) {
		size_t cl = (size_t)(c - r) - (c[-1] == ':' ? 1 : 3);
		if (cl < end)
			end = cl;
	}
	while (end && (r[end - 1] == ' ' || r[end - 1] == '-'))
		end--;
	return end;
}

/* A line that holds a box for an article of the Agreement ("[X] 2.9.2"), not a reason. */
static int article_box(const char *p)
{
	while (*p == ' ')
		p++;
	return isdigit((unsigned char)p[0]) && p[1] == '.' && isdigit((unsigned char)p[2]);
}

/* Addenda and corrigenda: "Title:", "Reason for Addendum:" boxes, "Description:". */
static void parse_addendum(struct notif *n, enum notif_lang lang, const struct line *lines, size_t a, size_t b)
{
	static const char *const title_labels[] = {"Title:", "标题：", "名称：", "标题:", NULL};
	static const char *const desc_labels[] = {"Description:", "内容简述：", "说明：", "描述：", "描述:", NULL};
	struct notif_text *t = &n->text[lang];
	struct buf reasons;
	size_t from = a;
	/* With a "Reason for Addendum" heading, only the boxes after it are reasons (the form's article boxes come
	 * before it). */
	for (size_t i = a; i < b; i++)
		if (memmem(lines[i].s, lines[i].len, "Reason for", 10) || memmem(lines[i].s, lines[i].len, "补遗原因", 12) ||
		    memmem(lines[i].s, lines[i].len, "勘误原因", 12)) {
			from = i;
			break;
		}
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
				if (!t->description) {
					char *joined = join_lines(lines, i, b);
					const char *start = strstr(joined, desc_labels[k]);
					char *v = item_value(start ? start + strlen(desc_labels[k]) : joined, NULL);
					take(&t->description, v);
					free(joined);
				}
				free(ln);
				goto done;
			}
		}
		size_t blen = 0;
		const char *box = NULL;
		for (const char *p = ln; *p && !box && i >= from; p++)
			if (tickbox_at(p, &blen) == 1 && !article_box(p + blen))
				box = p;
		if (box) {
			char *reason = text_fold_space(box + blen);
			size_t rl = reason_words(reason);
			if (rl) {
				if (reasons.len)
					buf_addstr(&reasons, "; ");
				buf_add(&reasons, reason, rl);
			}
			const char *datepart = reason + rl;
			char iso[11];
			enum notif_date which = date_meant(reason);
			if (strcasestr_ascii(reason, "withdrawn") || strstr(reason, "撤回") || strstr(reason, "撤销"))
				which = D_N;
			if (which != D_N && !date_parse(datepart, iso)) {
				const char *c = after_colon(datepart, 200);
				set_date(&n->dates[which], lang, text_fold_space(c ? c : datepart));
			}
			/* The links to the final text: on the box's line or the lines after it, up to the next box. */
			urls_in(reason, &n->document_urls);
			for (size_t j = i + 1; j < b; j++) {
				char *nx = line_dup(&lines[j]);
				size_t l2;
				int stop = tickbox_at(nx, &l2) >= 0 || !starts_with(nx, "http");
				if (!stop)
					urls_in(nx, &n->document_urls);
				free(nx);
				if (stop)
					break;
			}
			free(reason);
		} else if (strcasestr_ascii(ln, "New deadline for comments") || strstr(ln, "新的评议截止日期") ||
			   strstr(ln, "新的意见截止日期") || strstr(ln, "新的意见反馈截止日期")) {
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

/* The sentences of a prose addendum that move a date: "the period for comments ... has been extended until
 * 16 January 2006", "the regulation was adopted on ...", "entered into force on ...". The last date of such a
 * sentence is the new one ("extended from 10 December to 16 January"). */
static void prose_dates(struct notif *n, enum notif_lang lang, const char *text)
{
	static const char *const why[][2] = {
	    [D_COMMENTS] = {"Comment period changed", "评议期变更"},
	    [D_ADOPTION] = {"Notified measure adopted", "已通知采取的措施"},
	    [D_ENTRY_FORCE] = {"Notified measure enters into force", "通报措施生效"},
	};
	const char *s = text;
	struct strv reasons;
	strv_init(&reasons);
	while (*s) {
		size_t len = 0;
		while (s[len] && !(s[len] == '.' && (s[len + 1] == ' ' || s[len + 1] == '\n' || !s[len + 1])) &&
		       strncmp(s + len, "。", 3))
			len++;
		if (len > 2000)
			len = 2000;
		char *sent = xstrndup(s, len);
		enum notif_date which = date_meant(sent);
		int moved = strcasestr_ascii(sent, "extend") || strcasestr_ascii(sent, "until") ||
			    strcasestr_ascii(sent, "deadline") || strcasestr_ascii(sent, " on ") || strstr(sent, "延长") ||
			    strstr(sent, "截止") || strstr(sent, "于");
		if (which != D_N && moved) {
			char last[11];
			if (!date_parse_last(sent, last)) {
				memcpy(n->dates[which].iso, last, sizeof(last));
				strv_push_unique(&reasons, why[which][lang == LANG_ZH]);
			}
		}
		if (strcasestr_ascii(sent, "withdrawn") || strcasestr_ascii(sent, "withdraws") || strstr(sent, "撤回"))
			strv_push_unique(&reasons, lang == LANG_ZH ? "通报措施撤回" : "Notified measure withdrawn or revoked");
		free(sent);
		s += len;
		while (*s == '.' || *s == ' ' || *s == '\n')
			s++;
		if (!strncmp(s, "。", 3))
			s += 3;
	}
	if (reasons.n && !n->text[lang].reason) {
		struct buf r;
		buf_init(&r, BUF_NOMAX);
		for (size_t i = 0; i < reasons.n; i++) {
			if (i)
				buf_addstr(&r, "; ");
			buf_addstr(&r, reasons.items[i]);
		}
		n->text[lang].reason = buf_detach(&r);
	}
	strv_release(&reasons);
}

/* A prose addendum ("The Republic of Colombia hereby advises that ..."): its body, after the heading and the
 * circulation sentence, is the description, and the dates it moves are read from its sentences. */
static void parse_prose(struct notif *n, enum notif_lang lang, const struct line *lines, size_t a, size_t b)
{
	size_t start = b;
	for (size_t i = a; i < b; i++) {
		char *ln = line_dup(&lines[i]);
		int head = !strcasecmp(ln, "Addendum") || !strcasecmp(ln, "Corrigendum") || !strcasecmp(ln, "Supplement") ||
			   !strcmp(ln, "补遗") || !strcmp(ln, "勘误");
		free(ln);
		if (head) {
			start = i + 1;
			break;
		}
	}
	if (start == b)
		return;
	/* After the rule that ends the circulation paragraph, or else after that paragraph. */
	size_t rule = 0;
	for (size_t i = start; i < b; i++)
		if (memmem(lines[i].s, lines[i].len, "___", 3))
			rule = i + 1;
	if (rule) {
		start = rule;
	} else {
		while (start < b && !lines[start].len)
			start++;
		if (start < b && (memmem(lines[start].s, lines[start].len, "circulated", 10) ||
				  memmem(lines[start].s, lines[start].len, "following communication", 23)))
			while (start < b && lines[start].len)
				start++;
	}
	char *joined = join_lines(lines, start, b);
	char *v = item_value(joined, NULL);
	free(joined);
	if (*v) {
		prose_dates(n, lang, v);
		take(&n->text[lang].description, v);
		return;
	}
	free(v);
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

/* The distribution date: a short line in the header that is a date, a labelled one, or the date printed beside the
 * symbol ("G/SPS/N/JPN/196 2007-9-17 07-3884"). */
static void header_date(struct notif *n, const struct line *lines, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		char *ln = line_dup(&lines[i]), *tail = NULL;
		char iso[11];
		int labelled_line = strcasestr_ascii(ln, "distribut") || strstr(ln, "分发日期") || strstr(ln, "通报日期") ||
				    strstr(ln, "发布日期");
		const char *rest;
		if (item_start(&lines[i], &rest) != 0) {
			free(ln);
			return;
		}
		int found = 0;
		if (symbol_line(&lines[i], NULL, &tail) == SL_HEADER && tail && !date_parse(tail, iso))
			found = 1;
		else if ((labelled_line || strlen(ln) <= 24) && !date_parse(ln, iso))
			found = 1;
		free(tail);
		free(ln);
		if (found) {
			memcpy(n->dates[D_DISTRIBUTED].iso, iso, sizeof(iso));
			return;
		}
	}
}

/*
 * Whether line l starts an item, and which: a known label at its start (numbered or not, as the Chinese platforms
 * number them in their own ways), else the form's number in sequence with a heading that fits it, else the next
 * number with a short heading we do not know (a platform's own item, which at least ends the previous one).
 */
static int item_head(const struct line *l, const struct item_def *defs, int max, int last, int *num,
		     const char **rest, enum field *fld)
{
	int dotless = 0;
	const char *r = NULL, *after;
	int k = item_number(l, &r, &dotless);
	const char *e = l->s + l->len;
	int lab = label_at(k ? r : l->s, e, &after);
	if (lab >= 0) {
		*num = k;
		*rest = k ? r : l->s;
		*fld = item_labels[lab].field == F_SYMBOL ? F_NONE : item_labels[lab].field;
		return 1;
	}
	if (!k || dotless)
		return 0;
	size_t rl = (size_t)(e - r);
	char *heading = xstrndup(r, rl);
	const char *c = after_colon(heading, rl);
	if (c)
		heading[c - heading] = '\0';
	else if (strlen(heading) > 120)
		heading[120] = '\0';
	int ok = 0;
	if (k > last && k <= max && k <= last + 3 && heading_matches(&defs[k], heading)) {
		*fld = defs[k].field;
		ok = 1;
	} else if (k == last + 1 && c && strlen(heading) <= 48 && !strpbrk(heading, "0123456789")) {
		*fld = F_NONE;
		ok = 1;
	}
	free(heading);
	if (ok) {
		*num = k;
		*rest = r;
	}
	return ok;
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
	int last = 0, items = 0, open_item = 0;
	enum field cur = F_NONE;
	struct buf raw;
	buf_init(&raw, BUF_NOMAX);
	for (size_t i = d->first; i <= d->end; i++) {
		const char *rest = NULL;
		enum field fld = F_NONE;
		int num = 0, accept = 0;
		if (i < d->end)
			accept = item_head(&lines[i], defs, max, last, &num, &rest, &fld);
		if (i == d->end || accept) {
			if (open_item) {
				apply_item(n, lang, cur, raw.s);
				items++;
			}
			buf_reset(&raw);
			if (i == d->end)
				break;
			if (num)
				last = num;
			cur = fld;
			open_item = 1;
			buf_add(&raw, rest, (size_t)(lines[i].s + lines[i].len - rest));
			continue;
		}
		if (open_item) {
			/* The symbol repeated in a page header is not content. */
			enum symline k = symbol_line(&lines[i], NULL, NULL);
			if (k != SL_BARE && k != SL_HEADER) {
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
	if (n->relation != REL_NONE && n->relation != REL_REVISION && !n->text[lang].title &&
	    !n->text[lang].description && !n->text[lang].reason)
		parse_prose(n, lang, lines, d->first, d->end);

	/* A date the source wrote that is no day of the calendar rejects the record: a warning must not show a
	 * notification without the deadline it gave. */
	for (int k = 0; k < D_N; k++) {
		char iso[11];
		const char *said = n->dates[k].text_zh ? n->dates[k].text_zh : n->dates[k].text;
		if (!n->dates[k].iso[0] && said && date_parse(said, iso) == -ERANGE) {
			reject(sink, d->first + 1, "%s: the %s date '%s' is not a day of the calendar", n->symbol,
			       notif_date_name((enum notif_date)k), said);
			notif_free(n);
			return 0;
		}
	}
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
		size_t l;
		const char *ls = next_line(s, len, &i, &l);
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			lines = xrealloc(lines, cap * sizeof(*lines));
		}
		lines[n].s = ls;
		lines[n].len = l;
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		struct strv syms;
		struct doc *cur = nd ? &docs[nd - 1] : NULL;
		const char *rest;
		strv_init(&syms);
		enum symline kind = symbol_line(&lines[i], &syms, NULL);
		if (kind == SL_LEAD && cur && cur->started)
			kind = SL_NONE; /* a sentence of the form's content that starts with a symbol */
		if (kind != SL_NONE) {
			if (cur && !strcmp(cur->symbols.items[0], syms.items[0])) {
				/* The symbol repeated in a page header. */
			} else if (cur && !cur->started && kind == SL_BARE && cur->bare) {
				/* Symbols on the lines after the first are a joint notification's. Beyond the cap the
				 * document is refused anyway: stop comparing (quadratic) once past it. */
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
				docs[nd].bare = kind == SL_BARE;
				strv_init(&docs[nd].symbols);
				for (size_t k = 0; k < syms.n && docs[nd].symbols.n <= NOTIF_MAX_JOINT; k++)
					strv_push_unique(&docs[nd].symbols, syms.items[k]);
				nd++;
			}
		} else if (cur && !cur->started) {
			char *ln = line_dup(&lines[i]);
			const char *after;
			if (item_start(&lines[i], &rest) == 1 || starts_with_ci(ln, "Title:") || starts_with(ln, "标题：") ||
			    label_at(lines[i].s, lines[i].s + lines[i].len, &after) >= 0 ||
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

/* Undoes the layout (tables, glued headings, numbers on their own lines), then reads the forms. */
static int parse_normalised(const struct parse_sink *sink, const char *s, size_t len)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	normalise_layout(s, len, &b);
	int rc = parse_text(sink, b.s ? b.s : "", b.len);
	buf_release(&b);
	return rc;
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
		return parse_normalised(sink, data, len);
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
	rc = parse_normalised(sink, conv.s, conv.len);
	buf_release(&conv);
	return rc;
}
