/* test_smtp.c: the DATA content written on pipelined sessions (line ends, dot-stuffing, the closing line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "net/smtp.h"

#include <string.h>

static void messages_are_stuffed_and_closed(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"", ".\r\n"},
		{"a\r\nb\r\n", "a\r\nb\r\n.\r\n"},
		{"a\nb\n", "a\r\nb\r\n.\r\n"},                 /* bare LF made CRLF */
		{"a\r\nb", "a\r\nb\r\n.\r\n"},                 /* a last line without its end gets one */
		{".hidden\r\n", "..hidden\r\n.\r\n"},          /* a leading dot doubled... */
		{"x\r\n.\r\ny\r\n", "x\r\n..\r\ny\r\n.\r\n"},   /* ...so that a lone dot cannot end the message early */
		{"x\n..\n", "x\r\n...\r\n.\r\n"},
		{"a.b\r\n x.\r\n", "a.b\r\n x.\r\n.\r\n"},    /* dots elsewhere untouched */
		{"\r\n\r\n", "\r\n\r\n.\r\n"},
		{"cr\ralone\r\n", "cr\ralone\r\n.\r\n"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		buf_init(&b, BUF_NOMAX);
		smtp_stuff(&b, cases[i].in, strlen(cases[i].in));
		if (strcmp(b.s, cases[i].out))
			fail_msg("case %zu: got '%s', want '%s'", i, b.s, cases[i].out);
		buf_release(&b);
	}
}

static void a_long_message_keeps_every_byte(void **state)
{
	/* 100,000 lines, every tenth starting with a dot: the body reads back the same once unstuffed. */
	struct buf in, out, back;
	(void)state;
	buf_init(&in, BUF_NOMAX);
	buf_init(&out, BUF_NOMAX);
	buf_init(&back, BUF_NOMAX);
	for (int i = 0; i < 100000; i++)
		buf_addf(&in, "%sline %d\r\n", i % 10 ? "" : ".", i);
	smtp_stuff(&out, in.s, in.len);
	assert_true(out.len == in.len + 10000 + 3);
	for (const char *p = out.s; *p;) {
		const char *nl = strstr(p, "\r\n");
		assert_non_null(nl);
		if (nl == p + 1 && *p == '.')
			break; /* the closing line */
		buf_add(&back, p + (*p == '.'), (size_t)(nl + 2 - p) - (*p == '.'));
		p = nl + 2;
	}
	assert_true(back.len == in.len);
	assert_memory_equal(back.s, in.s, in.len);
	buf_release(&in);
	buf_release(&out);
	buf_release(&back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(messages_are_stuffed_and_closed),
		cmocka_unit_test(a_long_message_keeps_every_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
