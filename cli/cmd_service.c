/* cmd_service.c: the service's commands: serve, run, doctor, backup. */
#include "cli.h"
#include "service.h"
#include "translate.h"
#include "web.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

struct serve_ctx {
	struct alerter *al;
	ev_timer tick;
};

static void on_serve_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct serve_ctx *c = t->data;
	char err[ERRBUF_SIZE];
	(void)loop;
	(void)revents;
	if (alerter_tick(c->al, 0, err, sizeof(err)))
		fprintf(stderr, "tbtwarn: serve: mail: %s\n", err);
}

int cmd_serve(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
					     {"read-only", no_argument, NULL, 'r'},
					     {"quiet", no_argument, NULL, 'q'},
					     {0}};
	struct web_opts wo;
	struct alert_opts ao;
	char err[ERRBUF_SIZE];
	const char *listen = NULL;
	int c, read_only = -1, quiet = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "l:rq", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen = optarg;
			break;
		case 'r':
			read_only = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			return cli_usage(argv[0], "");
		}
	}
	struct ini *cfg = load_config(config);
	web_opts_default(&wo);
	alert_opts_default(&ao);
	if (web_opts_load(&wo, cfg, err, sizeof(err)) || alert_opts_load(&ao, cfg, data, err, sizeof(err)))
		die("configuration: %s", err);
	if (listen)
		wo.listen = listen;
	if (read_only >= 0)
		wo.read_only = read_only;
	wo.access_log = quiet ? NULL : stderr;
	struct archive *a;
	if (open_archive(data, wo.read_only ? ARCHIVE_READ : ARCHIVE_WRITE, &a, err, sizeof(err))) {
		fprintf(stderr, "tbtwarn: %s\n", err);
		ini_free(cfg);
		return 2;
	}
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct crawler *cr = crawler_new(loop, a, cfg, err, sizeof(err));
	if (!cr)
		fprintf(stderr, "tbtwarn: serve: sources are not reported: %s\n", err);
	struct web *w = web_new(loop, a, cr, &ao, &wo, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "tbtwarn: serve: %s\n", err);
		crawler_free(cr);
		ev_loop_destroy(loop);
		archive_free(a);
		ini_free(cfg);
		return 1;
	}
	/* The web server alone sends only the mails its forms cause (confirmations, manage links); alerts are the
	 * alerter's (tbtwarn alert, or tbtwarn run). */
	struct fetcher *f = NULL;
	struct serve_ctx sc = {NULL, {0}};
	if (!wo.read_only) {
		struct fetch_opts fo;
		fetch_opts_default(&fo);
		fo.polite_delay = 0;
		fo.allow_file = 0;
		f = fetcher_new(loop, &fo);
		sc.al = alerter_new(a, loop, f, &ao, quiet ? NULL : stderr, 1);
		ev_timer_init(&sc.tick, on_serve_tick, 0.5, 2.0);
		sc.tick.data = &sc;
		ev_timer_start(loop, &sc.tick);
	}
	ev_signal sigint, sigterm;
	ev_signal_init(&sigint, on_stop_signal, SIGINT);
	ev_signal_init(&sigterm, on_stop_signal, SIGTERM);
	ev_signal_start(loop, &sigint);
	ev_signal_start(loop, &sigterm);
	char host[64];
	snprintf(host, sizeof(host), "%.*s", (int)strcspn(wo.listen, ":"), wo.listen);
	printf("tbtwarn: serving http://%s:%u/\n", *host ? host : "0.0.0.0", web_port(w));
	fflush(stdout);
	ev_run(loop, 0);
	if (!wo.read_only) {
		ev_timer_stop(loop, &sc.tick);
		alerter_free(sc.al);
		fetcher_free(f);
	}
	ev_signal_stop(loop, &sigint);
	ev_signal_stop(loop, &sigterm);
	web_free(w);
	crawler_free(cr);
	ev_loop_destroy(loop);
	archive_free(a);
	alert_opts_release(&ao);
	free(wo.owned_token);
	ini_free(cfg);
	return 0;
}

int cmd_run(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	char err[ERRBUF_SIZE];
	(void)argv;
	if (argc > 1) {
		return cli_usage(argv[0], "run takes no arguments (the configuration says what to do)");
	}
	int rc = service_run(data, config, g_cats, &g_risk, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "tbtwarn: run: %s\n", err);
		return rc == -EBUSY ? 3 : 2;
	}
	return 0;
}

/* One line per check: "ok   what" or "FAIL what: why"; the exit status counts the failures. */
static int doctor_line(int ok, const char *what, const char *why)
{
	printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", what, ok || !why ? "" : ": ", ok || !why ? "" : why);
	return !ok;
}

static void on_doctor_fetch(void *arg, struct fetch_result *r)
{
	struct buf *out = arg;
	fetch_conn_close(r->conn); /* a relay's session, set up and no longer needed */
	buf_addstr(out, r->failed ? r->error : "");
	if (r->failed && !*r->error)
		buf_addf(out, "HTTP %ld", r->status);
	buf_addstr(out, r->failed ? "" : "ok");
}

int cmd_doctor(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	char err[ERRBUF_SIZE], what[512];
	int bad = 0;
	if (argc > 1)
		return cli_usage(argv[0], "takes no arguments");
	const char *path = config && *config ? config : getenv("TBTWARN_CONFIG");
	struct ini *cfg = path && *path ? ini_load(path, err, sizeof(err)) : ini_parse("(built-in tbtwarn.ini)", tbt_default_ini, err, sizeof(err));
	snprintf(what, sizeof(what), "configuration %s", path && *path ? path : "(built-in)");
	if (!cfg || service_check_config(cfg, err, sizeof(err))) {
		doctor_line(0, what, err);
		ini_free(cfg);
		return 1;
	}
	doctor_line(1, what, NULL);
	char lerr[ERRBUF_SIZE];
	int lock = service_lock(data, lerr, sizeof(lerr));
	/* Informative either way: a running service is expected in production. */
	doctor_line(1, lock >= 0 ? "no service holds the data directory now" : lerr, NULL);
	if (lock >= 0)
		close(lock);
	struct archive *a;
	snprintf(what, sizeof(what), "archive %s opens", data);
	if (open_archive(data, ARCHIVE_READ, &a, err, sizeof(err))) {
		bad += doctor_line(0, what, err);
		ini_free(cfg);
		return bad;
	}
	doctor_line(1, what, NULL);
	/* The store checks itself: the database's own check, and every record's content hash against its text (a record
	 * changed behind tbtwarn's back, or damaged, would otherwise never be noticed: imports compare hashes). */
	json_t *chk = store_check(archive_store(a));
	const char *dbwhat = json_string_value(json_object_get(chk, "database")),
		   *dbwhy = json_string_value(json_object_get(chk, "database_error"));
	bad += doctor_line(!dbwhy, dbwhat, dbwhy);
	{
		long long checked = json_integer_value(json_object_get(chk, "checked")),
			  wrong = json_integer_value(json_object_get(chk, "wrong"));
		snprintf(what, sizeof(what), "every record matches its content hash (%lld checked)", checked);
		char why[700];
		snprintf(why, sizeof(why), "%lld do not (%s%s): restore them from a backup or import their sources again", wrong,
			 json_string_value(json_object_get(chk, "wrong_symbols")), wrong > 5 ? ", ..." : "");
		bad += doctor_line(!wrong, what, why);
	}
	json_decref(chk);
	json_t *res;
	struct search_opts so = {0, 0, 0, 0, 0};
	long long stored = (long long)store_count(archive_store(a));
	if (!archive_search(a, "", &so, &res, err, sizeof(err))) {
		long long indexed = (long long)json_integer_value(json_object_get(res, "total"));
		snprintf(what, sizeof(what), "the index holds every stored notification (%lld indexed, %lld stored)", indexed, stored);
		bad += doctor_line(indexed == stored, what, "run tbtwarn reindex");
		const char *ierr = NULL;
		long long lag = (long long)archive_index_lag(a, &ierr);
		snprintf(what, sizeof(what), "the index has committed every change of the store (%lld behind)", lag);
		bad += doctor_line(lag == 0, what, ierr ? ierr : "start tbtwarn (it catches up), or run tbtwarn reindex");
		json_decref(res);
	} else {
		bad += doctor_line(0, "the index answers", err);
	}
	struct statvfs v;
	if (!statvfs(data, &v)) {
		unsigned long long free_mib = ((unsigned long long)v.f_bavail * v.f_frsize) >> 20;
		snprintf(what, sizeof(what), "free space on the data directory's disk: %llu MiB", free_mib);
		bad += doctor_line(free_mib >= 64, what, "under 64 MiB: the service pauses new work");
	}
	/* The mail relay and each source, over the network (one request each, short timeouts). */
	struct alert_opts ao;
	alert_opts_default(&ao);
	if (alert_opts_load(&ao, cfg, data, err, sizeof(err)))
		bad += doctor_line(0, "the [alert] settings and the secret", err);
	else if (ao.secret_generated)
		bad += doctor_line(1, "link secret: the data directory's own (random, mode 0600; keep it in backups)", NULL);
	else if (alert_secret_weak(ao.secret))
		bad += doctor_line(0, "link secret is strong", alert_secret_weak(ao.secret));
	else
		bad += doctor_line(1, "link secret: configured", NULL);
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct fetch_opts fo;
	fetch_opts_default(&fo);
	fo.connect_timeout = 5;
	fo.timeout = 15;
	fo.polite_delay = 0;
	struct fetcher *f = fetcher_new(loop, &fo);
	if (!ao.smtp_url) {
		doctor_line(0, "mail relay", "none configured ([alert] smtp_url or TBTWARN_SMTP_URL): e-mail waits in the outbox");
		bad++;
	} else if (starts_with(ao.smtp_url, "maildir:")) {
		snprintf(what, sizeof(what), "mail goes to the local Maildir %s", ao.smtp_url + 8);
		doctor_line(1, what, NULL);
	} else {
		/* A session set up as for sending (connection, greeting, EHLO, STARTTLS, AUTH), then closed: no mail sent. */
		struct buf out;
		buf_init(&out, 1024);
		struct fetch_req req = {0};
		req.url = ao.smtp_url;
		req.ca_file = ao.smtp_ca_file;
		req.connect_only = 1;
		if (fetch_start(f, &req, on_doctor_fetch, &out))
			buf_addstr(&out, "not an smtp:// or smtps:// URL");
		else
			ev_run(loop, 0);
		/* The password in the URL (smtp://user:password@host) is not for the screen. */
		const char *u = ao.smtp_url, *scheme = strstr(u, "://"), *at = scheme ? strchr(scheme + 3, '@') : NULL,
			   *slash = scheme ? strchr(scheme + 3, '/') : NULL, *colon = scheme ? strchr(scheme + 3, ':') : NULL;
		if (at && (!slash || at < slash) && colon && colon < at)
			snprintf(what, sizeof(what), "mail relay %.*s:***%s answers", (int)(colon - u), u, at);
		else
			snprintf(what, sizeof(what), "mail relay %s answers", u);
		bad += doctor_line(out.s && !strcmp(out.s, "ok"), what, out.s);
		buf_release(&out);
	}
	/* The translation provider, when one is configured: one test sentence, checked as every answer is. */
	struct translate_opts to;
	translate_opts_default(&to);
	if (translate_opts_load(&to, cfg, err, sizeof(err))) {
		bad += doctor_line(0, "the [translate] settings", err);
	} else if (to.provider != TP_NONE) {
		struct translator *tr = translator_new(loop, a, &to, err, sizeof(err));
		snprintf(what, sizeof(what), "translation provider %s translates a test sentence", to.url);
		bad += doctor_line(tr && !translator_probe(tr, err, sizeof(err)), what, err);
		json_t *st = translator_state_json(a, &to), *tq = json_object_get(st, "queue");
		const char *last_error = json_string_value(json_object_get(st, "last_error"));
		snprintf(what, sizeof(what), "translation queue: %lld pending, %lld left for a person; provider %s as last seen",
			 (long long)json_integer_value(json_object_get(tq, "pending")),
			 (long long)json_integer_value(json_object_get(tq, "failed")),
			 json_string_value(json_object_get(st, "health")));
		if (last_error)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), " (%s)", last_error);
		doctor_line(1, what, NULL);
		json_decref(st);
		translator_free(tr);
	}
	struct crawler *cr = crawler_new(loop, a, cfg, err, sizeof(err));
	if (cr) {
		json_t *src = crawler_sources_json(cr);
		size_t i;
		json_t *o;
		json_array_foreach(src, i, o)
		{
			const char *name = jstr(o, "name"), *h = jstr(o, "health");
			if (!json_is_true(json_object_get(o, "enabled"))) {
				snprintf(what, sizeof(what), "source %s is disabled", name);
				doctor_line(1, what, NULL);
				continue;
			}
			crawler_set_report(cr, NULL);
			crawler_exit_when_idle(cr, 1);
			crawler_run_now(cr, name);
			ev_run(loop, 0);
			json_t *after = crawler_sources_json(cr);
			size_t k;
			json_t *x;
			const char *e = NULL;
			json_array_foreach(after, k, x) if (!strcmp(jstr(x, "name"), name)) e = json_string_value(json_object_get(x, "last_error"));
			snprintf(what, sizeof(what), "source %s (was %s) answers", name, h);
			bad += doctor_line(!e, what, e);
			json_decref(after);
		}
		json_decref(src);
		crawler_free(cr);
	} else {
		bad += doctor_line(0, "sources", err);
	}
	fetcher_free(f);
	ev_loop_destroy(loop);
	alert_opts_release(&ao);
	archive_free(a);
	ini_free(cfg);
	printf("%s\n", bad ? "doctor: something needs attention (see FAIL lines)" : "doctor: all good");
	return bad ? 1 : 0;
}

int cmd_backup(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data;
	char src[4096], dst[4096];
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return cli_usage(argv[0], NULL);
	if (argc != 2 || argv[1][0] == '-' || !argv[1][0]) {
		/* A folder named like an option is a mistake, never a place to copy subscribers' addresses to. */
		char why[300];
		snprintf(why, sizeof(why), argc == 2 ? "'%.256s' is not a folder name (unknown option)" : "one folder, DIR",
			 argc == 2 ? argv[1] : "");
		return cli_usage(argv[0], why);
	}
	if (archive_store_on_postgres()) {
		fputs("tbtwarn: backup: the store is on PostgreSQL: back it up with pg_dump or pg_basebackup, and keep the data "
		      "directory's secret (docs/operations.md)\n", stderr);
		return 2;
	}
	if (mkdir(argv[1], 0700) && errno != EEXIST) {
		fprintf(stderr, "tbtwarn: backup: cannot make %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	snprintf(src, sizeof(src), "%s/tbtwarn.db", data);
	snprintf(dst, sizeof(dst), "%s/tbtwarn.db", argv[1]);
	char berr[ERRBUF_SIZE];
	long long n = -1;
	unlink(dst);
	int brc = store_backup(src, dst, &n, berr, sizeof(berr)), ok = !brc;
	if (!ok) {
		fprintf(stderr, "tbtwarn: backup: %s\n", berr);
		if (brc != -ENOSPC)
			return 2;
	}
	if (!ok)
		return 1;
	chmod(dst, 0600); /* subscribers' addresses and robot keys */
	/* The secret signs every link already sent: without it, a restored installation breaks them all. */
	snprintf(src, sizeof(src), "%s/secret", data);
	char *secret = read_first_line(src);
	if (secret) {
		snprintf(dst, sizeof(dst), "%s/secret", argv[1]);
		char werr[ERRBUF_SIZE];
		struct buf line;
		buf_init(&line, BUF_NOMAX);
		buf_addf(&line, "%s\n", secret);
		int bad = write_private_file(dst, line.s, line.len, 0, werr, sizeof(werr));
		buf_release(&line);
		free(secret);
		if (bad) {
			fprintf(stderr, "tbtwarn: backup: %s\n", werr);
			return 1;
		}
		snprintf(dst, sizeof(dst), "%s/tbtwarn.db", argv[1]);
	}
	printf("backup: %s (%lld notifications, subscribers, outbox and state%s). The search index is rebuilt from it on "
	       "restore: tbtwarn --data DIR reindex\n", dst, n, secret ? "; the secret beside it" : "");
	return 0;
}
