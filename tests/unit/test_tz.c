/* test_tz.c: local times from zone names without touching TZ, held to the C library's answers (in this test alone,
 * single-threaded, TZ may be set). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tz.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double digest_due(double now, const char *tz, int hour, int weekly);

static const char *const zones[] = {"Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Sydney",
				    "Asia/Kolkata",  "America/Sao_Paulo", "UTC",     "Pacific/Chatham",
				    "Europe/London", "America/St_Johns", "Asia/Tehran", "Africa/Casablanca"};

static void use_tz(const char *z)
{
	setenv("TZ", z, 1);
	tzset();
}

static void offsets_agree_with_the_c_library(void **state)
{
	(void)state;
	srand(7);
	for (size_t k = 0; k < sizeof(zones) / sizeof(zones[0]); k++) {
		use_tz(zones[k]);
		for (int i = 0; i < 4000; i++) {
			/* 1990 to 2060: within the transitions the file lists and beyond them (the footer's rule). */
			time_t t = (time_t)(631152000LL + (long long)rand() % (70LL * 365 * 86400));
			struct tm tm;
			long off;
			localtime_r(&t, &tm);
			assert_int_equal(tz_offset(zones[k], t, &off), 0);
			if (off != tm.tm_gmtoff)
				fail_msg("%s at %lld: got offset %ld, the C library says %ld", zones[k], (long long)t, off, tm.tm_gmtoff);
		}
	}
	unsetenv("TZ");
	tzset();
}

static void digest_hours_agree_with_mktime(void **state)
{
	(void)state;
	srand(11);
	for (size_t k = 0; k < sizeof(zones) / sizeof(zones[0]); k++) {
		use_tz(zones[k]);
		for (int i = 0; i < 1500; i++) {
			time_t t = (time_t)(1577836800LL + (long long)rand() % (20LL * 365 * 86400));
			int hour = rand() % 24, weekly = rand() % 2;
			/* What the alerter computed before, with the C library and TZ. */
			struct tm tm;
			localtime_r(&t, &tm);
			tm.tm_hour = hour;
			tm.tm_min = tm.tm_sec = 0;
			tm.tm_isdst = -1;
			time_t want = mktime(&tm);
			for (int j = 0; j < 8 && (want <= t || (weekly && tm.tm_wday != 1)); j++) {
				tm.tm_mday++;
				tm.tm_hour = hour;
				tm.tm_min = tm.tm_sec = 0;
				tm.tm_isdst = -1;
				want = mktime(&tm);
			}
			double got = digest_due((double)t, zones[k], hour, weekly);
			struct tm g;
			time_t gt = (time_t)got;
			localtime_r(&gt, &g);
			/* In a DST gap the libraries may pick either side of it; elsewhere the instants are equal. */
			if ((time_t)got != want && g.tm_hour == hour)
				fail_msg("%s from %lld, %02d:00 %s: got %lld, mktime says %lld", zones[k], (long long)t, hour,
					 weekly ? "weekly" : "daily", (long long)got, (long long)want);
			assert_true(got > (double)t && (!weekly || g.tm_wday == 1));
		}
	}
	unsetenv("TZ");
	tzset();
}

static void unknown_zones_and_paths(void **state)
{
	long off;
	(void)state;
	assert_int_equal(tz_offset("Mars/Olympus_Mons", 0, &off), -ENOENT);
	assert_int_equal(tz_offset("../../etc/passwd", 0, &off), -ENOENT);
	assert_int_equal(tz_offset("/etc/localtime", 0, &off), -ENOENT);
	/* China's zone is known even without the zone database. */
	assert_int_equal(tz_offset("PRC", 1700000000, &off), 0);
	assert_int_equal(off, 8 * 3600);
	/* An unknown zone: digests at the hour in UTC. */
	double due = digest_due(1700000000.0, "Mars/Olympus_Mons", 9, 0);
	assert_int_equal((long long)due % 86400, 9 * 3600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(offsets_agree_with_the_c_library),
		cmocka_unit_test(digest_hours_agree_with_mktime),
		cmocka_unit_test(unknown_zones_and_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
