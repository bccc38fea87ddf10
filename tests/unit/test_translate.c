/* test_translate.c: what a machine translation must pass before it is kept, how texts are cut into segments, and the
 * glossary check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "translate.h"
#include "draft.h"

#include <stdio.h>
#include <string.h>

static void answers_are_checked_before_they_are_kept(void **state)
{
	static const struct {
		const char *src, *zh, *why; /* why NULL: accepted */
	} cases[] = {
	    {"Batteries shall meet UL 2271 and IEC 62133-2.", "电池应符合 UL 2271 和 IEC 62133-2。", NULL},
	    {"Limits apply from 1 July 2026 to HS 8507.60.", "限值自2026年7月1日起适用于HS 8507.60。", NULL},
	    {"Limits apply from 1 July 2026 to HS 8507.60.", "限值自2026年7月起适用于HS 8507。", "the translation drops '1' of the source"},
	    {"Regulation (EU) 2025/1234 amends the annex.", "法规(EU) 2025/1234修订附件。", NULL},
	    {"Regulation (EU) 2025/1234 amends the annex.", "法规修订附件。", "the translation drops '2025/1234' of the source"},
	    {"The draft sets labelling rules.", "The draft sets labelling rules.", "the answer is not Chinese (the English echoed back?)"},
	    {"The draft sets labelling rules.", "<html><body>502 Bad Gateway</body></html>", "the answer is an HTML page, not a translation"},
	    {"The draft sets labelling rules.", "", "the answer is empty"},
	    {"IEC 60335-2-30", "IEC 60335-2-30", NULL},
	    {"The regulation lays down requirements on the safety of portable electric heaters for household use and their "
	     "marking.", "规定", "the translation's length is implausible for its source"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = translate_check(cases[i].src, cases[i].zh);
		if ((why == NULL) != (cases[i].why == NULL) || (why && strcmp(why, cases[i].why)))
			fail_msg("'%s' → '%s': want %s, got %s", cases[i].src, cases[i].zh, cases[i].why ? cases[i].why : "accepted",
				 why ? why : "accepted");
	}
}

static void texts_are_cut_into_sentences(void **state)
{
	struct strv s;
	(void)state;
	strv_init(&s);
	translate_segments("The rule applies to e.g. scooters. It enters  into force in 2026; see No. 5 of Art. 3. Done!  ",
			   0, &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.items[0], "The rule applies to e.g. scooters.");
	assert_string_equal(s.items[1], "It enters into force in 2026; see No. 5 of Art. 3.");
	assert_string_equal(s.items[2], "Done!");
	strv_release(&s);
	strv_init(&s);
	translate_segments("Title. With Two Sentences", 1, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.items[0], "Title. With Two Sentences");
	strv_release(&s);
}

static void glossary_terms_missed_are_named(void **state)
{
	char out[256];
	(void)state;
	translate_glossary_missed(glossary_builtin(), "Conformity assessment of chargers", "充电器的符合性评估", out, sizeof(out));
	assert_string_equal(out, "conformity assessment→合格评定");
	translate_glossary_missed(glossary_builtin(), "A charger with a conformity assessment", "评估充电", out, sizeof(out));
	assert_string_equal(out, "conformity assessment→合格评定; charger→充电器");
	translate_glossary_missed(glossary_builtin(), "Conformity assessment of a charger", "充电器的合格评定", out, sizeof(out));
	assert_string_equal(out, "");
}

/* A model's draft of an analysis: stored only when it is the object asked for, in Chinese, within bounds; its
 * links are dropped (a model's links are not trusted) and it is marked as the machine's. */
static void machine_drafts_are_checked_before_they_are_kept(void **state)
{
	static const struct {
		const char *content, *why; /* why NULL: accepted */
	} cases[] = {
	    {"{\"summary_zh\": \"韩国拟实施新要求。\", \"requirements_zh\": \"符合 KN 301 489。\", \"actions_zh\": [\"提交评议\"]}", NULL},
	    {"```json\n{\"summary_zh\": \"韩国拟实施新要求。\", \"actions_zh\": [\"提交评议\"], \"links\": [\"https://evil.example\"]}\n```", NULL},
	    {"{\"summary_zh\": \"Korea plans new rules.\", \"actions_zh\": [\"Comment\"]}", "summary_zh is not Chinese"},
	    {"{\"summary_zh\": \"韩国拟实施新要求。\"}", "actions_zh is not a list of 1 to 20 steps"},
	    {"{\"summary_zh\": \"韩国拟实施新要求。\", \"actions_zh\": []}", "actions_zh is not a list of 1 to 20 steps"},
	    {"{\"summary_zh\": \"韩国拟实施新要求。\", \"actions_zh\": [\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\"]}",
	     "actions_zh is not a list of 1 to 20 steps"},
	    {"{\"summary_zh\": \"韩国拟实施新要求。\", \"actions_zh\": [3]}", "a step of actions_zh is not a text of 1 to 1,000 bytes"},
	    {"{\"summary_zh\": \"韩国拟实施新要求。\", \"requirements_zh\": 7, \"actions_zh\": [\"x\"]}", "requirements_zh is not a text of at most 8,000 bytes"},
	    {"I cannot help with that.", "the answer is not a JSON object"},
	    {"{\"summary_zh\": \"\", \"actions_zh\": [\"x\"]}", "summary_zh is missing or over 4,000 bytes"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[256] = "";
		json_t *d = draft_check(cases[i].content, "qwen-test", why, sizeof(why));
		if (!cases[i].why) {
			if (!d)
				fail_msg("case %zu: refused (%s), want it kept: %s", i, why, cases[i].content);
			assert_string_equal(json_string_value(json_object_get(d, "machine")), "qwen-test");
			assert_int_equal(json_array_size(json_object_get(d, "links")), 0);
		} else if (d || strcmp(why, cases[i].why)) {
			fail_msg("case %zu: got %s (%s), want refused: %s", i, d ? "kept" : "refused", why, cases[i].why);
		}
		json_decref(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(answers_are_checked_before_they_are_kept),
	    cmocka_unit_test(texts_are_cut_into_sentences),
	    cmocka_unit_test(glossary_terms_missed_are_named),
	    cmocka_unit_test(machine_drafts_are_checked_before_they_are_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
