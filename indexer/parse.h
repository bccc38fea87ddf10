/* parse.h: the parsers that turn source documents (ePing JSON, WTO notification text) into records. */
#ifndef TBT_PARSE_H
#define TBT_PARSE_H

#include "record.h"

#include <stddef.h>

/* What a parser reports to its caller. */
struct parse_sink {
	/* Name of the input for messages ("page1.json"). Borrowed. */
	const char *name;
	/* Called for each good record; takes ownership of n. Returns 0, or non-zero to stop parsing. */
	int (*on_record)(void *arg, struct notif *n);
	/* Called for each rejected record: where is "item 3" or "line 40", msg says why. */
	void (*on_reject)(void *arg, const char *name, const char *where, const char *msg);
	void *arg;
	/* For HTML pages: the XPath of the form's node and an encoding that overrides the page's; NULL for defaults. */
	const char *html_xpath;
	const char *html_encoding;
};

enum parse_format { FMT_AUTO = 0, FMT_EPING, FMT_WTO_TEXT, FMT_FEED, FMT_HTML, FMT_DOC };

/* Binary documents the WTO and members publish. */
enum doc_kind { DOC_NONE = 0, DOC_PDF, DOC_DOCX };
/* What kind of binary document data is, by its first bytes. */
enum doc_kind doc_kind_of(const char *data, size_t len);
/* Appends the text of a PDF (poppler) or DOCX (libzip, libxml2) to out, bounded in pages and size. Returns 0 (err may
 * still say what was left out) or -TBT_EPARSE with err set. */
struct buf;
int doc_to_text(const char *data, size_t len, struct buf *out, char *err, size_t errlen);
/* Appends the text of an HTML page (scripts and styles left out, a line break at each block) to out. Returns 0 or
 * -TBT_EPARSE with err set. */
int html_page_text(const char *data, size_t len, struct buf *out, char *err, size_t errlen);
/* Reads the forms in a PDF or DOCX file (the WTO's own notification documents). */
int parse_document(const struct parse_sink *sink, const char *data, size_t len);

/* Reports a rejected record to the sink: where ("item 3", "line 40", "file") and why. */
void parse_reject(const struct parse_sink *sink, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses an ePing search page ({currentPage, pageSize, totalCount, items[]}), an array of items or one item. */
int parse_eping(const struct parse_sink *sink, const char *data, size_t len);
/* Parses one or more WTO notification forms as plain text, English or Chinese, UTF-8 or GB18030. */
int parse_wto_text(const struct parse_sink *sink, const char *data, size_t len);
/* Parses an RSS 2.0 or Atom feed: each item naming a notification symbol becomes a record. */
int parse_feed(const struct parse_sink *sink, const char *data, size_t len);
/* Parses an HTML page holding a notification form: the text of the nodes that xpath selects (the whole body when
 * NULL) is read as the WTO form. encoding overrides the page's own declaration when not NULL. */
int parse_html(const struct parse_sink *sink, const char *data, size_t len, const char *xpath, const char *encoding);
/* Chooses the parser by content when fmt is FMT_AUTO. Both return 0, or a negative code when the whole input was
 * unusable (that is reported through on_reject too, with where "file"). */
int parse_any(const struct parse_sink *sink, enum parse_format fmt, const char *data, size_t len);
/* "eping", "wto-text", "feed", "html", "pdf"/"docx", "auto" to the enum; returns -1 when unknown. */
int parse_format_from_name(const char *name);

#endif
