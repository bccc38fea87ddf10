/* main.c: the tbtwarn command line: import, search, show, reindex. */
#include "archive.h"
#include "buf.h"
#include "alert.h"
#include "classify.h"
#include "csv.h"
#include "export.h"
#include "hash.h"
#include "crawl.h"
#include "translate.h"
#include "ini.h"
#include "members.h"
#include "norm.h"
#include "query.h"
#include "subs.h"
#include "web.h"
#include "service.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include "text.h"
#include "util.h"

#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#define VERSION "0.1.0"
/* Largest input file accepted by import: a page of the ePing API is well under a megabyte. */
#define IMPORT_MAX_BYTES (256u * 1024 * 1024)

/* What every command is given: the global options. */
struct cli {
	const char *data, *config;
};

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
	"  version                                          print the version\n"
	"\n"
	"--data DIR defaults to $TBTWARN_DATA, then ./var. --config FILE defaults to $TBTWARN_CONFIG, then the\n"
	"built-in configuration of the real sources. --categories FILE defaults to $TBTWARN_CATEGORIES, then the\n"
	"built-in table. See docs/cli.md.\n";

/* The category table and risk weights in force (set up in main, used by every command that indexes). */
static struct catalog *g_cats;
static struct risk_config g_risk;

/* Opens the archive with the category table and risk weights in force. */
static int open_archive(const char *data, enum archive_mode mode, struct archive **a, char *err, size_t errlen)
{
	int rc = archive_open_with(data, mode, g_cats, &g_risk, a, err, errlen);
	return rc;
}

/* For commands that write only the store (subscribers, subscriptions, the outbox): they work beside a running
 * service, which holds the index's write lock; then the index is opened read-only. */
static int open_archive_shared(const char *data, struct archive **a, char *err, size_t errlen)
{
	int rc = open_archive(data, ARCHIVE_WRITE, a, err, errlen);
	if (rc == -EBUSY)
		rc = open_archive(data, ARCHIVE_READ, a, err, errlen);
	return rc;
}

static int term_cols(void)
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

static void print_reject(void *arg, const char *name, const char *where, const char *msg)
{
	(void)arg;
	fprintf(stderr, "tbtwarn: %s: %s: rejected: %s\n", name, where, msg);
}

static int cmd_import(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data;
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
	int fmt = FMT_AUTO, c, rc = 0;
	struct archive *a;
	struct import_stats st = {0};
	char err[ERRBUF_SIZE];
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		if (c == 'f') {
			fmt = parse_format_from_name(optarg);
			if (fmt < 0) {
				fprintf(stderr, "tbtwarn: import: unknown format '%s' (eping, wto-text or auto)\n", optarg);
				return 2;
			}
		} else {
			fputs(usage, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc) {
		fputs("tbtwarn: import: no files given\n", stderr);
		return 2;
	}
	if ((rc = open_archive(data, ARCHIVE_WRITE, &a, err, sizeof(err)))) {
		fprintf(stderr, "tbtwarn: %s\n", err);
		return 2;
	}
	FILE *tty = isatty(STDERR_FILENO) ? stderr : NULL;
	archive_set_progress(a, tty);
	int nfiles = argc - optind, failed = 0;
	for (int i = optind; i < argc; i++) {
		struct buf b;
		const char *path = argv[i];
		buf_init(&b, IMPORT_MAX_BYTES);
		if (tty && nfiles > 1)
			fprintf(tty, "\rimporting %d/%d %.60s\033[K", i - optind + 1, nfiles, path);
		rc = buf_read_file(&b, path);
		if (rc) {
			if (tty)
				fputc('\n', tty);
			fprintf(stderr, "tbtwarn: %s: file: rejected: %s\n", path,
				rc == -E2BIG ? "larger than the 256 MiB limit" : strerror(-rc));
			st.rejected++;
			st.files_failed++;
			buf_release(&b);
			continue;
		}
		char *abs = realpath(path, NULL);
		struct buf url;
		buf_init(&url, BUF_NOMAX);
		buf_addf(&url, "file://%s", abs ? abs : path);
		free(abs);
		rc = archive_import(a, "import", path, url.s, (enum parse_format)fmt, b.s, b.len, &st, print_reject, NULL,
				    err, sizeof(err));
		buf_release(&url);
		buf_release(&b);
		if (rc) {
			fprintf(stderr, "tbtwarn: import '%s' failed: %s\n", path, err);
			failed = 1;
			break;
		}
	}
	if (tty && nfiles > 1)
		fputc('\n', tty);
	archive_free(a);
	printf("added %u, updated %u, unchanged %u, rejected %u\n", st.added, st.updated, st.unchanged, st.rejected);
	if (failed)
		return 2;
	return st.rejected ? 1 : 0;
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void join_array(struct buf *b, const json_t *a, const char *sep)
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

/* The same columns as the web's export (indexer/export.c), names in Chinese unless --lang en. */
static void print_csv(struct archive *a, const json_t *res, enum export_lang lang)
{
	struct buf b;
	size_t i;
	json_t *h;
	char today[11];
	today_iso(today);
	buf_init(&b, BUF_NOMAX);
	export_csv_header(&b);
	json_array_foreach(json_object_get(res, "hits"), i, h)
	{
		json_t *rec = export_record(a, h, today, lang);
		export_csv_row(&b, rec);
		json_decref(rec);
	}
	fwrite(b.s, 1, b.len, stdout);
	buf_release(&b);
}

/* Pads or cuts s to exactly cols terminal columns. */
static void cell(struct buf *b, const char *s, size_t cols)
{
	size_t fit = text_fit(s, cols);
	char *part = xstrndup(s, fit);
	size_t w = text_width(part);
	buf_addstr(b, part);
	free(part);
	for (; w < cols; w++)
		buf_addch(b, ' ');
}

static void print_table(const json_t *res, unsigned offset)
{
	struct buf b;
	size_t i, n = json_array_size(json_object_get(res, "hits"));
	json_t *h;
	int cols = term_cols();
	size_t title_w = cols > 70 ? (size_t)cols - 62 : 8;
	buf_init(&b, BUF_NOMAX);
	long long total = json_integer_value(json_object_get(res, "total"));
	if (!n) {
		printf("no notifications match (%lld in all)\n", total);
		return;
	}
	cell(&b, "SYMBOL", 26);
	cell(&b, " MEMBER", 7);
	cell(&b, " DISTRIBUTED", 12);
	cell(&b, " DEADLINE", 12);
	buf_addstr(&b, " TITLE\n");
	json_array_foreach(json_object_get(res, "hits"), i, h)
	{
		char *title = text_fold_space(jstr(h, "title"));
		cell(&b, jstr(h, "symbol"), 26);
		buf_addch(&b, ' ');
		cell(&b, jstr(h, "member"), 6);
		buf_addch(&b, ' ');
		cell(&b, jstr(h, "distributed"), 11);
		buf_addch(&b, ' ');
		cell(&b, *jstr(h, "comment_deadline") ? jstr(h, "comment_deadline") : "-", 11);
		buf_addch(&b, ' ');
		size_t fit = text_fit(title, title_w);
		buf_add(&b, title, fit);
		if (title[fit])
			buf_addstr(&b, "…");
		buf_addch(&b, '\n');
		free(title);
	}
	buf_addf(&b, "%u-%zu of %lld\n", offset + 1, offset + n, total);
	fwrite(b.s, 1, b.len, stdout);
	buf_release(&b);
}

static int search_ordered(const char *data, int argc, char **argv, int first_word)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},         {"csv", no_argument, NULL, 'c'},
					     {"limit", required_argument, NULL, 'l'}, {"offset", required_argument, NULL, 'o'},
					     {"sort", required_argument, NULL, 's'},  {"help", no_argument, NULL, 'h'},
					     {"lang", required_argument, NULL, 'L'},  {0}};
	struct search_opts so = {0, 20, 0, 1};
	enum export_lang lang = EXPORT_ZH;
	int c, as_json = 0, as_csv = 0, rc;
	long v;
	struct buf q;
	char err[ERRBUF_SIZE];
	optind = 1;
	while (optind < first_word && (c = getopt_long(first_word, argv, "+jcl:o:s:hL:", opts, NULL)) != -1) {
		switch (c) {
		case 'L':
			if (strcmp(optarg, "zh") && strcmp(optarg, "en")) {
				fprintf(stderr, "tbtwarn: search: --lang wants zh or en, got '%s'\n", optarg);
				return 2;
			}
			lang = !strcmp(optarg, "en") ? EXPORT_EN : EXPORT_ZH;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'c':
			as_csv = 1;
			break;
		case 'l':
			if (parse_long(optarg, 0, 100000000, &v)) {
				fprintf(stderr, "tbtwarn: search: --limit wants a number from 0, got '%s'\n", optarg);
				return 2;
			}
			so.limit = (unsigned)v;
			break;
		case 'o':
			if (parse_long(optarg, 0, 100000000, &v)) {
				fprintf(stderr, "tbtwarn: search: --offset wants a number from 0, got '%s'\n", optarg);
				return 2;
			}
			so.offset = (unsigned)v;
			break;
		case 's':
			if (strcmp(optarg, "relevance") && strcmp(optarg, "date")) {
				fprintf(stderr, "tbtwarn: search: --sort wants relevance or date, got '%s'\n", optarg);
				return 2;
			}
			so.by_date = !strcmp(optarg, "date");
			break;
		default:
			fputs(usage, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	buf_init(&q, 64 * 1024);
	for (int i = optind; i < argc; i++) {
		if (q.len)
			buf_addch(&q, ' ');
		/* A word with a space came quoted from the shell: keep it a phrase. */
		if (strchr(argv[i], ' ') && !strchr(argv[i], '"') && !strchr(argv[i], ':'))
			buf_addf(&q, "\"%s\"", argv[i]);
		else if (buf_addstr(&q, argv[i])) {
			fputs("tbtwarn: search: query longer than 64 KiB\n", stderr);
			return 2;
		}
	}
	struct archive *a;
	if ((rc = open_archive(data, ARCHIVE_READ, &a, err, sizeof(err)))) {
		fprintf(stderr, "tbtwarn: %s\n", err);
		buf_release(&q);
		return 2;
	}
	json_t *res;
	rc = archive_search(a, q.s, &so, &res, err, sizeof(err));
	buf_release(&q);
	if (rc) {
		archive_free(a);
		fprintf(stderr, "tbtwarn: search: %s\n", err);
		return 2;
	}
	if (as_json) {
		json_dumpf(res, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else if (as_csv) {
		print_csv(a, res, lang);
	} else {
		print_table(res, so.offset);
	}
	archive_free(a);
	json_decref(res);
	return 0;
}

static int cmd_search(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data;
	/* Options may come after the words ("search --json battery --limit 5"); a word that starts with '-' but is no
	 * option ("-member:USA", "-lamp") is part of the query and moves behind them, after "--". */
	char **args = xcalloc((size_t)argc + 2, sizeof(*args));
	int na = 0, nw = 0;
	char **words = xcalloc((size_t)argc + 1, sizeof(*words));
	for (int i = 0; i < argc; i++) {
		const char *x = argv[i];
		int opt = i == 0 || !strcmp(x, "-j") || !strcmp(x, "-c") || !strcmp(x, "-h") || !strncmp(x, "--", 2) ||
			  ((!strncmp(x, "-l", 2) || !strncmp(x, "-o", 2) || !strncmp(x, "-s", 2)) && !strchr(x, ':'));
		if (!strcmp(x, "--")) {
			for (i++; i < argc; i++)
				words[nw++] = argv[i];
			break;
		}
		if (opt) {
			args[na++] = argv[i];
			/* The value of an option that takes one, in the next argument. */
			if (i + 1 < argc && (!strcmp(x, "-l") || !strcmp(x, "-o") || !strcmp(x, "-s") || !strcmp(x, "--limit") ||
					     !strcmp(x, "--offset") || !strcmp(x, "--sort") || !strcmp(x, "--lang")))
				args[na++] = argv[++i];
		} else {
			words[nw++] = argv[i];
		}
	}
	int first_word = na;
	for (int i = 0; i < nw; i++)
		args[na++] = words[i];
	free(words);
	int rc = search_ordered(data, na, args, first_word);
	free(args);
	return rc;
}


/* Prints "label  value" with the value wrapped under itself. */
static void field(const char *label, const char *value, int cols)
{
	size_t indent = 19, width = cols > 40 ? (size_t)cols - indent : 40;
	if (!value || !*value)
		return;
	/* Pad by display columns: a Chinese label is twice as wide as its character count. */
	printf("%s%*s ", label, (int)(18 - (text_width(label) < 18 ? text_width(label) : 18)), "");
	const char *p = value;
	int first = 1;
	while (*p) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n);
		const char *l = line;
		if (!*l && !first)
			putchar('\n');
		while (*l) {
			size_t fit = text_fit(l, width);
			if (l[fit]) {
				/* Break at the last space that fits, if there is one. */
				size_t k = fit;
				while (k > width / 2 && l[k] != ' ')
					k--;
				if (l[k] == ' ')
					fit = k;
			}
			printf("%*s%.*s\n", first ? 0 : (int)indent, "", (int)fit, l);
			first = 0;
			l += fit;
			while (*l == ' ')
				l++;
		}
		free(line);
		p += n;
		if (*p)
			p++;
	}
}

static void field_array(const char *label, const json_t *a, const char *sep, int cols)
{
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	join_array(&b, a, sep);
	field(label, b.s, cols);
	buf_release(&b);
}

static void field_date(const json_t *dates, const char *key, const char *label, int cols)
{
	const json_t *d = json_object_get(dates, key);
	const char *iso = json_string_value(json_object_get(d, "date"));
	const char *texts[] = {json_string_value(json_object_get(d, "text")),
			       json_string_value(json_object_get(d, "text_zh"))};
	struct buf b;
	buf_init(&b, BUF_NOMAX);
	if (iso)
		buf_addstr(&b, iso);
	/* The source's words beside the date, when they say more than the date. */
	for (int i = 0; i < 2; i++) {
		const char *text = texts[i];
		if (!text || (iso && !strcmp(text, iso)))
			continue;
		buf_addf(&b, "%s%s%s", b.len ? " (" : "", text, b.len ? ")" : "");
	}
	field(label, b.s, cols);
	buf_release(&b);
}

static void print_show(const json_t *j)
{
	int cols = term_cols();
	const json_t *text = json_object_get(j, "text"), *en = json_object_get(text, "en"), *zh = json_object_get(text, "zh");
	const json_t *dates = json_object_get(j, "dates");
	printf("%s  (%s %s)\n\n", jstr(j, "symbol"), jstr(j, "type"), jstr(j, "kind"));
	field("摘要", jstr(j, "summary_zh"), cols);
	struct buf m;
	buf_init(&m, BUF_NOMAX);
	buf_addf(&m, "%s (%s)", *jstr(en, "member_name") ? jstr(en, "member_name") : jstr(j, "member"), jstr(j, "member"));
	if (*jstr(zh, "member_name"))
		buf_addf(&m, " %s", jstr(zh, "member_name"));
	field("Member", m.s, cols);
	buf_release(&m);
	field("Agency", jstr(en, "agency"), cols);
	field("机构", jstr(zh, "agency"), cols);
	field_array("Notified under", json_object_get(j, "articles"), ", ", cols);
	field("Title", jstr(en, "title"), cols);
	field("标题", jstr(zh, "title"), cols);
	field("Products", jstr(en, "products"), cols);
	field("产品", jstr(zh, "products"), cols);
	field_array("HS codes", json_object_get(j, "hs"), ", ", cols);
	field_array("ICS codes", json_object_get(j, "ics"), ", ", cols);
	field("Regions affected", jstr(en, "regions"), cols);
	field_array("Objectives", json_object_get(j, "objectives"), "; ", cols);
	field_array("Keywords", json_object_get(j, "keywords"), "; ", cols);
	field_date(dates, "distributed", "Distributed", cols);
	field_date(dates, "comment_deadline", "Comments until", cols);
	field_date(dates, "adoption", "Adoption", cols);
	field_date(dates, "entry_into_force", "Entry into force", cols);
	/* The measure's current dates where a later document moved them. */
	const json_t *eff = json_object_get(j, "effective_dates");
	static const char *const keys[] = {"comment_deadline", "adoption", "entry_into_force"};
	static const char *const labels[] = {"Current deadline", "Current adoption", "Current in force"};
	for (int k = 0; k < 3; k++) {
		const json_t *e = json_object_get(eff, keys[k]);
		const char *by = jstr(e, "by");
		if (*by && strcmp(by, jstr(j, "symbol"))) {
			char v[160];
			snprintf(v, sizeof(v), "%s (by %s)", jstr(e, "date"), by);
			field(labels[k], v, cols);
		}
	}
	if (json_is_object(json_object_get(eff, "withdrawn"))) {
		char v[160];
		snprintf(v, sizeof(v), "withdrawn (by %s) / 已撤回", jstr(json_object_get(eff, "withdrawn"), "by"));
		field("Status", v, cols);
	}
	field("Reason", jstr(en, "reason"), cols);
	field("理由", jstr(zh, "reason"), cols);
	field("Description", jstr(en, "description"), cols);
	field("内容简述", jstr(zh, "description"), cols);
	field("Objective text", jstr(en, "objectives"), cols);
	field("Standards", jstr(en, "standards"), cols);
	field_array("Document languages", json_object_get(j, "doc_languages"), ", ", cols);
	field("Notification", jstr(j, "notification_url"), cols);
	field_array("Documents", json_object_get(j, "document_urls"), "\n", cols);
	field_array("Joint with", json_object_get(j, "also_symbols"), ", ", cols);
	const json_t *cats = json_object_get(j, "categories");
	if (json_array_size(cats)) {
		struct buf cb;
		size_t i;
		json_t *c;
		buf_init(&cb, BUF_NOMAX);
		json_array_foreach(cats, i, c)
		{
			buf_addf(&cb, "%s%s %s (%.2f): %s", i ? "\n" : "", jstr(c, "name_zh"), jstr(c, "id"),
				 json_real_value(json_object_get(c, "confidence")), jstr(c, "evidence"));
		}
		field("Categories", cb.s, cols);
		buf_release(&cb);
	} else {
		field("Categories", "none of Guangdong's export categories", cols);
	}
	const json_t *risk = json_object_get(j, "risk");
	if (risk) {
		struct buf rb;
		buf_init(&rb, BUF_NOMAX);
		buf_addf(&rb, "%s (score %g)", jstr(risk, "level"), json_real_value(json_object_get(risk, "score")));
		size_t i;
		json_t *r;
		json_array_foreach(json_object_get(risk, "reasons"), i, r)
		{
			buf_addf(&rb, "\n%s", json_string_value(r));
		}
		field("Risk", rb.s, cols);
		buf_release(&rb);
	}
	const json_t *rel = json_object_get(j, "related");
	if (json_array_size(rel)) {
		size_t i;
		json_t *r;
		printf("\nRelated documents:\n");
		json_array_foreach(rel, i, r)
		{
			printf("  %-28s %-12s %-10s %.*s\n", jstr(r, "symbol"), jstr(r, "relation"), jstr(r, "distributed"),
			       (int)text_fit(jstr(r, "title"), cols > 60 ? (size_t)cols - 56 : 20), jstr(r, "title"));
		}
	}
	const json_t *p = json_object_get(j, "provenance");
	printf("\n");
	struct buf src;
	buf_init(&src, BUF_NOMAX);
	buf_addf(&src, "%s, fetched %s, sha256 %.16s…", jstr(p, "source"), jstr(p, "fetched_at"), jstr(p, "raw_sha256"));
	field("Source", src.s, cols);
	buf_release(&src);
	if (json_array_size(json_object_get(j, "history")))
		printf("%-18s %zu earlier version(s)\n", "History", json_array_size(json_object_get(j, "history")));
}

static int cmd_show(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data;
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
	int c, as_json = 0, rc;
	char err[ERRBUF_SIZE];
	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c == 'j') {
			as_json = 1;
		} else {
			fputs(usage, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind + 1 != argc) {
		fputs("tbtwarn: show: give exactly one symbol, such as G/TBT/N/USA/1364\n", stderr);
		return 2;
	}
	struct archive *a;
	if ((rc = open_archive(data, ARCHIVE_READ, &a, err, sizeof(err)))) {
		fprintf(stderr, "tbtwarn: %s\n", err);
		return 2;
	}
	json_t *j;
	rc = archive_show(a, argv[optind], &j, err, sizeof(err));
	archive_free(a);
	if (rc) {
		fprintf(stderr, "tbtwarn: show: %s\n", err);
		return rc == -ENOENT || rc == -EINVAL ? 1 : 2;
	}
	if (as_json) {
		json_dumpf(j, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		print_show(j);
	}
	json_decref(j);
	return 0;
}

static int cmd_reindex(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data;
	struct archive *a;
	char err[ERRBUF_SIZE];
	int rc;
	(void)argv;
	if (argc > 1) {
		fputs("tbtwarn: reindex takes no arguments\n", stderr);
		return 2;
	}
	if ((rc = open_archive(data, ARCHIVE_WRITE, &a, err, sizeof(err)))) {
		fprintf(stderr, "tbtwarn: %s\n", err);
		return 2;
	}
	archive_set_progress(a, isatty(STDERR_FILENO) ? stderr : NULL);
	rc = archive_reindex(a, err, sizeof(err));
	long long n = store_count(archive_store(a));
	archive_free(a);
	if (rc) {
		fprintf(stderr, "tbtwarn: reindex: %s\n", err);
		return 2;
	}
	printf("reindexed %lld notifications\n", n);
	return 0;
}

extern const char tbt_default_ini[];

/* The configuration: --config, else $TBTWARN_CONFIG, else the built-in one. Dies with file, line and reason. */
static struct ini *load_config(const char *path);

static volatile int translate_stop;

static void on_translate_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	translate_stop = 1;
	ev_break(loop, EVBREAK_ALL);
}

/* translate [--once] [SYMBOL...]: what has no Chinese yet, through the configured provider. */
static int cmd_translate(const struct cli *cl, int argc, char **argv)
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
			fputs("usage: tbtwarn [--data DIR] [--config FILE] translate [--once] [SYMBOL...]\n", stderr);
			return 2;
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

static struct ini *load_config(const char *path)
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

static void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

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

static int cmd_crawl(const struct cli *cl, int argc, char **argv)
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
			fputs(usage, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
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

static int cmd_sources(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	int as_json = argc > 1 && !strcmp(argv[1], "--json");
	struct crawl_env env;
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

static int cmd_fetch(const struct cli *cl, int argc, char **argv)
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
			fputs(usage, c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 2;
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

static int cmd_categories(const struct cli *cl, int argc, char **argv)
{
	(void)cl;
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < catalog_count(g_cats); i++) {
		const struct category *k = catalog_get(g_cats, i);
		printf("%-30s %s / %s\n", k->id, k->name_zh, k->name_en);
	}
	return 0;
}

static int cmd_codes(const struct cli *cl, int argc, char **argv)
{
	(void)cl;
	int status = 0;
	if (argc < 3 || (strcmp(argv[1], "hs") && strcmp(argv[1], "ics"))) {
		fputs("tbtwarn: codes: usage: tbtwarn codes hs|ics CODE...\n", stderr);
		return 2;
	}
	int hs = !strcmp(argv[1], "hs");
	for (int i = 2; i < argc; i++) {
		char norm[32];
		if (hs ? hs_normalize(argv[i], norm, sizeof(norm)) : ics_normalize(argv[i], norm, sizeof(norm))) {
			fprintf(stderr, "tbtwarn: codes: '%s' is not %s code\n", argv[i], hs ? "an HS" : "an ICS");
			status = 1;
			continue;
		}
		const char *desc = hs ? hs_describe(norm) : ics_describe(norm);
		if (!desc) {
			fprintf(stderr, "tbtwarn: codes: %s %s is not in %s\n", hs ? "HS" : "ICS", norm,
				hs ? "HS 2022 (chapters, headings, subheadings)" : "ICS 7th edition");
			status = 1;
			continue;
		}
		struct buf cats;
		buf_init(&cats, BUF_NOMAX);
		for (size_t c = 0; c < catalog_count(g_cats); c++) {
			const struct category *k = catalog_get(g_cats, c);
			const struct strv *codes = hs ? &k->hs : &k->ics;
			for (size_t j = 0; j < codes->n; j++)
				if (starts_with(norm, codes->items[j]) || starts_with(codes->items[j], norm)) {
					buf_addf(&cats, "%s%s", cats.len ? ", " : "", k->id);
					break;
				}
		}
		printf("%s %s  %s\n    categories: %s\n", hs ? "HS" : "ICS", norm, desc, cats.len ? cats.s : "none");
		buf_release(&cats);
	}
	return status;
}

static int cmd_reclassify(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data;
	(void)argc;
	(void)argv;
	struct archive *a;
	char err[ERRBUF_SIZE];
	if (open_archive(data, ARCHIVE_WRITE, &a, err, sizeof(err))) {
		fprintf(stderr, "tbtwarn: %s\n", err);
		return 2;
	}
	archive_set_progress(a, isatty(STDERR_FILENO) ? stderr : NULL);
	int rc = archive_reindex(a, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "tbtwarn: reclassify: %s\n", err);
		archive_free(a);
		return 2;
	}
	json_t *res;
	struct search_opts so = {0, 0, 0, 1};
	if (!archive_search(a, "", &so, &res, err, sizeof(err))) {
		json_t *cf = json_object_get(json_object_get(res, "facets"), "category");
		printf("reclassified %lld notifications; by category:\n", (long long)json_integer_value(json_object_get(res, "total")));
		const char *k;
		json_t *v;
		json_object_foreach(cf, k, v)
		{
			printf("  %-30s %lld\n", k, (long long)json_integer_value(v));
		}
		json_decref(res);
	}
	archive_free(a);
	return 0;
}

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

static int cmd_serve(const struct cli *cl, int argc, char **argv)
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
			fputs("tbtwarn: serve: usage: tbtwarn serve [--listen ADDR:PORT] [--read-only] [--quiet]\n", stderr);
			return 2;
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

static int cmd_run(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	char err[ERRBUF_SIZE];
	(void)argv;
	if (argc > 1) {
		fputs("tbtwarn: run: usage: tbtwarn [--data DIR] [--config FILE] run\n", stderr);
		return 2;
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

static int cmd_doctor(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	char err[ERRBUF_SIZE], what[512];
	int bad = 0;
	(void)argc;
	(void)argv;
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

static int cmd_backup(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data;
	char src[4096], dst[4096];
	static const char usage_backup[] = "usage: tbtwarn backup DIR\n"
					   "  Writes a consistent copy of the database (notifications, subscribers, outbox) and the\n"
					   "  installation's secret into DIR, which is made with mode 0700.\n";
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_backup, stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-' || !argv[1][0]) {
		/* A folder named like an option is a mistake, never a place to copy subscribers' addresses to. */
		if (argc == 2)
			fprintf(stderr, "tbtwarn: backup: '%s' is not a folder name (unknown option)\n", argv[1]);
		fputs(usage_backup, stderr);
		return 2;
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

static int cmd_subscriber(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	struct archive *a;
	char err[ERRBUF_SIZE];
	int rc = 0;
	if (argc < 2) {
		fputs("tbtwarn: subscriber: add, import, list, show, remove, confirm or unsubscribe\n", stderr);
		return 2;
	}
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
			fputs("tbtwarn: subscriber import: usage: tbtwarn subscriber import FILE.csv [--send-confirmations]\n", stderr);
			rc = 2;
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
		fprintf(stderr, "tbtwarn: subscriber: unknown action '%s' (add, import FILE, list, show ID, remove ID, confirm ID, "
				"unsubscribe ID)\n", argv[1]);
		rc = 2;
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

static int cmd_subscription(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	struct archive *a;
	char err[ERRBUF_SIZE];
	int rc = 0;
	if (argc < 2) {
		fputs("tbtwarn: subscription: add, list or remove\n", stderr);
		return 2;
	}
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
		fprintf(stderr, "tbtwarn: subscription: unknown action '%s' (add, list, remove ID, test ID)\n", argv[1]);
		rc = 2;
	}
	archive_free(a);
	return rc;
}


static int cmd_alert(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data, *config = cl->config;
	struct archive *a;
	char err[ERRBUF_SIZE];
	int once = argc > 1 && !strcmp(argv[1], "--once");
	if (argc > 1 && !once) {
		fputs("tbtwarn: alert: usage: tbtwarn alert [--once]\n", stderr);
		return 2;
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

static int cmd_outbox(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data;
	struct archive *a;
	char err[ERRBUF_SIZE];
	int rc = 0;
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

/* Collects records for eval-categories. */
struct eval_ctx {
	struct notif **recs;
	size_t n, cap;
};

static int eval_on_record(void *arg, struct notif *n)
{
	struct eval_ctx *e = arg;
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 256;
		e->recs = xrealloc(e->recs, e->cap * sizeof(*e->recs));
	}
	e->recs[e->n++] = n;
	return 0;
}

static int cmd_eval(const struct cli *cl, int argc, char **argv)
{
	(void)cl;
	static const struct option opts[] = {{"text-only", no_argument, NULL, 't'},
					     {"min-precision", required_argument, NULL, 'p'},
					     {"min-recall", required_argument, NULL, 'r'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	int c, text_only = 0;
	double min_p = 0, min_r = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "tp:r:h", opts, NULL)) != -1) {
		if (c == 't')
			text_only = 1;
		else if (c == 'p')
			min_p = strtod(optarg, NULL);
		else if (c == 'r')
			min_r = strtod(optarg, NULL);
		else {
			fputs(usage, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (argc - optind < 2) {
		fputs("tbtwarn: eval-categories: give a labels file and notification files\n", stderr);
		return 2;
	}
	/* Labels: "SYMBOL<TAB>cat cat ..." ("-" for none). */
	struct buf lb;
	buf_init(&lb, 64 * 1024 * 1024);
	if (buf_read_file(&lb, argv[optind])) {
		fprintf(stderr, "tbtwarn: eval-categories: cannot read '%s'\n", argv[optind]);
		return 2;
	}
	struct strv lsym, lcats;
	strv_init(&lsym);
	strv_init(&lcats);
	int line = 0;
	for (char *p = lb.s; *p;) {
		size_t n = strcspn(p, "\n");
		char *ln = strndup_trim(p, n);
		line++;
		p += n;
		if (*p)
			p++;
		if (!*ln || *ln == '#') {
			free(ln);
			continue;
		}
		char *tab = strchr(ln, '\t');
		struct symbol_parts sp;
		if (!tab || (*tab = '\0', symbol_parse(ln, &sp))) {
			fprintf(stderr, "tbtwarn: eval-categories: %s:%d: expected 'SYMBOL<TAB>categories'\n", argv[optind], line);
			free(ln);
			return 2;
		}
		char *cats = strndup_trim(tab + 1, strlen(tab + 1));
		for (char *w = cats; *w;) {
			size_t k = strcspn(w, " ,");
			char *id = xstrndup(w, k);
			if (strcmp(id, "-") && *id && !catalog_find(g_cats, id)) {
				fprintf(stderr, "tbtwarn: eval-categories: %s:%d: unknown category '%s'\n", argv[optind], line, id);
				free(id);
				return 2;
			}
			free(id);
			w += k;
			while (*w == ' ' || *w == ',')
				w++;
		}
		strv_push(&lsym, sp.norm);
		strv_push_owned(&lcats, cats);
		free(ln);
	}
	buf_release(&lb);
	struct eval_ctx ev = {0};
	for (int i = optind + 1; i < argc; i++) {
		struct buf b;
		buf_init(&b, 256 * 1024 * 1024);
		if (buf_read_file(&b, argv[i])) {
			fprintf(stderr, "tbtwarn: eval-categories: cannot read '%s'\n", argv[i]);
			return 2;
		}
		struct parse_sink sink = {argv[i], eval_on_record, print_reject, &ev, NULL, NULL};
		parse_any(&sink, FMT_AUTO, b.s, b.len);
		buf_release(&b);
	}
	size_t ncat = catalog_count(g_cats);
	unsigned *tp = xcalloc(ncat, sizeof(unsigned)), *fp = xcalloc(ncat, sizeof(unsigned)),
		 *fn = xcalloc(ncat, sizeof(unsigned));
	struct buf errors;
	buf_init(&errors, BUF_NOMAX);
	size_t evaluated = 0;
	for (size_t i = 0; i < lsym.n; i++) {
		struct notif *n = NULL, *base = NULL;
		for (size_t k = 0; k < ev.n; k++) {
			if (!strcmp(ev.recs[k]->symbol, lsym.items[i]))
				n = ev.recs[k];
		}
		if (!n) {
			fprintf(stderr, "tbtwarn: eval-categories: %s is labelled but in none of the files\n", lsym.items[i]);
			continue;
		}
		for (size_t k = 0; k < ev.n; k++)
			if (n->relation != REL_NONE && !strcmp(ev.recs[k]->symbol, n->root_symbol))
				base = ev.recs[k];
		struct cat_result got;
		classify(g_cats, n, base, text_only, &got);
		evaluated++;
		for (size_t k = 0; k < ncat; k++) {
			const struct category *cat = catalog_get(g_cats, k);
			int predicted = 0, labelled = 0;
			const char *evid = "";
			for (size_t m = 0; m < got.n; m++)
				if (got.m[m].cat == cat) {
					predicted = 1;
					evid = got.m[m].evidence;
				}
			for (char *w = lcats.items[i]; *w;) {
				size_t l = strcspn(w, " ,");
				if (l == strlen(cat->id) && !strncmp(w, cat->id, l))
					labelled = 1;
				w += l;
				while (*w == ' ' || *w == ',')
					w++;
			}
			if (predicted && labelled)
				tp[k]++;
			else if (predicted) {
				fp[k]++;
				buf_addf(&errors, "  false positive  %-26s %-28s %s\n", n->symbol, cat->id, evid);
			} else if (labelled) {
				fn[k]++;
				buf_addf(&errors, "  false negative  %-26s %-28s %.70s\n", n->symbol, cat->id, notif_title(n));
			}
		}
	}
	unsigned TP = 0, FP = 0, FN = 0;
	printf("%-30s %4s %4s %4s %9s %6s %6s\n", "category", "tp", "fp", "fn", "precision", "recall", "f1");
	for (size_t k = 0; k < ncat; k++) {
		TP += tp[k];
		FP += fp[k];
		FN += fn[k];
		if (!tp[k] && !fp[k] && !fn[k])
			continue;
		double p = tp[k] + fp[k] ? (double)tp[k] / (tp[k] + fp[k]) : 1, r = tp[k] + fn[k] ? (double)tp[k] / (tp[k] + fn[k]) : 1;
		printf("%-30s %4u %4u %4u %9.3f %6.3f %6.3f\n", catalog_get(g_cats, k)->id, tp[k], fp[k], fn[k], p, r,
		       p + r > 0 ? 2 * p * r / (p + r) : 0);
	}
	double P = TP + FP ? (double)TP / (TP + FP) : 1, R = TP + FN ? (double)TP / (TP + FN) : 1;
	double F = P + R > 0 ? 2 * P * R / (P + R) : 0;
	if (errors.len)
		printf("\nerrors:\n%s", errors.s);
	printf("\noverall (%zu notifications, %s): precision %.3f recall %.3f f1 %.3f\n", evaluated,
	       text_only ? "text only" : "with codes", P, R, F);
	buf_release(&errors);
	free(tp);
	free(fp);
	free(fn);
	for (size_t k = 0; k < ev.n; k++)
		notif_free(ev.recs[k]);
	free(ev.recs);
	strv_release(&lsym);
	strv_release(&lcats);
	if (P < min_p || R < min_r) {
		fprintf(stderr, "tbtwarn: eval-categories: below the goal (precision %.3f < %.2f or recall %.3f < %.2f)\n", P,
			min_p, R, min_r);
		return 1;
	}
	return 0;
}

/* Prints the usage lines of one command (and their continuation lines) to stdout; exit status 0, or 2 when the
 * command is unknown. */
static int command_help(const char *cmd)
{
	size_t cl = strlen(cmd);
	int found = 0, in = 0;
	for (const char *p = usage; *p;) {
		size_t n = strcspn(p, "\n");
		if (n > 2 + cl && !strncmp(p, "  ", 2) && !strncmp(p + 2, cmd, cl) && (p[2 + cl] == ' ' || p[2 + cl] == '\n')) {
			if (!found)
				fputs("usage: tbtwarn [--data DIR] [--config FILE]\n", stdout);
			found = in = 1;
			printf("%.*s\n", (int)n, p);
		} else if (in && n > 6 && !strncmp(p, "      ", 6)) {
			printf("%.*s\n", (int)n, p);
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
	fputs("\nSee docs/cli.md for every option and example.\n", stdout);
	return 0;
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
	(void)argc;
	(void)argv;
	puts("tbtwarn " VERSION);
	return 0;
}

static int cmd_help(const struct cli *cl, int argc, char **argv)
{
	(void)cl;
	(void)argc;
	(void)argv;
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
			return command_help(cmd);
	const struct cli ctx = {data, config};
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(&ctx, sub_argc, sub_argv);
	fprintf(stderr, "tbtwarn: unknown command '%s'\n\n%s", cmd, usage);
	return 2;
}
