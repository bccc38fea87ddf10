/* test_norm.c: symbols, dates, product codes, objectives and articles, table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "norm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void symbols_are_normalised_and_split(void **state)
{
	static const struct {
		const char *in, *norm, *root, *parent, *member;
		enum notif_type type;
		enum notif_rel rel;
	} cases[] = {
		{" G/TBT/N/USA/1436", "G/TBT/N/USA/1436", "G/TBT/N/USA/1436", "", "USA", NT_TBT, REL_NONE},
		{"G/TBT/N/USA/1364/Add.5", "G/TBT/N/USA/1364/Add.5", "G/TBT/N/USA/1364", "G/TBT/N/USA/1364", "USA", NT_TBT, REL_ADDENDUM},
		{"g/tbt/n/bhr/704/rev.1", "G/TBT/N/BHR/704/Rev.1", "G/TBT/N/BHR/704", "G/TBT/N/BHR/704", "BHR", NT_TBT, REL_REVISION},
		{"G/SPS/N/THA/155/Rev.2/Add.1", "G/SPS/N/THA/155/Rev.2/Add.1", "G/SPS/N/THA/155", "G/SPS/N/THA/155/Rev.2", "THA", NT_SPS, REL_ADDENDUM},
		{"G/TBT/N/EU/1098/ Corr. 1", "G/TBT/N/EU/1098/Corr.1", "G/TBT/N/EU/1098", "G/TBT/N/EU/1098", "EU", NT_TBT, REL_CORRIGENDUM},
		{"G/TBT/N/TPKM/540/ADD.2", "G/TBT/N/TPKM/540/Add.2", "G/TBT/N/TPKM/540", "G/TBT/N/TPKM/540", "TPKM", NT_TBT, REL_ADDENDUM},
		{"G/SPS/N/USA/3000/Suppl.1", "G/SPS/N/USA/3000/Suppl.1", "G/SPS/N/USA/3000", "G/SPS/N/USA/3000", "USA", NT_SPS, REL_SUPPLEMENT},
		{"G/TBT/N/\nKOR/1210", "G/TBT/N/KOR/1210", "G/TBT/N/KOR/1210", "", "KOR", NT_TBT, REL_NONE},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct symbol_parts sp;
		if (symbol_parse(cases[i].in, &sp))
			fail_msg("'%s' was refused", cases[i].in);
		assert_string_equal(sp.norm, cases[i].norm);
		assert_string_equal(sp.root, cases[i].root);
		assert_string_equal(sp.parent, cases[i].parent);
		assert_string_equal(sp.member, cases[i].member);
		assert_int_equal(sp.type, cases[i].type);
		assert_int_equal(sp.relation, cases[i].rel);
	}
}

static void non_symbols_are_refused(void **state)
{
	static const char *const bad[] = {"", "G/TBT/N", "G/XYZ/N/USA/1", "G/TBT/N/USA/", "G/TBT/N/USA/12a",
					  "G/TBT/N/USA/1/Foo.1", "G/TBT/N/USA/1/Add.", "G/TBT/N/U5A/1",
					  "G/TBT/N/USA/1'; DROP TABLE notifications;--", "G/TBT/N/USA/123456789",
					  /* over-long: refused, never cut to what fits */
					  "G/TBT/N/USA/1/Add.1/Add.2/Add.3/Add.4/Add.5/Add.6/Add.7/Add.8",
					  "G/TBT/N/USA/1/Add.1/Rev.1/Corr.1/Add.2/Rev.2/Corr.2/Add.3/Rev.3/Corr.3/Add.4/Rev.4",
					  "G/TBT/N/ABCDEFGHIJKLMNOPQRSTUVWXYZ/1"};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct symbol_parts sp;
		if (!symbol_parse(bad[i], &sp))
			fail_msg("'%s' was taken for the symbol %s", bad[i], sp.norm);
	}
}

static void dates_in_every_written_form(void **state)
{
	static const struct {
		const char *in, *iso;
	} cases[] = {
		{"2025-03-14", "2025-03-14"},
		{"2025-03-14T00:00:00+01:00", "2025-03-14"},
		{"14/03/2025", "2025-03-14"},
		{"06/06/25", "2025-06-06"},
		{"14.03.2025", "2025-03-14"},
		{"14 March 2025", "2025-03-14"},
		{"1 Jan. 2026", "2026-01-01"},
		{"March 14, 2025", "2025-03-14"},
		{"Sept. 30 2025", "2025-09-30"},
		{"[X] Sixty days from circulation and/or (dd/mm/yy): 06/06/2025", "2025-06-06"},
		{"2025年5月16日", "2025-05-16"},
		{"2025 年 5 月 6 日", "2025-05-06"},
		{"29 February 2024", "2024-02-29"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char iso[11] = "";
		if (date_parse(cases[i].in, iso))
			fail_msg("date_parse('%s') found no date", cases[i].in);
		assert_string_equal(iso, cases[i].iso);
	}
}

static void prose_and_impossible_dates_are_not_dates(void **state)
{
	static const char *const bad[] = {"To be determined", "60 days after notification", "待定",
					  "29 February 2025", "31/04/2025", "2025-13-01", "Regulation 2019/1020", "June 2025"};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char iso[11] = "";
		if (!date_parse(bad[i], iso))
			fail_msg("date_parse('%s') found %s", bad[i], iso);
	}
	/* An impossible date is told apart from prose; the last date of a sentence is found in one pass. */
	char iso[11] = "";
	assert_int_equal(date_parse("31 June 2025", iso), -ERANGE);
	assert_int_equal(date_parse("To be determined", iso), -EINVAL);
	assert_int_equal(date_parse_last("extended from 10 December 2005 to 16 January 2006, as asked", iso), 0);
	assert_string_equal(iso, "2006-01-16");
	assert_int_equal(date_parse_last("no date here", iso), -EINVAL);
}

static void relative_deadlines_count_from_notification_only(void **state)
{
	char out[11];
	(void)state;
	assert_int_equal(date_relative_days("60 days from notification"), 60);
	assert_int_equal(date_relative_days("Sixty days from the date of circulation of the notification"), 60);
	assert_int_equal(date_relative_days("90 days after the date of distribution"), 90);
	assert_int_equal(date_relative_days("通报后60天"), 60);
	assert_int_equal(date_relative_days("180 days after publication"), -1);
	assert_int_equal(date_relative_days("To be determined"), -1);
	assert_int_equal(date_add_days("2025-04-15", 60, out), 0);
	assert_string_equal(out, "2025-06-14");
	assert_int_equal(date_add_days("2024-12-31", 1, out), 0);
	assert_string_equal(out, "2025-01-01");
}

static void hs_and_ics_codes_normalise(void **state)
{
	char out[32];
	(void)state;
	assert_int_equal(hs_normalize("8507.60", out, sizeof(out)), 0);
	assert_string_equal(out, "850760");
	assert_int_equal(hs_normalize("0809.29", out, sizeof(out)), 0);
	assert_string_equal(out, "080929");
	assert_int_equal(hs_normalize("85", out, sizeof(out)), 0);
	assert_int_equal(hs_normalize("8", out, sizeof(out)), -EINVAL);
	assert_int_equal(hs_normalize("85x7", out, sizeof(out)), -EINVAL);
	assert_int_equal(ics_normalize("97.200.50", out, sizeof(out)), 0);
	assert_string_equal(out, "97.200.50");
	assert_int_equal(ics_normalize("13.120", out, sizeof(out)), 0);
	assert_string_equal(out, "13.120");
	assert_int_equal(ics_normalize("97.2", out, sizeof(out)), -EINVAL);
	assert_int_equal(ics_normalize("971.200", out, sizeof(out)), -EINVAL);
}

/* Joins the strings with spaces into out. */
static void join(const struct strv *v, char *out, size_t outlen)
{
	out[0] = '\0';
	for (size_t k = 0; k < v->n; k++)
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s", k ? " " : "", v->items[k]);
}

static void codes_written_in_prose_are_extracted(void **state)
{
	static const struct {
		const char *text;
		const char *hs; /* space-separated, sorted as found */
		const char *ics;
	} cases[] = {
		{"Fresh fruit. HS Codes: 0809.29, 0810.10", "080929 081010", ""},
		{"Lithium-ion batteries (HS 8507.60); ICS: 29.220.20", "850760", "29.220.20"},
		{"Air conditioners (HS 8415.10, 8415.81 and 8415.82)", "841510 841581 841582", ""},
		{"HS code(s): 8471; 8473.30", "8471 847330", ""},
		{"玩具（HS编码：9503）；ICS：97.200.50", "9503", "97.200.50"},
		{"锂电池（HS编码：8507.60、8506.50）", "850760 850650", ""},
		{"Toys; ICS 97.200.50, 13.120", "", "97.200.50 13.120"},
		{"Products of THS 12 series, no codes here", "", ""},
		{"Power banks. Tariff items: 8504.40, 8507.60", "850440 850760", ""},
		{"national tariff lines 8516.60.10 and 8516.60.90", "85166010 85166090", ""},
		{"Medical devices. The HS nomenclature does not apply", "", ""},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strv hs, ics;
		char got[256] = "";
		strv_init(&hs);
		strv_init(&ics);
		codes_extract(cases[i].text, &hs, &ics);
		join(&hs, got, sizeof(got));
		if (strcmp(got, cases[i].hs))
			fail_msg("HS in '%s': got '%s', want '%s'", cases[i].text, got, cases[i].hs);
		join(&ics, got, sizeof(got));
		if (strcmp(got, cases[i].ics))
			fail_msg("ICS in '%s': got '%s', want '%s'", cases[i].text, got, cases[i].ics);
		strv_release(&hs);
		strv_release(&ics);
	}
}

static void objectives_follow_ticked_boxes_only(void **state)
{
	struct strv o;
	(void)state;
	strv_init(&o);
	objectives_extract("[ ] food safety, [ ] animal health, [X] plant protection, [ ] protect humans from animal/plant "
			   "pest or disease, [X] protect territory from other damage from pests.",
			   &o);
	assert_int_equal(o.n, 2);
	assert_string_equal(o.items[0], "Plant protection");
	assert_string_equal(o.items[1], "Protect territory from other damage from pests");
	strv_release(&o);
	strv_init(&o);
	objectives_extract("保护人类健康或安全；消费者信息、标签", &o);
	assert_int_equal(o.n, 2);
	assert_string_equal(o.items[0], "Protection of human health or safety");
	assert_string_equal(o.items[1], "Consumer information, labelling");
	strv_release(&o);
}

static void ticked_articles_in_both_orders(void **state)
{
	struct strv a;
	(void)state;
	strv_init(&a);
	articles_extract("Notified under Article 2.9.2 [X], 2.10.1 [ ], 5.6.2 [X], 5.7.1 [ ], 3.2 [ ], 7.2 [ ], other:", &a);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.items[0], "2.9.2");
	assert_string_equal(a.items[1], "5.6.2");
	strv_release(&a);
	strv_init(&a);
	articles_extract("通报依据的条款：[ ] 2.9.2 [X] 2.10.1 [ ] 5.6.2", &a);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.items[0], "2.10.1");
	strv_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(symbols_are_normalised_and_split),
		cmocka_unit_test(non_symbols_are_refused),
		cmocka_unit_test(dates_in_every_written_form),
		cmocka_unit_test(prose_and_impossible_dates_are_not_dates),
		cmocka_unit_test(relative_deadlines_count_from_notification_only),
		cmocka_unit_test(hs_and_ics_codes_normalise),
		cmocka_unit_test(codes_written_in_prose_are_extracted),
		cmocka_unit_test(objectives_follow_ticked_boxes_only),
		cmocka_unit_test(ticked_articles_in_both_orders),
	};
	return cmocka_run_group_tests_name("norm", tests, NULL, NULL);
}
