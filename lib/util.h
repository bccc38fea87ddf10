/* util.h: allocation wrappers that abort on exhaustion, string vectors and small string helpers. */
#ifndef TBT_UTIL_H
#define TBT_UTIL_H

#include <stdarg.h>
#include <stddef.h>

/* Our own error codes, beyond the negative errno values every module returns. */
#define TBT_EPARSE 1001 /* input could not be parsed */
#define TBT_EDB 1002    /* SQLite failed */
#define TBT_EIDX 1003   /* Xapian failed */

/* Size of the fixed error buffers that modules fill with detail. */
#define ERRBUF_SIZE 512

/* Allocation wrappers: abort the process with a message when memory runs out. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* The one abort of library code, as x*alloc's: a library that could only fail for lack of memory did (what: which). */
void out_of_memory(const char *what) __attribute__((noreturn));

/* Prints "tbtwarn: MESSAGE" to stderr and exits with status 2; only for cli/ (make check-banned keeps it there). */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Whether s (may be NULL) is one of the words of list (NULL-terminated). */
int str_one_of(const char *s, const char *const *list);

/* Formats into a fixed buffer, always NUL-terminated (truncation is fine for messages). */
void errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A growable vector of owned strings; items[n] is always NULL. Embedded: strv_init/strv_release. */
struct strv {
	char **items;
	size_t n, cap;
};

void strv_init(struct strv *v);
void strv_release(struct strv *v);
/* Appends a copy of s. */
void strv_push(struct strv *v, const char *s);
/* Appends s and takes ownership of it. */
void strv_push_owned(struct strv *v, char *s);
/* Appends a copy of s unless an equal string is already there; returns 1 if appended. */
int strv_push_unique(struct strv *v, const char *s);
int strv_contains(const struct strv *v, const char *s);
/* Sorts the strings bytewise. */
void strv_sort(struct strv *v);
/* Sorts the strings and drops duplicates. */
void strv_sort_unique(struct strv *v);

/* Reads one tab-separated field at *p (up to a tab or a newline) and moves *p past its tab. Caller frees. */
char *tsv_field(const char **p);

/* Whether u is a web address safe to store, send to and link to: http:// or https://, a host, at most 2,000 bytes,
 * and no white space, control characters or the characters that end an HTML attribute or a markdown link
 * (" < > \ ` ( ) [ ] { } | ^ only percent-encoded; brackets only around an IPv6 literal host). */
int url_is_web(const char *u);

/* Returns 1 if s starts with prefix. */
int starts_with(const char *s, const char *prefix);
/* Returns 1 if s starts with prefix, ignoring ASCII case. */
int starts_with_ci(const char *s, const char *prefix);
/* Finds needle in hay ignoring ASCII case; NULL when absent. */
const char *strcasestr_ascii(const char *hay, const char *needle);
/* Returns a copy of s[0..n) with leading and trailing ASCII white space removed. */
char *strndup_trim(const char *s, size_t n);
/* Lower-cases ASCII letters in place. */
void str_lower_ascii(char *s);
/* Parses a whole decimal string into *out; returns 0 or -EINVAL. */
int parse_long(const char *s, long min, long max, long *out);

/* Today's date as YYYY-MM-DD (UTC, or TBTWARN_TODAY when set, so that tests can fix the clock). */
/* Pins "today" for this process (TBTWARN_TODAY still wins); "" or NULL unpins. Call before starting threads. */
void today_pin(const char *day);
void today_iso(char out[11]);
/* Seconds since the epoch, with fractions (wall-clock time for schedules kept in the database). */
double now_epoch(void);
/* Whole days from one YYYY-MM-DD to another (negative when to is earlier; 0 when either does not parse). */
long iso_days_between(const char *from, const char *to);
/* Seconds since the epoch of a UTC time written YYYY-MM-DDTHH:MM:SSZ (now_iso's form); 0 when it does not parse. */
double iso_time_epoch(const char *iso);
/* The day n days after day (YYYY-MM-DD); day itself when it does not parse. */
void iso_add_days(const char *day, long n, char out[11]);
/* The current UTC time as YYYY-MM-DDTHH:MM:SSZ. */
void now_iso(char out[21]);
/* A time in seconds since the epoch as YYYY-MM-DDTHH:MM:SSZ. */
void epoch_iso(double t, char out[21]);

#endif
