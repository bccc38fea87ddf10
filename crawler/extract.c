/* extract.c: links from HTML list pages (XPath rules from the configuration) and from feeds. */
#include "extract.h"

#include <errno.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/uri.h>
#include <libxml/xpath.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

htmlDocPtr html_read(const char *data, size_t len, const char *url, const char *encoding);

static void add_link(const char *href, const char *base, struct strv *out, int *count)
{
	xmlChar *abs = xmlBuildURI((const xmlChar *)href, (const xmlChar *)(base ? base : ""));
	const char *u = abs ? (const char *)abs : href;
	if ((starts_with_ci(u, "http://") || starts_with_ci(u, "https://")) && strv_push_unique(out, u))
		(*count)++;
	xmlFree(abs);
}

int html_links(const char *data, size_t len, const char *base, const char *encoding, const char *xpath,
	       struct strv *out, char *err, size_t errlen)
{
	htmlDocPtr doc = html_read(data, len, base, encoding);
	int count = 0;
	if (!doc) {
		errf(err, errlen, "not an HTML document");
		return -EINVAL;
	}
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr res = ctx ? xmlXPathEvalExpression((const xmlChar *)xpath, ctx) : NULL;
	if (!res) {
		errf(err, errlen, "invalid XPath '%s'", xpath);
		xmlXPathFreeContext(ctx);
		xmlFreeDoc(doc);
		return -EINVAL;
	}
	for (int i = 0; res->nodesetval && i < res->nodesetval->nodeNr; i++) {
		xmlNode *n = res->nodesetval->nodeTab[i];
		xmlChar *v = NULL;
		if (n->type == XML_ATTRIBUTE_NODE)
			v = xmlNodeGetContent(n);
		else if (n->type == XML_ELEMENT_NODE)
			v = xmlGetProp(n, (const xmlChar *)"href");
		if (v) {
			char *t = strndup_trim((const char *)v, strlen((const char *)v));
			add_link(t, base, out, &count);
			free(t);
		}
		xmlFree(v);
	}
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return count;
}

int feed_links(const char *data, size_t len, struct strv *out, char *err, size_t errlen)
{
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
	xmlDoc *doc = len < 0x7fffffff ? xmlReadMemory(data, (int)len, "feed.xml", NULL, opts) : NULL;
	int count = 0;
	if (!doc) {
		errf(err, errlen, "invalid XML");
		return -EINVAL;
	}
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr res =
	    ctx ? xmlXPathEvalExpression((const xmlChar *)"/rss/channel/item/link | /*[local-name()='feed']/"
							  "*[local-name()='entry']/*[local-name()='link']",
					 ctx)
		: NULL;
	for (int i = 0; res && res->nodesetval && i < res->nodesetval->nodeNr; i++) {
		xmlNode *n = res->nodesetval->nodeTab[i];
		xmlChar *v = xmlGetProp(n, (const xmlChar *)"href");
		if (!v)
			v = xmlNodeGetContent(n);
		if (v) {
			char *t = strndup_trim((const char *)v, strlen((const char *)v));
			add_link(t, NULL, out, &count);
			free(t);
		}
		xmlFree(v);
	}
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return count;
}
