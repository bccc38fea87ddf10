/* subs.h: subscribers and their subscriptions, kept in the archive's database. */
#ifndef TBT_SUBS_H
#define TBT_SUBS_H

#include "match.h"
#include "store.h"

#include <stdint.h>

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
};

/* Names of the enums as the command line and JSON spell them; parsing returns -1 when unknown. */
const char *channel_name(enum channel c);
int channel_from_name(const char *s);
const char *frequency_name(enum frequency f);
int frequency_from_name(const char *s);

/* Checks an e-mail address the way a sender can (one @, a dotted domain, no spaces); returns 1 when usable. */
int email_valid(const char *addr);

/* Adds a subscriber; *id receives its id. -EEXIST (with the existing id in *id) when the address is known. */
int subs_add_subscriber(struct store *st, const struct subscriber *s, int confirmed, int64_t *id, char *err, size_t errlen);
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
/* Subscriptions as JSON (of one subscriber, or all when subscriber is 0). */
json_t *subs_list_subscriptions(struct store *st, int64_t subscriber);
/* Calls fn for every active subscription (with its filter parsed); stops when fn returns non-zero. */
int subs_each(struct store *st, int (*fn)(void *arg, const struct subscription *s), void *arg, char *err, size_t errlen);

/* The filter as JSON and back. */
json_t *sub_filter_json(const struct sub_filter *f);
int sub_filter_from_json(const json_t *j, struct sub_filter *f);

#endif
