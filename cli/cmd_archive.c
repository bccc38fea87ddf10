/* cmd_archive.c: the archive's commands: import, search, show, reindex, categories, codes, reclassify, eval-categories. */
#include "cli.h"
#include "export.h"
#include "norm.h"
#include "text.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest input file accepted by import: a page of the ePing API is well under a megabyte. */
#define IMPORT_MAX_BYTES (256u * 1024 * 1024)

void print_reject(void *arg, const char *name, const char *where, const char *msg)
{
	(void)arg;
	fprintf(stderr, "tbtwarn: %s: %s: rejected: %s\n", name, where, msg);
}

int cmd_import(const struct cli *cl, int argc, char **argv)
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
			return cli_usage(argv[0], c == 'h' ? NULL : "");
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
			return cli_usage(argv[0], c == 'h' ? NULL : "");
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

int cmd_search(const struct cli *cl, int argc, char **argv)
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

int cmd_show(const struct cli *cl, int argc, char **argv)
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
			return cli_usage(argv[0], c == 'h' ? NULL : "");
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

int cmd_reindex(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data;
	struct archive *a;
	char err[ERRBUF_SIZE];
	int rc;
	if (argc > 1)
		return cli_usage(argv[0], "takes no arguments");
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

int cmd_categories(const struct cli *cl, int argc, char **argv)
{
	(void)cl;
	if (argc > 1)
		return cli_usage(argv[0], "takes no arguments");
	for (size_t i = 0; i < catalog_count(g_cats); i++) {
		const struct category *k = catalog_get(g_cats, i);
		printf("%-30s %s / %s\n", k->id, k->name_zh, k->name_en);
	}
	return 0;
}

int cmd_codes(const struct cli *cl, int argc, char **argv)
{
	(void)cl;
	int status = 0;
	if (argc < 3 || (strcmp(argv[1], "hs") && strcmp(argv[1], "ics"))) {
		return cli_usage(argv[0], "say hs or ics, then one or more codes");
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

int cmd_reclassify(const struct cli *cl, int argc, char **argv)
{
	const char *data = cl->data;
	struct archive *a;
	char err[ERRBUF_SIZE];
	if (argc > 1)
		return cli_usage(argv[0], "takes no arguments");
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

int cmd_eval(const struct cli *cl, int argc, char **argv)
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
			return cli_usage(argv[0], c == 'h' ? NULL : "");
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
