/* alert.h: from new and changed notifications to a durable outbox of deliveries, and the deliveries themselves. */
#ifndef TBT_ALERT_H
#define TBT_ALERT_H

#include "archive.h"
#include "net/fetch.h"
#include "ini.h"
#include "netguard.h"

#include <ev.h>
#include <stdio.h>

struct alert_stats {
	unsigned notifications; /* changes looked at */
	unsigned queued;        /* new outbox rows */
	unsigned reminders;     /* reminders queued */
	unsigned digests;       /* digests made of held alerts */
	unsigned sent, retrying, failed, cancelled;
};

struct alert_opts {
	const char *smtp_url;  /* smtp://host:port, or NULL: e-mail deliveries wait */
	const char *smtp_ca_file; /* CA certificates that verify the relay (a private CA), or NULL: the system's */
	const char *mail_from; /* sender address */
	const char *base_url;  /* for unsubscribe and notification links */
	const char *secret;    /* signs link tokens and CSRF tokens: [alert] secret or secret_file, else the data directory's */
	int secret_generated;  /* the secret is the data directory's own (made by tbtwarn) */
	double retry_base, retry_max; /* backoff of temporary failures, seconds */
	double give_up_after;         /* seconds after which a temporary failure becomes permanent */
	/* Address ranges that webhooks and robots may reach although they are not public (loopback, private, ...):
	 * [alert] allow_targets, e.g. 10.20.0.0/16 for an intranet receiver; "any" for tests on loopback. Every other
	 * special-purpose address is refused, on the address actually connected to. */
	struct netguard targets;
	int reminder_days;            /* remind this many days before a comment deadline; 0: never */
	int pause_after;              /* a webhook or robot that failed this many attempts in a row is paused */
	double translate_wait;        /* [translate] wait when a provider is set: an immediate alert to a Chinese reader
				       * waits this long for its notification's Chinese; 0: never waits */
	unsigned collect_budget;      /* changes matched per collect (0: all); the rest at the next */
	/* Several instances on one database: this one's name (host, process, random), and how long its claim on a
	 * delivery holds before another instance may take the row ([alert] claim_ttl, 2m). */
	char instance[96];
	double claim_ttl;
	char *owned_secret;           /* read from secret_file */
};

void alert_opts_default(struct alert_opts *o);
/* Takes the [alert] section of cfg (borrowed: it must outlive o), then the TBTWARN_* environment variables. With no
 * secret configured, the installation's own is used: the file "secret" in the data directory data, made on first
 * use from 32 random bytes (mode 0600); data NULL leaves the secret unset (configuration checks only). Returns 0 or
 * -EINVAL with err naming file, line and key (or the secret file and why). */
int alert_opts_load(struct alert_opts *o, const struct ini *cfg, const char *data, char *err, size_t errlen);
/* Why a configured secret is weak (shorter than 32 characters, or the constant older versions used), or NULL. */
const char *alert_secret_weak(const char *secret);
void alert_opts_release(struct alert_opts *o);

/*
 * Matches every notification changed since the alerter's cursor against the active subscriptions and writes one
 * outbox row per (subscription, change), in the same transaction as the cursor's advance: a crash loses or repeats
 * no decision. Returns 0, 1 when opts' collect_budget stopped it with more changes waiting, or a negative code with
 * err.
 */
int alert_collect(struct archive *a, const struct alert_opts *o, struct alert_stats *st, char *err, size_t errlen);

/*
 * Folds held digest items whose hour has come into one digest row per subscription, then delivers the outbox rows
 * that are due (nearest comment deadline first), through fetcher on loop: e-mail over SMTP, webhooks and robots over
 * HTTP. Records each outcome. Returns when every started delivery has ended. report (or NULL) gets a line per
 * delivery.
 */
int alert_deliver(struct archive *a, struct ev_loop *loop, struct fetcher *f, const struct alert_opts *o,
		  struct alert_stats *st, FILE *report, char *err, size_t errlen);

/*
 * Queues a message with a link to manage the subscriptions of a known subscriber (someone used the public form with
 * their address), unless one went out lately: at most one confirmation or manage message per address in 10 minutes
 * and 5 in a day, so that the form cannot be used to fill a third party's mailbox. Returns 1 when queued, 0 when
 * held back by that limit, or a negative code with err. In the caller's transaction, if any.
 */
int alert_queue_manage(struct archive *a, int64_t subscriber, char *err, size_t errlen);

/* Delivers one outbox row now if it is due (a confirmation just queued, say). */
int alert_deliver_row(struct archive *a, struct ev_loop *loop, struct fetcher *f, const struct alert_opts *o, int64_t row,
		      struct alert_stats *st, FILE *report, char *err, size_t errlen);

/* Sends one sample alert to a subscription now (the newest notification it matches, else the newest of all), through
 * the outbox. Returns 0 when it was delivered, else a negative code with err. */
int alert_test(struct archive *a, struct ev_loop *loop, struct fetcher *f, const struct alert_opts *o, int64_t subscription,
	       FILE *report, char *err, size_t errlen);

/*
 * A long-lived alerter for a process that runs other stages on the same loop (serve, run): each tick collects (when
 * collect is set) and starts the deliveries that are due and not already in flight, and returns at once; outcomes
 * are recorded as they arrive on the loop. With only_account, only confirmation and manage mails go (the web server
 * alone). f and o are borrowed.
 */
struct alerter;
struct alerter *alerter_new(struct archive *a, struct ev_loop *loop, struct fetcher *f, const struct alert_opts *o,
			    FILE *report, int only_account);
int alerter_tick(struct alerter *al, int collect, char *err, size_t errlen); /* 1: more to collect */
size_t alerter_in_flight(const struct alerter *al);
const struct alert_stats *alerter_stats(const struct alerter *al);
void alerter_free(struct alerter *al);

/*
 * Tells the operator at email about a problem named key (a source failing, deliveries failing), once: again only
 * when renotify seconds have passed and it is reported again. Returns 1 when a notice was queued, 0 when it was
 * told already, or a negative code. alert_operator_clear forgets the key when the problem is gone, so that a
 * recurrence is told.
 */
int alert_operator_notice(struct archive *a, const char *email, const char *key, const char *subject, const char *text,
			  double renotify, char *err, size_t errlen);
void alert_operator_clear(struct archive *a, const char *key);
/* A notice to a member of staff at email (a reminder before a comment deadline), once for key: 1 when queued, 0 when
 * it was queued before (its Message-ID comes from key and the address), or a negative code. Sent by e-mail like the
 * operator's notices, in Chinese. */
int alert_staff_notice(struct archive *a, const char *email, const char *key, const char *subject, const char *text,
		       char *err, size_t errlen);
/* Deliveries (other than operator notices) that failed for good. */
long alert_failed_count(struct archive *a);

/* The next time (epoch seconds) after now at which a digest at local hour in time zone tz is due: daily, or weekly on
 * Mondays. Unknown zones are taken as UTC, except that Asia/Shanghai is known without the zone database. */
double digest_due(double now, const char *tz, int hour, int weekly);

/* The outbox as JSON [{id, kind, subscriber, subscription, symbol, deadline, message_id, state, attempts, next_attempt,
 * last_error, sent_at, digest}]; state is pending, held (for a digest), retrying, sent, failed, digested or cancelled. */
/* The outbox's only writer is the alerter: a request to confirm for subscriber (the nth, counting from 1), in the
 * caller's transaction. */
int outbox_add_confirm(struct store *st, int64_t subscriber, long long nth, char *err, size_t errlen);
/* The follow-up alerts of a published analysis ("专家解读与应对建议"): one per subscription already alerted to symbol,
 * exactly once whatever the number of calls. In the caller's transaction. Returns how many were queued, or
 * -TBT_EDB. */
int alert_queue_analysis(struct archive *a, const char *symbol, char *err, size_t errlen);
/* When the first alert about symbol was sent (ISO 8601 UTC in out): 0, or -ENOENT when none was. */
int alert_first_sent(struct archive *a, const char *symbol, char out[21]);
/* Every notification distributed on or after since (YYYY-MM-DD) that an alert went out for: [{symbol, distributed,
 * at}] (at: the first alert sent). */
json_t *alert_first_sent_since(struct archive *a, const char *since);
/* For /metrics: {subscriptions (active), alerts (decided), oldest_pending (epoch seconds, 0: none), deliveries:
 * [{state (retrying for a pending row tried before), kind, channel, count}]}. */
json_t *alert_metrics_json(struct archive *a);
json_t *alert_outbox_json(struct archive *a);
/* Makes a failed or retrying row due again now; -ENOENT when there is none with that id. */
int alert_outbox_retry(struct archive *a, int64_t id, char *err, size_t errlen);

#endif
