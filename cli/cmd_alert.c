/* cmd_alert.c: the alerter's commands: subscriber, subscription, alert, outbox. */
#include "cli.h"
#include "alert.h"
#include "members.h"
#include "norm.h"
#include "query.h"
#include "service.h"
#include "subs.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

/* What the alerter needs: its options from the configuration and environment, a loop and a fetcher. */
struct alert_env {
	struct ini *cfg;
	struct alert_opts o;
	struct ev_loop *loop;
	struct fetcher *f;
};

static void alert_env_open(const char *data, const char *config, struct alert_env *e)
{
	char err[ERRBUF_SIZE];
	struct fetch_opts fo;
	e->cfg = load_config(config);
	alert_opts_default(&e->o);
	if (alert_opts_load(&e->o, e->cfg, data, err, sizeof(err)))
		die("configuration: %s", err);
	e->loop = ev_loop_new(EVFLAG_AUTO);
	fetch_opts_default(&fo);
	fo.polite_delay = 0;
	fo.timeout = 30;
	fo.allow_file = 0;
	/* A relay takes several sessions at once; robots and webhooks are spread over many hosts. */
	fo.max_host_connections = 8;
	e->f = fetcher_new(e->loop, &fo);
}

static void alert_env_close(struct alert_env *e)
{
	fetcher_free(e->f);
	ev_loop_destroy(e->loop);
	alert_opts_release(&e->o);
	ini_free(e->cfg);
}

/* Sends the confirmation requests waiting for subscriber (0: for all) now when a relay is configured; else says that
 * they wait in the outbox for the alerter. */
static void send_confirmation(struct archive *a, const char *data, const char *config, int64_t subscriber)
{
	struct alert_env e;
	char err[ERRBUF_SIZE];
	alert_env_open(data, config, &e);
	if (!e.o.smtp_url) {
		fputs("tbtwarn: the confirmation request waits in the outbox: no mail relay is configured yet (TBTWARN_SMTP_URL "
		      "or [alert] smtp_url); tbtwarn alert sends it\n",
		      stderr);
	} else {
		json_t *rows = alert_outbox_json(a);
		size_t i;
		json_t *r;
		json_array_foreach(rows, i, r)
		{
			if (strcmp(jstr(r, "kind"), "confirm") || strcmp(jstr(r, "state"), "pending") ||
			    (subscriber && json_integer_value(json_object_get(r, "subscriber")) != subscriber))
				continue;
			struct alert_stats st = {0};
			alert_deliver_row(a, e.loop, e.f, &e.o, json_integer_value(json_object_get(r, "id")), &st, stderr, err,
					  sizeof(err));
		}
		json_decref(rows);
	}
	alert_env_close(&e);
}

int cmd_subscriber(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	struct archive *a;
	char err[ERRBUF_SIZE];
	int rc = 0;
	static const char *const actions[] = {"add", "import", "list", "show", "remove", "confirm", "unsubscribe", "link", NULL};
	if (argc < 2 || !str_one_of(argv[1], actions))
		return cli_usage(argv[0], argc < 2 ? "say what to do: add, import, list, show, remove, confirm, unsubscribe or link"
					     : "unknown action (add, import, list, show, remove, confirm, unsubscribe, link)");
	if (open_archive_shared(data, &a, err, sizeof(err))) {
		fprintf(stderr, "tbtwarn: %s\n", err);
		return 2;
	}
	struct store *st = archive_store(a);
	if (!strcmp(argv[1], "add")) {
		static const struct option opts[] = {{"email", required_argument, NULL, 'e'}, {"name", required_argument, NULL, 'n'},
						     {"org", required_argument, NULL, 'o'},   {"lang", required_argument, NULL, 'l'},
						     {"tz", required_argument, NULL, 't'},    {"confirmed", no_argument, NULL, 'c'},
						     {0}};
		struct subscriber sub = {0};
		int c, confirmed = 0;
		optind = 2;
		while ((c = getopt_long(argc, argv, "e:n:o:l:t:c", opts, NULL)) != -1) {
			switch (c) {
			case 'e':
				sub.email = optarg;
				break;
			case 'n':
				sub.name = optarg;
				break;
			case 'o':
				sub.org = optarg;
				break;
			case 'l':
				sub.lang = optarg;
				break;
			case 't':
				sub.tz = optarg;
				break;
			case 'c':
				confirmed = 1;
				break;
			default:
				rc = 2;
			}
		}
		if (!rc && !sub.email) {
			fputs("tbtwarn: subscriber add: --email is required\n", stderr);
			rc = 2;
		} else if (!rc && sub.lang && strcmp(sub.lang, "zh") && strcmp(sub.lang, "en")) {
			fprintf(stderr, "tbtwarn: subscriber add: --lang wants zh or en, got '%s'\n", sub.lang);
			rc = 2;
		} else if (!rc) {
			int64_t id;
			int r = subs_add_subscriber(st, &sub, confirmed, &id, err, sizeof(err));
			if (r) {
				fprintf(stderr, "tbtwarn: subscriber add: %s\n", err);
				rc = r == -EINVAL ? 2 : 1;
			} else {
				printf("%lld\n", (long long)id);
				fflush(stdout);
				if (!confirmed)
					send_confirmation(a, data, config, id);
			}
		}
	} else if (!strcmp(argv[1], "import") && argc >= 3) {
		int confirmed_ok = argc == 4 && !strcmp(argv[3], "--send-confirmations");
		struct buf text;
		struct subs_import r;
		buf_init(&text, 64 * 1024 * 1024);
		if (argc > 4 || (argc == 4 && !confirmed_ok)) {
			rc = cli_usage("subscriber", "import takes one FILE.csv and --send-confirmations");
		} else if (buf_read_file(&text, argv[2])) {
			fprintf(stderr, "tbtwarn: subscriber import: cannot read '%s' (missing, unreadable or over 64 MiB)\n", argv[2]);
			rc = 2;
		} else if ((rc = subs_import_csv(st, text.s ? text.s : "", argv[2], stderr, &r, err, sizeof(err)))) {
			fprintf(stderr, "tbtwarn: subscriber import: %s\n", err);
			rc = 2;
		} else {
			printf("import: %u added (%u to confirm), %u already known, %u bad rows\n", r.added, r.to_confirm, r.existing,
			       r.bad);
			if (r.to_confirm && confirmed_ok) {
				fflush(stdout);
				send_confirmation(a, data, config, 0);
			}
			rc = r.bad ? 1 : 0;
		}
		buf_release(&text);
	} else if ((!strcmp(argv[1], "confirm") || !strcmp(argv[1], "unsubscribe")) && (argc == 3 || (argc == 5 && !strcmp(argv[3], "--token")))) {
		long id;
		struct alert_env e;
		if (parse_long(argv[2], 1, LONG_MAX, &id)) {
			fprintf(stderr, "tbtwarn: subscriber %s: '%s' is not an id\n", argv[1], argv[2]);
			rc = 2;
		} else {
			alert_env_open(data, config, &e);
			/* With --token, the link's token is checked as the web does: it cannot be forged without the secret. */
			if (argc == 5 && !subs_token_ok(e.o.secret, argv[1], id, argv[4])) {
				fprintf(stderr, "tbtwarn: subscriber %s: the token does not belong to subscriber %ld\n", argv[1], id);
				rc = 1;
			} else if ((!strcmp(argv[1], "confirm") ? subs_confirm : subs_unsubscribe)(st, id, err, sizeof(err))) {
				fprintf(stderr, "tbtwarn: subscriber %s: %s\n", argv[1], err);
				rc = 1;
			}
			alert_env_close(&e);
		}
	} else if (!strcmp(argv[1], "link") && argc == 3) {
		/* The subscriber's own manage link, signed as the mails sign it: for an operator asked to resend it. */
		long id;
		struct alert_env e;
		struct subscriber who;
		if (parse_long(argv[2], 1, LONG_MAX, &id)) {
			fprintf(stderr, "tbtwarn: subscriber link: '%s' is not an id\n", argv[2]);
			rc = 2;
		} else if (subs_get_subscriber(st, id, &who, err, sizeof(err))) {
			fprintf(stderr, "tbtwarn: subscriber link: %s\n", err);
			rc = 1;
		} else {
			char tok[SUBS_TOKEN_LEN + 1];
			alert_env_open(data, config, &e);
			subs_token(e.o.secret, "manage", id, tok);
			printf("%s/manage?s=%ld&t=%s&lang=%s\n", e.o.base_url, id, tok, who.lang);
			alert_env_close(&e);
			subscriber_release(&who);
		}
	} else if (!strcmp(argv[1], "list")) {
		json_t *l = subs_list_subscribers(st);
		if (argc > 2 && !strcmp(argv[2], "--json")) {
			json_dumpf(l, stdout, JSON_INDENT(2));
			fputc('\n', stdout);
		} else {
			size_t i;
			json_t *o;
			printf("%-6s %-32s %-10s %-4s %-5s %s\n", "ID", "E-MAIL", "STATUS", "LANG", "SUBS", "ORGANISATION");
			json_array_foreach(l, i, o)
			{
				printf("%-6lld %-32s %-10s %-4s %-5lld %s\n", (long long)json_integer_value(json_object_get(o, "id")),
				       jstr(o, "email"), jstr(o, "status"), jstr(o, "lang"),
				       (long long)json_integer_value(json_object_get(o, "subscriptions")), jstr(o, "org"));
			}
		}
		json_decref(l);
	} else if ((!strcmp(argv[1], "show") || !strcmp(argv[1], "remove")) && argc == 3) {
		long id;
		if (parse_long(argv[2], 1, LONG_MAX, &id)) {
			fprintf(stderr, "tbtwarn: subscriber: '%s' is not an id\n", argv[2]);
			rc = 2;
		} else if (!strcmp(argv[1], "remove")) {
			if (subs_remove_subscriber(st, id, err, sizeof(err))) {
				fprintf(stderr, "tbtwarn: subscriber remove: %s\n", err);
				rc = 1;
			}
		} else {
			struct subscriber sub;
			if (subs_get_subscriber(st, id, &sub, err, sizeof(err))) {
				fprintf(stderr, "tbtwarn: subscriber show: %s\n", err);
				rc = 1;
			} else {
				json_t *o = json_object();
				json_object_set_new(o, "id", json_integer(sub.id));
				json_object_set_new(o, "email", json_string(sub.email));
				json_object_set_new(o, "name", sub.name ? json_string(sub.name) : json_null());
				json_object_set_new(o, "org", sub.org ? json_string(sub.org) : json_null());
				json_object_set_new(o, "lang", json_string(sub.lang));
				json_object_set_new(o, "tz", json_string(sub.tz));
				json_object_set_new(o, "status", json_string(sub.status));
				json_object_set_new(o, "subscriptions", subs_list_subscriptions(st, id));
				json_dumpf(o, stdout, JSON_INDENT(2));
				fputc('\n', stdout);
				json_decref(o);
				subscriber_release(&sub);
			}
		}
	} else {
		rc = cli_usage(argv[0], "wrong arguments for this action");
	}
	archive_free(a);
	return rc;
}

/* A Standard Webhooks secret: whsec_ and 24 random bytes in base64. Caller frees. */
static char *new_webhook_secret(void)
{
	unsigned char raw[24], b64[64];
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		die("no random bytes for a webhook secret");
	int n = EVP_EncodeBlock(b64, raw, sizeof(raw));
	struct buf b;
	buf_init(&b, 128);
	buf_addf(&b, "whsec_%.*s", n, (const char *)b64);
	return buf_detach(&b);
}

int cmd_subscription(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	struct archive *a;
	char err[ERRBUF_SIZE];
	int rc = 0;
	static const char *const actions[] = {"add", "list", "remove", "test", NULL};
	if (argc < 2 || !str_one_of(argv[1], actions))
		return cli_usage(argv[0], argc < 2 ? "say what to do: add, list, remove or test"
					     : "unknown action (add, list, remove, test)");
	if (open_archive_shared(data, &a, err, sizeof(err))) {
		fprintf(stderr, "tbtwarn: %s\n", err);
		return 2;
	}
	struct store *st = archive_store(a);
	if (!strcmp(argv[1], "add")) {
		static const struct option opts[] = {
			{"channel", required_argument, NULL, 'c'},  {"url", required_argument, NULL, 'u'},
			{"secret", required_argument, NULL, 's'},   {"category", required_argument, NULL, 'C'},
			{"hs", required_argument, NULL, 'H'},       {"ics", required_argument, NULL, 'I'},
			{"member", required_argument, NULL, 'm'},   {"kind", required_argument, NULL, 'k'},
			{"type", required_argument, NULL, 't'},     {"query", required_argument, NULL, 'q'},
			{"min-risk", required_argument, NULL, 'r'}, {"frequency", required_argument, NULL, 'f'},
			{"hour", required_argument, NULL, 'h'},     {0}};
		struct subscription sub;
		long v;
		int c, chan = -1;
		memset(&sub, 0, sizeof(sub));
		sub_filter_init(&sub.filter);
		sub.hour = 9;
		optind = 3;
		if (argc < 3 || parse_long(argv[2], 1, LONG_MAX, &v)) {
			fputs("tbtwarn: subscription add: give the subscriber's id first\n", stderr);
			rc = 2;
			goto add_done;
		}
		sub.subscriber_id = v;
		while (!rc && (c = getopt_long(argc, argv, "c:u:s:C:H:I:m:k:t:q:r:f:h:", opts, NULL)) != -1) {
			char norm[32];
			switch (c) {
			case 'c':
				if ((chan = channel_from_name(optarg)) < 0) {
					fprintf(stderr, "tbtwarn: subscription add: --channel wants email, webhook, wecom, dingtalk or feishu, got '%s'\n", optarg);
					rc = 2;
				}
				break;
			case 'u':
				sub.url = optarg;
				break;
			case 's':
				sub.secret = optarg;
				break;
			case 'C':
				if (!catalog_find(g_cats, optarg)) {
					fprintf(stderr, "tbtwarn: subscription add: unknown category '%s' (see tbtwarn categories)\n", optarg);
					rc = 2;
				} else {
					strv_push_unique(&sub.filter.categories, optarg);
				}
				break;
			case 'H':
				if (hs_normalize(optarg, norm, sizeof(norm))) {
					fprintf(stderr, "tbtwarn: subscription add: '%s' is not an HS code\n", optarg);
					rc = 2;
				} else {
					strv_push_unique(&sub.filter.hs, norm);
				}
				break;
			case 'I':
				if (ics_normalize(optarg, norm, sizeof(norm))) {
					fprintf(stderr, "tbtwarn: subscription add: '%s' is not an ICS code\n", optarg);
					rc = 2;
				} else {
					strv_push_unique(&sub.filter.ics, norm);
				}
				break;
			case 'm': {
				const struct member *mm = member_by_code(optarg);
				if (!mm)
					mm = member_by_name(optarg);
				if (!mm) {
					fprintf(stderr, "tbtwarn: subscription add: unknown WTO member '%s'\n", optarg);
					rc = 2;
				} else {
					strv_push_unique(&sub.filter.members, mm->code);
				}
				break;
			}
			case 'k':
				if (strcmp(optarg, "notification") && strcmp(optarg, "addendum") && strcmp(optarg, "corrigendum") &&
				    strcmp(optarg, "revision") && strcmp(optarg, "supplement")) {
					fprintf(stderr, "tbtwarn: subscription add: unknown kind '%s'\n", optarg);
					rc = 2;
				} else {
					strv_push_unique(&sub.filter.kinds, optarg);
				}
				break;
			case 't':
				if (!strcmp(optarg, "tbt"))
					sub.filter.type = NT_TBT;
				else if (!strcmp(optarg, "sps"))
					sub.filter.type = NT_SPS;
				else {
					fprintf(stderr, "tbtwarn: subscription add: --type wants tbt or sps, got '%s'\n", optarg);
					rc = 2;
				}
				break;
			case 'q': {
				struct idx_query *q = idx_query_new();
				if (query_parse_ex(optarg, g_cats, q, err, sizeof(err))) {
					fprintf(stderr, "tbtwarn: subscription add: --query: %s\n", err);
					rc = 2;
				} else {
					free(sub.filter.query);
					sub.filter.query = xstrdup(optarg);
				}
				idx_query_free(q);
				break;
			}
			case 'r':
				sub.filter.min_risk = !strcmp(optarg, "high") ? 2 : !strcmp(optarg, "medium") ? 1 : !strcmp(optarg, "low") ? 0 : -1;
				if (sub.filter.min_risk < 0) {
					fprintf(stderr, "tbtwarn: subscription add: --min-risk wants low, medium or high, got '%s'\n", optarg);
					rc = 2;
				}
				break;
			case 'f': {
				int f = frequency_from_name(optarg);
				if (f < 0) {
					fprintf(stderr, "tbtwarn: subscription add: --frequency wants immediate, daily or weekly, got '%s'\n", optarg);
					rc = 2;
				} else {
					sub.frequency = (enum frequency)f;
				}
				break;
			}
			case 'h':
				if (parse_long(optarg, 0, 23, &v)) {
					fprintf(stderr, "tbtwarn: subscription add: --hour wants 0 to 23, got '%s'\n", optarg);
					rc = 2;
				} else {
					sub.hour = (int)v;
				}
				break;
			default:
				rc = 2;
			}
		}
		if (!rc && chan < 0) {
			fputs("tbtwarn: subscription add: --channel is required\n", stderr);
			rc = 2;
		}
		if (!rc) {
			char *generated = NULL;
			int64_t id;
			sub.channel = (enum channel)chan;
			if (sub.channel == CH_WEBHOOK && !sub.secret)
				sub.secret = generated = new_webhook_secret();
			int r = subs_add_subscription(st, &sub, &id, err, sizeof(err));
			if (r) {
				fprintf(stderr, "tbtwarn: subscription add: %s\n", err);
				rc = r == -ENOENT ? 1 : 2;
			} else {
				printf("%lld\n", (long long)id);
			}
			free(generated);
		}
	add_done:
		sub_filter_release(&sub.filter);
	} else if (!strcmp(argv[1], "list")) {
		long who = 0;
		if (argc > 2 && parse_long(argv[2], 1, LONG_MAX, &who)) {
			fprintf(stderr, "tbtwarn: subscription list: '%s' is not a subscriber id\n", argv[2]);
			rc = 2;
		} else {
			json_t *l = subs_list_subscriptions(st, who);
			json_dumpf(l, stdout, JSON_INDENT(2));
			fputc('\n', stdout);
			json_decref(l);
		}
	} else if (!strcmp(argv[1], "remove") && argc == 3) {
		long id;
		if (parse_long(argv[2], 1, LONG_MAX, &id)) {
			fprintf(stderr, "tbtwarn: subscription remove: '%s' is not an id\n", argv[2]);
			rc = 2;
		} else if (subs_remove_subscription(st, id, err, sizeof(err))) {
			fprintf(stderr, "tbtwarn: subscription remove: %s\n", err);
			rc = 1;
		}
	} else if (!strcmp(argv[1], "test") && argc == 3) {
		long id;
		if (parse_long(argv[2], 1, LONG_MAX, &id)) {
			fprintf(stderr, "tbtwarn: subscription test: '%s' is not an id\n", argv[2]);
			rc = 2;
		} else {
			struct alert_env e;
			alert_env_open(data, config, &e);
			int r = alert_test(a, e.loop, e.f, &e.o, id, stdout, err, sizeof(err));
			if (r) {
				fprintf(stderr, "tbtwarn: subscription test: %s\n", err);
				rc = r == -ENOENT || r == -EIO ? 1 : 2;
			}
			alert_env_close(&e);
		}
	} else {
		rc = cli_usage(argv[0], "wrong arguments for this action");
	}
	archive_free(a);
	return rc;
}


int cmd_alert(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	struct archive *a;
	char err[ERRBUF_SIZE];
	int once = argc > 1 && !strcmp(argv[1], "--once");
	if (argc > 1 && !once) {
		return cli_usage(argv[0], "the only option is --once");
	}
	/* One alerter per archive: with a service running, it delivers. */
	int lock = service_lock(data, err, sizeof(err));
	if (lock < 0) {
		fprintf(stderr, "tbtwarn: alert: %s; the service already matches and delivers\n", err);
		return 3;
	}
	if (open_archive(data, ARCHIVE_WRITE, &a, err, sizeof(err))) {
		fprintf(stderr, "tbtwarn: %s\n", err);
		return 2;
	}
	struct alert_env e;
	alert_env_open(data, config, &e);
	struct alert_stats st = {0};
	int rc = 0;
	do {
		struct alert_stats round = {0};
		if ((rc = alert_collect(a, &e.o, &round, err, sizeof(err))) < 0) {
			fprintf(stderr, "tbtwarn: alert: %s\n", err);
			break;
		}
		if ((rc = alert_deliver(a, e.loop, e.f, &e.o, &round, stdout, err, sizeof(err)))) {
			fprintf(stderr, "tbtwarn: alert: %s\n", err);
			break;
		}
		st.notifications += round.notifications;
		st.queued += round.queued;
		st.reminders += round.reminders;
		st.digests += round.digests;
		st.sent += round.sent;
		st.retrying += round.retrying;
		st.failed += round.failed;
		st.cancelled += round.cancelled;
		if (!once) {
			fflush(stdout);
			sleep(30);
		}
	} while (!once);
	printf("alert: %u notifications matched, %u deliveries queued, %u sent, %u to retry, %u failed\n", st.notifications,
	       st.queued, st.sent, st.retrying, st.failed);
	if (st.reminders || st.digests || st.cancelled)
		printf("alert: %u reminders queued, %u digests made, %u cancelled\n", st.reminders, st.digests, st.cancelled);
	alert_env_close(&e);
	archive_free(a);
	close(lock);
	return rc ? 2 : 0;
}

int cmd_outbox(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data;
	struct archive *a;
	char err[ERRBUF_SIZE];
	int rc = 0;
	if (!(argc == 1 || (argc == 2 && !strcmp(argv[1], "--json")) || (argc == 3 && !strcmp(argv[1], "retry"))))
		return cli_usage(argv[0], "");
	if (open_archive_shared(data, &a, err, sizeof(err))) {
		fprintf(stderr, "tbtwarn: %s\n", err);
		return 2;
	}
	if (argc == 3 && !strcmp(argv[1], "retry")) {
		long id;
		if (parse_long(argv[2], 1, LONG_MAX, &id)) {
			fprintf(stderr, "tbtwarn: outbox retry: '%s' is not an id\n", argv[2]);
			rc = 2;
		} else if (alert_outbox_retry(a, id, err, sizeof(err))) {
			fprintf(stderr, "tbtwarn: outbox retry: %s\n", err);
			rc = 1;
		}
	} else {
		json_t *l = alert_outbox_json(a);
		if (argc > 1 && !strcmp(argv[1], "--json")) {
			json_dumpf(l, stdout, JSON_INDENT(2));
			fputc('\n', stdout);
		} else {
			size_t i;
			json_t *o;
			printf("%-6s %-5s %-28s %-9s %-4s %s\n", "ID", "SUB", "SYMBOL", "STATE", "TRY", "LAST ERROR");
			json_array_foreach(l, i, o)
			{
				printf("%-6lld %-5lld %-28s %-9s %-4lld %s\n", (long long)json_integer_value(json_object_get(o, "id")),
				       (long long)json_integer_value(json_object_get(o, "subscription")), jstr(o, "symbol"),
				       jstr(o, "state"), (long long)json_integer_value(json_object_get(o, "attempts")),
				       jstr(o, "last_error"));
			}
		}
		json_decref(l);
	}
	archive_free(a);
	return rc;
}
