/* record.h: the normalised notification record that every source maps into, and its canonical JSON form. */
#ifndef TBT_RECORD_H
#define TBT_RECORD_H

/* The most symbols one joint notification may carry. Real ones name a handful of members (the Gulf states' seven,
 * the EU and its member states); an item naming more is refused whole rather than multiplied into records. */
#define NOTIF_MAX_JOINT 64

#include "buf.h"
#include "util.h"

#include <jansson.h>

enum notif_type { NT_UNKNOWN = 0, NT_TBT, NT_SPS };
enum notif_rel { REL_NONE = 0, REL_ADDENDUM, REL_CORRIGENDUM, REL_REVISION, REL_SUPPLEMENT };
enum notif_lang { LANG_EN = 0, LANG_ZH, LANG_N };
enum notif_date { D_DISTRIBUTED = 0, D_ADOPTION, D_ENTRY_FORCE, D_COMMENTS, D_N };

/* The free-text fields, held once per language: a Chinese translation never overwrites the English original. */
struct notif_text {
	char *member_name;
	char *agency;
	char *products;
	char *regions;   /* SPS item 4: regions or countries likely to be affected */
	char *title;
	char *description;
	char *objectives; /* item 7 as written */
	char *standards;  /* SPS item 8: relevant international standard */
	char *documents;  /* relevant documents */
	char *reason;     /* addenda: the ticked "Reason for Addendum" boxes */
	char *texts_from; /* texts available from */
};

struct notif_datev {
	char iso[11]; /* YYYY-MM-DD, or "" when the source gave no definite date */
	char *text;    /* the source's own wording in English, kept when it is prose ("60 days after notification") */
	char *text_zh; /* the same in a Chinese translation ("通报后60天") */
};

/* One notification. Heap object: notif_new/notif_free; every string is owned. */
struct notif {
	char *symbol;      /* normalised: G/TBT/N/USA/1364/Add.5 */
	char *root_symbol; /* the base notification: G/TBT/N/USA/1364 */
	char *parent_symbol; /* the document this one amends (G/SPS/N/THA/155/Rev.2 for .../Rev.2/Add.1), or NULL */
	enum notif_rel relation;
	enum notif_type type;
	char member[8]; /* WTO code: USA, EU, TPKM */
	struct strv also_symbols; /* other symbols of a joint notification (at most NOTIF_MAX_JOINT in all) */
	struct strv articles;     /* TBT articles notified under: 2.9.2, 5.6.2 */
	struct strv hs;           /* digits only, 2 to 12 of them */
	struct strv ics;          /* 97.200.50 */
	struct strv objectives;   /* canonical English objective names */
	struct strv keywords;
	struct strv doc_languages; /* languages of the notified document: English, Spanish */
	struct notif_text text[LANG_N];
	struct notif_datev dates[D_N];
	char *notification_url;
	struct strv document_urls;
	char *eping_id;
	/* Provenance: where this version came from. */
	char *source;
	char *source_url;
	char *fetched_at;
	char *raw_sha256;
};

struct notif *notif_new(void);
void notif_free(struct notif *n);

/*
 * Sets the symbol and everything derived from it (root, parent, relation, type, member).
 * Returns 0 or -EINVAL (message in err) when the string is not a notification symbol.
 */
int notif_set_symbol(struct notif *n, const char *raw, char *err, size_t errlen);

/* Fills derived fields: member names from the table, relative comment deadlines, sorted unique codes. */
void notif_finish(struct notif *n);

/* Takes every field that is set in src into dst (dst keeps what src leaves empty). src is unchanged. */
void notif_merge(struct notif *dst, const struct notif *src);

/* Canonical JSON; with_provenance 0 leaves provenance out (for the content hash). Caller json_decref()s. */
json_t *notif_to_json(const struct notif *n, int with_provenance);
/*
 * Writes the canonical JSON without provenance straight into out (keys sorted at every level, compact): the same
 * document as json_dumps(notif_to_json(n, 0), JSON_COMPACT | JSON_SORT_KEYS), without building a tree. It is what
 * the store keeps and hashes. Returns 0 or -E2BIG.
 */
int notif_write_json(const struct notif *n, struct buf *out);

/* Parses the canonical JSON back; NULL on a malformed document. Caller frees with notif_free(). */
struct notif *notif_from_json(const json_t *j);

/*
 * The measure's current dates, derived from all its documents (the base, its revisions, addenda and corrigenda):
 * for adoption, entry into force and the comment deadline, the latest document that gives a definite date wins
 * (ordered by distribution date, then by symbol: Add.2 after Add.1); withdrawn when a document's ticked reason says
 * the measure was withdrawn or revoked. by names the document each comes from.
 */
struct notif_effective {
	struct {
		char iso[11];
		char by[96];
	} d[D_N];
	char withdrawn_by[96]; /* "" unless withdrawn */
};
/* Computes e from the documents of one measure, in any order; n may be 0. */
void notif_effective(struct notif *const *docs, size_t n, struct notif_effective *e);
/* Orders documents of one measure as notif_effective does: <0, 0, >0. */
int notif_doc_order(const struct notif *a, const struct notif *b);

/* Whether the record says what products it covers: HS or ICS codes, or a products text in any language. */
int notif_has_product_info(const struct notif *n);

/* Names for the enums, as used in JSON, terms and queries (lower case). */
const char *notif_type_name(enum notif_type t); /* "tbt", "sps" */
const char *notif_rel_name(enum notif_rel r);   /* "notification", "addendum", ... */
const char *notif_date_name(enum notif_date d); /* "distributed", "adoption", ... */
/* The best title for display: English, else Chinese, else "". Borrowed. */
const char *notif_title(const struct notif *n);

#endif
