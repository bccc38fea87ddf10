/* norm.h: normalisation of symbols, dates, HS and ICS codes, and extraction of them from prose. */
#ifndef TBT_NORM_H
#define TBT_NORM_H

#include "record.h"

#include <stddef.h>

/* A parsed notification symbol. */
struct symbol_parts {
	char norm[96];   /* G/TBT/N/USA/1364/Add.5 */
	char root[64];   /* G/TBT/N/USA/1364 */
	char parent[96]; /* all but the last suffix, "" when there is none */
	char member[8];
	enum notif_type type;
	enum notif_rel relation;
};

/* Parses and normalises a symbol (white space dropped, case fixed); returns 0 or -EINVAL. */
int symbol_parse(const char *raw, struct symbol_parts *out);

/* Finds the first definite date in text (ISO, dd/mm/yyyy, "14 March 2025", "March 14, 2025", "2025年3月14日").
 * Returns 0, -ERANGE when text holds only impossible dates ("31 June 2025", "2025-02-30"), else -EINVAL. */
int date_parse(const char *text, char iso[11]);
/* The last definite date in text ("extended from 10 December 2005 to 16 January 2006" gives the second), in one
 * pass; 0 or -EINVAL. */
int date_parse_last(const char *text, char iso[11]);
/* Recognises "60 days after notification" style text; returns the number of days, or -1. */
int date_relative_days(const char *text);
/* Adds days to an ISO date; returns 0 or -EINVAL. */
int date_add_days(const char *iso, int days, char out[11]);

/* Normalises an HS code to its digits ("8507.60" -> "850760"); returns 0 or -EINVAL (needs 2 to 12 digits). */
int hs_normalize(const char *raw, char *out, size_t outlen);
/* Normalises an ICS code ("97.200.50", "13.120"); returns 0 or -EINVAL. */
int ics_normalize(const char *raw, char *out, size_t outlen);
/* Appends the HS and ICS codes written in prose ("HS Codes: 0809.29, 0810.10", "ICS 97.200.50") to the vectors. */
void codes_extract(const char *text, struct strv *hs, struct strv *ics);

/* Appends the canonical objective names found in text (English or Chinese; only ticked boxes when boxes exist). */
void objectives_extract(const char *text, struct strv *out);
/* Appends the ticked TBT articles ("2.9.2 [X]" or "[X] 2.9.2"). */
void articles_extract(const char *text, struct strv *out);

/* A tick box at p ("[X]", "[ ]", "☒", "☐"...): returns 1 ticked, 0 empty, -1 not a box; *len is its length. */
int tickbox_at(const char *p, size_t *len);

#endif
