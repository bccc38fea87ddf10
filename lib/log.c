/* log.c: logfmt lines on stderr, and a FILE adapter for line-oriented reports. */
#include "log.h"

#include "buf.h"
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void log_quote(FILE *out, const char *v)
{
	int plain = *v != '\0';
	for (const unsigned char *p = (const unsigned char *)v; *p && plain; p++)
		plain = *p > ' ' && *p != '"' && *p != '=' && *p != '\\' && *p != 0x7f;
	if (plain) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void log_msg(const char *level, const char *component, const char *fmt, ...)
{
	char ts[21], msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	now_iso(ts);
	fprintf(stderr, "ts=%s level=%s component=%s msg=", ts, level, component);
	log_quote(stderr, msg);
	fputc('\n', stderr);
	fflush(stderr);
}

struct stream {
	char *component;
	struct buf line;
};

static ssize_t stream_write(void *cookie, const char *data, size_t len)
{
	struct stream *s = cookie;
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n') {
			buf_addch(&s->line, data[i]);
			continue;
		}
		const char *l = s->line.s ? s->line.s : "";
		int warn = starts_with(l, "failed") || starts_with(l, "retrying") || starts_with(l, "cancelled") ||
			   strstr(l, " failed") || strstr(l, "error");
		log_msg(warn ? "warn" : "info", s->component, "%s", l);
		buf_reset(&s->line);
	}
	return (ssize_t)len;
}

static int stream_close(void *cookie)
{
	struct stream *s = cookie;
	if (s->line.len)
		log_msg("info", s->component, "%s", s->line.s);
	buf_release(&s->line);
	free(s->component);
	free(s);
	return 0;
}

FILE *log_stream(const char *component)
{
	struct stream *s = xcalloc(1, sizeof(*s));
	cookie_io_functions_t io = {NULL, stream_write, NULL, stream_close};
	s->component = xstrdup(component);
	buf_init(&s->line, 64 * 1024);
	FILE *f = fopencookie(s, "w", io);
	if (!f) {
		stream_close(s);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}
