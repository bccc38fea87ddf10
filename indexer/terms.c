/* terms.c: Xapian's word splitting for ASCII and Chinese text, rewritten from its documented behaviour (words of letters,
 * digits and '_'; "AT&T", "don't", "1,000.5" kept whole; "C++" and "C#" with their suffix; initials "U.S.A." as one
 * word; Chinese as single ideographs and pairs). */
#include "terms.h"

#include <stdint.h>
#include <string.h>

enum cls { C_SEP, C_WORD, C_CJK, C_UNSURE };

/* Punctuation of Chinese and typeset text that Xapian neither keeps in words nor joins words across. */
static const uint32_t separators[] = {0x00A0, 0x00B0, 0x00D7, 0x00F7, 0x2013, 0x2014, 0x2018, 0x2019, 0x201B, 0x201C, 0x201D, 0x2026,
				      0x3000, 0x3001, 0x3002, 0x3008, 0x3009, 0x300A, 0x300B, 0x300C, 0x300D,
				      0x300E, 0x300F, 0x3010, 0x3011, 0xFF01, 0xFF08, 0xFF09, 0xFF0C, 0xFF1A,
				      0xFF1B, 0xFF1F};

/* The class of each ASCII character. */
static const unsigned char ascii_cls[128] = {
	['0'] = C_WORD, ['1'] = C_WORD, ['2'] = C_WORD, ['3'] = C_WORD, ['4'] = C_WORD, ['5'] = C_WORD, ['6'] = C_WORD,
	['7'] = C_WORD, ['8'] = C_WORD, ['9'] = C_WORD, ['_'] = C_WORD, ['a'] = C_WORD, ['b'] = C_WORD, ['c'] = C_WORD,
	['d'] = C_WORD, ['e'] = C_WORD, ['f'] = C_WORD, ['g'] = C_WORD, ['h'] = C_WORD, ['i'] = C_WORD, ['j'] = C_WORD,
	['k'] = C_WORD, ['l'] = C_WORD, ['m'] = C_WORD, ['n'] = C_WORD, ['o'] = C_WORD, ['p'] = C_WORD, ['q'] = C_WORD,
	['r'] = C_WORD, ['s'] = C_WORD, ['t'] = C_WORD, ['u'] = C_WORD, ['v'] = C_WORD, ['w'] = C_WORD, ['x'] = C_WORD,
	['y'] = C_WORD, ['z'] = C_WORD, ['A'] = C_WORD, ['B'] = C_WORD, ['C'] = C_WORD, ['D'] = C_WORD, ['E'] = C_WORD,
	['F'] = C_WORD, ['G'] = C_WORD, ['H'] = C_WORD, ['I'] = C_WORD, ['J'] = C_WORD, ['K'] = C_WORD, ['L'] = C_WORD,
	['M'] = C_WORD, ['N'] = C_WORD, ['O'] = C_WORD, ['P'] = C_WORD, ['Q'] = C_WORD, ['R'] = C_WORD, ['S'] = C_WORD,
	['T'] = C_WORD, ['U'] = C_WORD, ['V'] = C_WORD, ['W'] = C_WORD, ['X'] = C_WORD, ['Y'] = C_WORD, ['Z'] = C_WORD};

static size_t decode_wide(const unsigned char *s, size_t len, size_t i, enum cls *c);

/* The code point at s[i] and its length in bytes (0 for invalid UTF-8), with its class. */
static inline size_t decode(const unsigned char *s, size_t len, size_t i, enum cls *c)
{
	if (s[i] < 0x80) {
		*c = (enum cls)ascii_cls[s[i]];
		return 1;
	}
	return decode_wide(s, len, i, c);
}

static size_t decode_wide(const unsigned char *s, size_t len, size_t i, enum cls *c)
{
	unsigned char b = s[i];
	size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
	*c = C_UNSURE;
	if (!n || i + n > len)
		return 0;
	uint32_t cp = b & (0x7F >> n);
	for (size_t k = 1; k < n; k++) {
		if ((s[i + k] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i + k] & 0x3F);
	}
	if (cp >= 0x4E00 && cp <= 0x9FA5 && n == 3) {
		*c = C_CJK;
		return n;
	}
	if (n == 2 && cp >= 0xC0 && cp <= 0xFF && cp != 0xD7 && cp != 0xF7) {
		*c = C_WORD; /* Latin-1 letters: "Türkiye", "café" */
		return n;
	}
	for (size_t k = 0; k < sizeof(separators) / sizeof(separators[0]); k++)
		if (separators[k] == cp) {
			*c = C_SEP;
			break;
		}
	return n;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static char lower(char c)
{
	return is_upper((unsigned char)c) ? (char)(c + 32) : c;
}

struct word {
	char s[TERMS_MAX_WORD + 8];
	size_t n;
	int too_long;
};

static void word_add(struct word *w, char c)
{
	if (w->n < TERMS_MAX_WORD)
		w->s[w->n++] = c;
	else
		w->too_long = 1;
}

/* Appends the character s[i..i+l) lower-cased: ASCII, or a Latin-1 letter (upper case is 0xC0..0xDE). */
static void word_add_lower(struct word *w, const unsigned char *s, size_t i, size_t l)
{
	if (l == 1) {
		word_add(w, lower((char)s[i]));
		return;
	}
	unsigned cp = (unsigned)(s[i] & 0x1F) << 6 | (s[i + 1] & 0x3F);
	if (cp >= 0xC0 && cp <= 0xDE)
		cp += 0x20;
	word_add(w, (char)(0xC0 | cp >> 6));
	word_add(w, (char)(0x80 | (cp & 0x3F)));
}

/* Whether s[i..i+l) is U+2019 or U+201B, which Xapian reads as an apostrophe between letters ("Member’s"). */
static int curly_apostrophe(const unsigned char *s, size_t i, size_t l)
{
	return l == 3 && s[i] == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0x99 || s[i + 2] == 0x9B);
}

static void word_emit(struct word *w, void (*emit)(void *, const char *, size_t), void *arg)
{
	if (w->n && !w->too_long)
		emit(arg, w->s, w->n);
	w->n = 0;
	w->too_long = 0;
}

/* Initials: upper-case letters each followed by '.', two at least, and no word character right after. The length
 * consumed, or 0. */
static size_t initials(const unsigned char *s, size_t len, size_t i, struct word *w, int *unsure)
{
	size_t p = i;
	w->n = 0;
	do
		word_add(w, lower((char)s[p++]));
	while (p < len && s[p] == '.' && ++p < len && is_upper(s[p]));
	if (w->n < 2)
		return 0;
	if (p < len) {
		enum cls c;
		if (!decode(s, len, p, &c) || c == C_UNSURE) {
			*unsure = 1;
			return 0;
		}
		if (c != C_SEP)
			return 0;
	}
	return p - i;
}

int terms_of_text(const char *text, size_t len, void (*emit)(void *arg, const char *word, size_t len), void *arg)
{
	const unsigned char *s = (const unsigned char *)text;
	struct word w = {.n = 0};
	size_t i = 0, l;
	enum cls c;
	for (;;) {
		/* To the next word character. */
		for (;; i += l) {
			if (i >= len)
				return 0;
			l = decode(s, len, i, &c);
			if (!l || c == C_UNSURE)
				return 1;
			if (c != C_SEP)
				break;
		}
		int unsure = 0;
		if (is_upper(s[i])) {
			size_t n = initials(s, len, i, &w, &unsure);
			if (unsure)
				return 1;
			if (n) {
				i += n;
				word_emit(&w, emit, arg);
				continue;
			}
		}
		w.n = 0;
		w.too_long = 0;
		/* One word, which may run through Chinese (after which Xapian does not look for initials again). */
		for (;;) {
			l = decode(s, len, i, &c);
			if (c == C_CJK) {
				size_t prev = 0, prevl = 0;
				while (i < len && (l = decode(s, len, i, &c)) && c == C_CJK) {
					emit(arg, text + i, l);
					if (prevl)
						emit(arg, text + prev, prevl + l);
					prev = i;
					prevl = l;
					i += l;
				}
				for (;; i += l) {
					if (i >= len)
						return 0;
					l = decode(s, len, i, &c);
					if (!l || c == C_UNSURE)
						return 1;
					if (c != C_SEP)
						break;
				}
				continue;
			}
			char prevch;
			for (;;) {
				prevch = l == 1 ? (char)s[i] : 0;
				word_add_lower(&w, s, i, l);
				if ((i += l) >= len)
					goto end;
				l = decode(s, len, i, &c);
				if (!l || c == C_UNSURE)
					return 1;
				if (c == C_CJK)
					goto end;
				if (c != C_WORD)
					break;
			}
			/* s[i] ends the run: it may join two runs ("AT&T", "don't", "3.5") if a word character follows. */
			size_t next = i + l;
			if (next >= len)
				break;
			enum cls nc;
			size_t nl = decode(s, len, next, &nc);
			if (!nl || nc == C_UNSURE)
				return 1;
			if (nc == C_SEP)
				break;
			char x = l == 1 ? (char)s[i] : curly_apostrophe(s, i, l) ? '\'' : 0;
			int join = is_digit(prevch) && is_digit((char)s[next]) ? l == 1 && (x == ',' || x == '.' || x == ';')
										: x == '\'' || x == '&';
			if (!join)
				break;
			if (nc == C_CJK)
				return 1; /* Xapian carries the joined word on through the Chinese: not modelled */
			word_add(&w, x);
			i = next;
			l = nl;
		}
		/* Up to three '+' or '#' end a word ("C++"), unless a word character follows them ("fish+chips"). */
		{
			size_t keep = w.n;
			int keep_long = w.too_long, count = 0;
			while (s[i] == '+' || s[i] == '#') {
				if (++count > 3) {
					w.n = keep;
					w.too_long = keep_long;
					break;
				}
				word_add(&w, (char)s[i]);
				if (++i >= len)
					goto end;
			}
			l = decode(s, len, i, &c);
			if (!l || c == C_UNSURE)
				return 1;
			if (c != C_SEP) {
				w.n = keep;
				w.too_long = keep_long;
			}
		}
	end:
		word_emit(&w, emit, arg);
	}
}

int terms_stemmed(const char *word)
{
	unsigned char c = (unsigned char)word[0];
	return (c >= 'a' && c <= 'z') || c >= 0x80;
}
