/* tz.h: UTC offsets of named time zones read from the system's zone database (TZif files), without touching the
 * process's TZ: the service's threads may read the environment while the alerter works out digest hours. */
#ifndef TBT_TZ_H
#define TBT_TZ_H

#include <time.h>

/* Seconds east of UTC in zone name ("Asia/Shanghai", "Europe/Berlin", "UTC") at instant t. Zones are read from
 * /usr/share/zoneinfo once and kept (thread-safe). Returns 0 with *off set, or -ENOENT for a zone that is not known
 * (a name with "..", or no such file); China's zone is known without the database (UTC+8 all year). */
int tz_offset(const char *name, time_t t, long *off);

/* The instant at which it is local civil time y-m-d h:00:00 in zone name (within a DST change, the first such
 * instant, or the hour after a gap). -ENOENT as tz_offset. */
int tz_mktime(const char *name, int y, int m, int d, int h, time_t *out);

/* The local date and weekday (0 = Sunday) in zone name at instant t. */
int tz_local(const char *name, time_t t, int *y, int *m, int *d, int *wday);

/* Days since 1970-01-01 of a civil date. */
long long days_since_epoch(int y, int m, int d);

#endif
