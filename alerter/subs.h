/* subs.h: subscribers and their subscriptions, kept in the archive's database. */
#ifndef TBT_SUBS_H
#define TBT_SUBS_H

#include "match.h"
#include "store.h"

#include <stdint.h>
#include <stdio.h>

enum channel { CH_EMAIL = 0, CH_WEBHOOK, CH_WECOM, CH_DINGTALK, CH_FEISHU };
enum frequency { FREQ_IMMEDIATE = 0, FREQ_DAILY, FREQ_WEEKLY };

struct subscriber {
	int64_t id;
	char *email, *name, *org, *lang, *tz, *status;
};

struct subscription {
	int64_t id, subscriber_id;
	enum channel channel;
	char *url, *secret;
	struct sub_filter filter;
	enum frequency frequency;
	int hour;
	/* Filled when read back: the subscriber's time zone and status, and whether the subscription is active. */
	char *tz, *status;
	int active;
};

void subscription_release(struct subscription *s);
/* Loads one subscription (caller releases); -ENOENT when unknown. */
int subs_get_subscription(struct store *st, int64_t id, struct subscription *out, char *err, size_t errlen);

/* Names of the enums as the command line and JSON spell them; parsing returns -1 when unknown. */
const char *channel_name(enum channel c);
int channel_from_name(const char *s);
const char *frequency_name(enum frequency f);
int frequency_from_name(const char *s);

/* Checks an e-mail address the way a sender can (one @, a dotted domain, no spaces); returns 1 when usable. */
int email_valid(const char *addr);

/* Adds a subscriber; *id receives its id. Unless confirmed, a confirmation request is queued in the outbox in the
 * same transaction. -EEXIST (with the existing id in *id) when the address is known. */
int subs_add_subscriber(struct store *st, const struct subscriber *s, int confirmed, int64_t *id, char *err, size_t errlen);
/*
 * Tokens in links to subscribers: HMAC-SHA256 of purpose ("confirm", "unsubscribe", "manage") and the subscriber's
 * id under the installation's secret, as hex. They cannot be forged without the secret; they are checked in
 * constant time.
 */
#define SUBS_TOKEN_LEN 64
void subs_token(const char *secret, const char *purpose, int64_t subscriber, char out[SUBS_TOKEN_LEN + 1]);
int subs_token_ok(const char *secret, const char *purpose, int64_t subscriber, const char *token);
/* The token of an alert's link "这项措施影响我们吗？": one subscriber, one notification. */
void subs_impact_token(const char *secret, int64_t subscriber, const char *symbol, char out[SUBS_TOKEN_LEN + 1]);
int subs_impact_token_ok(const char *secret, int64_t subscriber, const char *symbol, const char *token);
/* Confirms a subscriber (double opt-in done). */
/* Sets the language of a subscriber's messages and pages: zh or en (else -EINVAL with err). */
int subs_set_lang(struct store *st, int64_t id, const char *lang, char *err, size_t errlen);
int subs_confirm(struct store *st, int64_t id, char *err, size_t errlen);
/* Unsubscribes: nothing more is sent, what waits in the outbox is cancelled. */
int subs_unsubscribe(struct store *st, int64_t id, char *err, size_t errlen);
/*
 * Someone who unsubscribed subscribes again: their old subscriptions go (they left them all), the subscriber waits
 * for a new confirmation, whose request is queued under a new Message-ID. At most one request to confirm per 10
 * minutes (as for the manage link): returns -EAGAIN when one went out since, -EINVAL when the subscriber had not
 * unsubscribed.
 */
int subs_resubscribe(struct store *st, int64_t id, char *err, size_t errlen);

/* Loads one subscriber (caller releases with subscriber_release); -ENOENT when unknown. */
int subs_get_subscriber(struct store *st, int64_t id, struct subscriber *out, char *err, size_t errlen);
void subscriber_release(struct subscriber *s);
/* Removes a subscriber and its subscriptions; -ENOENT when unknown. */
int subs_remove_subscriber(struct store *st, int64_t id, char *err, size_t errlen);
/* All subscribers as JSON [{id, email, name, org, lang, tz, status, subscriptions}]. */
json_t *subs_list_subscribers(struct store *st);

/* Adds a subscription for a known subscriber; *id receives its id. */
int subs_add_subscription(struct store *st, const struct subscription *s, int64_t *id, char *err, size_t errlen);
int subs_remove_subscription(struct store *st, int64_t id, char *err, size_t errlen);

/*
 * A webhook's or robot's delivery record, kept with its subscription (the alerter reports through these):
 * subs_target_ok: a delivery went, the count of failures in a row goes back to 0. subs_target_failed: one more
 * failure; at pause_after in a row the subscription is paused (inactive, why kept): returns 1 when this call paused
 * it, 0 when not, -TBT_EDB. subs_disable: stop it for good (its endpoint answered 410 Gone).
 */
int subs_target_ok(struct store *st, int64_t id);
/* The operator's own row (notices about the service go to it): found by e-mail, else added, confirmed. */
int subs_operator(struct store *st, const char *email, int64_t *id, char *err, size_t errlen);
/* Adds to what subscriber id said matters to it (the HS codes and markets of an impact report: digits, and member
 * codes, separated by commas or spaces; other tokens are ignored): kept as a set of at most 40 of each, the newest
 * kept. 0, -ENOENT, or -TBT_EDB. */
int subs_add_interests(struct store *st, int64_t id, const char *hs, const char *markets, char *err, size_t errlen);
/* The same for any address the service itself writes to (the operator's, staff's): found, else added, confirmed,
 * with org and lang (zh, en). */
int subs_internal(struct store *st, const char *email, const char *org, const char *lang, int64_t *id, char *err,
		  size_t errlen);
/* How many subscriptions are active (for /metrics). */
int64_t subs_count_active(struct store *st);
int subs_target_failed(struct store *st, int64_t id, int pause_after, const char *why);
int subs_disable(struct store *st, int64_t id, const char *why);
/* Subscriptions as JSON (of one subscriber, or all when subscriber is 0). */
json_t *subs_list_subscriptions(struct store *st, int64_t subscriber);
/* Calls fn for every active subscription (with its filter parsed); stops when fn returns non-zero. */
int subs_each(struct store *st, int (*fn)(void *arg, const struct subscription *s), void *arg, char *err, size_t errlen);

/*
 * Bulk import from CSV text (UTF-8, BOM allowed) with a header naming the columns: email (required), name, org,
 * lang (zh|en), tz, confirmed (yes|no; yes only where the operator holds consent). Good rows are added in one
 * transaction; each bad or known row is reported on report as NAME:LINE: reason, and skipped. Returns 0, or a
 * negative code when nothing could be imported (no header, database error).
 */
struct subs_import {
	unsigned added, to_confirm, existing, bad;
};
int subs_import_csv(struct store *st, const char *text, const char *name, FILE *report, struct subs_import *r, char *err,
		    size_t errlen);

/* The filter as JSON and back. */
json_t *sub_filter_json(const struct sub_filter *f);
int sub_filter_from_json(const json_t *j, struct sub_filter *f);

#endif
