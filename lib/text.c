/* text.c: UTF-8 helpers and an HTML-to-text converter for the HTML fragments that sources put in text fields. */
#include "text.h"

#include "buf.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

size_t utf8_decode(const char *p, size_t n, unsigned *cp)
{
	const unsigned char *s = (const unsigned char *)p;
	unsigned c;
	size_t len;
	if (!n)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3;
		c = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	/* Overlong forms, surrogates and points past U+10FFFF are invalid. */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

int utf8_valid(const char *s, size_t n, size_t *bad_at)
{
	size_t i = 0;
	unsigned cp;
	while (i < n) {
		size_t len = utf8_decode(s + i, n - i, &cp);
		if (!len) {
			if (bad_at)
				*bad_at = i;
			return 0;
		}
		i += len;
	}
	return 1;
}

struct entity {
	const char *name;
	unsigned cp;
};

/* The named entities that turn up in notification texts; unknown ones are kept literally. */
static const struct entity entities[] = {
	{"amp", '&'},       {"lt", '<'},        {"gt", '>'},        {"quot", '"'},      {"apos", '\''},
	{"nbsp", 0xA0},     {"ndash", 0x2013},  {"mdash", 0x2014},  {"lsquo", 0x2018},  {"rsquo", 0x2019},
	{"ldquo", 0x201C},  {"rdquo", 0x201D},  {"hellip", 0x2026}, {"bull", 0x2022},   {"middot", 0xB7},
	{"deg", 0xB0},      {"plusmn", 0xB1},   {"micro", 0xB5},    {"times", 0xD7},    {"euro", 0x20AC},
	{"copy", 0xA9},     {"reg", 0xAE},      {"trade", 0x2122},  {"sect", 0xA7},     {"para", 0xB6},
	{"le", 0x2264},     {"ge", 0x2265},     {"eacute", 0xE9},   {"egrave", 0xE8},   {"aacute", 0xE1},
	{"agrave", 0xE0},   {"oacute", 0xF3},   {"iacute", 0xED},   {"uacute", 0xFA},   {"ntilde", 0xF1},
	{"ccedil", 0xE7},   {"ouml", 0xF6},     {"uuml", 0xFC},     {"auml", 0xE4},     {"szlig", 0xDF},
	{"Eacute", 0xC9},   {"shy", 0xAD},      {"laquo", 0xAB},    {"raquo", 0xBB},    {"frac12", 0xBD},
	{"sup2", 0xB2},     {"sup3", 0xB3},     {"ordm", 0xBA},     {"ordf", 0xAA},     {"thinsp", 0x2009},
};

/* Decodes the entity at p (p points at '&'); returns bytes consumed, or 0 if it is not an entity. */
static size_t decode_entity(const char *p, unsigned *cp)
{
	const char *semi;
	size_t n;
	if (p[1] == '#') {
		char *end;
		unsigned long v;
		if (p[2] == 'x' || p[2] == 'X')
			v = strtoul(p + 3, &end, 16);
		else
			v = strtoul(p + 2, &end, 10);
		if (*end != ';' || end == p + 2 || v == 0 || v > 0x10FFFF)
			return 0;
		*cp = (unsigned)v;
		return (size_t)(end - p) + 1;
	}
	semi = strchr(p, ';');
	if (!semi || semi - p > 10)
		return 0;
	n = (size_t)(semi - p - 1);
	for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++) {
		if (strlen(entities[i].name) == n && !strncmp(p + 1, entities[i].name, n)) {
			*cp = entities[i].cp;
			return n + 2;
		}
	}
	return 0;
}

/* Block-level tags start a new line in the text. */
static int is_block_tag(const char *name, size_t n)
{
	static const char *const blocks[] = {"p", "br", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3",
					     "h4", "h5", "h6", "blockquote", "section", "article", "pre", "hr", NULL};
	for (int i = 0; blocks[i]; i++)
		if (strlen(blocks[i]) == n && !strncasecmp(blocks[i], name, n))
			return 1;
	return 0;
}

static int skip_content_tag(const char *name, size_t n)
{
	return (n == 6 && !strncasecmp(name, "script", 6)) || (n == 5 && !strncasecmp(name, "style", 5));
}

char *html_to_text(const char *html)
{
	struct buf raw, out;
	const char *p = html;
	buf_init(&raw, BUF_NOMAX);
	while (*p) {
		if (*p == '<') {
			const char *q = p + 1, *name;
			size_t n = 0;
			if (!strncmp(p, "<!--", 4)) {
				const char *end = strstr(p + 4, "-->");
				p = end ? end + 3 : p + strlen(p);
				continue;
			}
			if (*q == '/')
				q++;
			name = q;
			while (isalnum((unsigned char)name[n]))
				n++;
			/* A tag name starts with a letter and ends at white space, '>' or '/'; "x<y" is text. */
			if (!n || !isalpha((unsigned char)name[0]) || !strchr(" \t\r\n>/", name[n]) || !name[n]) {
				/* A lone '<' in text, not a tag. */
				buf_addch(&raw, *p++);
				continue;
			}
			const char *end = strchr(q, '>');
			if (!end) {
				p += strlen(p);
				break;
			}
			if (p[1] != '/' && skip_content_tag(name, n)) {
				/* Drop everything up to the closing tag. */
				const char *close = end + 1;
				while ((close = strchr(close, '<')) && !(close[1] == '/' && !strncasecmp(close + 2, name, n)))
					close++;
				end = close ? strchr(close, '>') : NULL;
				if (!end) {
					p += strlen(p);
					break;
				}
			} else if (is_block_tag(name, n)) {
				/* Closing a list item or a row ends nothing that the next opening tag will not end. */
				int li_or_tr = n == 2 && (!strncasecmp(name, "li", 2) || !strncasecmp(name, "tr", 2));
				if (p[1] != '/' || !li_or_tr)
					buf_addch(&raw, '\n');
				if (n == 2 && !strncasecmp(name, "li", 2) && p[1] != '/')
					buf_addstr(&raw, "- ");
			} else if ((n == 2 && (!strncasecmp(name, "td", 2) || !strncasecmp(name, "th", 2)))) {
				buf_addch(&raw, ' ');
			}
			p = end + 1;
			continue;
		}
		if (*p == '&') {
			unsigned cp;
			size_t used = decode_entity(p, &cp);
			if (used) {
				buf_add_utf8(&raw, cp == 0xA0 ? ' ' : cp);
				p += used;
				continue;
			}
		}
		buf_addch(&raw, *p++);
	}
	/* Fold spaces within lines, keep single line breaks, collapse blank lines to one. */
	buf_init(&out, BUF_NOMAX);
	int pending_space = 0, newlines = 0;
	for (size_t i = 0; i < raw.len; i++) {
		char c = raw.s[i];
		if (c == '\r')
			continue;
		if (c == '\n') {
			newlines++;
			pending_space = 0;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\f' || c == '\v') {
			pending_space = 1;
			continue;
		}
		if (out.len) {
			if (newlines)
				buf_addstr(&out, newlines > 1 ? "\n\n" : "\n");
			else if (pending_space)
				buf_addch(&out, ' ');
		}
		newlines = 0;
		pending_space = 0;
		buf_addch(&out, c);
	}
	buf_release(&raw);
	return buf_detach(&out);
}

char *text_fold_space(const char *s)
{
	struct buf out;
	int space = 0;
	buf_init(&out, BUF_NOMAX);
	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			space = 1;
			continue;
		}
		if (space && out.len)
			buf_addch(&out, ' ');
		space = 0;
		buf_addch(&out, *s);
	}
	return buf_detach(&out);
}

static int wide(unsigned cp)
{
	return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
	       (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
	       (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

size_t text_width(const char *s)
{
	size_t w = 0, n = strlen(s);
	while (n) {
		unsigned cp;
		size_t len = utf8_decode(s, n, &cp);
		if (!len) {
			len = 1;
			cp = '?';
		}
		w += wide(cp) ? 2 : 1;
		s += len;
		n -= len;
	}
	return w;
}

size_t text_fit(const char *s, size_t cols)
{
	size_t w = 0, off = 0, n = strlen(s);
	while (off < n) {
		unsigned cp;
		size_t len = utf8_decode(s + off, n - off, &cp);
		size_t cw;
		if (!len) {
			len = 1;
			cp = '?';
		}
		cw = wide(cp) ? 2 : 1;
		if (w + cw > cols)
			break;
		w += cw;
		off += len;
	}
	return off;
}
