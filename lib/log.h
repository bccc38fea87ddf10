/* log.h: structured log lines (logfmt) on stderr: ts, level, component, msg and key=value pairs. */
#ifndef TBT_LOG_H
#define TBT_LOG_H

#include <stdio.h>

/* ts=2026-01-01T00:00:00Z level=LEVEL component=COMPONENT msg="..." (msg quoted and escaped). */
void log_msg(const char *level, const char *component, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends a value to a logfmt line, quoted when it has spaces, quotes or control characters. */
void log_quote(FILE *out, const char *value);

/*
 * A stream whose every line becomes a log line of component at level info ("warn" when the line starts with
 * "failed", "retrying" or "cancelled"), for the stages that report by lines (the crawler's rounds, the alerter's
 * deliveries). Close with fclose().
 */
FILE *log_stream(const char *component);

#endif
