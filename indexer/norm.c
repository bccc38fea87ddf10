/* norm.c: normalisation of symbols, dates and product codes, and their extraction from the prose of the forms. */
#include "norm.h"

#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- symbols ---- */

struct suffix {
	const char *in;  /* lower-case spelling as found */
	const char *out; /* canonical spelling */
	enum notif_rel rel;
};

static const struct suffix suffixes[] = {
	{"rev", "Rev.", REL_REVISION},       {"add", "Add.", REL_ADDENDUM},
	{"corr", "Corr.", REL_CORRIGENDUM},  {"suppl", "Suppl.", REL_SUPPLEMENT},
	{"sup", "Suppl.", REL_SUPPLEMENT},
};

int symbol_parse(const char *raw, struct symbol_parts *out)
{
	char s[128], *parts[12];
	size_t n = 0, np = 0;
	memset(out, 0, sizeof(*out));
	if (!raw)
		return -EINVAL;
	/* Drop every white space character: ePing puts a leading space, PDFs break lines inside symbols. */
	for (const char *p = raw; *p; p++) {
		if (isspace((unsigned char)*p))
			continue;
		if (n + 1 >= sizeof(s))
			return -EINVAL;
		s[n++] = *p;
	}
	s[n] = '\0';
	size_t slashes = 0;
	for (const char *p = s; *p; p++)
		slashes += *p == '/';
	if (slashes >= sizeof(parts) / sizeof(parts[0]))
		return -EINVAL; /* more parts than any symbol has: refused, not cut */
	for (char *p = s, *slash; p && np < 12; p = slash ? slash + 1 : NULL) {
		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		parts[np++] = p;
	}
	if (np < 5 || strcasecmp(parts[0], "G") || strcasecmp(parts[2], "N"))
		return -EINVAL;
	if (!strcasecmp(parts[1], "TBT"))
		out->type = NT_TBT;
	else if (!strcasecmp(parts[1], "SPS"))
		out->type = NT_SPS;
	else
		return -EINVAL;
	size_t ml = strlen(parts[3]);
	if (ml < 2 || ml >= sizeof(out->member))
		return -EINVAL;
	for (size_t i = 0; i < ml; i++) {
		if (!isalpha((unsigned char)parts[3][i]))
			return -EINVAL;
		out->member[i] = (char)toupper((unsigned char)parts[3][i]);
	}
	size_t nl = strlen(parts[4]);
	if (!nl || nl > 8)
		return -EINVAL;
	for (size_t i = 0; i < nl; i++)
		if (!isdigit((unsigned char)parts[4][i]))
			return -EINVAL;
	snprintf(out->root, sizeof(out->root), "G/%s/N/%s/%s", out->type == NT_TBT ? "TBT" : "SPS", out->member, parts[4]);
	snprintf(out->norm, sizeof(out->norm), "%s", out->root);
	out->relation = REL_NONE;
	for (size_t i = 5; i < np; i++) {
		const struct suffix *sf = NULL;
		char *p = parts[i];
		size_t letters = 0;
		while (isalpha((unsigned char)p[letters]))
			letters++;
		for (size_t k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]); k++)
			if (strlen(suffixes[k].in) == letters && !strncasecmp(p, suffixes[k].in, letters))
				sf = &suffixes[k];
		if (!sf)
			return -EINVAL;
		p += letters;
		if (*p == '.')
			p++;
		if (!*p || strlen(p) > 4)
			return -EINVAL;
		for (char *d = p; *d; d++)
			if (!isdigit((unsigned char)*d))
				return -EINVAL;
		memcpy(out->parent, out->norm, sizeof(out->parent));
		size_t len = strlen(out->norm);
		if (len + strlen(sf->out) + strlen(p) + 2 > sizeof(out->norm))
			return -EINVAL;
		snprintf(out->norm + len, sizeof(out->norm) - len, "/%s%s", sf->out, p);
		out->relation = sf->rel;
	}
	return 0;
}

/* ---- dates ---- */

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

static int ymd_ok(int y, int m, int d)
{
	return y >= 1947 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

static int emit(int y, int m, int d, char iso[11])
{
	if (!ymd_ok(y, m, d))
		return -ERANGE; /* the form of a date, but no such day: 31 June, 2025-02-30 */
	char tmp[40];
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y, m, d);
	memcpy(iso, tmp, 11);
	return 0;
}

static const char *const months[] = {"january", "february", "march",     "april",   "may",      "june",
				     "july",    "august",   "september", "october", "november", "december"};

/* Reads a month name (full or three letters) at p; returns 1-12 and sets *len, or 0. */
static int month_at(const char *p, size_t *len)
{
	for (int i = 0; i < 12; i++) {
		size_t full = strlen(months[i]);
		if (!strncasecmp(p, months[i], full) && !isalpha((unsigned char)p[full])) {
			*len = full;
			return i + 1;
		}
		if (!strncasecmp(p, months[i], 3)) {
			size_t l = 3;
			if (p[3] == '.')
				l = 4;
			else if (i == 8 && !strncasecmp(p + 3, "t.", 2))
				l = 5;
			else if (isalpha((unsigned char)p[3]) && !(i == 8 && !strncasecmp(p + 3, "t.", 2)))
				continue;
			*len = l;
			return i + 1;
		}
	}
	return 0;
}

/* Reads up to max digits at p; returns the count read. */
static int digits(const char *p, int max, int *val)
{
	int n = 0, v = 0;
	while (n < max && isdigit((unsigned char)p[n])) {
		v = v * 10 + (p[n] - '0');
		n++;
	}
	*val = v;
	return n;
}

static const char *skip_sp(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Tries every date form at position p. */
static int date_at(const char *start, const char *p, char iso[11])
{
	int a, b, c, na, nb, nc;
	size_t ml;
	int m;
	if (p > start && (isalnum((unsigned char)p[-1])))
		return -EINVAL;
	na = digits(p, 4, &a);
	if (na == 4 && (p[4] == '-' || p[4] == '.' || p[4] == '/')) {
		/* 2025-03-14 */
		nb = digits(p + 5, 2, &b);
		if (nb && p[5 + nb] == p[4]) {
			nc = digits(p + 6 + nb, 2, &c);
			if (nc && !isdigit((unsigned char)p[6 + nb + nc]))
				return emit(a, b, c, iso);
		}
		return -EINVAL;
	}
	if (na == 4 && !strncmp(skip_sp(p + 4), "年", 3)) {
		/* 2025年3月14日 */
		const char *q = skip_sp(skip_sp(p + 4) + 3);
		nb = digits(q, 2, &b);
		if (nb && !strncmp(skip_sp(q + nb), "月", 3)) {
			q = skip_sp(skip_sp(q + nb) + 3);
			nc = digits(q, 2, &c);
			if (nc && !strncmp(skip_sp(q + nc), "日", 3))
				return emit(a, b, c, iso);
		}
		return -EINVAL;
	}
	if (na >= 1 && na <= 2) {
		const char *q = p + na;
		if (*q == '/' || *q == '.' || *q == '-') {
			/* 14/03/2025 or 14.03.2025 (day first, as the WTO and ePing write it) */
			char sep = *q;
			nb = digits(q + 1, 2, &b);
			if (nb && q[1 + nb] == sep) {
				nc = digits(q + 2 + nb, 4, &c);
				if (nc == 4 && !isdigit((unsigned char)q[2 + nb + nc]))
					return emit(c, b, a, iso);
				if (nc == 2 && !isdigit((unsigned char)q[2 + nb + nc]))
					return emit(2000 + c, b, a, iso);
			}
			return -EINVAL;
		}
		/* 14 March 2025, 14th of March 2025 */
		q = skip_sp(q);
		if (!strncasecmp(q, "st", 2) || !strncasecmp(q, "nd", 2) || !strncasecmp(q, "rd", 2) ||
		    !strncasecmp(q, "th", 2))
			q = skip_sp(q + 2);
		if (!strncasecmp(q, "of ", 3))
			q = skip_sp(q + 3);
		m = month_at(q, &ml);
		if (m) {
			q = skip_sp(q + ml);
			if (*q == ',')
				q = skip_sp(q + 1);
			nc = digits(q, 4, &c);
			if (nc == 4 && !isdigit((unsigned char)q[4]))
				return emit(c, m, a, iso);
		}
		return -EINVAL;
	}
	m = month_at(p, &ml);
	if (m) {
		/* March 14, 2025 */
		const char *q = skip_sp(p + ml);
		nb = digits(q, 2, &b);
		if (nb) {
			q = q + nb;
			if (!strncasecmp(q, "st", 2) || !strncasecmp(q, "nd", 2) || !strncasecmp(q, "rd", 2) ||
			    !strncasecmp(q, "th", 2))
				q += 2;
			if (*q == ',')
				q++;
			q = skip_sp(q);
			nc = digits(q, 4, &c);
			if (nc == 4 && !isdigit((unsigned char)q[4]))
				return emit(c, m, b, iso);
		}
	}
	return -EINVAL;
}

int date_parse(const char *text, char iso[11])
{
	int impossible = 0;
	if (!text)
		return -EINVAL;
	for (const char *p = text; *p; p++) {
		if (isdigit((unsigned char)*p) || isalpha((unsigned char)*p)) {
			int rc = date_at(text, p, iso);
			if (!rc)
				return 0;
			impossible |= rc == -ERANGE;
		}
	}
	return impossible ? -ERANGE : -EINVAL;
}

int date_parse_last(const char *text, char iso[11])
{
	char one[11];
	int found = 0;
	for (const char *p = text; p && *p; p++)
		if ((isdigit((unsigned char)*p) || isalpha((unsigned char)*p)) && !date_at(text, p, one)) {
			memcpy(iso, one, sizeof(one));
			found = 1;
		}
	return found ? 0 : -EINVAL;
}

static const struct {
	const char *word;
	int n;
} number_words[] = {
	{"thirty", 30}, {"forty-five", 45}, {"forty five", 45}, {"sixty", 60}, {"seventy-five", 75},
	{"ninety", 90}, {"hundred and twenty", 120},
};

int date_relative_days(const char *text)
{
	const char *p;
	int n = -1;
	if (!text)
		return -1;
	/* Chinese: 通报后60天 / 通报之日起60天 */
	if ((p = strstr(text, "通报")) != NULL) {
		for (const char *q = p; *q; q++) {
			if (isdigit((unsigned char)*q)) {
				int v, nd = digits(q, 3, &v);
				if (!strncmp(skip_sp(q + nd), "天", 3) || !strncmp(skip_sp(q + nd), "日", 3))
					return v;
				break;
			}
		}
	}
	const char *days = strcasestr_ascii(text, "days");
	if (!days)
		return -1;
	/* The number right before "days", as digits or words. */
	const char *q = days;
	while (q > text && q[-1] == ' ')
		q--;
	const char *e = q;
	while (q > text && isdigit((unsigned char)q[-1]))
		q--;
	if (q < e) {
		int v;
		digits(q, (int)(e - q), &v);
		n = v;
	} else {
		for (size_t i = 0; i < sizeof(number_words) / sizeof(number_words[0]); i++) {
			size_t l = strlen(number_words[i].word);
			if ((size_t)(e - text) >= l && !strncasecmp(e - l, number_words[i].word, l))
				n = number_words[i].n;
		}
	}
	if (n <= 0 || n > 400)
		return -1;
	/* Only counted from the notification itself; "after publication" depends on a date we do not know. */
	const char *after = days + 4;
	if (strcasestr_ascii(after, "notification") || strcasestr_ascii(after, "circulation") ||
	    strcasestr_ascii(after, "distribution"))
		return n;
	return -1;
}

int date_add_days(const char *iso, int days, char out[11])
{
	struct tm tm = {0};
	int y, m, d;
	if (strlen(iso) != 10 || digits(iso, 4, &y) != 4 || digits(iso + 5, 2, &m) != 2 || digits(iso + 8, 2, &d) != 2 ||
	    !ymd_ok(y, m, d))
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d + days;
	tm.tm_hour = 12;
	time_t t = timegm(&tm);
	struct tm res;
	gmtime_r(&t, &res);
	strftime(out, 11, "%Y-%m-%d", &res);
	return 0;
}

/* ---- product codes ---- */

int hs_normalize(const char *raw, char *out, size_t outlen)
{
	size_t n = 0;
	for (const char *p = raw; *p; p++) {
		if (isdigit((unsigned char)*p)) {
			if (n + 1 >= outlen || n >= 12)
				return -EINVAL;
			out[n++] = *p;
		} else if (*p != '.' && *p != ' ' && *p != '-') {
			return -EINVAL;
		}
	}
	out[n] = '\0';
	return n >= 2 && n <= 12 ? 0 : -EINVAL;
}

int ics_normalize(const char *raw, char *out, size_t outlen)
{
	int a, b, c, na, nb, nc;
	const char *p = raw;
	while (*p == ' ')
		p++;
	na = digits(p, 3, &a);
	if (na != 2)
		return -EINVAL;
	p += 2;
	if (*p != '.') {
		snprintf(out, outlen, "%02d", a);
		return *skip_sp(p) ? -EINVAL : 0;
	}
	nb = digits(p + 1, 4, &b);
	if (nb != 3)
		return -EINVAL;
	p += 4;
	if (*p != '.') {
		snprintf(out, outlen, "%02d.%03d", a, b);
		return *skip_sp(p) ? -EINVAL : 0;
	}
	nc = digits(p + 1, 3, &c);
	if (nc != 2 || *skip_sp(p + 3))
		return -EINVAL;
	snprintf(out, outlen, "%02d.%03d.%02d", a, b, c);
	return 0;
}

/* Is the marker at p a whole word (not the "HS" inside "THS")? */
static int word_at(const char *start, const char *p, size_t len)
{
	return (p == start || !isalpha((unsigned char)p[-1])) && !isalpha((unsigned char)p[len]);
}

/* Reads a list of codes after a marker. kind 0: HS, 1: ICS. */
static void read_codes(const char *p, int kind, struct strv *out)
{
	int label = 24; /* bytes of label ("Codes:", " code(s) ", "编码：") allowed before the first code */
	int got = 0;
	while (*p) {
		if (isdigit((unsigned char)*p)) {
			const char *s = p;
			while (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1])))
				p++;
			if (isalpha((unsigned char)*p))
				return;
			char tok[32], norm[32];
			if ((size_t)(p - s) >= sizeof(tok))
				return;
			memcpy(tok, s, (size_t)(p - s));
			tok[p - s] = '\0';
			if ((kind == 0 ? hs_normalize(tok, norm, sizeof(norm)) : ics_normalize(tok, norm, sizeof(norm))))
				return;
			strv_push_unique(out, norm);
			got = 1;
			continue;
		}
		if (got) {
			/* Between codes: separators, "and", "or", "ex". */
			if (strchr(" ,;/\t\n", *p)) {
				p++;
			} else if (!strncmp(p, "、", 3) || !strncmp(p, "，", 3) || !strncmp(p, "；", 3) ||
				   !strncmp(p, "和", 3) || !strncmp(p, "及", 3)) {
				p += 3;
			} else if (!strncasecmp(p, "and ", 4)) {
				p += 4;
			} else if (!strncasecmp(p, "or ", 3)) {
				p += 3;
			} else if (!strncasecmp(p, "ex ", 3)) {
				p += 3;
			} else {
				return;
			}
			continue;
		}
		if (--label < 0 || *p == '\n' || *p == ';' || (*p == '.' && p[1] == ' '))
			return;
		p++;
	}
}

void codes_extract(const char *text, struct strv *hs, struct strv *ics)
{
	static const char *const hs_markers[] = {"HS", "H.S.", "Harmonized System", "Harmonised System", "税号",
						 "税则号", "海关编码", "商品编码", NULL};
	/* National tariff lines begin with the HS code, so they match by prefix like HS codes. */
	static const char *const tariff_markers[] = {"tariff item", "tariff line", "tariff code", "tariff heading",
						     "tariff number", "tariff subheading", NULL};
	if (!text)
		return;
	for (const char *p = text; *p; p++) {
		for (int i = 0; hs_markers[i]; i++) {
			size_t l = strlen(hs_markers[i]);
			if (!strncmp(p, hs_markers[i], l) && ((unsigned char)*p >= 0x80 || word_at(text, p, l - (p[l - 1] == '.'))))
				read_codes(p + l, 0, hs);
		}
		for (int i = 0; tariff_markers[i]; i++) {
			size_t l = strlen(tariff_markers[i]);
			if (!strncasecmp(p, tariff_markers[i], l) && (p == text || !isalpha((unsigned char)p[-1])))
				read_codes(p + l, 0, hs);
		}
		if (!strncmp(p, "ICS", 3) && word_at(text, p, 3))
			read_codes(p + 3, 1, ics);
	}
}

/* ---- objectives and articles ---- */

struct objective {
	const char *name; /* canonical */
	const char *match[5];
};

static const struct objective objectives[] = {
	{"Protection of human health or safety", {"human health", "保护人类健康", "人类健康", "人身健康", NULL}},
	{"Protection of animal or plant life or health", {"animal or plant life or health", "动物或植物生命或健康", "动植物生命或健康", NULL}},
	{"Protection of the environment", {"protection of the environment", "environmental protection", "保护环境", "环境保护", NULL}},
	{"Prevention of deceptive practices and consumer protection", {"deceptive practices", "防止欺诈", "欺诈行为", NULL}},
	{"Consumer information, labelling", {"consumer information", "labelling", "labeling", "消费者信息", "标签"}},
	{"Quality requirements", {"quality requirements", "质量要求", NULL}},
	{"Harmonization", {"harmonization", "harmonisation", "协调", NULL}},
	{"National security requirements", {"national security", "国家安全", NULL}},
	{"Reducing trade barriers and facilitating trade", {"reducing trade barriers", "facilitating trade", "降低贸易壁垒", "促进贸易", NULL}},
	{"Cost saving and productivity enhancement", {"cost saving", "productivity enhancement", "节约成本", NULL}},
	{"Food safety", {"food safety", "食品安全", NULL}},
	{"Animal health", {"animal health", "动物健康", NULL}},
	{"Plant protection", {"plant protection", "植物保护", NULL}},
	{"Protect humans from animal/plant pest or disease", {"protect humans from animal", "保护人类免受动", NULL}},
	{"Protect territory from other damage from pests", {"protect territory", "other damage from pests", "有害生物的其他损害", NULL}},
};

/* A tick box at p: returns 1 ticked, 0 empty, -1 not a box; *len is its length. */
int tickbox_at(const char *p, size_t *len)
{
	static const char *const ticked[] = {"[X]", "[x]", "[ X ]", "[ x ]", "[√]", "☒", "☑", "■", "[✓]", "[✔]",
					     "【X】", "【x】", "【√】", "【✓】", "【 X 】", NULL};
	static const char *const empty[] = {"[ ]", "[  ]", "[]", "☐", "□", "【】", "【 】", "【  】", NULL};
	for (int i = 0; ticked[i]; i++)
		if (!strncmp(p, ticked[i], strlen(ticked[i]))) {
			*len = strlen(ticked[i]);
			return 1;
		}
	for (int i = 0; empty[i]; i++)
		if (!strncmp(p, empty[i], strlen(empty[i]))) {
			*len = strlen(empty[i]);
			return 0;
		}
	return -1;
}

static void objectives_in(const char *s, size_t n, struct strv *out)
{
	char *seg = xstrndup(s, n);
	for (size_t i = 0; i < sizeof(objectives) / sizeof(objectives[0]); i++) {
		for (int k = 0; k < 5 && objectives[i].match[k]; k++) {
			if (strcasestr_ascii(seg, objectives[i].match[k])) {
				strv_push_unique(out, objectives[i].name);
				break;
			}
		}
	}
	free(seg);
}

void objectives_extract(const char *text, struct strv *out)
{
	int boxes = 0;
	size_t len;
	if (!text)
		return;
	for (const char *p = text; *p; p++)
		if (tickbox_at(p, &len) >= 0)
			boxes = 1;
	if (!boxes) {
		objectives_in(text, strlen(text), out);
		return;
	}
	/* With tick boxes, only the text after a ticked box and before the next box counts. */
	for (const char *p = text; *p; p++) {
		if (tickbox_at(p, &len) == 1) {
			const char *s = p + len, *e = s;
			size_t l2;
			while (*e && tickbox_at(e, &l2) < 0)
				e++;
			objectives_in(s, (size_t)(e - s), out);
			p = e - 1;
		}
	}
}

static int article_at(const char *p, char *out, size_t outlen)
{
	const char *s = p;
	if (!isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1])))
		p++;
	if ((size_t)(p - s) >= outlen || !memchr(s, '.', (size_t)(p - s)))
		return 0;
	memcpy(out, s, (size_t)(p - s));
	out[p - s] = '\0';
	return (int)(p - s);
}

void articles_extract(const char *text, struct strv *out)
{
	/* Collect (article, box) tokens in order, then pair each box with its article. */
	char arts[16][12];
	int ticks[16], kinds[16]; /* kinds: 0 article, 1 box */
	int n = 0;
	size_t len;
	if (!text)
		return;
	for (const char *p = text; *p && n < 16;) {
		int b = tickbox_at(p, &len);
		if (b >= 0) {
			kinds[n] = 1;
			ticks[n] = b;
			n++;
			p += len;
			continue;
		}
		if ((p == text || !isalnum((unsigned char)p[-1])) && (len = (size_t)article_at(p, arts[n], sizeof(arts[0])))) {
			kinds[n] = 0;
			n++;
			p += len;
			continue;
		}
		p++;
	}
	if (!n)
		return;
	int box_first = kinds[0] == 1;
	for (int i = 0; i + 1 < n; i++) {
		int a = box_first ? i + 1 : i, b = box_first ? i : i + 1;
		if (kinds[a] == 0 && kinds[b] == 1) {
			if (ticks[b])
				strv_push_unique(out, arts[a]);
			i++;
		}
	}
}
