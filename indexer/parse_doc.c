/* parse_doc.c: the text of the WTO's DOCX and PDF files (and of members' draft texts), for the form parser and the
 * index. PDF through poppler, DOCX through libzip and libxml2; both bounded, since a file is hostile until read. */
#include "parse.h"

#include "buf.h"
#include "util.h"

#include <errno.h>
#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <poppler.h>
#include <stdio.h>
#include <string.h>
#include <zip.h>

/* The most a document may give: its text, its pages, and a DOCX's unpacked XML (a zip bomb stops here). */
#define DOC_MAX_TEXT (8u << 20)
#define DOC_MAX_PAGES 2000
#define DOCX_MAX_XML (64u << 20)

enum doc_kind doc_kind_of(const char *data, size_t len)
{
	if (len >= 5 && !memcmp(data, "%PDF-", 5))
		return DOC_PDF;
	if (len >= 4 && !memcmp(data, "PK\x03\x04", 4))
		return DOC_DOCX;
	return DOC_NONE;
}

static void quiet_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer arg)
{
	(void)domain;
	(void)level;
	(void)msg;
	(void)arg;
}

static int pdf_text(const char *data, size_t len, struct buf *out, char *err, size_t errlen)
{
	GError *gerr = NULL;
	/* poppler reports damaged files on stderr through GLib; the caller gets the reason instead. */
	guint h = g_log_set_handler("Poppler", G_LOG_LEVEL_MASK, quiet_log, NULL);
	GBytes *bytes = g_bytes_new_static(data, len);
	PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
	int rc = 0;
	if (!doc) {
		errf(err, errlen, "not a readable PDF: %s", gerr ? gerr->message : "unknown error");
		rc = -TBT_EPARSE;
		goto out;
	}
	int pages = poppler_document_get_n_pages(doc);
	if (pages > DOC_MAX_PAGES) {
		errf(err, errlen, "the PDF has %d pages; at most %d are read", pages, DOC_MAX_PAGES);
		pages = DOC_MAX_PAGES;
	}
	for (int i = 0; i < pages && !rc; i++) {
		PopplerPage *page = poppler_document_get_page(doc, i);
		if (!page)
			continue;
		char *t = poppler_page_get_text(page);
		if (t) {
			if (out->len + strlen(t) + 1 > DOC_MAX_TEXT) {
				errf(err, errlen, "the PDF's text passes %u MiB at page %d: the rest is left out", DOC_MAX_TEXT >> 20,
				     i + 1);
				rc = 1;
			} else {
				buf_addstr(out, t);
				buf_addch(out, '\n');
			}
			g_free(t);
		}
		g_object_unref(page);
	}
	g_object_unref(doc);
out:
	if (gerr)
		g_error_free(gerr);
	g_bytes_unref(bytes);
	g_log_remove_handler("Poppler", h);
	return rc < 0 ? rc : 0;
}

/* The paragraphs of WordprocessingML: each w:p a line, w:tab a space, w:br a line break, table cells in order. */
static void docx_walk(xmlNode *node, struct buf *out, int depth)
{
	for (xmlNode *n = node; n && out->len < DOC_MAX_TEXT; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		const char *name = (const char *)n->name;
		if (!strcmp(name, "delText"))
			continue; /* text a tracked change deleted */
		if (!strcmp(name, "t")) {
			xmlChar *c = xmlNodeGetContent(n);
			if (c)
				buf_addstr(out, (const char *)c);
			xmlFree(c);
			continue;
		}
		if (!strcmp(name, "tab"))
			buf_addch(out, ' ');
		else if (!strcmp(name, "br") || !strcmp(name, "cr"))
			buf_addch(out, '\n');
		if (depth < 64)
			docx_walk(n->children, out, depth + 1);
		if (!strcmp(name, "p"))
			buf_addch(out, '\n');
	}
}

static int docx_text(const char *data, size_t len, struct buf *out, char *err, size_t errlen)
{
	zip_error_t zerr;
	zip_error_init(&zerr);
	zip_source_t *src = zip_source_buffer_create(data, len, 0, &zerr);
	zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY, &zerr) : NULL;
	int rc = -TBT_EPARSE;
	if (!z) {
		errf(err, errlen, "not a readable DOCX (zip): %s", zip_error_strerror(&zerr));
		if (src)
			zip_source_free(src);
		zip_error_fini(&zerr);
		return rc;
	}
	zip_stat_t st;
	zip_stat_init(&st);
	if (zip_stat(z, "word/document.xml", 0, &st) || !(st.valid & ZIP_STAT_SIZE)) {
		errf(err, errlen, "not a Word document: the zip has no word/document.xml");
		goto out;
	}
	if (st.size > DOCX_MAX_XML) {
		errf(err, errlen, "word/document.xml unpacks to %llu bytes; at most %u MiB are read",
		     (unsigned long long)st.size, DOCX_MAX_XML >> 20);
		goto out;
	}
	zip_file_t *f = zip_fopen(z, "word/document.xml", 0);
	if (!f) {
		errf(err, errlen, "word/document.xml cannot be read: %s", zip_strerror(z));
		goto out;
	}
	char *xml = xmalloc((size_t)st.size + 1);
	zip_int64_t got = 0, r;
	/* The declared size bounds what is read, whatever the stream says. */
	while (got < (zip_int64_t)st.size && (r = zip_fread(f, xml + got, st.size - (zip_uint64_t)got)) > 0)
		got += r;
	zip_fclose(f);
	if (got != (zip_int64_t)st.size) {
		errf(err, errlen, "word/document.xml is damaged (read %lld of %llu bytes)", (long long)got,
		     (unsigned long long)st.size);
		free(xml);
		goto out;
	}
	xmlDoc *doc = xmlReadMemory(xml, (int)got, "document.xml", NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_COMPACT);
	free(xml);
	if (!doc) {
		errf(err, errlen, "word/document.xml is not well-formed XML");
		goto out;
	}
	docx_walk(xmlDocGetRootElement(doc), out, 0);
	xmlFreeDoc(doc);
	rc = 0;
out:
	zip_close(z);
	zip_error_fini(&zerr);
	return rc;
}

int doc_to_text(const char *data, size_t len, struct buf *out, char *err, size_t errlen)
{
	switch (doc_kind_of(data, len)) {
	case DOC_PDF:
		return pdf_text(data, len, out, err, errlen);
	case DOC_DOCX:
		return docx_text(data, len, out, err, errlen);
	case DOC_NONE:
		break;
	}
	errf(err, errlen, "neither PDF nor DOCX");
	return -TBT_EPARSE;
}

int parse_document(const struct parse_sink *sink, const char *data, size_t len)
{
	struct buf text;
	char err[ERRBUF_SIZE] = "";
	buf_init(&text, BUF_NOMAX);
	int rc = doc_to_text(data, len, &text, err, sizeof(err));
	if (rc) {
		parse_reject(sink, "file", "%s", err);
		buf_release(&text);
		return rc;
	}
	if (!text.len) {
		parse_reject(sink, "file", "the document holds no text (a scanned image?)");
		buf_release(&text);
		return -TBT_EPARSE;
	}
	rc = parse_wto_text(sink, text.s, text.len);
	buf_release(&text);
	return rc;
}
