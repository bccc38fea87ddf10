/* impact.h: what firms tell the province of a notification ("这项措施影响我们吗？"), without accounts: one report per
 * subscriber and notification, reached by the signed link every alert carries, editable until the comment deadline;
 * and what officials see of them, aggregated. The table is this module's (its own step of the schema). */
#ifndef TBTWARN_IMPACT_H
#define TBTWARN_IMPACT_H

#include "store.h"
#include "buf.h"

#include <jansson.h>
#include <stdint.h>

/* The link's token: subs_impact_token (alerter/subs.h): a link opens one subscriber's report on one notification. */

/* A report, as the form sends it. Values are checked by impact_put. */
struct impact_report {
	const char *affected;     /* yes, no, unsure */
	const char *hs;           /* HS codes, comma- or space-separated digits */
	const char *markets;      /* WTO member codes or names, comma-separated */
	const char *export_value; /* lt1m, 1m-10m, 10m-100m, gt100m (CNY a year), or empty */
	const char *concern;      /* a few lines */
	const char *join;         /* comment, stc, none */
	int consent;              /* the province may contact the firm and name it */
	const char *city;         /* the firm's city in Guangdong (impact_cities), or empty */
};

/* Guangdong's 21 prefecture-level cities and 其他 (elsewhere), as the form offers them; NULL-terminated. */
extern const char *const impact_cities[];

/* Saves (or replaces) subscriber's report on symbol: 0, or -EINVAL with what is wrong in err (in Chinese, then
 * English). */
int impact_put(struct store *st, int64_t subscriber, const char *symbol, const struct impact_report *r, char *err,
	       size_t errlen);
/* The report, or NULL: {affected, hs, markets, export_value, concern, join, consent, updated_at}. */
json_t *impact_get(struct store *st, int64_t subscriber, const char *symbol);
/* Officials' view: {reports, affected, unsure, not_affected, export_value_cny: {min, max}, join: {comment, stc},
 * concerns: [{org (when consented), concern, affected, export_value, city, categories}], by_market: {code: n},
 * by_city: {city: {reports, affected, concerns}}, by_category: {id: {name_zh, reports, affected, concerns}}}. A
 * report's categories are those of cats whose HS prefixes its codes start with ("unspecified" when none does or it
 * gave none); cats may be NULL (no grouping by category). */
struct catalog;
json_t *impact_aggregate(struct store *st, const char *symbol, const struct catalog *cats);
/* Every notification firms reported on: [{symbol, reports, affected}], most affected first. */
json_t *impact_ranking(struct store *st);
/* The reports as CSV (UTF-8 with a BOM; firms named only when they consented). */
void impact_csv(struct store *st, const char *symbol, struct buf *out);

#endif
