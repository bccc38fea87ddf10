/* test_netguard.c: which addresses a webhook may reach: the special-purpose ranges in every form, and the ranges an
 * operator allows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "netguard.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* addr: an IPv4 or IPv6 address in numeric form, as getaddrinfo hands it to libcurl. */
static const struct sockaddr *sa_of(const char *addr, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1)
		v4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1)
		v6->sin6_family = AF_INET6;
	else
		fail_msg("bad test address '%s'", addr);
	return (const struct sockaddr *)ss;
}

static void special_ranges_in_every_form(void **state)
{
	static const struct {
		const char *addr, *why; /* NULL: public */
	} cases[] = {
		{"127.0.0.1", "loopback address"},      {"127.255.255.254", "loopback address"},
		{"0.0.0.0", "unspecified address"},      {"0.1.2.3", "unspecified address"},
		{"10.0.0.1", "private address"},         {"172.16.0.1", "private address"},
		{"172.31.255.255", "private address"},   {"172.32.0.1", NULL},
		{"192.168.100.1", "private address"},    {"169.254.169.254", "link-local address"},
		{"100.64.0.1", "shared address space (CGNAT)"}, {"100.128.0.1", NULL},
		{"224.0.0.1", "multicast address"},      {"239.255.255.250", "multicast address"},
		{"255.255.255.255", "reserved address"}, {"240.0.0.1", "reserved address"},
		{"192.0.0.8", "reserved address"},       {"198.18.0.1", "benchmarking address"},
		{"192.0.2.1", "documentation address"},  {"8.8.8.8", NULL},
		{"1.1.1.1", NULL},                       {"203.0.114.1", NULL},
		{"::1", "loopback address"},             {"::", "unspecified address"},
		{"::ffff:127.0.0.1", "loopback address"}, {"::ffff:169.254.169.254", "link-local address"},
		{"::ffff:8.8.8.8", NULL},                {"::127.0.0.1", "reserved address"},
		{"64:ff9b::10.0.0.1", "private address"}, {"64:ff9b::8.8.8.8", NULL},
		{"2002:7f00:1::", "loopback address"},   {"2002:a9fe:a9fe::1", "link-local address"},
		{"2002:808:808::1", NULL},               {"fe80::1", "link-local address"},
		{"fc00::1", "private address"},          {"fd12:3456::1", "private address"},
		{"ff02::1", "multicast address"},        {"2001:db8::1", "documentation address"},
		{"2001::1", "reserved address"},         {"100::1", "reserved address"},
		{"2606:4700::1111", NULL},               {"2a00:1450:4001::1", NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_storage ss;
		const char *got = netguard_special(sa_of(cases[i].addr, &ss));
		if ((got == NULL) != (cases[i].why == NULL) || (got && strcmp(got, cases[i].why)))
			fail_msg("%s: got '%s', want '%s'", cases[i].addr, got ? got : "(public)", cases[i].why ? cases[i].why : "(public)");
	}
}

static void operators_allow_named_ranges(void **state)
{
	struct netguard g;
	char err[ERRBUF_SIZE];
	struct sockaddr_storage ss;
	(void)state;
	netguard_init(&g);
	assert_int_equal(netguard_add(&g, "10.20.0.0/16, fd00::/8 192.0.2.7", err, sizeof(err)), 0);
	assert_null(netguard_refuse(&g, sa_of("10.20.3.4", &ss)));
	assert_null(netguard_refuse(&g, sa_of("::ffff:10.20.3.4", &ss))); /* mapped: the same address */
	assert_string_equal(netguard_refuse(&g, sa_of("10.21.0.1", &ss)), "private address");
	assert_null(netguard_refuse(&g, sa_of("fd00::5", &ss)));
	assert_null(netguard_refuse(&g, sa_of("192.0.2.7", &ss)));
	assert_string_equal(netguard_refuse(&g, sa_of("192.0.2.8", &ss)), "documentation address");
	assert_string_equal(netguard_refuse(&g, sa_of("127.0.0.1", &ss)), "loopback address");
	assert_null(netguard_refuse(&g, sa_of("8.8.8.8", &ss)));
	netguard_release(&g);
	netguard_init(&g);
	assert_int_equal(netguard_add(&g, "any", err, sizeof(err)), 0);
	assert_null(netguard_refuse(&g, sa_of("127.0.0.1", &ss)));
	netguard_release(&g);
}

static void bad_ranges_are_named(void **state)
{
	static const struct {
		const char *list, *msg;
	} cases[] = {
		{"10.0.0.0/33", "'10.0.0.0/33': an IPv4 prefix is at most 32 bits"},
		{"10.0.0.0/x", "'10.0.0.0/x': the prefix length is not a number from 0 to 128"},
		{"127.1", "'127.1' is not an IPv4 or IPv6 address (write ranges as 10.20.0.0/16 or fd00::/8)"},
		{"0x7f000001", "'0x7f000001' is not an IPv4 or IPv6 address (write ranges as 10.20.0.0/16 or fd00::/8)"},
		{"intranet.example", "'intranet.example' is not an IPv4 or IPv6 address (write ranges as 10.20.0.0/16 or fd00::/8)"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct netguard g;
		char err[ERRBUF_SIZE] = "";
		netguard_init(&g);
		assert_int_equal(netguard_add(&g, cases[i].list, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].msg);
		netguard_release(&g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(special_ranges_in_every_form),
		cmocka_unit_test(operators_allow_named_ranges),
		cmocka_unit_test(bad_ranges_are_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
