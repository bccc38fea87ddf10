/* tz.c: a reader of TZif files (RFC 8536: version 2+ 64-bit data and the POSIX TZ footer with M-rules) and civil
 * time arithmetic, so that local times are computed from a zone's name without setenv/tzset. */
#include "tz.h"

#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rule { /* a POSIX TZ footer: std and dst offsets (seconds east), and when dst starts and ends */
	long std, dst;
	int has_dst;
	int sm, sw, sd, em, ew, ed; /* Mm.w.d */
	long stime, etime;          /* seconds after local midnight */
};

struct zone {
	char *name;
	int64_t *when; /* transitions */
	long *off;     /* offset after each transition */
	size_t n;
	long first;    /* before the first transition */
	struct rule footer;
	int has_footer;
	struct zone *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct zone *zones;

/* Days since 1970-01-01 of a civil date (proleptic Gregorian; Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---- the POSIX footer ---- */

static const char *skip_name(const char *p)
{
	if (*p == '<') {
		const char *e = strchr(p, '>');
		return e ? e + 1 : NULL;
	}
	const char *s = p;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] -> seconds; NULL on error. */
static const char *read_hms(const char *p, long *out)
{
	int sign = 1;
	long h = 0, m = 0, s = 0;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (*p < '0' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
		h = h * 10 + (*p++ - '0');
	if (*p == ':') {
		p++;
		while (*p >= '0' && *p <= '9')
			m = m * 10 + (*p++ - '0');
		if (*p == ':') {
			p++;
			while (*p >= '0' && *p <= '9')
				s = s * 10 + (*p++ - '0');
		}
	}
	*out = sign * (h * 3600 + m * 60 + s);
	return p;
}

static const char *read_mrule(const char *p, int *m, int *w, int *d, long *time)
{
	if (*p++ != 'M')
		return NULL;
	char *e;
	*m = (int)strtol(p, &e, 10);
	if (*e != '.')
		return NULL;
	*w = (int)strtol(e + 1, &e, 10);
	if (*e != '.')
		return NULL;
	*d = (int)strtol(e + 1, &e, 10);
	p = e;
	*time = 7200;
	if (*p == '/' && !(p = read_hms(p + 1, time)))
		return NULL;
	return *m >= 1 && *m <= 12 && *w >= 1 && *w <= 5 && *d >= 0 && *d <= 6 ? p : NULL;
}

static int parse_footer(const char *s, struct rule *r)
{
	const char *p = skip_name(s);
	long off;
	memset(r, 0, sizeof(*r));
	if (!p || !(p = read_hms(p, &off)))
		return -1;
	r->std = -off; /* POSIX offsets are west of UTC */
	if (!*p)
		return 0;
	if (!(p = skip_name(p)))
		return -1;
	r->has_dst = 1;
	r->dst = r->std + 3600;
	if (*p && *p != ',') {
		if (!(p = read_hms(p, &off)))
			return -1;
		r->dst = -off;
	}
	if (*p++ != ',' || !(p = read_mrule(p, &r->sm, &r->sw, &r->sd, &r->stime)) || *p++ != ',' ||
	    !(p = read_mrule(p, &r->em, &r->ew, &r->ed, &r->etime)))
		return -1; /* J and plain day-of-year rules: no zone in use has them */
	return 0;
}

/* The day of month of the w-th (5: last) weekday d of month m in year y. */
static int mday_of(int y, int m, int w, int d)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int len = dm[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	int first = (int)((days_from_civil(y, m, 1) % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
	int day = 1 + (d - first + 7) % 7 + (w - 1) * 7;
	while (day > len)
		day -= 7;
	return day;
}

static long footer_offset(const struct rule *r, int64_t t)
{
	if (!r->has_dst)
		return r->std;
	int y, m, d;
	civil_from_days(floordiv(t + r->std, 86400), &y, &m, &d);
	int64_t start = days_from_civil(y, r->sm, mday_of(y, r->sm, r->sw, r->sd)) * 86400 + r->stime - r->std;
	int64_t end = days_from_civil(y, r->em, mday_of(y, r->em, r->ew, r->ed)) * 86400 + r->etime - r->dst;
	int in = start < end ? (t >= start && t < end) : !(t >= end && t < start); /* southern hemisphere */
	return in ? r->dst : r->std;
}

/* ---- TZif ---- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static struct zone *read_zone(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	unsigned char *data = xmalloc(1 << 20);
	size_t len = fread(data, 1, 1 << 20, f);
	fclose(f);
	struct zone *z = NULL;
	if (len < 44 || memcmp(data, "TZif", 4))
		goto out;
	/* Version 1's block is skipped: version 2+ repeats the data with 64-bit times. */
	size_t v1 = 44 + be32(data + 32) * 5 + be32(data + 36) * 6 + be32(data + 40) + be32(data + 28) * 8 + be32(data + 24) +
		    be32(data + 20);
	const unsigned char *h = data + v1;
	int v2 = data[4] >= '2';
	if (!v2 || v1 + 44 > len || memcmp(h, "TZif", 4))
		goto out;
	uint32_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28), timecnt = be32(h + 32), typecnt = be32(h + 36),
		 charcnt = be32(h + 40);
	size_t need = 44 + (size_t)timecnt * 9 + (size_t)typecnt * 6 + charcnt + (size_t)leap * 12 + isstd + isut;
	if (v1 + need > len || !typecnt)
		goto out;
	const unsigned char *times = h + 44, *idx = times + (size_t)timecnt * 8, *types = idx + timecnt;
	z = xcalloc(1, sizeof(*z));
	z->name = xstrdup(name);
	z->n = timecnt;
	z->when = xcalloc(timecnt + 1, sizeof(*z->when));
	z->off = xcalloc(timecnt + 1, sizeof(*z->off));
	z->first = (long)(int32_t)be32(types);
	for (uint32_t i = 0; i < typecnt; i++)
		if (!types[i * 6 + 4]) { /* the first standard-time type, as RFC 8536 says for times before the first */
			z->first = (long)(int32_t)be32(types + i * 6);
			break;
		}
	for (uint32_t i = 0; i < timecnt; i++) {
		unsigned k = idx[i] < typecnt ? idx[i] : 0;
		z->when[i] = be64(times + (size_t)i * 8);
		z->off[i] = (long)(int32_t)be32(types + k * 6);
	}
	const char *foot = (const char *)h + need;
	if ((size_t)(foot - (const char *)data) + 2 <= len && *foot == '\n') {
		char rule[128];
		size_t n = 0;
		for (const char *p = foot + 1; (size_t)(p - (const char *)data) < len && *p != '\n' && n + 1 < sizeof(rule); p++)
			rule[n++] = *p;
		rule[n] = '\0';
		z->has_footer = n && !parse_footer(rule, &z->footer);
	}
out:
	free(data);
	return z;
}

static const struct zone *find_zone(const char *name)
{
	if (!name || !*name || strstr(name, "..") || name[0] == '/')
		return NULL;
	pthread_mutex_lock(&lock);
	struct zone *z = zones;
	while (z && strcmp(z->name, name))
		z = z->next;
	if (!z && (z = read_zone(name))) {
		z->next = zones;
		zones = z;
	}
	pthread_mutex_unlock(&lock);
	return z;
}

static int china(const char *name)
{
	return !strcmp(name, "Asia/Shanghai") || !strcmp(name, "Asia/Chongqing") || !strcmp(name, "PRC");
}

int tz_offset(const char *name, time_t t, long *off)
{
	const struct zone *z = find_zone(name);
	if (!z) {
		if (name && (china(name) || !strcmp(name, "UTC"))) {
			*off = china(name) ? 8 * 3600 : 0; /* known without the database */
			return 0;
		}
		return -ENOENT;
	}
	if (!z->n || (int64_t)t < z->when[0]) {
		*off = z->first;
		return 0;
	}
	size_t lo = 0, hi = z->n; /* the last transition at or before t */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (z->when[mid] <= (int64_t)t)
			lo = mid;
		else
			hi = mid;
	}
	*off = lo + 1 == z->n && z->has_footer ? footer_offset(&z->footer, t) : z->off[lo];
	return 0;
}

int tz_mktime(const char *name, int y, int m, int d, int h, time_t *out)
{
	int64_t local = days_from_civil(y, m, d) * 86400 + (int64_t)h * 3600;
	long o1, o2;
	/* The offset in force an offset before the local time, then at the guess: two rounds settle it. */
	if (tz_offset(name, (time_t)(local - 86400 / 2), &o1) || tz_offset(name, (time_t)(local - o1), &o2))
		return -ENOENT;
	int64_t t = local - o2;
	long o3;
	tz_offset(name, (time_t)t, &o3);
	if (o3 != o2)
		t = local - o3; /* in a gap: the hour after it */
	*out = (time_t)t;
	return 0;
}

int tz_local(const char *name, time_t t, int *y, int *m, int *d, int *wday)
{
	long off;
	if (tz_offset(name, t, &off))
		return -ENOENT;
	int64_t days = floordiv((int64_t)t + off, 86400);
	civil_from_days(days, y, m, d);
	*wday = (int)((days % 7 + 11) % 7);
	return 0;
}

long long days_since_epoch(int y, int m, int d)
{
	return (long long)days_from_civil(y, m, d);
}
