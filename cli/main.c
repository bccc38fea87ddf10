/* main.c: the tbtwarn command line: the global options, the usage, the table of commands (their files: cmd_*.c). */
#include "cli.h"
#include "norm.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

static const char usage[] =
	"usage: tbtwarn [--data DIR] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  import [--format eping|wto-text|html|feed|pdf|docx|auto] FILE...   load notifications into the archive\n"
	"  search [--json|--csv [--lang zh|en]] [--limit N] [--offset N] [--sort relevance|date] QUERY...\n"
	"  show [--json] SYMBOL                             print one notification and its related documents\n"
	"  reindex                                          rebuild the search index from the store\n"
	"  translate [--once] [SYMBOL...]                   machine-translate what has no Chinese yet ([translate])\n"
	"  crawl [--once|--watch] [--source NAME]           crawl the due sources (all with --once; for ever with --watch)\n"
	"  crawl --drafts                                   fetch the notified draft texts that are due, index their text\n"
	"  sources [--json]                                 list the sources with their health\n"
	"  fetch [--format eping|wto-text|html|feed|pdf|docx|auto] URL...   fetch documents once and import them\n"
	"  subscriber add --email ADDR [--name N] [--org O] [--lang zh|en] [--tz TZ] [--confirmed]\n"
	"  subscriber list [--json] | show ID | remove ID\n"
	"  subscriber import FILE.csv [--send-confirmations]  (columns: email, name, org, lang, tz, confirmed)\n"
	"  subscriber confirm ID [--token T] | unsubscribe ID [--token T] | link ID (print the manage link)\n"
	"  subscription add SUBSCRIBER --channel email|webhook|wecom|dingtalk|feishu [--url URL] [--secret S]\n"
	"      [--category ID]... [--hs PREFIX]... [--ics CODE]... [--member CODE]... [--kind K]... [--type tbt|sps]\n"
	"      [--query Q] [--min-risk low|medium|high] [--frequency immediate|daily|weekly] [--hour H]\n"
	"  subscription list [SUBSCRIBER] | remove ID | test ID   (test: send one sample alert now)\n"
	"  alert [--once]                                   match new notifications and deliver what is due\n"
	"  run                                              the service: crawl, index, alert and serve, until SIGTERM\n"
	"  serve [--listen ADDR:PORT] [--read-only] [--quiet]   the web UI, API, feeds and calendars\n"
	"  doctor                                           check the configuration, the archive, the relay and each source\n"
	"  backup DIR                                       a consistent copy of the store, while the service runs\n"
	"  outbox [--json] | outbox retry ID                the deliveries: pending, retrying, failed, sent\n"
	"  categories                                       list the Guangdong export categories\n"
	"  codes hs|ics CODE...                             name HS 2022 or ICS codes and their categories\n"
	"  reclassify                                       classify the archive again with the current categories\n"
	"  eval-categories [--text-only] [--min-precision P] [--min-recall R] LABELS FILE...\n"
	"                                                   measure the classifier against labelled notifications\n"
	"  user add NAME --role admin|analyst|translator|expert --password-stdin [--categories ID,...]\n"
	"       [--display-name TEXT] [--email ADDRESS]\n"
	"  user set NAME [--display-name TEXT] [--email ADDRESS]   the name shown with advice, where reminders go\n"
	"  user list [--json] | remove NAME | passwd NAME --password-stdin   the people who work the service\n"
	"  version                                          print the version\n"
	"  help [COMMAND]                                   this text, or one command's lines of it\n"
	"\n"
	"--data DIR defaults to $TBTWARN_DATA, then ./var. --config FILE defaults to $TBTWARN_CONFIG, then the\n"
	"built-in configuration of the real sources. --categories FILE defaults to $TBTWARN_CATEGORIES, then the\n"
	"built-in table. See docs/cli.md.\n";

/* The category table and risk weights in force (set up in main, used by every command that indexes). */
struct catalog *g_cats;
struct risk_config g_risk;

/* Opens the archive with the category table and risk weights in force. */
int open_archive(const char *data, enum archive_mode mode, struct archive **a, char *err, size_t errlen)
{
	int rc = archive_open_with(data, mode, g_cats, &g_risk, a, err, errlen);
	return rc;
}

/* For commands that write only the store (subscribers, subscriptions, the outbox): they work beside a running
 * service, which holds the index's write lock; then the index is opened read-only. */
int open_archive_shared(const char *data, struct archive **a, char *err, size_t errlen)
{
	int rc = open_archive(data, ARCHIVE_WRITE, a, err, errlen);
	if (rc == -EBUSY)
		rc = open_archive(data, ARCHIVE_READ, a, err, errlen);
	return rc;
}

int term_cols(void)
{
	struct winsize ws;
	const char *c = getenv("COLUMNS");
	long v;
	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col >= 40)
		return ws.ws_col;
	if (c && !parse_long(c, 40, 1000, &v))
		return (int)v;
	return 120;
}

const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

void join_array(struct buf *b, const json_t *a, const char *sep)
{
	size_t i;
	json_t *x;
	json_array_foreach(a, i, x)
	{
		if (i)
			buf_addstr(b, sep);
		buf_addstr(b, json_string_value(x));
	}
}

/* The configuration: --config, else $TBTWARN_CONFIG, else the built-in one. Dies with file, line and reason. */
struct ini *load_config(const char *path)
{
	char err[ERRBUF_SIZE];
	struct ini *ini;
	if (!path || !*path)
		path = getenv("TBTWARN_CONFIG");
	if (path && *path)
		ini = ini_load(path, err, sizeof(err));
	else
		ini = ini_parse("(built-in tbtwarn.ini)", tbt_default_ini, err, sizeof(err));
	if (!ini)
		die("configuration: %s", err);
	return ini;
}

void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/*
 * The one usage convention of every command: its lines of the usage (and their continuation lines). why NULL: asked
 * for (--help), on stdout, exit status 0. Otherwise a usage error: "tbtwarn: CMD: WHY" (when why is not empty) and the
 * lines on stderr, exit status 2. An unknown command is a usage error too.
 */
int cli_usage(const char *cmd, const char *why)
{
	size_t cl = strlen(cmd);
	int found = 0, in = 0;
	FILE *to = why ? stderr : stdout;
	if (why && *why)
		fprintf(stderr, "tbtwarn: %s: %s\n", cmd, why);
	for (const char *p = usage; *p;) {
		size_t n = strcspn(p, "\n");
		if (n > 2 + cl && !strncmp(p, "  ", 2) && !strncmp(p + 2, cmd, cl) && (p[2 + cl] == ' ' || p[2 + cl] == '\n')) {
			if (!found)
				fputs("usage: tbtwarn [--data DIR] [--config FILE]\n", to);
			found = in = 1;
			fprintf(to, "%.*s\n", (int)n, p);
		} else if (in && n > 6 && !strncmp(p, "      ", 6)) {
			fprintf(to, "%.*s\n", (int)n, p);
		} else {
			in = 0;
		}
		p += n;
		if (*p)
			p++;
	}
	if (!found) {
		fprintf(stderr, "tbtwarn: unknown command '%s'\n\n%s", cmd, usage);
		return 2;
	}
	fputs("\nSee docs/cli.md for every option and example.\n", to);
	return why ? 2 : 0;
}

/* A data directory may pin "today" (its file "today": YYYY-MM-DD), so that every command on it, the service and the
 * command line alike, agrees on which comment periods are open: the offline demo's samples are from 2025. */
static void pin_today(const char *data)
{
	char path[4096], day[16] = "";
	snprintf(path, sizeof(path), "%s/today", data);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(day, sizeof(day), f)) {
		day[strcspn(day, " \r\n")] = '\0';
		char iso[11];
		if (strlen(day) == 10 && !date_parse(day, iso) && !strcmp(iso, day))
			today_pin(day);
		else
			fprintf(stderr, "tbtwarn: %s: '%s' is not a date (YYYY-MM-DD); today is the real date\n", path, day);
	}
	fclose(f);
}

static int cmd_version(const struct cli *cl, int argc, char **argv)
{
	(void)cl;
	if (argc > 1)
		return cli_usage(argv[0], "takes no arguments");
	puts("tbtwarn " VERSION);
	return 0;
}

/* help: the whole usage; help COMMAND: that command's lines, as COMMAND --help. */
static int cmd_help(const struct cli *cl, int argc, char **argv)
{
	(void)cl;
	if (argc == 2)
		return cli_usage(argv[1], NULL);
	if (argc > 2)
		return cli_usage("help", "one command at most");
	fputs(usage, stdout);
	return 0;
}

/* The commands, as git's commands[]: one name, one function, one signature. */
static const struct command {
	const char *name;
	int (*fn)(const struct cli *cl, int argc, char **argv);
} commands[] = {
	{"import", cmd_import},
	{"search", cmd_search},
	{"show", cmd_show},
	{"translate", cmd_translate},
	{"reindex", cmd_reindex},
	{"crawl", cmd_crawl},
	{"sources", cmd_sources},
	{"fetch", cmd_fetch},
	{"categories", cmd_categories},
	{"alert", cmd_alert},
	{"serve", cmd_serve},
	{"run", cmd_run},
	{"doctor", cmd_doctor},
	{"backup", cmd_backup},
	{"outbox", cmd_outbox},
	{"subscriber", cmd_subscriber},
	{"subscription", cmd_subscription},
	{"codes", cmd_codes},
	{"reclassify", cmd_reclassify},
	{"eval-categories", cmd_eval},
	{"user", cmd_user},
	{"version", cmd_version},
	{"help", cmd_help},
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
					     {"config", required_argument, NULL, 'c'},
					     {"categories", required_argument, NULL, 'C'},
					     {"help", no_argument, NULL, 'h'},
					     {"version", no_argument, NULL, 'V'},
					     {0}};
	const char *data = getenv("TBTWARN_DATA"), *config = NULL, *categories = getenv("TBTWARN_CATEGORIES");
	int c;
	if (!data || !*data)
		data = "./var";
	while ((c = getopt_long(argc, argv, "+d:c:C:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			data = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'C':
			categories = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			puts("tbtwarn " VERSION);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = argv[optind];
	pin_today(data);
	{
		char err[ERRBUF_SIZE];
		g_cats = catalog_load(categories && *categories ? categories : NULL, err, sizeof(err));
		if (!g_cats)
			die("categories: %s", err);
		risk_config_default(&g_risk);
		/* The [risk] weights and the [store] come from the configuration file when one is given. */
		const char *store_url = getenv("TBTWARN_DATABASE_URL");
		if ((config && *config) || (getenv("TBTWARN_CONFIG") && *getenv("TBTWARN_CONFIG"))) {
			struct ini *cfg = load_config(config);
			if (risk_config_load(&g_risk, cfg, err, sizeof(err)))
				die("configuration: %s", err);
			const struct ini_section *st = ini_section(cfg, "store");
			if (!(store_url && *store_url) && st && ini_get(st, "url"))
				archive_use_store(ini_get(st, "url"));
			ini_free(cfg);
		}
		if (store_url && *store_url)
			archive_use_store(store_url);
	}
	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	/* Every command answers --help the same way, before it opens or touches anything: its lines of the usage on
	 * stdout, exit 0. ("-h" alone too; "subscription add" uses -h for --hour.) */
	for (int i = 1; i < sub_argc && strcmp(sub_argv[i], "--"); i++)
		if (!strcmp(sub_argv[i], "--help") || (sub_argc == 2 && !strcmp(sub_argv[i], "-h")))
			return cli_usage(cmd, NULL);
	const struct cli ctx = {data, config};
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(&ctx, sub_argc, sub_argv);
	fprintf(stderr, "tbtwarn: unknown command '%s'\n\n%s", cmd, usage);
	return 2;
}
