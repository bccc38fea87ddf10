/* test_match.c: the subscription index finds exactly what checking every subscription finds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "match.h"
#include "parse.h"
#include "idx.h"
#include "query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct notif *recs[64];
static size_t nrecs;

static int on_rec(void *arg, struct notif *n)
{
	(void)arg;
	if (nrecs < 64)
		recs[nrecs++] = n;
	else
		notif_free(n);
	return 0;
}

static int load(void **state)
{
	static const char *const files[] = {"tests/data/samples/eping-2025-03-a.json", "tests/data/samples/wto-tbt-vnm-245.txt",
					    "tests/data/samples/zh-tbt-mex-560.txt", "tests/data/samples/wto-addenda-2025-04.txt",
					    "tests/data/samples/wto-sps-aus-612.txt"};
	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct buf b;
		struct parse_sink sink = {files[i], on_rec, NULL, NULL, NULL, NULL};
		buf_init(&b, BUF_NOMAX);
		assert_int_equal(buf_read_file(&b, files[i]), 0);
		parse_any(&sink, FMT_AUTO, b.s, b.len);
		buf_release(&b);
	}
	return 0;
}

static int unload(void **state)
{
	(void)state;
	for (size_t i = 0; i < nrecs; i++)
		notif_free(recs[i]);
	nrecs = 0;
	return 0;
}

static uint32_t rng = 12345;
static uint32_t next(void)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 8) & 0xFFFFFF;
}

static void random_filter(struct sub_filter *f)
{
	static const char *const cats[] = {"lithium_batteries", "toys_games", "small_home_appliances", "two_wheelers",
					   "fruits_vegetables", "mobile_phones", "furniture_mattresses", "apparel"};
	static const char *const hs[] = {"85", "8507", "850760", "9503", "0810", "8516", "871160", "94", "64"};
	static const char *const ics[] = {"29", "29.220", "97.200.50", "43.150", "33.060"};
	static const char *const members[] = {"USA", "EU", "KOR", "JPN", "MEX", "VNM", "AUS", "IND"};
	static const char *const queries[] = {"lithium", "batteries safety", "\"energy efficiency\"", "锂电池", "toys",
					      "formaldehyde", "lychee OR mango", "member:USA battery", "-addendum"};
	static const char *const kinds[] = {"notification", "addendum"};
	sub_filter_init(f);
	uint32_t r = next();
	if (r % 3 == 0)
		strv_push(&f->categories, cats[next() % 8]);
	if (r % 5 == 1)
		strv_push(&f->hs, hs[next() % 9]);
	if (r % 7 == 2)
		strv_push(&f->ics, ics[next() % 5]);
	if (r % 4 == 3)
		strv_push(&f->members, members[next() % 8]);
	if (r % 11 == 4)
		strv_push(&f->kinds, kinds[next() % 2]);
	if (r % 6 == 5)
		f->query = xstrdup(queries[next() % 9]);
	if (r % 13 == 6)
		f->type = next() % 2 ? NT_TBT : NT_SPS;
	if (r % 9 == 7)
		f->min_risk = (int)(next() % 3);
	/* A firm always says what it exports or where: at least one of category, code, market or words. */
	if (!f->categories.n && !f->hs.n && !f->ics.n && !f->members.n && !f->query)
		strv_push(&f->categories, cats[next() % 8]);
	/* One in a hundred asks only by kind or type: those are checked for every notification. */
	if (r % 100 == 99) {
		strv_release(&f->categories);
		strv_init(&f->categories);
	}
}

/* Subscription ids as the store hands them out (ascending), in another order, and beyond 32 bits. */
static int64_t id_of(int64_t k, int how)
{
	return how == 0 ? k : how == 1 ? (k * 7919) % 3001 + 1 : k + ((int64_t)1 << 33);
}

static void index_agrees(int how)
{
	char err[ERRBUF_SIZE];
	struct matcher *m = matcher_new(err, sizeof(err));
	struct risk_config rc;
	assert_non_null(m);
	risk_config_default(&rc);
	rng = 12345;
	for (int64_t k = 1; k <= 3000; k++) {
		struct sub_filter f;
		random_filter(&f);
		if (matcher_add(m, id_of(k, how), &f, err, sizeof(err)))
			fail_msg("add: %s", err);
		sub_filter_release(&f);
	}
	/* A subscription changed (re-added under its id) and one removed. */
	struct sub_filter f;
	sub_filter_init(&f);
	f.query = xstrdup("lithium");
	assert_int_equal(matcher_add(m, id_of(5, how), &f, err, sizeof(err)), 0);
	sub_filter_release(&f);
	const int64_t removed = id_of(17, how);
	assert_int_equal(matcher_remove(m, removed), 0);
	assert_int_equal(matcher_count(m), 2999);
	size_t total = 0, checked_index = 0, checked_all = 0;
	for (size_t i = 0; i < nrecs; i++) {
		struct cat_result cats;
		struct risk risk;
		classify(catalog_default(), recs[i], NULL, 0, &cats);
		risk_assess(&rc, recs[i], &cats, &risk);
		struct match_doc d = {recs[i], &cats, risk.level};
		int64_t *a = NULL, *b = NULL;
		size_t na = 0, nb = 0;
		checked_index += matcher_match(m, &d, &a, &na);
		checked_all += matcher_match_all(m, &d, &b, &nb);
		if (na != nb || (na && memcmp(a, b, na * sizeof(*a))))
			fail_msg("%s: the index found %zu subscriptions, checking all found %zu", recs[i]->symbol, na, nb);
		for (size_t k = 0; k < na; k++) {
			assert_true(a[k] != removed);
			if (k)
				assert_true(a[k - 1] < a[k]);
		}
		total += na;
		free(a);
		free(b);
	}
	/* Something matched, and far fewer subscriptions were looked at than all of them. */
	assert_true(total > 0);
	assert_true(checked_index * 3 < checked_all);
	risk_config_release(&rc);
	matcher_free(m);
}

static void the_index_agrees_with_checking_everything(void **state)
{
	(void)state;
	index_agrees(0);
}

static void ids_in_any_order_come_out_sorted(void **state)
{
	(void)state;
	index_agrees(1);
}

static void ids_beyond_32_bits_come_out_whole(void **state)
{
	(void)state;
	index_agrees(2);
}

/* Each query as the only subscription: the matcher (terms found without Xapian, programs run on them) agrees with a
 * Xapian search of the notification, also for text our word splitting does not model (Xapian decides those). */
static void the_matcher_agrees_with_xapian_search(void **state)
{
	static const char *const queries[] = {
		"lithium", "batteries safety", "lithium OR toys", "lithium -micromobility", "battery NOT lithium",
		"\"energy efficiency\"", "锂电池", "玩具 安全", "member:USA battery", "member:USA OR member:EU", "type:sps",
		"hs:8507", "ics:29.220", "category:lithium_batteries", "-addendum", "title:lithium", "title:锂电池",
		"year:2025", "deadline:2025-05-01..2025-06-30", "batter*", "lithium AND (toys OR micromobility)",
		"formaldehyde", "fruit NOT mango", "kind:addendum", "risk:high", "safety requirements", "+lithium battery",
		"Türkiye", "micrometre", "µm", "café", "1.5", "U.S.", "AT&T", "C++", "don't", "G/TBT/N/USA/2201",
		"regulation OR directive OR decree", "要求", "标签要求", "食品 OR 玩具", "\"lithium batteries\" toys"};
	char err[ERRBUF_SIZE];
	struct idx *mem;
	struct risk_config rc;
	const struct catalog *cat = catalog_default();
	size_t agreed = 0, matched = 0;
	(void)state;
	risk_config_default(&rc);
	assert_int_equal(idx_open_memory(&mem, err, sizeof(err)), 0);
	struct matcher *m = matcher_new(err, sizeof(err));
	assert_non_null(m);
	for (size_t k = 0; k < sizeof(queries) / sizeof(queries[0]); k++) {
		struct sub_filter f;
		sub_filter_init(&f);
		f.query = xstrdup(queries[k]);
		assert_int_equal(matcher_add(m, (int64_t)k + 1, &f, err, sizeof(err)), 0);
		sub_filter_release(&f);
	}
	for (size_t i = 0; i <= nrecs; i++) {
		struct notif *n = i < nrecs ? recs[i] : recs[0];
		char *saved = NULL;
		if (i == nrecs) {
			/* Text that only Xapian reads: accents, a micro sign, a fraction, a curly apostrophe after Chinese. */
			saved = n->text[LANG_EN].description;
			n->text[LANG_EN].description = xstrdup("Cells of ½ inch, 5 µm separators; café’s 锂’s batteries from Türkiye");
		}
		struct cat_result cats;
		struct risk risk;
		classify(cat, n, NULL, 0, &cats);
		risk_assess(&rc, n, &cats, &risk);
		idx_doc_begin(mem);
		query_index_record(mem, n, &cats, &risk);
		assert_int_equal(idx_doc_replace(mem, 1, err, sizeof(err)), 0);
		struct match_doc d = {n, &cats, risk.level};
		int64_t *ids = NULL;
		size_t nids = 0;
		matcher_match(m, &d, &ids, &nids);
		for (size_t k = 0; k < sizeof(queries) / sizeof(queries[0]); k++) {
			struct idx_query *q = idx_query_new();
			struct idx_results *r = NULL;
			assert_int_equal(query_parse(queries[k], q, err, sizeof(err)), 0);
			assert_int_equal(idx_search(mem, q, 0, 1, &r, err, sizeof(err)), 0);
			int searched = idx_results_count(r) > 0, found = 0;
			for (size_t j = 0; j < nids; j++)
				found |= ids[j] == (int64_t)k + 1;
			if (found != searched)
				fail_msg("%s, query '%s': matcher %d, search %d", n->symbol, queries[k], found, searched);
			agreed++;
			matched += (size_t)found;
			idx_results_free(r);
			idx_query_free(q);
		}
		free(ids);
		if (saved) {
			free(n->text[LANG_EN].description);
			n->text[LANG_EN].description = saved;
		}
	}
	/* Both answers occur, or the comparison shows nothing. */
	assert_true(matched > 0 && matched < agreed);
	matcher_free(m);
	idx_free(mem);
	risk_config_release(&rc);
}

/* With nobody subscribed, a notification matches nothing (and touches no bitmap that was never made). */
static void an_empty_matcher_matches_nothing(void **state)
{
	char err[ERRBUF_SIZE];
	struct matcher *m = matcher_new(err, sizeof(err));
	struct cat_result cats;
	(void)state;
	assert_non_null(m);
	classify(catalog_default(), recs[0], NULL, 0, &cats);
	struct match_doc d = {recs[0], &cats, "high"};
	int64_t *ids = NULL;
	size_t n = 0;
	assert_int_equal(matcher_match(m, &d, &ids, &n), 0);
	assert_int_equal(matcher_match_all(m, &d, &ids, &n), 0);
	assert_int_equal(n, 0);
	assert_null(ids);
	matcher_free(m);
}

static void a_bad_query_is_refused(void **state)
{
	char err[ERRBUF_SIZE];
	struct matcher *m = matcher_new(err, sizeof(err));
	struct sub_filter f;
	(void)state;
	sub_filter_init(&f);
	f.query = xstrdup("date:someday");
	assert_int_equal(matcher_add(m, 1, &f, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "date:"));
	assert_int_equal(matcher_count(m), 0);
	sub_filter_release(&f);
	matcher_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_index_agrees_with_checking_everything),
		cmocka_unit_test(ids_in_any_order_come_out_sorted),
		cmocka_unit_test(ids_beyond_32_bits_come_out_whole),
		cmocka_unit_test(the_matcher_agrees_with_xapian_search),
		cmocka_unit_test(an_empty_matcher_matches_nothing),
		cmocka_unit_test(a_bad_query_is_refused),
	};
	return cmocka_run_group_tests_name("match", tests, load, unload);
}
