/* classify.h: Guangdong export categories: which of them a notification concerns, with evidence and confidence,
 * and the risk level a trade official would give it. Also the HS 2022 and ICS reference tables. */
#ifndef TBT_CLASSIFY_H
#define TBT_CLASSIFY_H

#include "ini.h"
#include "record.h"

#include <stddef.h>

struct category {
	char *id, *name_en, *name_zh;
	struct strv hs, ics;        /* prefixes */
	struct strv kw_en, kw_zh;   /* product terms */
	struct strv exclude;        /* terms that rule a text match out */
	char *evidence;             /* the export figures behind the category */
};

struct catalog;

/* Parses a category table (the format of config/categories.tsv). path is for messages. NULL with err on error. */
struct catalog *catalog_parse(const char *path, const char *tsv, char *err, size_t errlen);
/* The built-in table (config/categories.tsv at build time), with the HS and ICS tables. Never NULL. */
struct catalog *catalog_default(void);
/* Loads a table from a file, or the built-in one when path is NULL. */
struct catalog *catalog_load(const char *path, char *err, size_t errlen);
void catalog_free(struct catalog *c);
size_t catalog_count(const struct catalog *c);
const struct category *catalog_get(const struct catalog *c, size_t i);
const struct category *catalog_find(const struct catalog *c, const char *id);

/* One category a notification concerns. */
struct cat_match {
	const struct category *cat;
	double confidence; /* 0.5 to 1 */
	char evidence[400];
};

struct cat_result {
	struct cat_match m[64];
	size_t n;
};

/*
 * Classifies n. base is its base notification when n is an addendum, corrigendum or revision and the base is known
 * (else NULL): a derived document without product information of its own inherits the base's categories.
 * text_only ignores the HS and ICS codes (for measuring the text matcher alone).
 */
void classify(const struct catalog *c, const struct notif *n, const struct notif *base, int text_only,
	      struct cat_result *out);
/* A match's evidence in Chinese ("HS 8507；标题含“battery”"): pieces we have no wording for stay as they are. */
void evidence_zh(const char *en, char *out, size_t outlen);
/* The categories as JSON: [{id, name_zh, name_en, confidence, evidence, evidence_zh}]. */
json_t *classify_json(const struct cat_result *r);

/* The risk rule's weights (configuration [risk], see docs/risk.md). */
struct risk_config {
	struct strv key_markets;   /* "USA:3" */
	struct strv priority_categories;
	double w_category, w_many_categories, w_priority_category;
	double w_regulation, w_conformity, w_urgent, w_voluntary, w_adopted;
	double w_deadline_14, w_deadline_30, w_force_90;
	double high, medium;
};

void risk_config_default(struct risk_config *rc);
/* Reads [risk] from cfg over the defaults; returns 0 or -EINVAL with file, line and key in err. */
int risk_config_load(struct risk_config *rc, const struct ini *cfg, char *err, size_t errlen);
void risk_config_release(struct risk_config *rc);

struct risk {
	const char *level; /* "high", "medium", "low" */
	double score;
	char reasons[1024];    /* "; "-separated */
	char reasons_zh[1024]; /* the same in Chinese */
};

/* Weighs a notification as of today (TBTWARN_TODAY when set). */
void risk_assess(const struct risk_config *rc, const struct notif *n, const struct cat_result *cats, struct risk *out);
json_t *risk_json(const struct risk *r);

/* HS 2022 and ICS look-ups: the description of a code, or NULL. Borrowed, static storage. */
const char *hs_describe(const char *code);
const char *ics_describe(const char *code);

#endif
