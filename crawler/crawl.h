/* crawl.h: the crawler: configured sources polled on the libev loop, everything fetched imported into the archive. */
#ifndef TBT_CRAWL_H
#define TBT_CRAWL_H

#include "archive.h"
#include "net/fetch.h"
#include "ini.h"

#include <ev.h>
#include <stdio.h>

struct crawler;

/*
 * Builds a crawler from a parsed configuration ([crawler] and [source NAME] sections; see docs/operations.md).
 * loop and archive are borrowed and must outlive the crawler. Returns NULL with err naming file, line and key for
 * a bad setting.
 */
struct crawler *crawler_new(struct ev_loop *loop, struct archive *archive, const struct ini *cfg, char *err,
			    size_t errlen);
void crawler_free(struct crawler *c);

/* The transfer settings of [crawler] (timeouts, body cap, connections, politeness, CA bundle, proxy, user agent)
 * over the defaults. Strings in fo are borrowed from cfg. Returns 0 or -EINVAL with file, line and key in err. */
int crawler_fetch_opts(const struct ini *cfg, struct fetch_opts *fo, char *err, size_t errlen);

/* For one-off crawls: break the loop when the last running round ends and polling is off (default: no). */
void crawler_exit_when_idle(struct crawler *c, int on);
/* Where the crawler reports each finished round (one line per source), or NULL for silence. */
void crawler_set_report(struct crawler *c, FILE *out);

/* Starts a round now for the named source (NULL: every enabled source). Returns how many started, or -ENOENT
 * when no source has that name. */
int crawler_run_now(struct crawler *c, const char *name);
/* Starts a round for every enabled source that is due now; returns how many started. */
int crawler_run_due(struct crawler *c);
/* Starts polling: each enabled source runs when due (its interval, or its retry time after a failure). */
void crawler_start(struct crawler *c);
void crawler_stop(struct crawler *c);
/* Rounds still running. */
int crawler_busy(const struct crawler *c);
/* Number of sources whose last round failed. */
int crawler_failed(const struct crawler *c);

/* Fetches every draft text that is due now, one after another (crawl --drafts); with crawler_exit_when_idle, the
 * loop ends after the last. Returns 1 when one started. */
int crawler_drafts_now(struct crawler *c);
/* The draft texts' queue: {enabled, pending, done, failed, skipped}. */
json_t *crawler_drafts_json(struct crawler *c);

/* Every source with its health as JSON: [{name, kind, enabled, health, last_success, last_error, ...}]. */
json_t *crawler_sources_json(struct crawler *c);

#endif
