/* alert.h: from new and changed notifications to a durable outbox of deliveries, and the deliveries themselves. */
#ifndef TBT_ALERT_H
#define TBT_ALERT_H

#include "archive.h"
#include "fetch.h"

#include <ev.h>
#include <stdio.h>

struct alert_stats {
	unsigned notifications; /* changes looked at */
	unsigned queued;        /* new outbox rows */
	unsigned sent, retrying, failed;
};

struct alert_opts {
	const char *smtp_url;  /* smtp://host:port, or NULL: e-mail deliveries wait */
	const char *mail_from; /* sender address */
	const char *base_url;  /* for unsubscribe and notification links */
	const char *secret;    /* signs unsubscribe tokens */
	double retry_base, retry_max; /* backoff of temporary failures, seconds */
	double give_up_after;         /* seconds after which a temporary failure becomes permanent */
	int allow_private_targets;    /* webhooks to loopback and private addresses (tests, intranets) */
};

void alert_opts_default(struct alert_opts *o);

/*
 * Matches every notification changed since the alerter's cursor against the active subscriptions and writes one
 * outbox row per (subscription, change), in the same transaction as the cursor's advance: a crash loses or repeats
 * no decision. Returns 0 or a negative code with err.
 */
int alert_collect(struct archive *a, struct alert_stats *st, char *err, size_t errlen);

/*
 * Delivers the outbox rows that are due, through fetcher on loop (e-mail over SMTP, webhooks over HTTP), and records
 * each outcome. Returns when every started delivery has ended. report (or NULL) gets a line per delivery.
 */
int alert_deliver(struct archive *a, struct ev_loop *loop, struct fetcher *f, const struct alert_opts *o,
		  struct alert_stats *st, FILE *report, char *err, size_t errlen);

/* The outbox as JSON [{id, subscription, symbol, message_id, state, attempts, next_attempt, last_error, sent_at}]. */
json_t *alert_outbox_json(struct archive *a);
/* Makes a failed or retrying row due again now; -ENOENT when there is none with that id. */
int alert_outbox_retry(struct archive *a, int64_t id, char *err, size_t errlen);

#endif
