/* test_archive.c: the store and the index together: idempotent import, history, links, search, crash recovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "archive.h"
#include "advice.h"
#include "idx.h"
#include "buf.h"
#include "db.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
/* With PG_URL (tests/run.sh's PostgreSQL pass) every test runs on a PostgreSQL schema of its own. */
static char store_url[512];

static const char *the_store(void)
{
	static char path[128];
	if (store_url[0])
		return store_url;
	snprintf(path, sizeof(path), "%s/tbtwarn.db", dir);
	return path;
}

/* Runs sql on the test's store (PostgreSQL only; SQLite's is a file the test writes directly). */
static void pg_exec(const char *url, const char *sql)
{
	struct db *db;
	char err[ERRBUF_SIZE];
	if (db_open(url, 0, &db, err, sizeof(err)))
		fail_msg("open %s: %s", url, err);
	if (db_exec(db, sql))
		fail_msg("%s: %s", sql, db_errmsg(db));
	db_close(db);
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/tbtwarn-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	const char *pg = getenv("PG_URL");
	if (pg && *pg) {
		char sql[256];
		snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS t_%s CASCADE; CREATE SCHEMA t_%s", dir + 18, dir + 18);
		pg_exec(pg, sql);
		snprintf(store_url, sizeof(store_url), "%s&options=-c%%20search_path%%3Dt_%s", pg, dir + 18);
		archive_use_store(store_url);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (store_url[0]) {
		char sql[256];
		snprintf(sql, sizeof(sql), "DROP SCHEMA t_%s CASCADE", dir + 18);
		pg_exec(getenv("PG_URL"), sql);
		store_url[0] = '\0';
	}
	archive_use_store(NULL); /* a test may have named the SQLite file */
	return 0;
}

static struct archive *open_w(void)
{
	struct archive *a;
	char err[ERRBUF_SIZE];
	if (archive_open(dir, ARCHIVE_WRITE, &a, err, sizeof(err)))
		fail_msg("open: %s", err);
	return a;
}

static void import_file(struct archive *a, const char *rel, struct import_stats *st)
{
	struct buf b;
	char path[256], err[ERRBUF_SIZE];
	snprintf(path, sizeof(path), "tests/data/%s", rel);
	buf_init(&b, BUF_NOMAX);
	assert_int_equal(buf_read_file(&b, path), 0);
	if (archive_import(a, "test", rel, NULL, FMT_AUTO, b.s, b.len, st, NULL, NULL, err, sizeof(err)))
		fail_msg("import %s: %s", rel, err);
	buf_release(&b);
}

static void import_str(struct archive *a, const char *text, struct import_stats *st)
{
	char err[ERRBUF_SIZE];
	if (archive_import(a, "test", "inline", NULL, FMT_AUTO, text, strlen(text), st, NULL, NULL, err, sizeof(err)))
		fail_msg("import: %s", err);
}

static void import_samples(struct archive *a)
{
	static const char *const files[] = {"samples/eping-2025-03-a.json", "samples/wto-tbt-vnm-245.txt",
					    "samples/wto-sps-aus-612.txt", "samples/wto-addenda-2025-04.txt",
					    "samples/wto-tbt-bhr-704-rev1.txt", "samples/zh-tbt-eu-1121.txt",
					    "samples/zh-tbt-mex-560.txt", "samples/zh-sps-kor-800.txt"};
	struct import_stats st = {0};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		import_file(a, files[i], &st);
}

/* Runs a query and returns the symbols found, space-separated, in order. */
static char *search_syms(struct archive *a, const char *q, int by_date, long long *total)
{
	struct search_opts o = {0, 50, by_date, 1};
	json_t *res;
	char err[ERRBUF_SIZE];
	struct buf out;
	size_t i;
	json_t *h;
	if (archive_search(a, q, &o, &res, err, sizeof(err)))
		fail_msg("search '%s': %s", q, err);
	buf_init(&out, BUF_NOMAX);
	json_array_foreach(json_object_get(res, "hits"), i, h)
	{
		if (out.len)
			buf_addch(&out, ' ');
		buf_addstr(&out, json_string_value(json_object_get(h, "symbol")));
	}
	if (total)
		*total = json_integer_value(json_object_get(res, "total"));
	json_decref(res);
	return buf_detach(&out);
}

static void expect_search(struct archive *a, const char *q, const char *want)
{
	char *got = search_syms(a, q, 1, NULL);
	if (strcmp(got, want))
		fail_msg("search '%s':\n   got  '%s'\n   want '%s'", q, got, want);
	free(got);
}

static void importing_twice_changes_nothing(void **state)
{
	struct archive *a = open_w();
	struct import_stats st = {0};
	(void)state;
	import_file(a, "samples/eping-2025-03-a.json", &st);
	assert_int_equal(st.added, 14);
	int64_t seq = store_max_seq(archive_store(a));
	struct import_stats st2 = {0};
	import_file(a, "samples/eping-2025-03-a.json", &st2);
	assert_int_equal(st2.added, 0);
	assert_int_equal(st2.updated, 0);
	assert_int_equal(st2.unchanged, 14);
	assert_int_equal(store_max_seq(archive_store(a)), seq);
	assert_int_equal(store_count(archive_store(a)), 14);
	archive_free(a);
}

static const char v1[] = "{\"items\": [{\"documentSymbol\": \"G/TBT/N/JPN/900\", \"distributionDate\": \"2025-06-02\","
			 "\"commentDeadlineDate\": \"2025-08-01\", \"title\": \"Electrical Appliance and Material Safety Act: "
			 "mobile batteries\", \"hsCodes\": [{\"code\": \"8507.60\"}]}]}";
static const char v2[] = "{\"items\": [{\"documentSymbol\": \"G/TBT/N/JPN/900\", \"distributionDate\": \"2025-06-02\","
			 "\"commentDeadlineDate\": \"2025-08-31\", \"title\": \"Electrical Appliance and Material Safety Act: "
			 "mobile batteries\", \"hsCodes\": [{\"code\": \"8507.60\"}]}]}";

static void a_newer_version_updates_and_keeps_history(void **state)
{
	struct archive *a = open_w();
	struct import_stats st = {0};
	json_t *show;
	char err[ERRBUF_SIZE];
	(void)state;
	import_str(a, v1, &st);
	import_str(a, v2, &st);
	assert_int_equal(st.added, 1);
	assert_int_equal(st.updated, 1);
	assert_int_equal(archive_show(a, "G/TBT/N/JPN/900", &show, err, sizeof(err)), 0);
	const char *dl = json_string_value(
	    json_object_get(json_object_get(json_object_get(show, "dates"), "comment_deadline"), "date"));
	assert_string_equal(dl, "2025-08-31");
	json_t *hist = json_object_get(show, "history");
	assert_int_equal(json_array_size(hist), 1);
	json_t *changed = json_object_get(json_array_get(hist, 0), "changed_fields");
	assert_int_equal(json_array_size(changed), 1);
	assert_string_equal(json_string_value(json_array_get(changed, 0)), "dates.comment_deadline.date");
	json_decref(show);
	/* The index follows: the new deadline is what a range finds. */
	expect_search(a, "deadline:2025-08-15..2025-09-30", "G/TBT/N/JPN/900");
	expect_search(a, "deadline:..2025-08-15", "");
	archive_free(a);
}

static void derived_documents_link_whichever_comes_first(void **state)
{
	struct archive *a = open_w();
	struct import_stats st = {0};
	json_t *show;
	char err[ERRBUF_SIZE];
	(void)state;
	/* The addendum first, its base later. */
	import_file(a, "samples/wto-addenda-2025-04.txt", &st);
	import_file(a, "samples/eping-2025-03-a.json", &st);
	assert_int_equal(archive_show(a, "G/TBT/N/USA/2201", &show, err, sizeof(err)), 0);
	json_t *rel = json_object_get(show, "related");
	assert_int_equal(json_array_size(rel), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rel, 0), "symbol")), "G/TBT/N/USA/2201/Add.1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rel, 0), "relation")), "addendum");
	json_decref(show);
	assert_int_equal(archive_show(a, " g/tbt/n/usa/2201/add.1", &show, err, sizeof(err)), 0);
	rel = json_object_get(show, "related");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rel, 0), "relation")), "base");
	json_decref(show);
	assert_int_equal(archive_show(a, "G/TBT/N/USA/9999", &show, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "no notification 'G/TBT/N/USA/9999' in the archive");
	archive_free(a);
}

static void fields_filter_the_search(void **state)
{
	struct archive *a = open_w();
	(void)state;
	today_pin("2025-05-20");
	import_samples(a);
	expect_search(a, "member:USA", "G/TBT/N/USA/2201/Add.1 G/TBT/N/USA/1364/Add.5 G/TBT/N/USA/2201");
	expect_search(a, "member:美国 kind:notification", "G/TBT/N/USA/2201");
	expect_search(a, "member:\"Korea, Republic of\" type:tbt", "G/TBT/N/KOR/1210");
	/* HS prefixes both ways: a heading finds subheadings, a subheading finds notifications of its heading. */
	expect_search(a, "hs:8507", "G/TBT/N/MEX/560 G/TBT/N/USA/2201");
	expect_search(a, "hs:9503.00", "G/TBT/N/EU/1121");
	expect_search(a, "hs:95", "G/TBT/N/EU/1121");
	expect_search(a, "ics:97", "G/TBT/N/TPKM/540 G/TBT/N/EU/1121");
	expect_search(a, "ics:97.200.50", "G/TBT/N/EU/1121");
	expect_search(a, "type:sps member:KEN", "G/SPS/N/KEN/358");
	expect_search(a, "kind:addendum member:EU", "G/TBT/N/EU/1098/Add.2");
	expect_search(a, "kind:corrigendum", "G/TBT/N/BRA/1588/Corr.1");
	expect_search(a, "kind:revision", "G/TBT/N/BHR/704/Rev.1");
	expect_search(a, "symbol:G/TBT/N/USA/2201", "G/TBT/N/USA/2201/Add.1 G/TBT/N/USA/2201");
	expect_search(a, "objective:\"plant protection\"", "G/SPS/N/AUS/612");
	expect_search(a, "objective:environment", "G/TBT/N/VNM/245 G/TBT/N/SAU/1290");
	expect_search(a, "date:2025-03-14..2025-03-17", "G/TBT/N/EU/1121 G/TBT/N/USA/2201");
	expect_search(a, "date:2025-04 type:sps", "G/SPS/N/KOR/800 G/SPS/N/AUS/612");
	/* The USA measure's deadline (13 May) was extended to 12 June by its addendum: ranges see the current one. */
	expect_search(a, "deadline:..2025-05-16 member:USA,EU", "G/TBT/N/EU/1121");
	expect_search(a, "deadline:2025-06-12 member:USA", "G/TBT/N/USA/2201/Add.1 G/TBT/N/USA/2201");
	/* Open for comments on 2025-05-20: deadlines from that day on, the base at its measure's current one. */
	expect_search(a, "open:yes member:USA", "G/TBT/N/USA/2201/Add.1 G/TBT/N/USA/2201");
	expect_search(a, "open:yes hs:8507", "G/TBT/N/MEX/560 G/TBT/N/USA/2201");
	expect_search(a, "-member:USA hs:8507", "G/TBT/N/MEX/560");
	today_pin(NULL);
	archive_free(a);
}

static void free_text_in_english_and_chinese(void **state)
{
	struct archive *a = open_w();
	long long total;
	(void)state;
	import_samples(a);
	/* Stemming: "battery" finds "batteries". */
	char *got = search_syms(a, "battery safety", 0, &total);
	assert_non_null(strstr(got, "G/TBT/N/USA/2201"));
	free(got);
	expect_search(a, "锂电池", "G/TBT/N/MEX/560");
	expect_search(a, "甲醛", "G/SPS/N/KOR/800 G/TBT/N/EU/1121");
	expect_search(a, "双酚A", "G/SPS/N/KOR/800");
	expect_search(a, "\"rice cookers\"", "G/TBT/N/IND/301");
	expect_search(a, "lychee -irradiation", "G/SPS/N/JPN/1342");
	expect_search(a, "title:formaldehyde", "G/TBT/N/TPKM/540");
	/* Relevance: the notification about lithium batteries ranks above its addendum only by its text. */
	got = search_syms(a, "lithium micromobility", 0, &total);
	assert_int_equal(total, 2);
	free(got);
	archive_free(a);
}

static void bad_and_hostile_queries(void **state)
{
	struct archive *a = open_w();
	struct search_opts o = {0, 10, 0, 1};
	json_t *res;
	char err[ERRBUF_SIZE];
	(void)state;
	import_samples(a);
	assert_int_equal(archive_search(a, "date:yesterday", &o, &res, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "date: expected a date or range such as 2025-01-01..2025-06-30, ..2025-06-30 or 2025, got "
				 "'yesterday'");
	assert_int_equal(archive_search(a, "hs:85x", &o, &res, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "hs: '85x' is not an HS code"));
	assert_int_equal(archive_search(a, "member:Atlantis", &o, &res, err, sizeof(err)), -EINVAL);
	assert_int_equal(archive_search(a, "type:", &o, &res, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "type: missing value");
	/* SQL is just words here. */
	assert_int_equal(archive_search(a, "'; DROP TABLE notifications; --", &o, &res, err, sizeof(err)), 0);
	json_decref(res);
	/* Broken syntax is an error that says where, never a different search. */
	static const struct {
		const char *q, *err;
	} bad[] = {
	    {"\"unbalanced AND ( OR", "a quote is never closed at character 1 (near '\"unbalanced AND ( OR')"},
	    {"battery (lithium OR cell", "'(' is never closed at character 9 (near 'battery (lithium OR cell')"},
	    {"battery) toys", "')' closes nothing at character 8 (near 'battery) toys')"},
	    {"OR battery", "an operator has nothing on its left at character 1 (near 'OR battery')"},
	    {"锂电池 AND", "an operator has nothing on its right at character 5 (near '锂电池 AND')"},
	    {"toys AND OR battery", "an operator has nothing on its left at character 10 (near 'toys AND OR battery')"},
	    {"()", "'()' holds nothing at character 2 (near '()')"},
	    {"date:2025-13", "date: expected a date or range such as 2025-01-01..2025-06-30, ..2025-06-30 or 2025, got '2025-13'"},
	    {"deadline:2025-02-30", "deadline: expected a date or range such as 2025-01-01..2025-06-30, ..2025-06-30 or 2025, got "
				    "'2025-02-30'"},
	    {"date:2025-06..2025-01", "date: the range '2025-06..2025-01' ends before it starts"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = archive_search(a, bad[i].q, &o, &res, err, sizeof(err));
		if (rc != -EINVAL || strcmp(err, bad[i].err))
			fail_msg("query '%s': rc %d, error\n   got  '%s'\n   want '%s'", bad[i].q, rc, rc ? err : "", bad[i].err);
	}
	/* What is well formed still searches. */
	assert_int_equal(archive_search(a, "(battery OR toys) NOT lamp \"lithium-ion\"", &o, &res, err, sizeof(err)), 0);
	json_decref(res);
	assert_int_equal(archive_search(a, "NOT toys", &o, &res, err, sizeof(err)), 0);
	json_decref(res);
	assert_int_equal(store_count(archive_store(a)), 22);
	archive_free(a);
}

static void facets_count_all_matches(void **state)
{
	struct archive *a = open_w();
	struct search_opts o = {0, 2, 0, 1};
	json_t *res;
	char err[ERRBUF_SIZE];
	(void)state;
	import_samples(a);
	assert_int_equal(archive_search(a, "type:tbt", &o, &res, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(res, "total")), 14);
	assert_int_equal(json_array_size(json_object_get(res, "hits")), 2);
	json_t *f = json_object_get(res, "facets");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "member"), "USA")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "type"), "TBT")), 14);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "year"), "2025")), 14);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "kind"), "addendum")), 3);
	json_decref(res);
	archive_free(a);
}

/* An archive holding one notification, closed, and its store opened alone: to write what a crash leaves. */
static struct store *one_notification_then_the_store(void)
{
	struct archive *a = open_w();
	struct import_stats st = {0};
	struct store *s;
	char err[ERRBUF_SIZE];
	import_file(a, "samples/wto-tbt-vnm-245.txt", &st);
	archive_free(a);
	if (store_open(the_store(), &s, err, sizeof(err)))
		fail_msg("open the store: %s", err);
	return s;
}

static void the_index_catches_up_after_a_crash_between_commits(void **state)
{
	char err[ERRBUF_SIZE];
	(void)state;
	/* What a crash after the SQLite commit and before the Xapian commit leaves: a record only in the store. */
	struct store *s = one_notification_then_the_store();
	struct notif *n = notif_new();
	assert_int_equal(notif_set_symbol(n, "G/TBT/N/CAN/777", err, sizeof(err)), 0);
	n->text[LANG_EN].title = xstrdup("Consumer Chemicals and Containers Regulations: button batteries");
	enum store_outcome o;
	assert_int_equal(store_begin(s, err, sizeof(err)), 0);
	assert_int_equal(store_upsert(s, n, &o, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(store_commit(s, err, sizeof(err)), 0);
	notif_free(n);
	store_free(s);
	/* Opening, even to read, brings the index up to date. */
	struct archive *r;
	assert_int_equal(archive_open(dir, ARCHIVE_READ, &r, err, sizeof(err)), 0);
	expect_search(r, "button batteries", "G/TBT/N/CAN/777");
	archive_free(r);
}

static void a_translation_stored_before_a_crash_is_indexed_at_the_next_open(void **state)
{
	char err[ERRBUF_SIZE];
	(void)state;
	/* What a crash after the translation's store commit and before the index commit leaves. */
	struct store *s = one_notification_then_the_store();
	int64_t before = store_feed_max(s);
	struct tr_row row = {"G/TBT/N/VNM/245", "title", "越南钢化玻璃锅盖规范", "machine", "libretranslate", NULL, NULL, NULL,
			     NULL, 0};
	assert_int_equal(store_tr_put(s, &row, err, sizeof(err)), 0);
	if (store_feed_max(s) != before + 1)
		fail_msg("the translation should join the index feed: its last number %lld, before %lld",
			 (long long)store_feed_max(s), (long long)before);
	store_free(s);
	/* Opening, even to read, indexes it. */
	struct archive *r;
	assert_int_equal(archive_open(dir, ARCHIVE_READ, &r, err, sizeof(err)), 0);
	expect_search(r, "钢化玻璃锅盖", "G/TBT/N/VNM/245");
	archive_free(r);
}

/* Two instances on one store, each with its own index (as on PostgreSQL; here, two data directories on one SQLite
 * file): what one writes without a new version (a translation, a draft text) reaches the other's index at its next
 * archive_commit, as the service does once a second. */
static void a_second_index_follows_what_the_first_wrote(void **state)
{
	char err[ERRBUF_SIZE], dir2[sizeof(dir) + 16];
	struct archive *a, *b;
	struct import_stats st = {0};
	(void)state;
	if (!store_url[0])
		archive_use_store(the_store());
	snprintf(dir2, sizeof(dir2), "%s/second", dir);
	a = open_w();
	import_file(a, "samples/wto-tbt-vnm-245.txt", &st);
	if (archive_open(dir2, ARCHIVE_WRITE, &b, err, sizeof(err)))
		fail_msg("open the second instance: %s", err);
	expect_search(b, "luminaires", "G/TBT/N/VNM/245"); /* a new index catches up by itself */
	struct tr_row row = {"G/TBT/N/VNM/245", "title", "越南发光二极管灯具能效规范", "machine", "libretranslate", NULL, NULL, NULL,
			     NULL, 0};
	assert_int_equal(archive_translation_put_ex(a, &row, 0, err, sizeof(err)), 0);
	assert_int_equal(archive_commit(a, err, sizeof(err)), 0);
	expect_search(a, "发光二极管灯具", "G/TBT/N/VNM/245");
	expect_search(b, "发光二极管灯具", ""); /* not yet: the second index has not looked */
	assert_int_equal(archive_commit(b, err, sizeof(err)), 0);
	expect_search(b, "发光二极管灯具", "G/TBT/N/VNM/245");
	/* The draft text the first instance's crawler fetched. */
	const char *text = "Luminaires shall carry the quokkaproof mark before sale.";
	if (archive_draft_fetched(a, "https://tbtvn.org/dataupload/QCVN-LED-2025.pdf", "text/plain", text, strlen(text), err,
				  sizeof(err)))
		fail_msg("store a draft text: %s", err);
	expect_search(a, "text:quokkaproof", "G/TBT/N/VNM/245");
	expect_search(b, "text:quokkaproof", "");
	assert_int_equal(archive_commit(b, err, sizeof(err)), 0);
	expect_search(b, "text:quokkaproof", "G/TBT/N/VNM/245");
	/* Reopened, the second index is where it was: nothing to index again. */
	archive_free(b);
	if (archive_open(dir2, ARCHIVE_WRITE, &b, err, sizeof(err)))
		fail_msg("reopen the second instance: %s", err);
	expect_search(b, "text:quokkaproof", "G/TBT/N/VNM/245");
	archive_free(b);
	archive_free(a);
}

static void reindex_rebuilds_the_same_index(void **state)
{
	struct archive *a = open_w();
	char err[ERRBUF_SIZE];
	long long t1, t2;
	(void)state;
	import_samples(a);
	char *before = search_syms(a, "type:tbt", 1, &t1);
	assert_int_equal(archive_reindex(a, err, sizeof(err)), 0);
	char *after = search_syms(a, "type:tbt", 1, &t2);
	assert_string_equal(before, after);
	assert_int_equal(t1, t2);
	free(before);
	free(after);
	archive_free(a);
	/* A store newer than the index (a restored database) is detected and the index rebuilt on open. */
	a = open_w();
	expect_search(a, "hs:8507", "G/TBT/N/MEX/560 G/TBT/N/USA/2201");
	archive_free(a);
}

/* Date order read month by month (the index's month terms) is the order of a full sort, for every page. */
static void date_order_by_months_is_the_full_sort(void **state)
{
	struct archive *a = open_w();
	(void)state;
	static const char *const queries[] = {"", "lithium", "type:tbt", "member:USA,EU,KOR", "category:lithium_batteries",
					      "-addendum", "nothing-matches-this"};
	char err[ERRBUF_SIZE];
	import_samples(a);
	for (size_t k = 0; k < sizeof(queries) / sizeof(queries[0]); k++) {
		for (unsigned offset = 0; offset < 25; offset += 3) {
			for (unsigned limit = 1; limit <= 9; limit += 4) {
				struct search_opts o = {offset, limit, 1, 0, 0};
				json_t *slow;
				idx_set_switch(IDX_NO_MONTH_SORT, 1);
				if (archive_search(a, queries[k], &o, &slow, err, sizeof(err)))
					fail_msg("%s", err);
				idx_set_switch(IDX_NO_MONTH_SORT, 0);
				char *sl = json_dumps(json_object_get(slow, "hits"), JSON_COMPACT);
				/* Both ways: the months planned from the counted dates, and windows of months. */
				for (int windows = 0; windows < 2; windows++) {
					json_t *fast;
					if (windows)
						idx_set_switch(IDX_NO_MONTH_PLAN, 1);
					if (archive_search(a, queries[k], &o, &fast, err, sizeof(err)))
						fail_msg("%s", err);
					idx_set_switch(IDX_NO_MONTH_PLAN, 0);
					char *f = json_dumps(json_object_get(fast, "hits"), JSON_COMPACT);
					if (strcmp(f, sl))
						fail_msg("query '%s' offset %u limit %u:\n months (%s) %s\n full sort %s", queries[k],
							 offset, limit, windows ? "windows" : "planned", f, sl);
					assert_int_equal(json_integer_value(json_object_get(fast, "total")),
							 json_integer_value(json_object_get(slow, "total")));
					free(f);
					json_decref(fast);
				}
				free(sl);
				json_decref(slow);
			}
		}
	}
	archive_free(a);
}

/* The facets counted from the one combined value equal those of the six slots, counts and order, exact or sampled. */
static void facets_from_one_value_are_the_six_slots(void **state)
{
	struct archive *a = open_w();
	(void)state;
	static const char *const queries[] = {"", "lithium", "type:tbt", "member:USA,EU,KOR", "category:lithium_batteries",
					      "-addendum", "nothing-matches-this", "risk:high OR toys"};
	char err[ERRBUF_SIZE];
	import_samples(a);
	for (size_t k = 0; k < sizeof(queries) / sizeof(queries[0]); k++) {
		for (unsigned sample = 0; sample <= 3; sample += 3) {
			struct search_opts o = {0, 5, 0, 1, sample};
			json_t *one, *six;
			if (archive_search(a, queries[k], &o, &one, err, sizeof(err)))
				fail_msg("%s", err);
			idx_set_switch(IDX_NO_FACET_SLOT, 1);
			if (archive_search(a, queries[k], &o, &six, err, sizeof(err)))
				fail_msg("%s", err);
			idx_set_switch(IDX_NO_FACET_SLOT, 0);
			if (!json_object_size(json_object_get(one, "facets")))
				fail_msg("query '%s': no facets", queries[k]);
			char *x = json_dumps(one, JSON_COMPACT), *y = json_dumps(six, JSON_COMPACT);
			if (strcmp(x, y))
				fail_msg("query '%s' sample %u:\n one value %s\n six slots %s", queries[k], sample, x, y);
			free(x);
			free(y);
			json_decref(one);
			json_decref(six);
		}
	}
	archive_free(a);
}

static void a_newer_schema_is_refused(void **state)
{
	char err[ERRBUF_SIZE];
	struct store *s;
	(void)state;
	assert_int_equal(store_open(the_store(), &s, err, sizeof(err)), 0);
	store_free(s);
	if (store_url[0]) {
		pg_exec(store_url, "UPDATE tbtwarn_schema SET version = 99");
	} else {
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "sqlite3 %s 'PRAGMA user_version = 99'", the_store());
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(store_open(the_store(), &s, err, sizeof(err)), -TBT_EDB);
	/* The latest version is whatever the owners registered (db_schema_register): the message names it. */
	char want[128];
	snprintf(want, sizeof(want), "has schema version 99, newer than this tbtwarn knows (%d)", db_schema_latest());
	if (!strstr(err, want))
		fail_msg("the refusal should say '%s', it said '%s'", want, err);
}

/* A machine draft's request is taken by one instance at a time: a second claim finds it taken; once the first
 * instance's time has passed (it died), it is due and taken again; a finished one is not due. */
static void a_machine_draft_is_taken_once(void **state)
{
	char err[ERRBUF_SIZE];
	struct store *s, *t;
	struct strv due;
	(void)state;
	assert_int_equal(store_open(the_store(), &s, err, sizeof(err)), 0);
	assert_int_equal(store_open(the_store(), &t, err, sizeof(err)), 0);
	assert_int_equal(draft_request_add(s, "G/TBT/N/KOR/1210", "li.na", err, sizeof(err)), 0);
	strv_init(&due);
	assert_int_equal(draft_request_due(t, 1000, 5, &due, err, sizeof(err)), 0);
	assert_int_equal(due.n, 1);
	strv_release(&due);
	if (draft_request_claim(s, "G/TBT/N/KOR/1210", 1000, 1100, err, sizeof(err)) != 1)
		fail_msg("the first instance should take the request: %s", err);
	if (draft_request_claim(t, "G/TBT/N/KOR/1210", 1000, 1100, err, sizeof(err)) != 0)
		fail_msg("the second instance should find it taken");
	strv_init(&due);
	assert_int_equal(draft_request_due(t, 1050, 5, &due, err, sizeof(err)), 0);
	assert_int_equal(due.n, 0);
	assert_int_equal(draft_request_due(t, 1200, 5, &due, err, sizeof(err)), 0);
	assert_int_equal(due.n, 1); /* the first instance's time passed: due again */
	strv_release(&due);
	if (draft_request_claim(t, "G/TBT/N/KOR/1210", 1200, 1300, err, sizeof(err)) != 1)
		fail_msg("after the first instance's time, the second should take it");
	assert_int_equal(draft_request_set(t, "G/TBT/N/KOR/1210", "done", NULL, 0, err, sizeof(err)), 0);
	strv_init(&due);
	assert_int_equal(draft_request_due(s, 5000, 5, &due, err, sizeof(err)), 0);
	assert_int_equal(due.n, 0);
	strv_release(&due);
	json_t *row = draft_request_get(s, "G/TBT/N/KOR/1210");
	assert_string_equal(json_string_value(json_object_get(row, "state")), "done");
	json_decref(row);
	store_free(t);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(importing_twice_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(a_newer_version_updates_and_keeps_history, setup, teardown),
		cmocka_unit_test_setup_teardown(derived_documents_link_whichever_comes_first, setup, teardown),
		cmocka_unit_test_setup_teardown(fields_filter_the_search, setup, teardown),
		cmocka_unit_test_setup_teardown(free_text_in_english_and_chinese, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_and_hostile_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(facets_count_all_matches, setup, teardown),
		cmocka_unit_test_setup_teardown(the_index_catches_up_after_a_crash_between_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(a_translation_stored_before_a_crash_is_indexed_at_the_next_open, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_second_index_follows_what_the_first_wrote, setup, teardown),
		cmocka_unit_test_setup_teardown(reindex_rebuilds_the_same_index, setup, teardown),
		cmocka_unit_test_setup_teardown(a_machine_draft_is_taken_once, setup, teardown),
		cmocka_unit_test_setup_teardown(date_order_by_months_is_the_full_sort, setup, teardown),
		cmocka_unit_test_setup_teardown(facets_from_one_value_are_the_six_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(a_newer_schema_is_refused, setup, teardown),
	};
	return cmocka_run_group_tests_name("archive", tests, NULL, NULL);
}
