/* test_classify.c: categories from codes (both directions), text (English, Chinese), exclusions, inheritance; the
 * shipped table against the HS and ICS tables; the risk rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "classify.h"
#include "norm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct notif *mk(const char *symbol, const char *title, const char *products, const char *hs, const char *ics)
{
	struct notif *n = notif_new();
	char err[ERRBUF_SIZE];
	assert_int_equal(notif_set_symbol(n, symbol, err, sizeof(err)), 0);
	if (title)
		n->text[(unsigned char)title[0] >= 0x80 ? LANG_ZH : LANG_EN].title = xstrdup(title);
	if (products)
		n->text[(unsigned char)products[0] >= 0x80 ? LANG_ZH : LANG_EN].products = xstrdup(products);
	for (const char *p = hs; p && *p;) {
		size_t k = strcspn(p, " ");
		char *c = xstrndup(p, k);
		strv_push_owned(&n->hs, c);
		p += k;
		while (*p == ' ')
			p++;
	}
	for (const char *p = ics; p && *p;) {
		size_t k = strcspn(p, " ");
		strv_push_owned(&n->ics, xstrndup(p, k));
		p += k;
		while (*p == ' ')
			p++;
	}
	notif_finish(n);
	return n;
}

/* The category ids found, space-separated, in table order. */
static void ids(const struct cat_result *r, char *out, size_t outlen)
{
	out[0] = '\0';
	for (size_t i = 0; i < r->n; i++)
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s", i ? " " : "", r->m[i].cat->id);
}

static void codes_match_by_prefix_in_both_directions(void **state)
{
	static const struct {
		const char *title, *products, *hs, *ics, *want;
	} cases[] = {
		/* A subheading inside a category. */
		{"Technical regulation", "Accumulators", "850760", NULL, "lithium_batteries"},
		/* A heading that spans two categories decides nothing alone... */
		{"Technical regulation", "Accumulators", "8507", NULL, ""},
		/* ...but with the words it does. */
		{"Safety of lithium-ion batteries", "Accumulators", "8507", NULL, "lithium_batteries"},
		/* A heading that belongs to one category is enough. */
		{"Labelling regulation", "Products", "9503", NULL, "toys_games"},
		/* A chapter given alone: footwear is all of chapter 64. */
		{"Labelling", "Products", "64", NULL, "footwear"},
		/* ICS is weaker: 33.050 is phones and radio equipment alike. */
		{"Regulation", "Devices", NULL, "33.050", ""},
		{"Regulation on smartphones", "Devices", NULL, "33.050", "mobile_phones"},
		/* An ICS code of one category alone. */
		{"Regulation", "Products", NULL, "61.060", "footwear"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct notif *n = mk("G/TBT/N/USA/1", cases[i].title, cases[i].products, cases[i].hs, cases[i].ics);
		struct cat_result r;
		char got[512];
		classify(catalog_default(), n, NULL, 0, &r);
		ids(&r, got, sizeof(got));
		if (strcmp(got, cases[i].want))
			fail_msg("case %zu ('%s', HS %s, ICS %s): got '%s', want '%s'", i, cases[i].title,
				 cases[i].hs ? cases[i].hs : "-", cases[i].ics ? cases[i].ics : "-", got, cases[i].want);
		notif_free(n);
	}
}

static void words_in_english_and_chinese_with_exclusions(void **state)
{
	static const struct {
		const char *title, *products, *hs, *want;
	} cases[] = {
		{"Safety standard for children's toys", "Toys", NULL, "toys_games"},
		{"Safety requirements for portable power banks", "Power banks", NULL, "lithium_batteries chargers_power_supplies"},
		/* Plurals: "batteries" is "battery". */
		{"Labelling of electric kettles and rice cookers", "Kettles", NULL, "small_home_appliances"},
		{"电动自行车用锂离子电池安全要求", "锂离子电池", NULL, "lithium_batteries two_wheelers"},
		/* Words that rule a category out. */
		{"Safety Standard for Clothing Storage Units", "Clothing storage furniture", NULL, "furniture_mattresses"},
		{"手机充电器合格评定要求", "手机充电器", NULL, "chargers_power_supplies"},
		/* Proximity: "lithium ~ battery" finds the two words apart. */
		{"Transport rules for batteries containing lithium metal", "Batteries", NULL, "lithium_batteries"},
		/* ...but not too far apart. */
		{"Lithium content of lubricating greases and of the oils sold with them, but not in batteries",
		 "Greases", NULL, ""},
		/* A "plug-in" is no plug. */
		{"Plug-in hybrid emissions", "Passenger cars", NULL, "electric_vehicles"},
		/* Codes elsewhere: a word in the title alone does not make a second category. */
		{"Pharmaceutical and Medical Device Act: generic drugs", "Pharmaceuticals", "3004", ""},
		/* Nothing of Guangdong's. */
		{"Specification for Portland cement", "Cement", "2523", ""},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct notif *n = mk("G/TBT/N/KOR/2", cases[i].title, cases[i].products, cases[i].hs, NULL);
		struct cat_result r;
		char got[512];
		classify(catalog_default(), n, NULL, 0, &r);
		ids(&r, got, sizeof(got));
		if (strcmp(got, cases[i].want))
			fail_msg("'%s': got '%s', want '%s'", cases[i].title, got, cases[i].want);
		notif_free(n);
	}
}

static void addenda_inherit_and_text_only_ignores_codes(void **state)
{
	(void)state;
	struct notif *base = mk("G/TBT/N/EU/1121", "Chemical requirements", "Products", "9503", NULL);
	struct notif *add = mk("G/TBT/N/EU/1121/Add.1", "Adoption of the regulation", NULL, NULL, NULL);
	struct cat_result r;
	classify(catalog_default(), add, base, 0, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.m[0].cat->id, "toys_games");
	assert_non_null(strstr(r.m[0].evidence, "inherited from G/TBT/N/EU/1121"));
	/* Without the base, nothing. */
	classify(catalog_default(), add, NULL, 0, &r);
	assert_int_equal(r.n, 0);
	/* Text only: the code no longer counts. */
	classify(catalog_default(), base, NULL, 1, &r);
	assert_int_equal(r.n, 0);
	notif_free(base);
	notif_free(add);
}

static void every_shipped_code_exists_in_the_reference_tables(void **state)
{
	const struct catalog *c = catalog_default();
	(void)state;
	assert_int_equal(catalog_count(c), 47);
	for (size_t i = 0; i < catalog_count(c); i++) {
		const struct category *k = catalog_get(c, i);
		assert_true(k->kw_en.n > 0);
		assert_true(k->kw_zh.n > 0);
		for (size_t j = 0; j < k->hs.n; j++)
			if (!hs_describe(k->hs.items[j]))
				fail_msg("%s: HS %s is not in HS 2022", k->id, k->hs.items[j]);
		for (size_t j = 0; j < k->ics.n; j++)
			if (!ics_describe(k->ics.items[j]))
				fail_msg("%s: ICS %s is not in ICS ed. 7", k->id, k->ics.items[j]);
	}
	assert_string_equal(hs_describe("950300") ? "ok" : "", "ok");
	assert_string_equal(ics_describe("97.200.50"), "Toys");
}

static void a_bad_table_is_refused_with_its_line(void **state)
{
	char err[ERRBUF_SIZE];
	(void)state;
	assert_null(catalog_parse("c.tsv", "id\tx\n# c\nonly\ttwo\n", err, sizeof(err)));
	assert_non_null(strstr(err, "c.tsv:3: expected 9 tab-separated columns"));
	assert_null(catalog_parse("c.tsv", "h\na\tA\t甲\t85x\t\tk\tk\t\t\n", err, sizeof(err)));
	assert_string_equal(err, "c.tsv:2: category 'a': '85x' is not an HS code");
	assert_null(catalog_parse("c.tsv", "h\na\tA\t甲\t85\t\tk\tk\t\t\na\tB\t乙\t84\t\tk\tk\t\t\n", err, sizeof(err)));
	assert_string_equal(err, "c.tsv:3: category id 'a' defined twice");
}

static void risk_weighs_market_categories_measure_and_time(void **state)
{
	struct risk_config rc;
	struct risk r;
	struct cat_result cats;
	(void)state;
	today_pin("2025-05-01");
	risk_config_default(&rc);
	struct notif *n = mk("G/TBT/N/USA/2201", "Safety of lithium-ion batteries", "Lithium-ion batteries", "850760", NULL);
	strv_push(&n->articles, "2.9.2");
	memcpy(n->dates[D_COMMENTS].iso, "2025-05-10", 11);
	classify(catalog_default(), n, NULL, 0, &cats);
	risk_assess(&rc, n, &cats, &r);
	/* USA 3 + category 1 + priority 1 + regulation 1 + closes within 14 days 2 = 8. */
	assert_true(r.score == 8);
	assert_string_equal(r.level, "high");
	assert_non_null(strstr(r.reasons, "comments close in 9 days (+2)"));
	notif_free(n);
	n = mk("G/TBT/N/KEN/9", "Specification for cement", "Cement", "2523", NULL);
	classify(catalog_default(), n, NULL, 0, &cats);
	risk_assess(&rc, n, &cats, &r);
	assert_string_equal(r.level, "low");
	notif_free(n);
	risk_config_release(&rc);
	today_pin(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(codes_match_by_prefix_in_both_directions),
		cmocka_unit_test(words_in_english_and_chinese_with_exclusions),
		cmocka_unit_test(addenda_inherit_and_text_only_ignores_codes),
		cmocka_unit_test(every_shipped_code_exists_in_the_reference_tables),
		cmocka_unit_test(a_bad_table_is_refused_with_its_line),
		cmocka_unit_test(risk_weighs_market_categories_measure_and_time),
	};
	return cmocka_run_group_tests_name("classify", tests, NULL, NULL);
}
