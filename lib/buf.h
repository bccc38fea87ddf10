/* buf.h: a growable, always NUL-terminated byte buffer with a hard maximum size. */
#ifndef TBT_BUF_H
#define TBT_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * s is never NULL and always NUL-terminated after buf_init(). Growing past max fails with -E2BIG and leaves the
 * buffer as it was before the failed call, so a capped body is an error, never a silent truncation.
 */
struct buf {
	char *s;
	size_t len, cap, max;
};

#define BUF_NOMAX ((size_t)-1)

/* Initialises an empty buffer that may hold at most max bytes (BUF_NOMAX for no cap). */
void buf_init(struct buf *b, size_t max);
/* Frees the memory; the buffer may be initialised again. */
void buf_release(struct buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Returns the string and leaves the buffer empty; caller frees the result with free(). */
char *buf_detach(struct buf *b);
/* Appends n bytes; returns 0 or -E2BIG. */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addstr(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Appends the UTF-8 encoding of code point cp (invalid points become U+FFFD). */
int buf_add_utf8(struct buf *b, unsigned cp);
/* Removes trailing ASCII white space. */
void buf_rtrim(struct buf *b);
/* Reads a whole file; returns 0, -E2BIG when it exceeds the buffer's max, or -errno. */
int buf_read_file(struct buf *b, const char *path);
/* Appends s with HTML's special characters (< > & " ') escaped; NULL appends nothing. */
void buf_add_html(struct buf *out, const char *s);
/* The first line of a small file (at most 4 KiB), without its line break, for secrets kept out of configuration
 * files; NULL when it cannot be read. Caller frees. */
char *read_first_line(const char *path);
/* Writes len bytes of data as the file path, readable by its owner alone (mode 0600), and syncs it: for secrets.
 * exclusive: fail with -EEXIST when the file exists (two processes making one agree on the first). Returns 0,
 * -EEXIST, or -EIO with err naming the file and the reason (a partly written file is removed). */
int write_private_file(const char *path, const void *data, size_t len, int exclusive, char *err, size_t errlen);

#endif
