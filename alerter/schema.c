/* schema.c: the alerter's tables (subscribers, subscriptions, the outbox and its cursor), its steps of the schema,
 * registered with the storage layer (db_schema_register) before main, applied by the store when it opens. */
#include "db.h"

#include <stddef.h>

static const struct db_migration alert_schema[] = {
	/* 3: subscribers and their subscriptions (the alerter). */
	{3, "alerter",
		"CREATE TABLE subscribers ("
		"  id INTEGER PRIMARY KEY,"
		"  email TEXT NOT NULL UNIQUE,"
		"  name TEXT,"
		"  org TEXT,"
		"  lang TEXT NOT NULL DEFAULT 'zh',"
		"  tz TEXT NOT NULL DEFAULT 'Asia/Shanghai',"
		"  status TEXT NOT NULL DEFAULT 'pending'," /* pending, confirmed, unsubscribed */
		"  created_at TEXT NOT NULL,"
		"  confirmed_at TEXT);"
		"CREATE TABLE subscriptions ("
		"  id INTEGER PRIMARY KEY,"
		"  subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,"
		"  channel TEXT NOT NULL,"
		"  url TEXT,"
		"  secret TEXT,"
		"  filter TEXT NOT NULL," /* JSON: categories, hs, ics, members, kinds, type, query, min_risk */
		"  frequency TEXT NOT NULL DEFAULT 'immediate',"
		"  hour INTEGER NOT NULL DEFAULT 9,"
		"  active INTEGER NOT NULL DEFAULT 1,"
		"  created_at TEXT NOT NULL);"
		"CREATE INDEX subscriptions_subscriber ON subscriptions (subscriber_id);"},
	/* 4: the alerter's durable outbox and its cursor over the store's changes. */
	{4, "alerter",
		"CREATE TABLE outbox ("
		"  id INTEGER PRIMARY KEY,"
		"  subscription_id INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,"
		"  notification_id INTEGER NOT NULL,"
		"  symbol TEXT NOT NULL,"
		"  message_id TEXT NOT NULL UNIQUE," /* the Message-ID or webhook-id: one delivery per change per subscription */
		"  state TEXT NOT NULL DEFAULT 'pending'," /* pending, sent, failed */
		"  attempts INTEGER NOT NULL DEFAULT 0,"
		"  next_attempt REAL NOT NULL DEFAULT 0,"
		"  last_error TEXT,"
		"  created_at TEXT NOT NULL,"
		"  sent_at TEXT);"
		"CREATE INDEX outbox_due ON outbox (state, next_attempt);"
		"CREATE TABLE alert_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);"},
	/* 5: the outbox holds every kind of message to a subscriber: alerts, reminders before comment deadlines,
	 * digests (which fold held alerts), confirmation requests and tests. */
	{5, "alerter",
		"CREATE TABLE outbox_v5 ("
		"  id INTEGER PRIMARY KEY,"
		"  kind TEXT NOT NULL DEFAULT 'alert'," /* alert, reminder, digest, confirm, test */
		"  subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,"
		"  subscription_id INTEGER REFERENCES subscriptions (id) ON DELETE CASCADE,"
		"  notification_id INTEGER,"
		"  symbol TEXT,"
		"  deadline TEXT,"   /* the comment deadline an alert or reminder was about */
		"  day TEXT,"        /* the date on which the decision was taken */
		"  digest_id INTEGER," /* the digest row that carried this one */
		"  message_id TEXT NOT NULL UNIQUE,"
		"  state TEXT NOT NULL DEFAULT 'pending'," /* held, pending, sent, failed, digested, cancelled */
		"  attempts INTEGER NOT NULL DEFAULT 0,"
		"  next_attempt REAL NOT NULL DEFAULT 0,"
		"  last_error TEXT,"
		"  created_at TEXT NOT NULL,"
		"  sent_at TEXT);"
		"INSERT INTO outbox_v5 (id, kind, subscriber_id, subscription_id, notification_id, symbol, message_id, state, "
		"  attempts, next_attempt, last_error, created_at, sent_at) "
		"  SELECT o.id, 'alert', s.subscriber_id, o.subscription_id, o.notification_id, o.symbol, o.message_id, o.state, "
		"  o.attempts, o.next_attempt, o.last_error, o.created_at, o.sent_at "
		"  FROM outbox o JOIN subscriptions s ON s.id = o.subscription_id;"
		"DROP TABLE outbox;"
		"ALTER TABLE outbox_v5 RENAME TO outbox;"
		"CREATE INDEX outbox_due ON outbox (state, next_attempt);"
		"CREATE INDEX outbox_digest ON outbox (digest_id);"
		"CREATE INDEX outbox_subscription ON outbox (subscription_id, kind);"
		"CREATE INDEX outbox_notification ON outbox (notification_id);"},
	/* 6: notices to the operator carry their own text. */
	{6, "alerter",
		"ALTER TABLE outbox ADD COLUMN note TEXT;"},
	/* 7: the pending rows in order of urgency, without a sort (the alerter reads a window of them at every refill);
	 * partial, so that a row that is sent leaves it instead of moving within it. */
	{7, "alerter",
		"CREATE INDEX outbox_urgency ON outbox ((kind NOT IN ('confirm', 'manage', 'operator')), (deadline IS NULL), deadline) "
		"WHERE state = 'pending';"},
	/* 8: a webhook or robot whose target keeps failing is paused (active = 0) with the reason, not hammered. */
	{8, "alerter",
		"ALTER TABLE subscriptions ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;"
		"ALTER TABLE subscriptions ADD COLUMN paused_reason TEXT;"},
	/* 12: several instances on one database: claims on deliveries, so that two alerters never send the same row at
	 * once (a claim that outlives its instance expires). The service's leases are the other half of this version. */
	{12, "alerter",
		"ALTER TABLE outbox ADD COLUMN claimed_by TEXT;"
		"ALTER TABLE outbox ADD COLUMN claimed_until REAL NOT NULL DEFAULT 0;"},
	/* 18: what a firm said matters to it (the HS codes and markets of its impact reports): its later alerts and
	 * digests put those first. JSON {"hs": [...], "markets": [...]}. */
	{18, "alerter",
		"ALTER TABLE subscribers ADD COLUMN interests TEXT;"},
};

__attribute__((constructor)) static void alert_schema_register(void)
{
	db_schema_register(alert_schema, sizeof(alert_schema) / sizeof(alert_schema[0]));
}
