/* cmd_crawl.c: the crawler's commands: crawl, sources, fetch. */
#include "cli.h"
#include "crawl.h"
#include "translate.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The archive, a loop and a crawler on the configuration, as crawl and sources need them. */
struct crawl_env {
	struct archive *a;
	struct ev_loop *loop;
	struct crawler *cr;
};

static int crawl_env_open(const char *data, const char *config, enum archive_mode mode, struct crawl_env *e)
{
	char err[ERRBUF_SIZE];
	struct ini *cfg = load_config(config);
	memset(e, 0, sizeof(*e));
	if (open_archive(data, mode, &e->a, err, sizeof(err))) {
		fprintf(stderr, "tbtwarn: %s\n", err);
		ini_free(cfg);
		return -1;
	}
	e->loop = ev_loop_new(EVFLAG_AUTO);
	e->cr = crawler_new(e->loop, e->a, cfg, err, sizeof(err));
	ini_free(cfg);
	if (!e->cr) {
		fprintf(stderr, "tbtwarn: configuration: %s\n", err);
		archive_free(e->a);
		ev_loop_destroy(e->loop);
		return -1;
	}
	return 0;
}

static void crawl_env_close(struct crawl_env *e)
{
	crawler_free(e->cr);
	archive_free(e->a);
	ev_loop_destroy(e->loop);
}

/* The draft texts' queue in one line, after label ("draft texts"), or after "draft texts (whether the crawler
 * fetches them)" and a blank line when label is NULL (sources). */
static void print_drafts(struct crawler *cr, const char *label)
{
	json_t *d = crawler_drafts_json(cr);
	if (label)
		printf("%s: ", label);
	else
		printf("\ndraft texts (%s): ", json_is_true(json_object_get(d, "enabled")) ? "fetched between rounds" : "drafts = no");
	printf("%lld done, %lld pending, %lld failed, %lld skipped\n", (long long)json_integer_value(json_object_get(d, "done")),
	       (long long)json_integer_value(json_object_get(d, "pending")),
	       (long long)json_integer_value(json_object_get(d, "failed")),
	       (long long)json_integer_value(json_object_get(d, "skipped")));
	json_decref(d);
}

int cmd_crawl(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	static const struct option opts[] = {{"once", no_argument, NULL, 'o'},
					     {"watch", no_argument, NULL, 'w'},
					     {"source", required_argument, NULL, 's'},
					     {"drafts", no_argument, NULL, 'd'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	int c, once = 0, watch = 0, drafts = 0;
	const char *only = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ows:dh", opts, NULL)) != -1) {
		if (c == 'd') {
			drafts = 1;
		} else if (c == 'o') {
			once = 1;
		} else if (c == 'w') {
			watch = 1;
		} else if (c == 's') {
			only = optarg;
		} else {
			return cli_usage(argv[0], c == 'h' ? NULL : "");
		}
	}
	struct crawl_env env;
	if (crawl_env_open(data, config, ARCHIVE_WRITE, &env))
		return 2;
	struct ev_loop *loop = env.loop;
	struct crawler *cr = env.cr;
	crawler_set_report(cr, stdout);
	crawler_exit_when_idle(cr, !watch);
	ev_signal sigint, sigterm;
	ev_signal_init(&sigint, on_stop_signal, SIGINT);
	ev_signal_init(&sigterm, on_stop_signal, SIGTERM);
	ev_signal_start(loop, &sigint);
	ev_signal_start(loop, &sigterm);
	ev_unref(loop); /* the signal watchers alone do not keep the loop running */
	ev_unref(loop);
	int status = 0;
	if (drafts && !once && !only && !watch) {
		/* The draft texts that are due, one after another, then exit. */
		if (crawler_drafts_now(cr))
			ev_run(loop, 0);
		print_drafts(cr, "draft texts");
	} else if (once || only) {
		int started = crawler_run_now(cr, only);
		if (started == -ENOENT) {
			fprintf(stderr, "tbtwarn: crawl: no source named '%s' in the configuration\n", only);
			status = 2;
		} else {
			if (started > 0)
				ev_run(loop, 0);
			status = crawler_failed(cr) ? 1 : 0;
		}
	} else if (watch) {
		crawler_start(cr);
		ev_run(loop, 0);
	} else {
		/* The sources that are due now (for cron, or a quick look), then exit. */
		int started = crawler_run_due(cr);
		if (started > 0)
			ev_run(loop, 0);
		else
			puts("no source is due");
		status = crawler_failed(cr) ? 1 : 0;
	}
	ev_ref(loop);
	ev_ref(loop);
	ev_signal_stop(loop, &sigint);
	ev_signal_stop(loop, &sigterm);
	crawl_env_close(&env);
	return status;
}

int cmd_sources(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	int as_json = argc > 1 && !strcmp(argv[1], "--json");
	struct crawl_env env;
	if (argc > 2 || (argc == 2 && !as_json))
		return cli_usage(argv[0], "");
	/* Read-only: it works beside a running service. */
	if (crawl_env_open(data, config, ARCHIVE_READ, &env))
		return 2;
	struct crawler *cr = env.cr;
	json_t *list = crawler_sources_json(cr);
	/* The translation provider, like a source: its health as the service last saved it. */
	struct ini *cfg = load_config(config);
	struct translate_opts to;
	char err[ERRBUF_SIZE];
	json_t *tr = NULL;
	translate_opts_default(&to);
	if (translate_opts_load(&to, cfg, err, sizeof(err)))
		fprintf(stderr, "tbtwarn: sources: [translate]: %s\n", err);
	else if ((tr = translator_state_json(env.a, &to)))
		json_array_append(list, tr);
	if (as_json) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		size_t i;
		json_t *o;
		printf("%-16s %-10s %-10s %-21s %-21s %s\n", "SOURCE", "KIND", "HEALTH", "LAST SUCCESS", "NEXT RUN", "LAST ERROR");
		json_array_foreach(list, i, o)
		{
			const char *why = json_string_value(json_object_get(o, "disabled_because"));
			printf("%-16s %-10s %-10s %-21s %-21s %s\n", jstr(o, "name"), jstr(o, "kind"), jstr(o, "health"),
			       *jstr(o, "last_success") ? jstr(o, "last_success") : "-",
			       *jstr(o, "next_run") ? jstr(o, "next_run") : "-",
			       why ? why : *jstr(o, "last_error") ? jstr(o, "last_error") : "");
		}
		print_drafts(cr, NULL);
		json_t *q = store_tq_counts(archive_store(env.a));
		printf("translation queue: %lld pending, %lld done, %lld failed (left for a person)",
		       (long long)json_integer_value(json_object_get(q, "pending")),
		       (long long)json_integer_value(json_object_get(q, "done")),
		       (long long)json_integer_value(json_object_get(q, "failed")));
		if (tr)
			printf("; today %lld characters sent%s", (long long)json_integer_value(json_object_get(tr, "chars_today")),
			       to.max_chars_per_day ? "" : " (no daily budget)");
		if (tr && to.max_chars_per_day)
			printf(" of a budget of %ld", to.max_chars_per_day);
		if (!tr)
			printf(" (no provider: [translate] provider = none)");
		putchar('\n');
		json_decref(q);
	}
	json_decref(tr);
	json_decref(list);
	ini_free(cfg);
	crawl_env_close(&env);
	return 0;
}

struct fetch_ctx {
	struct archive *a;
	enum parse_format fmt;
	int failures;
};

static void on_fetch_done(void *arg, struct fetch_result *r)
{
	struct fetch_ctx *fc = arg;
	struct import_stats st = {0};
	char err[ERRBUF_SIZE];
	if (r->failed) {
		printf("%s: error: %s\n", r->url, r->error);
		fc->failures++;
		return;
	}
	if (archive_import(fc->a, "fetch", r->url, r->effective_url, fc->fmt, r->body.s, r->body.len, &st, print_reject,
			   NULL, err, sizeof(err))) {
		printf("%s: error: %s\n", r->url, err);
		fc->failures++;
		return;
	}
	printf("%s: added %u, updated %u, unchanged %u, rejected %u\n", r->url, st.added, st.updated, st.unchanged,
	       st.rejected);
	if (st.rejected)
		fc->failures++;
}

int cmd_fetch(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
	int c, fmt = FMT_AUTO;
	char err[ERRBUF_SIZE];
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		if (c == 'f' && (fmt = parse_format_from_name(optarg)) >= 0)
			continue;
		if (c == 'f')
			fprintf(stderr, "tbtwarn: fetch: unknown format '%s' (eping, wto-text, html, feed or auto)\n", optarg);
		else
			return cli_usage(argv[0], c == 'h' ? NULL : "");
		return 2;
	}
	if (optind >= argc) {
		fputs("tbtwarn: fetch: no URLs given\n", stderr);
		return 2;
	}
	/* The [crawler] settings (timeouts, caps, proxy, CA bundle) apply to fetch too. */
	struct ini *cfg = load_config(config);
	struct fetch_opts fo;
	if (crawler_fetch_opts(cfg, &fo, err, sizeof(err))) {
		fprintf(stderr, "tbtwarn: configuration: %s\n", err);
		ini_free(cfg);
		return 2;
	}
	struct archive *a;
	if (open_archive(data, ARCHIVE_WRITE, &a, err, sizeof(err))) {
		fprintf(stderr, "tbtwarn: %s\n", err);
		ini_free(cfg);
		return 2;
	}
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct fetcher *f = fetcher_new(loop, &fo);
	ini_free(cfg);
	struct fetch_ctx fc = {a, (enum parse_format)fmt, 0};
	for (int i = optind; i < argc; i++) {
		struct fetch_req req = {argv[i], NULL, NULL, NULL, NULL};
		if (fetch_start(f, &req, on_fetch_done, &fc)) {
			printf("%s: error: not an http, https or file URL\n", argv[i]);
			fc.failures++;
		}
	}
	ev_run(loop, 0);
	fetcher_free(f);
	archive_free(a);
	ev_loop_destroy(loop);
	return fc.failures ? 1 : 0;
}
