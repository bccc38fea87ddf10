/* test_ini.c: the configuration reader: values, durations, sizes, and errors that name file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ini.h"
#include "util.h"

#include <errno.h>
#include <string.h>

static void sections_and_keys(void **state)
{
	char err[ERRBUF_SIZE];
	(void)state;
	struct ini *ini = ini_parse("t.ini", "# comment\n[crawler]\ntimeout = 2m\n\n[source  eping-api]\nKind = eping\n; x\n"
					     "url = https://api.example/search?a=1&b={page}\n",
				    err, sizeof(err));
	assert_non_null(ini);
	assert_int_equal(ini->n, 2);
	assert_string_equal(ini->sections[1].name, "source eping-api");
	assert_string_equal(ini_get(&ini->sections[1], "kind"), "eping");
	assert_string_equal(ini_get(&ini->sections[1], "url"), "https://api.example/search?a=1&b={page}");
	assert_int_equal(ini_line(&ini->sections[1], "url"), 8);
	assert_null(ini_get(&ini->sections[0], "url"));
	ini_free(ini);
}

static void errors_name_file_and_line(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"timeout = 1\n", "t.ini:1: 'timeout = 1' is outside any [section]"},
		{"[a]\nx = 1\nx = 2\n", "t.ini:3: key 'x' given twice in [a] (first at line 2)"},
		{"[a]\n[a]\n", "t.ini:2: section [a] already defined at line 1"},
		{"[a\n", "t.ini:1: section header without ']'"},
		{"[a]\njust words\n", "t.ini:2: expected 'key = value', got 'just words'"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[ERRBUF_SIZE] = "";
		assert_null(ini_parse("t.ini", cases[i].text, err, sizeof(err)));
		assert_string_equal(err, cases[i].msg);
	}
}

static void durations_sizes_booleans(void **state)
{
	double d;
	size_t z;
	int b;
	(void)state;
	assert_int_equal(ini_duration("90", &d), 0);
	assert_true(d == 90);
	assert_int_equal(ini_duration("1500ms", &d), 0);
	assert_true(d == 1.5);
	assert_int_equal(ini_duration("15m", &d), 0);
	assert_true(d == 900);
	assert_int_equal(ini_duration("2d", &d), 0);
	assert_true(d == 172800);
	assert_int_equal(ini_duration("soon", &d), -EINVAL);
	assert_int_equal(ini_duration("-5s", &d), -EINVAL);
	assert_int_equal(ini_size("16M", &z), 0);
	assert_int_equal(z, 16u * 1024 * 1024);
	assert_int_equal(ini_size("512KiB", &z), 0);
	assert_int_equal(z, 512u * 1024);
	assert_int_equal(ini_size("lots", &z), -EINVAL);
	assert_int_equal(ini_bool("Yes", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(ini_bool("off", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(ini_bool("maybe", &b), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sections_and_keys),
		cmocka_unit_test(errors_name_file_and_line),
		cmocka_unit_test(durations_sizes_booleans),
	};
	return cmocka_run_group_tests_name("ini", tests, NULL, NULL);
}
