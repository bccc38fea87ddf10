/* extract.h: links out of HTML list pages and feeds, for the crawler to follow. */
#ifndef TBT_EXTRACT_H
#define TBT_EXTRACT_H

#include "util.h"

#include <stddef.h>

/*
 * Appends to out the absolute URLs that xpath selects in an HTML page (attribute nodes such as //a/@href, or
 * elements whose href is taken), resolved against base. Only http and https links are kept; duplicates once.
 * Returns the number appended, or -EINVAL with err for a bad XPath or an unreadable page.
 */
int html_links(const char *data, size_t len, const char *base, const char *encoding, const char *xpath,
	       struct strv *out, char *err, size_t errlen);

/* Appends the item links of an RSS 2.0 or Atom feed (no entity substitution, no network). Returns the count or
 * -EINVAL. */
int feed_links(const char *data, size_t len, struct strv *out, char *err, size_t errlen);

#endif
