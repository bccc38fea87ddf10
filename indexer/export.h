/* export.h: the one writer of research exports (CSV and JSON Lines, on the command line and on the web). */
#ifndef TBT_EXPORT_H
#define TBT_EXPORT_H

#include "archive.h"
#include "buf.h"

#include <jansson.h>

/* The export's language: names of members, categories and objectives in Chinese (the default) or English. */
enum export_lang { EXPORT_ZH = 0, EXPORT_EN };

/*
 * One notification as a researcher needs it, from a search hit (whose dates are the measure's current ones): the
 * hit's fields plus days_left (from today), member_name_zh, category_names and objectives in lang, products,
 * description, notification_url and details (a path under the site, "/n/SYMBOL"). Caller json_decref()s.
 */
json_t *export_record(struct archive *a, const json_t *hit, const char *today, enum export_lang lang);
/* The CSV header (RFC 4180, CRLF) after a UTF-8 byte order mark, so that Excel and WPS show the Chinese. */
void export_csv_header(struct buf *out);
/* One record as a CSV row; lists are joined with ';'. */
void export_csv_row(struct buf *out, const json_t *rec);
/* One record as a JSON line. */
void export_jsonl_row(struct buf *out, const json_t *rec);

#endif
