/* service.h: tbtwarn run: the crawler, the indexer, the alerter and the web server on one libev loop, with a lock on
 * the data directory, signals (TERM and INT stop gracefully, HUP reloads), structured logs, disk-space guard and
 * notices to the operator. */
#ifndef TBT_SERVICE_H
#define TBT_SERVICE_H

#include "ini.h"

#include <stddef.h>

/*
 * Checks a whole configuration: known sections only, and every section's keys and values (each loader names file,
 * line and key). Returns 0 or -EINVAL with err.
 */
int service_check_config(const struct ini *cfg, char *err, size_t errlen);

/*
 * Runs the service on the archive in data with the configuration file config (NULL: $TBTWARN_CONFIG, else the
 * built-in one) until SIGTERM or SIGINT. cats and risk are the classifier (borrowed). Returns 0 after a clean stop,
 * or a negative code with err when it could not start (another instance on data, a bad configuration, the address
 * in use).
 */
struct catalog;
struct risk_config;
int service_run(const char *data, const char *config, const struct catalog *cats, struct risk_config *risk, char *err,
		size_t errlen);

/* Takes the data directory's lock (data/tbtwarn.lock); returns its descriptor, or -1 with err naming the holder. */
int service_lock(const char *data, char *err, size_t errlen);

#endif
