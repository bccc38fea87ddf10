/* parse_html.c: HTML pages that hold a notification form (national enquiry points and translation platforms):
 * libxml2's HTML parser (charset from the page or the caller, GBK and GB18030 included), an XPath that selects the
 * form, and its text read by the WTO form parser. */
#include "parse.h"

#include "buf.h"
#include "text.h"

#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int block(const xmlNode *n)
{
	static const char *const names[] = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
					    "pre", "section", "article", "dd", "dt", "ul", "ol", "blockquote", NULL};
	for (int i = 0; names[i]; i++)
		if (!strcasecmp((const char *)n->name, names[i]))
			return 1;
	return 0;
}

/* Appends the text under n, with line breaks where blocks start and end. */
static void node_text(const xmlNode *n, struct buf *out, int depth)
{
	if (depth > 200)
		return; /* nesting that deep is an attack, not a page */
	for (const xmlNode *c = n; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			if (c->content)
				buf_addstr(out, (const char *)c->content);
		} else if (c->type == XML_ELEMENT_NODE) {
			if (!strcasecmp((const char *)c->name, "script") || !strcasecmp((const char *)c->name, "style"))
				continue;
			int b = block(c);
			if (b)
				buf_addch(out, '\n');
			else if (!strcasecmp((const char *)c->name, "td") || !strcasecmp((const char *)c->name, "th"))
				buf_addch(out, ' ');
			node_text(c->children, out, depth + 1);
			if (b)
				buf_addch(out, '\n');
		}
	}
}

htmlDocPtr html_read(const char *data, size_t len, const char *url, const char *encoding);

static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* The encoding to decode a page with. Chinese pages often declare gb2312 or gbk and use characters only GB18030
 * has, so every GB declaration reads as GB18030 (a superset); a page that is valid UTF-8 throughout is UTF-8
 * whatever it declares, since GBK text with Chinese in it is practically never valid UTF-8. */
static const char *choose_encoding(const char *data, size_t len, const char *given)
{
	if (given && *given)
		return (!strncasecmp(given, "gb", 2) || !strcasecmp(given, "x-gbk")) ? "GB18030" : given;
	if (utf8_valid(data, len, NULL))
		return "UTF-8";
	size_t n = len < 4096 ? len : 4096;
	for (size_t i = 0; i + 8 < n; i++)
		if (!strncasecmp(data + i, "charset=", 8)) {
			const char *v = data + i + 8;
			while (*v == '"' || *v == '\'')
				v++;
			if (!strncasecmp(v, "gb", 2))
				return "GB18030";
			return NULL; /* libxml2 reads the declaration itself */
		}
	return "GB18030"; /* undeclared and not UTF-8: the common case of the Chinese platforms */
}

htmlDocPtr html_read(const char *data, size_t len, const char *url, const char *encoding)
{
	static int init;
	int opts = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NOBLANKS;
	if (!init) {
		/* libxml2 prints encoding errors itself, whatever the options: we report failures our way. */
		xmlSetGenericErrorFunc(NULL, quiet);
		init = 1;
	}
	if (len > (size_t)0x7fffffff)
		return NULL;
	return htmlReadMemory(data, (int)len, url ? url : "page.html", choose_encoding(data, len, encoding), opts);
}

int parse_html(const struct parse_sink *sink, const char *data, size_t len, const char *xpath, const char *encoding)
{
	htmlDocPtr doc = html_read(data, len, sink->name, encoding);
	struct buf text;
	int rc;
	if (!doc || !xmlDocGetRootElement(doc)) {
		if (sink->on_reject)
			sink->on_reject(sink->arg, sink->name, "file", "not an HTML document");
		xmlFreeDoc(doc);
		return -TBT_EPARSE;
	}
	buf_init(&text, 64 * 1024 * 1024);
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr res = ctx ? xmlXPathEvalExpression((const xmlChar *)(xpath ? xpath : "//body"), ctx) : NULL;
	if (!res) {
		char msg[ERRBUF_SIZE];
		snprintf(msg, sizeof(msg), "invalid XPath '%s'", xpath ? xpath : "//body");
		if (sink->on_reject)
			sink->on_reject(sink->arg, sink->name, "file", msg);
		xmlXPathFreeContext(ctx);
		xmlFreeDoc(doc);
		buf_release(&text);
		return -EINVAL;
	}
	if (res->nodesetval)
		for (int i = 0; i < res->nodesetval->nodeNr; i++) {
			const xmlNode *n = res->nodesetval->nodeTab[i];
			if (n->type == XML_ELEMENT_NODE)
				node_text(n->children, &text, 0);
			else if (n->content)
				buf_addstr(&text, (const char *)n->content);
			buf_addch(&text, '\n');
		}
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	if (!text.len) {
		if (sink->on_reject)
			sink->on_reject(sink->arg, sink->name, "file", "the XPath selected no text");
		buf_release(&text);
		return -TBT_EPARSE;
	}
	/* Non-breaking spaces from &nbsp; become plain spaces for the form parser. */
	struct buf clean;
	buf_init(&clean, BUF_NOMAX);
	for (size_t i = 0; i < text.len; i++) {
		if ((unsigned char)text.s[i] == 0xC2 && i + 1 < text.len && (unsigned char)text.s[i + 1] == 0xA0) {
			buf_addch(&clean, ' ');
			i++;
		} else {
			buf_addch(&clean, text.s[i]);
		}
	}
	rc = parse_wto_text(sink, clean.s, clean.len);
	buf_release(&clean);
	buf_release(&text);
	return rc;
}

int html_page_text(const char *data, size_t len, struct buf *out, char *err, size_t errlen)
{
	htmlDocPtr doc = html_read(data, len, NULL, NULL);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		xmlFreeDoc(doc);
		errf(err, errlen, "not an HTML document");
		return -TBT_EPARSE;
	}
	node_text(root->children, out, 0);
	xmlFreeDoc(doc);
	return 0;
}
