/* buf.c: growable byte buffer with a hard cap. */
#include "buf.h"

#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char empty[1];

void buf_init(struct buf *b, size_t max)
{
	b->s = empty;
	b->len = b->cap = 0;
	b->max = max;
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->s);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap)
		b->s[0] = '\0';
}

char *buf_detach(struct buf *b)
{
	char *s = b->cap ? b->s : xstrdup("");
	buf_init(b, b->max);
	return s;
}

static int grow(struct buf *b, size_t extra)
{
	size_t want;
	if (extra > b->max || b->len > b->max - extra)
		return -E2BIG;
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap * 2;
	if (b->cap) {
		b->s = xrealloc(b->s, cap);
	} else {
		b->s = xmalloc(cap);
		b->s[0] = '\0';
	}
	b->cap = cap;
	return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
	int rc = grow(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addch(struct buf *b, char c)
{
	/* The common case, room for one more byte and the terminator, without the general path. */
	if (b->len + 2 <= b->cap && b->len < b->max) {
		b->s[b->len++] = c;
		b->s[b->len] = '\0';
		return 0;
	}
	return buf_add(b, &c, 1);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	/* Formatted straight into the spare room when it fits: one pass instead of measuring first. */
	if (b->cap > b->len + 1) {
		size_t room = b->cap - b->len;
		va_copy(cp, ap);
		n = vsnprintf(b->s + b->len, room, fmt, cp);
		va_end(cp);
		if (n < 0)
			return -EINVAL;
		if ((size_t)n < room && (size_t)n <= b->max - b->len) {
			b->len += (size_t)n;
			return 0;
		}
		b->s[b->len] = '\0';
		/* n is the length it needs: no pass to measure it. */
	} else {
		va_copy(cp, ap);
		n = vsnprintf(NULL, 0, fmt, cp);
		va_end(cp);
		if (n < 0)
			return -EINVAL;
	}
	int rc = grow(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;
	va_start(ap, fmt);
	rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int buf_add_utf8(struct buf *b, unsigned cp)
{
	char out[4];
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return buf_add(b, out, 1);
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return buf_add(b, out, 2);
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return buf_add(b, out, 3);
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return buf_add(b, out, 4);
}

void buf_rtrim(struct buf *b)
{
	while (b->len && isspace((unsigned char)b->s[b->len - 1]))
		b->len--;
	if (b->cap)
		b->s[b->len] = '\0';
}

int buf_read_file(struct buf *b, const char *path)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int rc = 0;
	if (!f)
		return -errno;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		rc = buf_add(b, chunk, n);
		if (rc)
			break;
	}
	if (!rc && ferror(f))
		rc = -EIO;
	fclose(f);
	return rc;
}

char *read_first_line(const char *path)
{
	struct buf b;
	buf_init(&b, 4096);
	if (buf_read_file(&b, path)) {
		buf_release(&b);
		return NULL;
	}
	char *s = buf_detach(&b);
	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

int write_private_file(const char *path, const void *data, size_t len, int exclusive, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC), 0600);
	if (fd < 0) {
		if (exclusive && errno == EEXIST)
			return -EEXIST;
		errf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
		return -EIO;
	}
	int bad = write(fd, data, len) != (ssize_t)len || fsync(fd) != 0;
	int saved = errno;
	bad |= close(fd) != 0;
	if (bad) {
		errf(err, errlen, "cannot write '%s': %s", path, strerror(saved ? saved : errno));
		unlink(path);
		return -EIO;
	}
	return 0;
}

void buf_add_html(struct buf *out, const char *s)
{
	while (s && *s) {
		size_t n = strcspn(s, "<>&\"'");
		buf_add(out, s, n);
		s += n;
		switch (*s) {
		case '<': buf_addstr(out, "&lt;"); break;
		case '>': buf_addstr(out, "&gt;"); break;
		case '&': buf_addstr(out, "&amp;"); break;
		case '"': buf_addstr(out, "&quot;"); break;
		case '\'': buf_addstr(out, "&#39;"); break;
		default: return;
		}
		s++;
	}
}
