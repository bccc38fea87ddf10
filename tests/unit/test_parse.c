/* test_parse.c: the ePing and WTO-form parsers on our fixtures, including broken and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "parse.h"

#include <dirent.h>
#include <iconv.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Collects what a parser reports. */
struct collect {
	struct notif *recs[64];
	size_t n;
	char rejects[16][600];
	size_t nrej;
};

static int on_rec(void *arg, struct notif *n)
{
	struct collect *c = arg;
	assert_true(c->n < 64);
	c->recs[c->n++] = n;
	return 0;
}

static void on_rej(void *arg, const char *name, const char *where, const char *msg)
{
	struct collect *c = arg;
	if (c->nrej < 16)
		snprintf(c->rejects[c->nrej], sizeof(c->rejects[0]), "%s: %s: %s", name, where, msg);
	c->nrej++;
}

static void collect_free(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++)
		notif_free(c->recs[i]);
	free(c);
}

static struct collect *parse_file(const char *rel, enum parse_format fmt, int *rc)
{
	struct collect *c = calloc(1, sizeof(*c));
	struct buf b;
	char path[512];
	struct parse_sink sink = {rel, on_rec, on_rej, c};
	snprintf(path, sizeof(path), "tests/data/%s", rel);
	buf_init(&b, BUF_NOMAX);
	if (buf_read_file(&b, path))
		fail_msg("cannot read fixture %s", path);
	*rc = parse_any(&sink, fmt, b.s, b.len);
	buf_release(&b);
	return c;
}

static struct notif *find(struct collect *c, const char *symbol)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->recs[i]->symbol, symbol))
			return c->recs[i];
	fail_msg("no record %s among %zu", symbol, c->n);
	return NULL;
}

static void eping_page_maps_every_field(void **state)
{
	int rc;
	struct collect *c = parse_file("samples/eping-2025-03-a.json", FMT_AUTO, &rc);
	(void)state;
	assert_int_equal(rc, 0);
	assert_int_equal(c->nrej, 0);
	/* 10 items, one of them a joint notification under 5 symbols. */
	assert_int_equal(c->n, 14);
	struct notif *n = find(c, "G/TBT/N/USA/2201"); /* the leading space is gone */
	assert_int_equal(n->type, NT_TBT);
	assert_string_equal(n->member, "USA");
	assert_string_equal(n->dates[D_DISTRIBUTED].iso, "2025-03-14");
	assert_string_equal(n->dates[D_COMMENTS].iso, "2025-05-13");
	assert_string_equal(n->dates[D_ADOPTION].text, "To be determined");
	assert_string_equal(n->dates[D_ADOPTION].iso, "");
	assert_string_equal(n->text[LANG_EN].title,
			    "Safety Standard for Lithium-Ion Batteries in Micromobility Products; Notice of Proposed Rulemaking");
	/* HTML stripped, entities decoded, list items kept as lines. */
	assert_non_null(strstr(n->text[LANG_EN].description, "meet UL 2271 and"));
	assert_non_null(strstr(n->text[LANG_EN].description, "battery\u2019s chemistry"));
	assert_non_null(strstr(n->text[LANG_EN].description, "\n- Performance requirements for cells & packs\n"));
	assert_null(strchr(n->text[LANG_EN].description, '<'));
	assert_int_equal(n->hs.n, 2);
	assert_string_equal(n->hs.items[0], "850760");
	assert_string_equal(n->hs.items[1], "871160");
	assert_int_equal(n->ics.n, 2);
	assert_string_equal(n->ics.items[0], "29.220.30");
	assert_int_equal(n->document_urls.n, 2);
	assert_string_equal(n->eping_id, "184201");
	assert_true(strv_contains(&n->objectives, "Protection of human health or safety"));
	assert_true(strv_contains(&n->keywords, "Fire safety"));
	assert_string_equal(n->text[LANG_ZH].member_name, "美国");

	/* Null and missing fields: codes come from the products text instead. */
	n = find(c, "G/SPS/N/JPN/1342");
	assert_int_equal(n->type, NT_SPS);
	assert_int_equal(n->hs.n, 3);
	assert_string_equal(n->hs.items[0], "070999");
	assert_int_equal(n->keywords.n, 0);
	assert_null(n->notification_url);

	/* A joint notification: one record per symbol, each naming the others. */
	n = find(c, "G/SPS/N/KEN/358");
	assert_string_equal(n->member, "KEN");
	assert_int_equal(n->also_symbols.n, 4);
	assert_true(strv_contains(&n->also_symbols, "G/SPS/N/BDI/149"));
	assert_string_equal(n->dates[D_COMMENTS].iso, "");
	n = find(c, "G/SPS/N/UGA/330");
	assert_string_equal(n->member, "UGA");
	assert_string_equal(n->hs.items[0], "0409");

	/* The EU's old EEC spelling in links does not change the member. */
	n = find(c, "G/TBT/N/EU/1121");
	assert_string_equal(n->member, "EU");
	assert_string_equal(n->text[LANG_EN].member_name, "European Union");

	n = find(c, "G/TBT/N/USA/1364/Add.5");
	assert_int_equal(n->relation, REL_ADDENDUM);
	assert_string_equal(n->root_symbol, "G/TBT/N/USA/1364");
	assert_int_equal(n->hs.n, 0);
	collect_free(c);
}

static void eping_bad_items_are_rejected_one_by_one(void **state)
{
	int rc;
	struct collect *c = parse_file("bad/eping-mixed.json", FMT_EPING, &rc);
	(void)state;
	assert_int_equal(rc, 0);
	assert_int_equal(c->n, 2);
	/* Item 4 holds two junk symbols ("...; DROP TABLE ..."): each is rejected. */
	assert_int_equal(c->nrej, 4);
	assert_string_equal(c->rejects[0], "bad/eping-mixed.json: item 2: missing documentSymbol");
	assert_string_equal(c->rejects[1], "bad/eping-mixed.json: item 3: expected an object, found a scalar");
	assert_non_null(strstr(c->rejects[2], "item 4: 'G/TBT/N/XX1/5' is not a notification symbol"));
	assert_non_null(strstr(c->rejects[3], "item 4: 'DROP TABLE notifications' is not a notification symbol"));
	struct notif *n = find(c, "G/SPS/N/CHL/801");
	/* A number where text belongs falls back to the plain twin; a string where a list belongs is ignored. */
	assert_string_equal(n->text[LANG_EN].title, "Phytosanitary requirements for the import of citrus fruit from Peru");
	assert_int_equal(n->hs.n, 0);
	assert_true(strv_contains(&n->objectives, "Plant protection"));
	collect_free(c);
}

static void truncated_json_names_line_and_column(void **state)
{
	int rc;
	struct collect *c = parse_file("bad/eping-truncated.json", FMT_AUTO, &rc);
	(void)state;
	assert_int_equal(rc, -TBT_EPARSE);
	assert_int_equal(c->n, 0);
	assert_int_equal(c->nrej, 1);
	assert_non_null(strstr(c->rejects[0], "bad/eping-truncated.json: line 4, column"));
	assert_non_null(strstr(c->rejects[0], "invalid JSON"));
	collect_free(c);
}

static void tbt_form_in_english(void **state)
{
	int rc;
	struct collect *c = parse_file("samples/wto-tbt-vnm-245.txt", FMT_AUTO, &rc);
	(void)state;
	assert_int_equal(rc, 0);
	assert_int_equal(c->n, 1);
	struct notif *n = c->recs[0];
	assert_string_equal(n->symbol, "G/TBT/N/VNM/245");
	assert_string_equal(n->dates[D_DISTRIBUTED].iso, "2025-04-02");
	assert_string_equal(n->text[LANG_EN].agency, "Ministry of Science and Technology (MOST)");
	assert_int_equal(n->articles.n, 2);
	assert_string_equal(n->articles.items[1], "5.6.2");
	assert_string_equal(n->text[LANG_EN].title, "Draft National Technical Regulation on energy efficiency and safety of "
						    "LED lighting products (QCVN xx:2025/BKHCN)");
	assert_true(strv_contains(&n->doc_languages, "Vietnamese"));
	assert_int_equal(n->hs.n, 3);
	assert_string_equal(n->hs.items[0], "853952");
	assert_string_equal(n->ics.items[0], "29.140.99");
	assert_int_equal(n->objectives.n, 3);
	assert_string_equal(n->dates[D_ADOPTION].text, "December 2025");
	assert_string_equal(n->dates[D_ENTRY_FORCE].iso, "2026-07-01");
	/* "60 days from notification" is kept as written and becomes a date from the distribution date. */
	assert_string_equal(n->dates[D_COMMENTS].text, "60 days from notification");
	assert_string_equal(n->dates[D_COMMENTS].iso, "2025-06-01");
	assert_true(strv_contains(&n->document_urls, "https://tbtvn.org/dataupload/QCVN-LED-2025.pdf"));
	/* The form's wrapping is undone. */
	assert_non_null(strstr(n->text[LANG_EN].description, "power factor and flicker limits"));
	collect_free(c);
}

static void newer_form_wording_of_items_4_and_5(void **state)
{
	int rc;
	struct collect *c = parse_file("samples/wto-tbt-chl-712.txt", FMT_AUTO, &rc);
	(void)state;
	assert_int_equal(c->n, 1);
	struct notif *n = c->recs[0];
	/* "Details of notified document(s)" with Title / Number of pages / Language(s) / Link lines. */
	assert_string_equal(n->text[LANG_EN].title,
			    "Draft safety certification protocol for portable power banks (PE No. 2/31:2025)");
	assert_true(strv_contains(&n->doc_languages, "Spanish"));
	assert_true(strv_contains(&n->document_urls, "https://www.sec.cl/consulta-publica/pe-2-31-2025.pdf"));
	/* National tariff items count as codes: they start with the HS code. */
	assert_int_equal(n->hs.n, 2);
	assert_string_equal(n->hs.items[0], "850440");
	assert_string_equal(n->dates[D_COMMENTS].iso, "2025-06-21");
	assert_string_equal(n->dates[D_ADOPTION].iso, "2025-09-30");
	assert_string_equal(n->dates[D_ENTRY_FORCE].iso, "2026-03-01");
	collect_free(c);
}

static void sps_form_numbers_differently(void **state)
{
	int rc;
	struct collect *c = parse_file("samples/wto-sps-aus-612.txt", FMT_WTO_TEXT, &rc);
	(void)state;
	assert_int_equal(rc, 0);
	assert_int_equal(c->n, 1);
	struct notif *n = c->recs[0];
	assert_int_equal(n->type, NT_SPS);
	assert_string_equal(n->hs.items[0], "081090");
	assert_string_equal(n->text[LANG_EN].regions, "Specific regions or countries: China");
	assert_int_equal(n->objectives.n, 2);
	assert_string_equal(n->objectives.items[0], "Plant protection");
	assert_string_equal(n->dates[D_ADOPTION].iso, "2025-09-30");
	assert_string_equal(n->dates[D_ENTRY_FORCE].text, "Upon publication of the final report");
	assert_string_equal(n->dates[D_COMMENTS].iso, "2025-06-06");
	assert_non_null(strstr(n->text[LANG_EN].standards, "ISPM 28"));
	assert_null(strstr(n->text[LANG_EN].standards, "Codex"));
	collect_free(c);
}

static void addenda_corrigenda_and_revisions(void **state)
{
	int rc;
	struct collect *c = parse_file("samples/wto-addenda-2025-04.txt", FMT_AUTO, &rc);
	(void)state;
	assert_int_equal(rc, 0);
	assert_int_equal(c->nrej, 0);
	assert_int_equal(c->n, 3);
	struct notif *n = find(c, "G/TBT/N/USA/2201/Add.1");
	assert_int_equal(n->relation, REL_ADDENDUM);
	assert_string_equal(n->dates[D_DISTRIBUTED].iso, "2025-04-09");
	assert_string_equal(n->text[LANG_EN].reason, "Comment period changed");
	assert_string_equal(n->dates[D_COMMENTS].iso, "2025-06-12");
	assert_non_null(strstr(n->text[LANG_EN].title, "extension of comment period"));
	assert_non_null(strstr(n->text[LANG_EN].description, "extended the comment period"));
	n = find(c, "G/TBT/N/EU/1098/Add.2");
	/* The box's words are the reason; its link goes to the documents. */
	assert_string_equal(n->text[LANG_EN].reason, "Notified measure adopted; Notified measure published; Notified "
						     "measure enters into force; Text of final measure available from");
	assert_int_equal(n->document_urls.n, 1);
	assert_string_equal(n->document_urls.items[0], "https://eur-lex.europa.eu/eli/reg/2023/1670/oj");
	assert_string_equal(n->dates[D_ADOPTION].iso, "2023-06-16");
	assert_string_equal(n->dates[D_ENTRY_FORCE].iso, "2025-06-20");
	n = find(c, "G/TBT/N/BRA/1588/Corr.1");
	assert_int_equal(n->relation, REL_CORRIGENDUM);
	assert_non_null(strstr(n->text[LANG_EN].description, "should read 24 June 2025"));
	collect_free(c);

	c = parse_file("samples/wto-tbt-bhr-704-rev1.txt", FMT_AUTO, &rc);
	n = c->recs[0];
	assert_int_equal(n->relation, REL_REVISION);
	assert_string_equal(n->root_symbol, "G/TBT/N/BHR/704");
	assert_int_equal(n->hs.n, 4);
	assert_true(strv_contains(&n->doc_languages, "Arabic"));
	assert_string_equal(n->dates[D_COMMENTS].iso, "2025-06-13");
	collect_free(c);
}

static void chinese_translations(void **state)
{
	int rc;
	struct collect *c = parse_file("samples/zh-tbt-mex-560.txt", FMT_AUTO, &rc);
	(void)state;
	assert_int_equal(rc, 0);
	assert_int_equal(c->n, 1);
	struct notif *n = c->recs[0];
	struct notif_text *zh = &n->text[LANG_ZH];
	assert_null(n->text[LANG_EN].title);
	assert_string_equal(zh->agency, "经济部标准总局");
	assert_string_equal(zh->title, "墨西哥官方标准草案PROY-NOM-212-SCFI-2025 锂电池安全要求及试验方法");
	assert_true(strv_contains(&n->doc_languages, "Spanish"));
	assert_int_equal(n->hs.n, 2);
	assert_string_equal(n->hs.items[0], "850650");
	assert_string_equal(n->dates[D_DISTRIBUTED].iso, "2025-04-15");
	assert_string_equal(n->dates[D_ADOPTION].text_zh, "待定");
	assert_string_equal(n->dates[D_COMMENTS].iso, "2025-06-14");
	assert_int_equal(n->objectives.n, 2);
	assert_string_equal(n->articles.items[0], "2.9.2");
	collect_free(c);

	c = parse_file("samples/zh-sps-kor-800.txt", FMT_AUTO, &rc);
	n = c->recs[0];
	assert_int_equal(n->type, NT_SPS);
	assert_string_equal(n->text[LANG_ZH].regions, "所有贸易伙伴");
	assert_int_equal(n->objectives.n, 1);
	assert_string_equal(n->objectives.items[0], "Food safety");
	assert_string_equal(n->dates[D_ADOPTION].iso, "2025-10-01");
	assert_string_equal(n->dates[D_COMMENTS].iso, "2025-06-15");
	assert_string_equal(n->hs.items[0], "392410");
	collect_free(c);

	c = parse_file("samples/zh-tbt-eu-1121.txt", FMT_AUTO, &rc);
	n = c->recs[0];
	assert_string_equal(n->symbol, "G/TBT/N/EU/1121");
	assert_string_equal(n->dates[D_DISTRIBUTED].iso, "2025-03-17");
	assert_string_equal(n->ics.items[0], "97.200.50");
	collect_free(c);
}

static void gb18030_text_is_converted(void **state)
{
	struct buf b;
	(void)state;
	buf_init(&b, BUF_NOMAX);
	assert_int_equal(buf_read_file(&b, "tests/data/samples/zh-tbt-mex-560.txt"), 0);
	iconv_t cd = iconv_open("GB18030", "UTF-8");
	assert_true(cd != (iconv_t)-1);
	size_t il = b.len, ol = b.len * 2;
	char *gb = malloc(ol), *ip = b.s, *op = gb;
	assert_true(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
	iconv_close(cd);
	struct collect *c = calloc(1, sizeof(*c));
	struct parse_sink sink = {"gbk.txt", on_rec, on_rej, c};
	assert_int_equal(parse_wto_text(&sink, gb, (size_t)(op - gb)), 0);
	assert_int_equal(c->n, 1);
	assert_string_equal(c->recs[0]->text[LANG_ZH].agency, "经济部标准总局");
	collect_free(c);
	free(gb);
	buf_release(&b);
}

static void broken_text_is_rejected_with_its_line(void **state)
{
	int rc;
	struct collect *c = parse_file("bad/wto-mixed.txt", FMT_AUTO, &rc);
	(void)state;
	/* The good form still goes in. */
	assert_int_equal(c->n, 1);
	assert_string_equal(c->recs[0]->symbol, "G/TBT/N/ISR/1400");
	assert_string_equal(c->recs[0]->dates[D_COMMENTS].iso, "2025-07-04");
	assert_int_equal(c->nrej, 1);
	assert_non_null(strstr(c->rejects[0], "bad/wto-mixed.txt: line 20: G/TBT/N/ISR/1401: no title"));
	collect_free(c);

	c = parse_file("bad/wto-nosymbol.txt", FMT_AUTO, &rc);
	assert_int_equal(rc, -TBT_EPARSE);
	assert_int_equal(c->n, 0);
	assert_string_equal(c->rejects[0], "bad/wto-nosymbol.txt: file: no notification symbol found (expected a line "
					   "such as G/TBT/N/USA/1234)");
	collect_free(c);
}

static void hostile_bytes_are_refused_cleanly(void **state)
{
	struct collect *c = calloc(1, sizeof(*c));
	struct parse_sink sink = {"x", on_rec, on_rej, c};
	(void)state;
	/* Invalid UTF-8 that is not GB18030 either. */
	static const char bad_utf8[] = "G/TBT/N/USA/1\n1. Notifying Member: \xff\xfe\xff\n";
	assert_int_equal(parse_wto_text(&sink, bad_utf8, sizeof(bad_utf8) - 1), -TBT_EPARSE);
	assert_non_null(strstr(c->rejects[0], "x: line 2: invalid UTF-8 at byte"));
	/* A NUL byte: binary data. */
	static const char nul[] = "G/TBT/N/USA/1\n\0\x01\x02";
	assert_int_equal(parse_wto_text(&sink, nul, sizeof(nul) - 1), -TBT_EPARSE);
	assert_non_null(strstr(c->rejects[1], "binary data"));
	/* JSON nested far beyond reason. */
	size_t depth = 100000;
	char *deep = malloc(depth * 2 + 1);
	memset(deep, '[', depth);
	memset(deep + depth, ']', depth);
	assert_int_equal(parse_eping(&sink, deep, depth * 2), -TBT_EPARSE);
	assert_non_null(strstr(c->rejects[2], "invalid JSON"));
	free(deep);
	/* Invalid UTF-8 inside JSON strings. */
	static const char badjson[] = "{\"items\": [{\"documentSymbol\": \"G/TBT/N/USA/1\", \"title\": \"\xc3\x28\"}]}";
	assert_int_equal(parse_eping(&sink, badjson, sizeof(badjson) - 1), -TBT_EPARSE);
	assert_int_equal(c->n, 0);
	assert_int_equal(c->nrej, 4);
	collect_free(c);
}


/* ---- real layouts: each tests/data/layouts/X.expect.json names what X.* must give ---- */

/* Compares what expected names with got, key by key (arrays and scalars whole; null also matches a missing key).
 * Appends a line per difference to diff; returns the count. */
static int json_subset(const json_t *exp, const json_t *got, const char *path, struct buf *diff)
{
	if (json_is_object(exp)) {
		const char *k;
		json_t *v;
		int bad = 0;
		json_object_foreach((json_t *)exp, k, v) {
			char sub[256];
			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			bad += json_subset(v, json_is_object(got) ? json_object_get(got, k) : NULL, sub, diff);
		}
		return bad;
	}
	if (json_is_null(exp) && (!got || json_is_null(got)))
		return 0;
	if (got && json_equal((json_t *)exp, (json_t *)got))
		return 0;
	char *e = json_dumps(exp, JSON_ENCODE_ANY | JSON_COMPACT);
	char *g = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	buf_addf(diff, "  %s: expected %s, got %s\n", path, e, g ? g : "(missing)");
	free(e);
	free(g);
	return 1;
}

static void real_layouts_give_their_expected_records(void **state)
{
	(void)state;
	DIR *dir = opendir("tests/data/layouts");
	struct dirent *de;
	struct buf diff;
	int files = 0, bad = 0;
	assert_non_null(dir);
	buf_init(&diff, BUF_NOMAX);
	while ((de = readdir(dir)) != NULL) {
		const char *dot = strstr(de->d_name, ".expect.json");
		if (!dot || dot[12])
			continue;
		char base[256], fixture[300] = "", path[600];
		snprintf(base, sizeof(base), "%.*s", (int)(dot - de->d_name), de->d_name);
		DIR *d2 = opendir("tests/data/layouts");
		struct dirent *f;
		while ((f = readdir(d2)) != NULL)
			if (!strncmp(f->d_name, base, strlen(base)) && f->d_name[strlen(base)] == '.' &&
			    !strstr(f->d_name, ".expect.json"))
				snprintf(fixture, sizeof(fixture), "layouts/%s", f->d_name);
		closedir(d2);
		if (!*fixture)
			fail_msg("%s has no fixture beside it", de->d_name);
		snprintf(path, sizeof(path), "tests/data/layouts/%s", de->d_name);
		json_error_t jerr;
		json_t *exp = json_load_file(path, 0, &jerr);
		if (!exp)
			fail_msg("%s: %s (line %d)", path, jerr.text, jerr.line);
		int rc;
		struct collect *c = parse_file(fixture, FMT_AUTO, &rc);
		json_t *recs = json_object_get(exp, "records");
		size_t i;
		json_t *er;
		files++;
		if (json_array_size(recs) != c->n) {
			buf_addf(&diff, "%s: expected %zu records, got %zu\n", fixture, json_array_size(recs), c->n);
			for (size_t k = 0; k < c->nrej && k < 16; k++)
				buf_addf(&diff, "  rejected: %s\n", c->rejects[k]);
			bad++;
		}
		json_array_foreach(recs, i, er) {
			const char *sym = json_string_value(json_object_get(er, "symbol"));
			struct notif *hit = NULL;
			for (size_t k = 0; k < c->n; k++)
				if (sym && !strcmp(c->recs[k]->symbol, sym))
					hit = c->recs[k];
			if (!hit) {
				buf_addf(&diff, "%s: no record %s\n", fixture, sym ? sym : "(no symbol in the expectation)");
				bad++;
				continue;
			}
			json_t *got = notif_to_json(hit, 0);
			struct buf one;
			buf_init(&one, BUF_NOMAX);
			if (json_subset(er, got, "", &one)) {
				buf_addf(&diff, "%s: %s differs:\n%s", fixture, sym, one.s);
				bad++;
			}
			buf_release(&one);
			json_decref(got);
		}
		json_t *nrej = json_object_get(exp, "rejected");
		if (nrej && (size_t)json_integer_value(nrej) != c->nrej) {
			buf_addf(&diff, "%s: expected %lld rejections, got %zu\n", fixture, json_integer_value(nrej), c->nrej);
			bad++;
		}
		json_decref(exp);
		collect_free(c);
	}
	closedir(dir);
	if (bad)
		fail_msg("%d of the expectations failed in %d layout fixtures:\n%s", bad, files, diff.s);
	assert_true(files >= 10);
	buf_release(&diff);
}

/* A measure's current dates: the latest document that gives each, by distribution date, then symbol (Add.10 after
 * Add.9); a ticked "withdrawn" reason marks it withdrawn. */
static struct notif *doc(const char *symbol, const char *distributed, const char *deadline, const char *reason)
{
	char err[ERRBUF_SIZE];
	struct notif *n = notif_new();
	assert_int_equal(notif_set_symbol(n, symbol, err, sizeof(err)), 0);
	if (distributed)
		memcpy(n->dates[D_DISTRIBUTED].iso, distributed, 11);
	if (deadline)
		memcpy(n->dates[D_COMMENTS].iso, deadline, 11);
	if (reason)
		n->text[LANG_EN].reason = strdup(reason);
	return n;
}

static void effective_dates_follow_the_latest_document(void **state)
{
	(void)state;
	struct notif *d[4] = {
	    doc("G/TBT/N/USA/9/Add.10", NULL, "2025-08-01", "Comment period changed"),
	    doc("G/TBT/N/USA/9", "2025-03-01", "2025-05-01", NULL),
	    doc("G/TBT/N/USA/9/Add.9", NULL, "2025-07-01", "Comment period changed"),
	    doc("G/TBT/N/USA/9/Corr.1", "2025-03-05", NULL, NULL),
	};
	struct notif_effective e;
	notif_effective(d, 4, &e);
	assert_string_equal(e.d[D_COMMENTS].iso, "2025-08-01");
	assert_string_equal(e.d[D_COMMENTS].by, "G/TBT/N/USA/9/Add.10");
	assert_string_equal(e.d[D_DISTRIBUTED].by, "G/TBT/N/USA/9");
	assert_string_equal(e.withdrawn_by, "");
	/* A dated later document wins over an undated one, and a withdrawal marks the measure. */
	struct notif *w = doc("G/TBT/N/USA/9/Add.11", "2025-09-01", NULL, "Notified measure withdrawn or revoked");
	struct notif *all[5] = {d[0], d[1], d[2], d[3], w};
	notif_effective(all, 5, &e);
	assert_string_equal(e.withdrawn_by, "G/TBT/N/USA/9/Add.11");
	assert_string_equal(e.d[D_COMMENTS].iso, "2025-08-01");
	notif_effective(NULL, 0, &e);
	assert_string_equal(e.d[D_COMMENTS].iso, "");
	for (int i = 0; i < 4; i++)
		notif_free(d[i]);
	notif_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(eping_page_maps_every_field),
		cmocka_unit_test(eping_bad_items_are_rejected_one_by_one),
		cmocka_unit_test(truncated_json_names_line_and_column),
		cmocka_unit_test(tbt_form_in_english),
		cmocka_unit_test(newer_form_wording_of_items_4_and_5),
		cmocka_unit_test(sps_form_numbers_differently),
		cmocka_unit_test(addenda_corrigenda_and_revisions),
		cmocka_unit_test(chinese_translations),
		cmocka_unit_test(gb18030_text_is_converted),
		cmocka_unit_test(broken_text_is_rejected_with_its_line),
		cmocka_unit_test(hostile_bytes_are_refused_cleanly),
		cmocka_unit_test(real_layouts_give_their_expected_records),
		cmocka_unit_test(effective_dates_follow_the_latest_document),
	};
	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
