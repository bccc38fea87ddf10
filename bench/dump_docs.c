/* dump_docs.c OUT FILE...: parses notification files with tbtwarn's parsers and writes, for each record, the exact
 * index document that tbtwarn builds (text fields, boolean terms, values) as lines, so that the bare Xapian
 * baseline adds the very same documents. Lines: "T\tweight\tprefix\ttext", "B\tterm", "V\tslot\tvalue", "E". */
#include "buf.h"
#include "parse.h"
#include "query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_clean(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\n' || *s == '\t' || *s == '\r' ? ' ' : *s, f);
}

static void d_text(void *arg, const char *text, unsigned weight, const char *prefix)
{
	FILE *f = arg;
	fprintf(f, "T\t%u\t%s\t", weight, prefix);
	put_clean(f, text);
	fputc('\n', f);
}

static void d_term(void *arg, const char *term)
{
	fprintf(arg, "B\t%s\n", term);
}

static void d_value(void *arg, enum idx_slot slot, const char *value)
{
	fprintf(arg, "V\t%d\t%s\n", (int)slot, value);
}

static int on_record(void *arg, struct notif *n)
{
	struct doc_sink sink = {d_text, d_term, d_value, arg};
	struct cat_result cats;
	struct risk risk;
	static struct risk_config rc;
	static int init;
	if (!init) {
		risk_config_default(&rc);
		init = 1;
	}
	/* The same document as tbtwarn's, categories and risk included (computed here, outside the baseline's time). */
	classify(catalog_default(), n, NULL, 0, &cats);
	risk_assess(&rc, n, &cats, &risk);
	query_record_doc(n, &cats, &risk, &sink);
	fputs("E\n", arg);
	notif_free(n);
	return 0;
}

int main(int argc, char **argv)
{
	FILE *out;
	if (argc < 3) {
		fputs("usage: dump_docs OUT FILE...\n", stderr);
		return 2;
	}
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		struct buf b;
		struct parse_sink sink = {argv[i], on_record, NULL, out};
		buf_init(&b, BUF_NOMAX);
		if (buf_read_file(&b, argv[i])) {
			perror(argv[i]);
			return 1;
		}
		parse_any(&sink, FMT_AUTO, b.s, b.len);
		buf_release(&b);
	}
	return fclose(out) ? 1 : 0;
}
