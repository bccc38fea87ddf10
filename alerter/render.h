/* render.h: what an alert says, in each channel's own form: e-mail (multipart, Chinese first), the webhook JSON
 * schema (docs/api.md), and the WeCom, DingTalk and Feishu group robots' message formats. */
#ifndef TBT_RENDER_H
#define TBT_RENDER_H

#include "archive.h"
#include "subs.h"

#include <jansson.h>

enum item_kind { ITEM_ALERT = 0, ITEM_REMINDER };

/* One notification in a message, with what the classifier says of it. */
struct alert_item {
	struct notif *n; /* borrowed */
	struct cat_result cats;
	struct risk risk;
	enum item_kind kind;
	char deadline[11]; /* the comment deadline the item is about ("" when none) */
	/* What the document changed in its measure's dates ("评议截止日期延长至 ..."), or NULL; borrowed. */
	const char *change_zh, *change_en;
	unsigned machine_zh; /* bit 0 title, 1 description, 2 products: the Chinese is a machine's (labelled so) */
	int relevant;        /* what the firm named in an impact report: RELEVANT_PRODUCTS, RELEVANT_MARKET, or 0 */
};
enum { RELEVANT_MARKET = 1, RELEVANT_PRODUCTS = 2 };

enum message_kind { MSG_ALERT = 0, MSG_REMINDER, MSG_DIGEST, MSG_TEST, MSG_ANALYSIS };

struct message {
	enum message_kind kind;
	const char *message_id;
	int64_t subscription;
	const struct subscriber *who;
	struct alert_item *items;
	size_t n;
	const char *base_url, *secret, *mail_from;
	enum frequency frequency; /* for a digest: daily or weekly */
	char today[11];
	/* The published analysis of the (one) notification: {summary_zh, requirements_zh, actions_zh, links, author},
	 * or NULL. A follow-up (MSG_ANALYSIS) is about it; a later alert carries it. Borrowed. */
	const json_t *analysis;
};

/* Marks the items that concern what the subscriber said matters to it (interests: the JSON {"hs": [...],
 * "markets": [...]} its impact reports made, or NULL): RELEVANT_PRODUCTS when one of its HS codes and one of the
 * notification's share their first four digits or more, else RELEVANT_MARKET when the notifying member is one of its
 * markets. */
void message_mark_interests(struct message *m, const char *interests);
/* Orders a digest's items: what the firm said matters first (its products, then its markets), then risk high first, then the nearest open deadline,
 * then symbol. */
void message_sort(struct message *m);

/* A complete RFC 5322 message (CRLF line ends). Caller frees. */
char *render_mail(const struct message *m);
/* The double opt-in request, or (manage) a link to manage the subscriptions of a known address. Caller frees. */
char *render_confirm_mail(const struct subscriber *who, const char *message_id, const char *base_url, const char *secret,
			  const char *mail_from, int manage);
/* A plain notice (to the operator): note is the subject, a newline, then the text. Caller frees. */
char *render_note_mail(const struct subscriber *who, const char *message_id, const char *mail_from, const char *note);
/* The webhook body (schema in docs/api.md). Caller json_decref()s. */
json_t *render_webhook(const struct message *m);
/* A robot's request body for channel CH_WECOM, CH_DINGTALK or CH_FEISHU; for Feishu with a secret, signed at ts.
 * Caller frees. */
char *render_robot(const struct message *m, enum channel ch, const char *secret, long ts);

/* The Standard Webhooks signature of body: "v1,<base64>" appended to out. */
void sign_standard_webhook(const char *secret, const char *id, long ts, const char *body, struct buf *out);
/* DingTalk: base64(HMAC-SHA256(secret, "<ts_ms>\n<secret>")), URL-encoded, appended to out. */
void sign_dingtalk(const char *secret, long long ts_ms, struct buf *out);
/* Feishu/Lark: base64(HMAC-SHA256(key "<ts>\n<secret>", empty message)) appended to out. */
void sign_feishu(const char *secret, long ts, struct buf *out);

#endif
