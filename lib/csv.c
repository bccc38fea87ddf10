/* csv.c: RFC 4180 reading and writing. */
#include "csv.h"

#include <errno.h>
#include <string.h>

int csv_record(const char **pp, struct strv *fields, long *line, char *err, size_t errlen)
{
	const char *p = *pp;
	struct buf b;
	strv_release(fields);
	strv_init(fields);
	if (!*p)
		return 0;
	buf_init(&b, BUF_NOMAX);
	for (;;) {
		buf_reset(&b);
		if (*p == '"') {
			long start = *line + 1;
			p++;
			for (;;) {
				if (!*p) {
					errf(err, errlen, "a quoted field opened on line %ld never closes", start);
					buf_release(&b);
					return -EINVAL;
				}
				if (*p == '"' && p[1] == '"') {
					buf_addch(&b, '"');
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					if (*p == '\n')
						(*line)++;
					buf_addch(&b, *p++);
				}
			}
			if (*p && *p != ',' && *p != '\n' && *p != '\r') {
				errf(err, errlen, "line %ld: text after a closing quote", *line + 1);
				buf_release(&b);
				return -EINVAL;
			}
		} else {
			while (*p && *p != ',' && *p != '\n' && *p != '\r')
				buf_addch(&b, *p++);
		}
		strv_push(fields, b.s ? b.s : "");
		if (*p == ',') {
			p++;
			continue;
		}
		break;
	}
	if (*p == '\r')
		p++;
	if (*p == '\n')
		p++;
	(*line)++;
	*pp = p;
	buf_release(&b);
	return 1;
}

void csv_put(struct buf *out, const char *field)
{
	if (!field)
		return;
	/* A cell that starts like a formula (=, +, -, @, or a tab or carriage return before one) would be run by a
	 * spreadsheet program: a leading apostrophe makes it text, as OWASP advises and spreadsheets expect. */
	int formula = strchr("=+-@\t\r", field[0]) && field[0];
	if (!formula && !strpbrk(field, ",\"\r\n")) {
		buf_addstr(out, field);
		return;
	}
	buf_addch(out, '"');
	if (formula)
		buf_addch(out, '\'');
	for (const char *p = field; *p; p++) {
		if (*p == '"')
			buf_addch(out, '"');
		buf_addch(out, *p);
	}
	buf_addch(out, '"');
}
