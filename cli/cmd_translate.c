/* cmd_translate.c: tbtwarn translate: machine translation from the queue, once or until a signal. */
#include "cli.h"
#include "translate.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int translate_stop;

static void on_translate_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	translate_stop = 1;
	ev_break(loop, EVBREAK_ALL);
}

/* translate [--once] [SYMBOL...]: what has no Chinese yet, through the configured provider. */
int cmd_translate(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	static const struct option opts[] = {{"once", no_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {0}};
	int c, once = 0, status = 0;
	char err[ERRBUF_SIZE];
	optind = 1;
	while ((c = getopt_long(argc, argv, "oh", opts, NULL)) != -1) {
		if (c == 'o')
			once = 1;
		else {
			return cli_usage(argv[0], "");
		}
	}
	struct ini *cfg = load_config(config);
	struct translate_opts to;
	translate_opts_default(&to);
	if (translate_opts_load(&to, cfg, err, sizeof(err))) {
		fprintf(stderr, "tbtwarn: translate: configuration: %s\n", err);
		ini_free(cfg);
		return 2;
	}
	if (to.provider == TP_NONE) {
		fputs("tbtwarn: translate: no translation provider is configured: set [translate] provider, url (and key_env, "
		      "model) in the configuration (docs/operations.md)\n",
		      stderr);
		ini_free(cfg);
		return 2;
	}
	struct strv symbols;
	strv_init(&symbols);
	for (int i = optind; i < argc; i++) {
		struct notif *n = notif_new();
		if (notif_set_symbol(n, argv[i], err, sizeof(err))) {
			fprintf(stderr, "tbtwarn: translate: '%s': %s\n", argv[i], err);
			status = 2;
		} else {
			strv_push(&symbols, n->symbol);
		}
		notif_free(n);
	}
	struct archive *a = NULL;
	if (!status && open_archive(data, ARCHIVE_WRITE, &a, err, sizeof(err))) {
		fprintf(stderr, "tbtwarn: translate: %s\n", err);
		status = 2;
	}
	if (status) {
		strv_release(&symbols);
		ini_free(cfg);
		return status;
	}
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct translator *t = translator_new(loop, a, &to, err, sizeof(err));
	translator_set_report(t, stdout);
	ev_signal sigint, sigterm;
	ev_signal_init(&sigint, on_translate_signal, SIGINT);
	ev_signal_init(&sigterm, on_translate_signal, SIGTERM);
	ev_signal_start(loop, &sigint);
	ev_signal_start(loop, &sigterm);
	ev_unref(loop);
	ev_unref(loop);
	if (once || symbols.n) {
		translator_run_once(t, &symbols);
	} else {
		translator_start(t);
		ev_run(loop, 0);
	}
	json_t *h = translator_health_json(t);
	json_t *q = json_object_get(h, "queue");
	printf("translate: %lld notifications translated, %lld segments refused; queue: %lld pending, %lld failed "
	       "(left for a person)\n",
	       (long long)json_integer_value(json_object_get(h, "translated")),
	       (long long)json_integer_value(json_object_get(h, "refused_segments")),
	       (long long)json_integer_value(json_object_get(q, "pending")),
	       (long long)json_integer_value(json_object_get(q, "failed")));
	json_decref(h);
	if (translator_fatal(t, err, sizeof(err))) {
		fprintf(stderr, "tbtwarn: translate: %s\n", err);
		status = 1;
	}
	ev_ref(loop);
	ev_ref(loop);
	ev_signal_stop(loop, &sigint);
	ev_signal_stop(loop, &sigterm);
	translator_free(t);
	ev_loop_destroy(loop);
	archive_free(a);
	strv_release(&symbols);
	ini_free(cfg);
	return status;
}
