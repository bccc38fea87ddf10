/* csv.h: RFC 4180 records in and out (quoted fields may hold commas, quotes and line breaks). */
#ifndef TBT_CSV_H
#define TBT_CSV_H

#include "buf.h"
#include "util.h"

/*
 * Reads the record at *pp into fields (cleared first) and moves *pp past its line break. *line counts the physical
 * lines consumed. Returns 1 for a record, 0 at the end of the text, -EINVAL (with err) for a quoted field that never
 * ends or text after a closing quote.
 */
int csv_record(const char **pp, struct strv *fields, long *line, char *err, size_t errlen);

/* Appends one field, quoted when it holds a comma, quote, CR or LF (quotes doubled); one that starts like a
 * spreadsheet formula (=, +, -, @, tab, CR) is prefixed with an apostrophe so that it stays text. */
void csv_put(struct buf *out, const char *field);

#endif
