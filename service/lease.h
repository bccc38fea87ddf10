/* lease.h: work that one instance at a time does, when several share a database (docs/scaling.md): the crawler and
 * the alerter's collector. A lease is a row (leases: name, holder, expires) that its holder renews; when the holder
 * dies, another instance takes it once it expired. The service owns the table. */
#ifndef TBTWARN_LEASE_H
#define TBTWARN_LEASE_H

#include <stddef.h>

struct archive;

/* Takes or renews the lease name for holder until now + ttl seconds. 1: held; 0: another instance holds it (its
 * name in other, when given); negative: the database failed (err says). */
int lease_hold(struct archive *a, const char *name, const char *holder, double ttl, char *other, size_t otherlen,
	       char *err, size_t errlen);
/* Gives the lease up (a clean stop), so that another instance need not wait for it to expire. */
void lease_release(struct archive *a, const char *name, const char *holder);

#endif
