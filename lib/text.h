/* text.h: UTF-8 checks, HTML to plain text, white-space folding and terminal display width. */
#ifndef TBT_TEXT_H
#define TBT_TEXT_H

#include <stddef.h>

/* Returns 1 if s[0..n) is valid UTF-8; otherwise 0 and, if bad_at is given, the offset of the first bad byte. */
int utf8_valid(const char *s, size_t n, size_t *bad_at);

/* Decodes one code point at s (n bytes left); returns its length, or 0 on an invalid sequence. */
size_t utf8_decode(const char *s, size_t n, unsigned *cp);

/*
 * Converts HTML (or plain text with entities) to clean text: tags removed, block elements become line breaks,
 * entities decoded (named, decimal, hex), runs of spaces folded, blank lines collapsed, ends trimmed.
 * Returns a malloc'd string; caller frees.
 */
char *html_to_text(const char *html);

/* Folds all white space runs (including newlines) to one space and trims; returns a malloc'd string. */
char *text_fold_space(const char *s);

/* Number of terminal columns the UTF-8 string takes (East Asian wide characters count two). */
size_t text_width(const char *s);

/* Length in bytes of the longest prefix of s that fits in cols columns, never splitting a character. */
size_t text_fit(const char *s, size_t cols);

#endif
