/* summary.c: the offline Chinese digest of a notification, and Chinese for the program's own English (see
 * summary.h). Only our own tables: nothing here guesses at a translation. */
#include "summary.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The WTO's objectives in the official Chinese wording. */
static const struct {
	const char *en, *zh;
} objectives[] = {
    {"Protection of human health or safety", "保护人类健康或安全"},
    {"Protection of animal or plant life or health", "保护动物或植物生命或健康"},
    {"Protection of the environment", "保护环境"},
    {"Prevention of deceptive practices and consumer protection", "防止欺诈行为和保护消费者"},
    {"Consumer information, labelling", "消费者信息、标签"},
    {"Quality requirements", "质量要求"},
    {"Harmonization", "协调"},
    {"National security requirements", "国家安全要求"},
    {"Reducing trade barriers and facilitating trade", "降低贸易壁垒和促进贸易"},
    {"Cost saving and productivity enhancement", "节约成本和提高生产率"},
    {"Food safety", "食品安全"},
    {"Animal health", "动物健康"},
    {"Plant protection", "植物保护"},
    {"Protect humans from animal/plant pest or disease", "保护人类免受动植物有害生物或疾病危害"},
    {"Protect territory from other damage from pests", "保护国家领土免受有害生物的其他损害"},
};

const char *objective_zh(const char *en)
{
	for (size_t i = 0; en && i < sizeof(objectives) / sizeof(objectives[0]); i++)
		if (!strcmp(en, objectives[i].en))
			return objectives[i].zh;
	return NULL;
}

const char *kind_zh(const struct notif *n)
{
	int sps = n->type == NT_SPS;
	switch (n->relation) {
	case REL_ADDENDUM:
		return sps ? "SPS通报补遗" : "TBT通报补遗";
	case REL_CORRIGENDUM:
		return sps ? "SPS通报勘误" : "TBT通报勘误";
	case REL_SUPPLEMENT:
		return sps ? "SPS通报补充" : "TBT通报补充";
	case REL_REVISION:
		return sps ? "卫生与植物卫生措施草案（修订版）" : "技术法规草案（修订版）";
	case REL_NONE:
		break;
	}
	if (sps)
		return "卫生与植物卫生措施草案";
	if (strv_contains(&n->articles, "2.10.1") || strv_contains(&n->articles, "5.7.1"))
		return "紧急技术措施";
	if (strv_contains(&n->articles, "5.6.2") && !strv_contains(&n->articles, "2.9.2"))
		return "合格评定程序草案";
	if (strv_contains(&n->articles, "5.6.2"))
		return "技术法规及合格评定程序草案";
	return "技术法规草案";
}

/* ---- dates' prose ---- */

static const struct {
	const char *word;
	int value;
} number_words[] = {
    {"a", 1},	    {"one", 1},	      {"two", 2},	{"three", 3},	 {"four", 4},	  {"five", 5},	   {"six", 6},
    {"seven", 7},   {"eight", 8},     {"nine", 9},	{"ten", 10},	 {"eleven", 11},  {"twelve", 12},  {"fifteen", 15},
    {"eighteen", 18}, {"twenty", 20}, {"thirty", 30},	{"forty", 40},	 {"forty-five", 45}, {"fifty", 50}, {"sixty", 60},
    {"seventy", 70}, {"eighty", 80},  {"ninety", 90},	{"hundred", 100}, {"twenty-four", 24}, {"thirty-six", 36},
    {"one hundred and eighty", 180}, {"one hundred eighty", 180}, {"one hundred and twenty", 120},
    {"one hundred twenty", 120}, {"three hundred and sixty-five", 365}, {"three hundred sixty-five", 365},
};

/* Phrases that are the whole date. */
static const struct {
	const char *en, *zh;
} whole[] = {
    {"to be determined", "待定"},     {"tbd", "待定"},		 {"not yet determined", "待定"},
    {"not applicable", "不适用"},     {"n/a", "不适用"},		 {"not known", "未知"},
    {"upon publication", "公布之日"}, {"on publication", "公布之日"}, {"date of publication", "公布之日"},
    {"upon adoption", "批准之日"},    {"on adoption", "批准之日"},	 {"immediately", "立即"},
    {"upon entry into force", "生效之日"}, {"on the date of publication", "公布之日"},
    {"upon publication in the official journal", "在官方公报公布之日"},
};

/* What a period is counted from, its filler words dropped ("the", "date", "of", "its"...). */
static const struct {
	const char *en, *zh;
} anchors[] = {
    {"publication", "公布后"},
    {"publication in official journal", "在官方公报公布后"},
    {"publication in official gazette", "在官方公报公布后"},
    {"publication in official journal european union", "在《欧盟官方公报》公布后"},
    {"publication in federal register", "在《联邦公报》公布后"},
    {"publication final rule in federal register", "最终规则在《联邦公报》公布后"},
    {"publication final rule", "最终规则公布后"},
    {"notification", "通报后"},
    {"circulation", "通报后"},
    {"circulation notification", "通报后"},
    {"distribution notification", "通报后"},
    {"adoption", "批准后"},
    {"approval", "批准后"},
    {"signature", "签署后"},
    {"entry into force", "生效后"},
};

static const char *const filler[] = {"the", "date", "of", "its", "their", "this", "a", "an", NULL};
/* "of" inside an anchor is dropped too: "the Official Journal of the European Union" reads "official journal european
 * union". */

/* Lower-cases s into out, white space folded, trailing punctuation dropped. */
static void fold(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	for (; *s && o + 1 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		if (isspace(c)) {
			if (o && out[o - 1] != ' ')
				out[o++] = ' ';
		} else {
			out[o++] = (char)tolower(c);
		}
	}
	while (o && (out[o - 1] == ' ' || out[o - 1] == '.' || out[o - 1] == ';' || out[o - 1] == ','))
		o--;
	out[o] = '\0';
}

/* Reads a number (digits or words) at *p; returns it and moves *p past it, or -1. */
static int read_number(const char **p)
{
	const char *s = *p;
	if (isdigit((unsigned char)*s)) {
		int v = 0;
		while (isdigit((unsigned char)*s) && v < 10000)
			v = v * 10 + (*s++ - '0');
		if (*s != ' ')
			return -1;
		*p = s;
		return v;
	}
	int best = -1;
	size_t best_len = 0;
	for (size_t i = 0; i < sizeof(number_words) / sizeof(number_words[0]); i++) {
		size_t l = strlen(number_words[i].word);
		if (!strncmp(s, number_words[i].word, l) && (s[l] == ' ' || s[l] == '(') && l > best_len) {
			best = number_words[i].value;
			best_len = l;
		}
	}
	if (best < 0)
		return -1;
	s += best_len;
	/* "six (6) months" */
	while (*s == ' ')
		s++;
	if (*s == '(') {
		const char *c = strchr(s, ')');
		if (!c)
			return -1;
		s = c + 1;
	}
	*p = s;
	return best;
}

const char *date_prose_zh(const char *en, char *out, size_t outlen)
{
	char t[256], rest[256];
	if (!en || !*en || strlen(en) >= sizeof(t))
		return NULL;
	fold(en, t, sizeof(t));
	for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		if (!strcmp(t, whole[i].en)) {
			snprintf(out, outlen, "%s", whole[i].zh);
			return out;
		}
	/* NUMBER UNIT (after|from|following) ANCHOR */
	const char *p = t;
	if (!strncmp(p, "within ", 7))
		p += 7;
	int num = read_number(&p);
	if (num <= 0)
		return NULL;
	while (*p == ' ')
		p++;
	static const struct {
		const char *en, *zh;
	} units[] = {{"working days", "个工作日"}, {"working day", "个工作日"}, {"business days", "个工作日"},
		     {"calendar days", "天"},      {"days", "天"},	       {"day", "天"},
		     {"weeks", "周"},		   {"week", "周"},	       {"months", "个月"},
		     {"month", "个月"},	   {"years", "年"},	       {"year", "年"}};
	const char *unit = NULL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && !unit; i++) {
		size_t l = strlen(units[i].en);
		if (!strncmp(p, units[i].en, l) && (p[l] == ' ' || !p[l])) {
			unit = units[i].zh;
			p += l;
		}
	}
	if (!unit)
		return NULL;
	while (*p == ' ')
		p++;
	static const char *const links[] = {"after ", "from ", "following ", "of ", NULL};
	int linked = 0;
	for (int i = 0; links[i] && !linked; i++)
		if (!strncmp(p, links[i], strlen(links[i]))) {
			p += strlen(links[i]);
			linked = 1;
		}
	if (!linked)
		return NULL;
	/* The anchor, its filler words dropped. */
	size_t r = 0;
	rest[0] = '\0';
	while (*p) {
		size_t l = strcspn(p, " ");
		int skip = 0;
		for (int i = 0; filler[i]; i++)
			skip |= strlen(filler[i]) == l && !strncmp(p, filler[i], l);
		if (!skip && r + l + 2 < sizeof(rest)) {
			if (r)
				rest[r++] = ' ';
			memcpy(rest + r, p, l);
			r += l;
			rest[r] = '\0';
		}
		p += l;
		while (*p == ' ')
			p++;
	}
	for (size_t i = 0; i < sizeof(anchors) / sizeof(anchors[0]); i++)
		if (!strcmp(rest, anchors[i].en)) {
			snprintf(out, outlen, "%s%d%s", anchors[i].zh, num, unit);
			return out;
		}
	return NULL;
}

/* ---- the digest ---- */

static void part(struct buf *out, const char *s)
{
	if (!s || !*s)
		return;
	if (out->len)
		buf_addstr(out, " · ");
	buf_addstr(out, s);
}

void summary_zh(const struct notif *n, const struct strv *cats_zh, const char *today, struct buf *out)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	part(out, n->text[LANG_ZH].member_name ? n->text[LANG_ZH].member_name : n->member);
	part(out, kind_zh(n));
	/* What products: our categories, else the codes. */
	if (cats_zh && cats_zh->n) {
		for (size_t i = 0; i < cats_zh->n && i < 3; i++) {
			if (i)
				buf_addstr(&b, "、");
			buf_addstr(&b, cats_zh->items[i]);
		}
		if (cats_zh->n > 3)
			buf_addstr(&b, "等");
	} else if (n->hs.n) {
		buf_addstr(&b, "HS ");
		for (size_t i = 0; i < n->hs.n && i < 3; i++) {
			const char *c = n->hs.items[i];
			buf_addf(&b, "%s%.4s%s%s", i ? "、" : "", c, strlen(c) > 4 ? "." : "", strlen(c) > 4 ? c + 4 : "");
		}
		if (n->hs.n > 3)
			buf_addstr(&b, "等");
	}
	part(out, b.s);
	buf_reset(&b);
	for (size_t i = 0, shown = 0; i < n->objectives.n && shown < 2; i++) {
		const char *o = objective_zh(n->objectives.items[i]);
		if (o) {
			buf_addf(&b, "%s%s", shown++ ? "、" : "", o);
		}
	}
	part(out, b.s);
	buf_reset(&b);
	const struct notif_datev *dl = &n->dates[D_COMMENTS];
	if (dl->iso[0]) {
		long d = iso_days_between(today, dl->iso);
		if (d > 0)
			buf_addf(&b, "评议截止 %s（还剩%ld天）", dl->iso, d);
		else if (d == 0)
			buf_addf(&b, "评议今天截止（%s）", dl->iso);
		else
			buf_addf(&b, "评议已于 %s 截止", dl->iso);
	} else if (dl->text_zh || dl->text) {
		char zh[128];
		const char *t = dl->text_zh ? dl->text_zh : date_prose_zh(dl->text, zh, sizeof(zh));
		if (t)
			buf_addf(&b, "评议期：%s", t);
	}
	part(out, b.s);
	buf_reset(&b);
	if (n->dates[D_ENTRY_FORCE].iso[0]) {
		buf_addf(&b, "%s %s", strcmp(n->dates[D_ENTRY_FORCE].iso, today) > 0 ? "拟生效" : "已生效",
			 n->dates[D_ENTRY_FORCE].iso);
		part(out, b.s);
	}
	buf_release(&b);
}
