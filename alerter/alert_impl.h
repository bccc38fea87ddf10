/* alert_impl.h: inside the alerter only: what its files (alert.c, collect.c, transport.c) share. */
#ifndef TBTWARN_ALERT_IMPL_H
#define TBTWARN_ALERT_IMPL_H

#include "alert.h"
#include "db.h"
#include "net/fetch.h"
#include "render.h"

/* The store's connection, for the alerter's own tables (outbox, alert_state): the alerter is their one owner. */
struct db *al_db(struct archive *a);
/* Statements without rows; a prepared statement. Both -TBT_EDB with the database's message on failure. */
int al_exec(struct archive *a, const char *sql, char *err, size_t errlen);
int al_prep(struct archive *a, const char *sql, struct db_stmt **q, char *err, size_t errlen);

/* Held rows whose digest time has come, folded into one digest row per subscription (collect.c). Returns 0 or an
 * error. */
int alert_fold_digests(struct archive *a, struct alert_stats *st, char *err, size_t errlen);

/* ---- transports (transport.c) ---- */

/* What a transport is given to write one delivery. */
struct outgoing_in {
	const char *kind;             /* the outbox row's: alert, digest, reminder, test, confirm, manage, operator */
	const struct message *m;      /* alerts, digests, reminders, tests */
	const struct subscriber *who; /* with the row */
	const char *message_id, *url, *secret, *note;
	const struct alert_opts *o;
	long ts; /* the real time, for signatures (receivers check it, whatever clock the schedules run on) */
};

/* What it writes: the body and, for an HTTP target, the request (its headers and URL point into the buffers). */
struct outgoing {
	char *body;
	struct fetch_req req;
	const char *headers[5];
	struct buf hdr[3], sig, url;
};
void outgoing_init(struct outgoing *out);
void outgoing_release(struct outgoing *out);

struct transport {
	const char *name; /* in the report */
	int smtp;         /* 1: through the relay's sessions (or a maildir); 0: an HTTP request through the fetcher */
	void (*write)(const struct outgoing_in *in, struct outgoing *out);
	/* The target's own verdict on an answer the transfer did not fail (NULL: none): 0 delivered, else -1 with
	 * r->error set and *temporary saying whether to try again. */
	int (*answer)(struct fetch_result *r, int *temporary);
	/* Whether a failed transfer is final, by its status (not tried again). */
	int (*permanent)(const struct fetch_result *r);
};
/* The transport of a channel (NULL for none). */
const struct transport *transport_for(enum channel ch);

#endif
