/* test_text.c: HTML to text, UTF-8 checks, display width and the capped buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "text.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void html_is_stripped_and_entities_decoded(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"<p>UL&nbsp;2271 &amp; UL&nbsp;2849</p>", "UL 2271 & UL 2849"},
		{"<p>One</p><p>Two</p>", "One\n\nTwo"},
		{"line<br>break", "line\nbreak"},
		{"<ul><li>cells</li><li>packs</li></ul>", "- cells\n- packs"},
		{"battery&rsquo;s 0,1 mg/m&sup3; &#8805; &#x2264;", "battery\u2019s 0,1 mg/m\u00b3 \u2265 \u2264"},
		{"limit < 5 mg and x<y", "limit < 5 mg and x<y"},
		{"<5 mg/kg", "<5 mg/kg"},
		{"a <script>alert(1)</script>b", "a b"},
		{"<!-- note -->text", "text"},
		{"&unknown; &#0; &#xZZ;", "&unknown; &#0; &#xZZ;"},
		{"  spaced \t out  ", "spaced out"},
		{"<b>unterminated", "unterminated"},
		{"<p>cut off <a href=\"x", "cut off"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = html_to_text(cases[i].in);
		assert_string_equal(t, cases[i].out);
		free(t);
	}
}

static void utf8_validation_finds_the_bad_byte(void **state)
{
	size_t bad = 0;
	(void)state;
	assert_true(utf8_valid("锂电池 ok", strlen("锂电池 ok"), NULL));
	assert_false(utf8_valid("ab\xC3(", 4, &bad));
	assert_int_equal(bad, 2);
	assert_false(utf8_valid("\xED\xA0\x80", 3, &bad)); /* a surrogate */
	assert_false(utf8_valid("\xC0\xAF", 2, &bad));     /* overlong */
	assert_false(utf8_valid("\xF4\x90\x80\x80", 4, &bad));
}

static void chinese_counts_two_columns(void **state)
{
	(void)state;
	assert_int_equal(text_width("abc"), 3);
	assert_int_equal(text_width("锂电池"), 6);
	assert_int_equal(text_fit("锂电池", 5), 6); /* two characters, 6 bytes */
	assert_int_equal(text_fit("ab锂", 3), 2);
}

static void buffer_cap_is_an_error_not_a_truncation(void **state)
{
	struct buf b;
	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_addstr(&b, "12345"), 0);
	assert_int_equal(buf_addstr(&b, "6789"), -E2BIG);
	assert_string_equal(b.s, "12345");
	assert_int_equal(buf_addf(&b, "%d", 678), 0);
	assert_string_equal(b.s, "12345678");
	assert_int_equal(buf_addch(&b, 'x'), -E2BIG);
	buf_release(&b);
	assert_string_equal(b.s, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(html_is_stripped_and_entities_decoded),
		cmocka_unit_test(utf8_validation_finds_the_bad_byte),
		cmocka_unit_test(chinese_counts_two_columns),
		cmocka_unit_test(buffer_cap_is_an_error_not_a_truncation),
	};
	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
