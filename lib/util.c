/* util.c: allocation wrappers, string vectors and small string helpers. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

static void oom(size_t n)
{
	fprintf(stderr, "tbtwarn: out of memory allocating %zu bytes\n", n);
	abort();
}

int str_one_of(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

void out_of_memory(const char *what)
{
	fprintf(stderr, "tbtwarn: out of memory: %s\n", what);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void die(const char *fmt, ...)
{
	va_list ap;
	fputs("tbtwarn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void strv_init(struct strv *v)
{
	v->n = 0;
	v->cap = 4;
	v->items = xcalloc(v->cap, sizeof(char *));
}

void strv_release(struct strv *v)
{
	if (!v->items)
		return;
	for (size_t i = 0; i < v->n; i++)
		free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->n = v->cap = 0;
}

void strv_push_owned(struct strv *v, char *s)
{
	if (!v->items)
		strv_init(v);
	if (v->n + 1 >= v->cap) {
		v->cap *= 2;
		v->items = xrealloc(v->items, v->cap * sizeof(char *));
	}
	v->items[v->n++] = s;
	v->items[v->n] = NULL;
}

void strv_push(struct strv *v, const char *s)
{
	strv_push_owned(v, xstrdup(s));
}

int strv_contains(const struct strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->items[i], s))
			return 1;
	return 0;
}

int strv_push_unique(struct strv *v, const char *s)
{
	if (strv_contains(v, s))
		return 0;
	strv_push(v, s);
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(struct strv *v)
{
	if (v->n > 1)
		qsort(v->items, v->n, sizeof(char *), cmp_str);
}

char *tsv_field(const char **p)
{
	const char *s = *p, *e = s;
	while (*e && *e != '\t' && *e != '\n')
		e++;
	*p = *e == '\t' ? e + 1 : e;
	return xstrndup(s, (size_t)(e - s));
}

void strv_sort_unique(struct strv *v)
{
	size_t o = 0;
	strv_sort(v);
	for (size_t i = 0; i < v->n; i++) {
		if (o && !strcmp(v->items[o - 1], v->items[i])) {
			free(v->items[i]);
			continue;
		}
		v->items[o++] = v->items[i];
	}
	v->n = o;
	if (v->items)
		v->items[o] = NULL;
}

int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

int starts_with_ci(const char *s, const char *prefix)
{
	return !strncasecmp(s, prefix, strlen(prefix));
}

const char *strcasestr_ascii(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return hay;
	return n ? NULL : hay;
}

char *strndup_trim(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

void str_lower_ascii(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;
	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "today" pinned by the data directory (its file "today"), set once at start before any thread. */
static char pinned_today[11];

void today_pin(const char *day)
{
	snprintf(pinned_today, sizeof(pinned_today), "%s", day && strlen(day) == 10 ? day : "");
}

/* The clock's switches for tests and demos, read from the environment once (the first call, whichever thread):
 * TBTWARN_TODAY pins the date, TBTWARN_CLOCK_OFFSET moves the clock by that many seconds. */
static pthread_once_t clock_once = PTHREAD_ONCE_INIT;
static char env_today[11];
static double clock_shift;

static void clock_env(void)
{
	const char *fixed = getenv("TBTWARN_TODAY"), *shift = getenv("TBTWARN_CLOCK_OFFSET");
	if (fixed && strlen(fixed) == 10)
		memcpy(env_today, fixed, 11);
	if (shift && *shift)
		clock_shift = strtod(shift, NULL);
}

void today_iso(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;
	pthread_once(&clock_once, clock_env);
	const char *fixed = env_today[0] ? env_today : pinned_today[0] ? pinned_today : NULL;
	if (fixed) {
		memcpy(out, fixed, 11);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

double now_epoch(void)
{
	struct timespec ts;
	pthread_once(&clock_once, clock_env);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + clock_shift;
}

long iso_days_between(const char *from, const char *to)
{
	struct tm a = {0}, b = {0};
	if (!strptime(from, "%Y-%m-%d", &a) || !strptime(to, "%Y-%m-%d", &b))
		return 0;
	return (long)((timegm(&b) - timegm(&a)) / 86400);
}

void iso_add_days(const char *day, long n, char out[11])
{
	struct tm tm = {0};
	if (!strptime(day, "%Y-%m-%d", &tm)) {
		snprintf(out, 11, "%s", day);
		return;
	}
	time_t t = timegm(&tm) + n * 86400;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

void epoch_iso(double when, char out[21])
{
	time_t t = (time_t)when;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void now_iso(char out[21])
{
	epoch_iso((double)time(NULL), out);
}

double iso_time_epoch(const char *iso)
{
	struct tm tm = {0};
	if (!iso || !strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return 0;
	return (double)timegm(&tm);
}

int url_is_web(const char *u)
{
	size_t skip = starts_with_ci(u, "https://") ? 8 : starts_with_ci(u, "http://") ? 7 : 0;
	if (!skip || strlen(u) > 2000)
		return 0;
	const char *host = u + skip, *v6end = NULL;
	if (!*host || *host == '/' || *host == '?' || *host == '#' || *host == ':' || *host == '@')
		return 0;
	if (*host == '[') {
		/* An IPv6 literal: brackets only around the host, with hex digits, colons and dots inside. */
		v6end = strchr(host, ']');
		if (!v6end || v6end == host + 1 || strspn(host + 1, "0123456789abcdefABCDEF:.") != (size_t)(v6end - host - 1))
			return 0;
	}
	for (const unsigned char *p = (const unsigned char *)u; *p; p++) {
		if ((const char *)p == host && v6end) {
			p = (const unsigned char *)v6end;
			continue;
		}
		if (*p <= ' ' || *p == 0x7f || strchr("\"<>\\`()[]{}|^", *p))
			return 0;
	}
	return 1;
}
