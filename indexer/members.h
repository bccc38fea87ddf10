/* members.h: the table of WTO members (codes used in symbols, English and Chinese names), built into the binary. */
#ifndef TBT_MEMBERS_H
#define TBT_MEMBERS_H

struct member {
	const char *code;    /* WTO code as in symbols: USA, EU, TPKM */
	const char *numeric; /* ISO 3166 numeric, as ePing's countryIds use */
	const char *name_en;
	const char *name_zh;
};

/* Looks a member up by code (case-insensitive; EEC is the EU); NULL when unknown. Borrowed, static storage. */
const struct member *member_by_code(const char *code);
/* Looks a member up by English or Chinese name or alias, ignoring case and punctuation; NULL when unknown. */
const struct member *member_by_name(const char *name);

#endif
