/* parse_feed.c: RSS 2.0 and Atom feeds of enquiry points: each item that names a notification symbol becomes a
 * record (title, description, date, link). Parsed with libxml2 without network access, without loading DTDs and
 * without substituting entities, so that external entities are never fetched and entity bombs never expand. */
#include "parse.h"

#include "buf.h"
#include "norm.h"
#include "text.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if (named(c, name))
			return c;
	return NULL;
}

/* The text of an element (CDATA and text nodes; entity references are left out, never expanded). */
static char *text_of(const xmlNode *n)
{
	struct buf b;
	buf_init(&b, 4 * 1024 * 1024);
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
			buf_addstr(&b, (const char *)c->content);
	char *t = html_to_text(b.s);
	buf_release(&b);
	return t;
}

/* The first notification symbol in text, normalised into out; 0 when found. */
static int find_symbol(const char *text, char *out, size_t outlen)
{
	for (const char *p = text; p && (p = strstr(p, "G/")) != NULL; p += 2) {
		size_t n = 0;
		while (p[n] && !strchr(" \t\n,;()（）[]<>\"'，；、：:", p[n]) && n < 80)
			n++;
		while (n && (p[n - 1] == '.' || p[n - 1] == '-'))
			n--;
		char tok[96];
		snprintf(tok, sizeof(tok), "%.*s", (int)n, p);
		struct symbol_parts sp;
		if (!symbol_parse(tok, &sp)) {
			snprintf(out, outlen, "%s", sp.norm);
			return 0;
		}
	}
	return -1;
}

static int has_cjk(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0xE4 && (unsigned char)*s <= 0xE9)
			return 1;
	return 0;
}

static int item_record(const struct parse_sink *sink, const xmlNode *item, size_t index, int atom)
{
	char where[32], sym[96], err[ERRBUF_SIZE];
	snprintf(where, sizeof(where), "item %zu", index);
	char *title = text_of(child(item, "title"));
	const xmlNode *d = child(item, atom ? "summary" : "description");
	if (!d && atom)
		d = child(item, "content");
	char *desc = text_of(d);
	char *date = text_of(child(item, atom ? "published" : "pubDate"));
	if (!*date && atom) {
		free(date);
		date = text_of(child(item, "updated"));
	}
	char *link = NULL;
	if (atom) {
		const xmlNode *l = child(item, "link");
		xmlChar *href = l ? xmlGetProp(l, (const xmlChar *)"href") : NULL;
		link = href ? xstrdup((const char *)href) : xstrdup("");
		xmlFree(href);
	} else {
		link = text_of(child(item, "link"));
	}
	int rc = 0;
	if (find_symbol(title, sym, sizeof(sym)) && find_symbol(desc, sym, sizeof(sym))) {
		parse_reject(sink, where, "no notification symbol in the title or description ('%.60s')", title);
		goto out;
	}
	struct notif *n = notif_new();
	if (notif_set_symbol(n, sym, err, sizeof(err))) {
		parse_reject(sink, where, "%s", err);
		notif_free(n);
		goto out;
	}
	enum notif_lang lang = has_cjk(title) || has_cjk(desc) ? LANG_ZH : LANG_EN;
	/* "G/TBT/N/USA/2201 - Title" or "Title (G/TBT/N/USA/2201)": the symbol is not part of the title. */
	char *t = title;
	if (starts_with(t, "G/")) {
		t += strcspn(t, " \t");
		while (*t == ' ' || *t == '-' || *t == ':' || *t == '\t')
			t++;
	}
	if (*t)
		n->text[lang].title = xstrdup(t);
	if (*desc) {
		n->text[lang].description = xstrdup(desc);
		codes_extract(desc, &n->hs, &n->ics);
	}
	date_parse(date, n->dates[D_DISTRIBUTED].iso);
	if (*link && (starts_with_ci(link, "http://") || starts_with_ci(link, "https://")))
		n->notification_url = xstrdup(link);
	n->source = xstrdup("feed");
	notif_finish(n);
	rc = sink->on_record(sink->arg, n);
out:
	free(title);
	free(desc);
	free(date);
	free(link);
	return rc;
}

int parse_feed(const struct parse_sink *sink, const char *data, size_t len)
{
	/* No XML_PARSE_NOENT (no substitution), no XML_PARSE_DTDLOAD (no external DTD), XML_PARSE_NONET (no network),
	 * and not XML_PARSE_HUGE, so that libxml2's limits on entity amplification stay on. */
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
	if (len > (size_t)0x7fffffff) {
		parse_reject(sink, "file", "feed larger than 2 GiB");
		return -TBT_EPARSE;
	}
	xmlResetLastError();
	xmlDoc *doc = xmlReadMemory(data, (int)len, sink->name, NULL, opts);
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		char where[48];
		snprintf(where, sizeof(where), "line %d", e ? e->line : 0);
		parse_reject(sink, where, "invalid XML: %s", e && e->message ? e->message : "unknown error");
		return -TBT_EPARSE;
	}
	const xmlNode *root = xmlDocGetRootElement(doc);
	int rc = 0;
	size_t index = 0;
	if (root && named(root, "rss")) {
		const xmlNode *ch = child(root, "channel");
		for (const xmlNode *c = ch ? ch->children : NULL; c && !rc; c = c->next)
			if (named(c, "item"))
				rc = item_record(sink, c, ++index, 0);
	} else if (root && named(root, "feed")) {
		for (const xmlNode *c = root->children; c && !rc; c = c->next)
			if (named(c, "entry"))
				rc = item_record(sink, c, ++index, 1);
	} else {
		parse_reject(sink, "file", "not an RSS 2.0 or Atom feed (root element <%s>)", root ? (const char *)root->name : "");
		xmlFreeDoc(doc);
		return -TBT_EPARSE;
	}
	xmlFreeDoc(doc);
	return 0;
}
