/* test_summary.c: the offline Chinese digest, the dates' prose in Chinese, and the categories' evidence in Chinese. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "classify.h"
#include "record.h"
#include "summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void date_prose_is_chinese_where_the_wording_is_known(void **state)
{
	static const struct {
		const char *en, *zh; /* zh NULL: not translated, the English stays */
	} cases[] = {
	    {"Six months after publication", "公布后6个月"},
	    {"60 days from notification", "通报后60天"},
	    {"Sixty days from the date of circulation of the notification", "通报后60天"},
	    {"To be determined", "待定"},
	    {"Not applicable.", "不适用"},
	    {"180 days after publication of the final rule in the Federal Register", "最终规则在《联邦公报》公布后180天"},
	    {"Twenty days after its publication in the Official Journal of the European Union", "在《欧盟官方公报》公布后20天"},
	    {"Twenty days after the date of publication in the Official Journal", "在官方公报公布后20天"},
	    {"twelve (12) months after adoption", "批准后12个月"},
	    {"6 months after entry into force", "生效后6个月"},
	    {"Within 30 working days from notification", "通报后30个工作日"},
	    {"Second quarter of 2025", NULL},
	    {"60 days after the minister decides", NULL},
	    {"", NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[128];
		const char *got = date_prose_zh(cases[i].en, out, sizeof(out));
		if (!cases[i].zh) {
			if (got)
				fail_msg("'%s': want no translation, got '%s'", cases[i].en, got);
		} else if (!got || strcmp(got, cases[i].zh)) {
			fail_msg("'%s': want '%s', got '%s'", cases[i].en, cases[i].zh, got ? got : "(none)");
		}
	}
}

static struct notif *sample(const char *symbol)
{
	struct notif *n = notif_new();
	char err[256];
	assert_int_equal(notif_set_symbol(n, symbol, err, sizeof(err)), 0);
	strv_push(&n->articles, "2.9.2");
	strv_push(&n->hs, "850760");
	strv_push(&n->objectives, "Protection of human health or safety");
	strv_push(&n->objectives, "Something we have no wording for");
	n->text[LANG_EN].title = xstrdup("Lithium-ion batteries for e-bikes");
	snprintf(n->dates[D_COMMENTS].iso, sizeof(n->dates[D_COMMENTS].iso), "%s", "2025-05-13");
	notif_finish(n);
	return n;
}

static void the_digest_says_who_what_which_products_why_and_by_when(void **state)
{
	struct notif *n = sample("G/TBT/N/USA/2201");
	struct strv cats;
	struct buf b;
	(void)state;
	strv_init(&cats);
	strv_push(&cats, "锂离子蓄电池");
	strv_push(&cats, "电动自行车");
	buf_init(&b, BUF_NOMAX);
	summary_zh(n, &cats, "2025-04-20", &b);
	assert_string_equal(b.s, "美国 · 技术法规草案 · 锂离子蓄电池、电动自行车 · 保护人类健康或安全 · 评议截止 2025-05-13（还剩23天）");
	/* Without categories, the HS codes; after the deadline, it says so. */
	buf_reset(&b);
	summary_zh(n, NULL, "2025-06-01", &b);
	assert_string_equal(b.s, "美国 · 技术法规草案 · HS 8507.60 · 保护人类健康或安全 · 评议已于 2025-05-13 截止");
	/* A deadline given only as prose. */
	n->dates[D_COMMENTS].iso[0] = '\0';
	n->dates[D_COMMENTS].text = xstrdup("60 days from notification");
	buf_reset(&b);
	summary_zh(n, NULL, "2025-06-01", &b);
	assert_string_equal(b.s, "美国 · 技术法规草案 · HS 8507.60 · 保护人类健康或安全 · 评议期：通报后60天");
	buf_release(&b);
	strv_release(&cats);
	notif_free(n);
}

static void kinds_have_chinese_names(void **state)
{
	static const struct {
		const char *symbol, *article, *zh;
	} cases[] = {
	    {"G/TBT/N/EU/1098", "2.9.2", "技术法规草案"},	{"G/TBT/N/EU/1098", "5.6.2", "合格评定程序草案"},
	    {"G/TBT/N/EU/1098", "2.10.1", "紧急技术措施"},	{"G/TBT/N/EU/1098/Add.2", "2.9.2", "TBT通报补遗"},
	    {"G/TBT/N/EU/1098/Corr.1", "2.9.2", "TBT通报勘误"}, {"G/SPS/N/KOR/800", "", "卫生与植物卫生措施草案"},
	    {"G/TBT/N/BHR/704/Rev.1", "2.9.2", "技术法规草案（修订版）"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct notif *n = notif_new();
		char err[256];
		assert_int_equal(notif_set_symbol(n, cases[i].symbol, err, sizeof(err)), 0);
		if (*cases[i].article)
			strv_push(&n->articles, cases[i].article);
		if (strcmp(kind_zh(n), cases[i].zh))
			fail_msg("%s under %s: want %s, got %s", cases[i].symbol, cases[i].article, cases[i].zh, kind_zh(n));
		notif_free(n);
	}
	assert_string_equal(objective_zh("Food safety"), "食品安全");
	assert_null(objective_zh("Not an objective"));
}

static void evidence_reads_in_chinese(void **state)
{
	static const struct {
		const char *en, *zh;
	} cases[] = {
	    {"HS 850760; 'lithium-ion' in title; 'e-bike' in description", "HS 850760；标题含“lithium-ion”；内容描述含“e-bike”"},
	    {"inherited from G/TBT/N/USA/2201 (HS 850760; 'battery' in products)",
	     "沿用 G/TBT/N/USA/2201 的分类（HS 850760；产品含“battery”）"},
	    {"ICS 97.200.50", "ICS 97.200.50"},
	    {"something new", "something new"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[800];
		evidence_zh(cases[i].en, out, sizeof(out));
		if (strcmp(out, cases[i].zh))
			fail_msg("'%s': want '%s', got '%s'", cases[i].en, cases[i].zh, out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(date_prose_is_chinese_where_the_wording_is_known),
	    cmocka_unit_test(the_digest_says_who_what_which_products_why_and_by_when),
	    cmocka_unit_test(kinds_have_chinese_names),
	    cmocka_unit_test(evidence_reads_in_chinese),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
