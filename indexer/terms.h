/* terms.h: the words Xapian's TermGenerator (1.4, FLAG_CJK_NGRAM) makes of a text, found without it, so that a
 * notification can be checked against thousands of stored queries in microseconds.
 *
 * It covers what our notifications are written in: ASCII, the CJK ideographs U+4E00..U+9FA5 and the punctuation
 * Chinese text uses. On anything else (accented letters, typographic apostrophes, full-width digits, invalid UTF-8)
 * it says so instead of guessing, and the caller asks Xapian. tests/unit/test_terms.c compares it with the installed
 * Xapian on every bundled notification and on random text, so a Xapian that tokenises differently fails the suite. */
#ifndef TBT_TERMS_H
#define TBT_TERMS_H

#include <stddef.h>

/* Longest word Xapian keeps (its default max_word_length); longer words are dropped, not cut. */
#define TERMS_MAX_WORD 64

/* Calls emit(arg, word, len) for each word of text[0..len), lower-cased, without prefix or stemming, in text order
 * and with repeats (word is borrowed for the call; not NUL-terminated). Chinese gives each ideograph and each pair of
 * neighbours, as Xapian's n-grams do. Returns 0, or 1 when the text holds something this tokeniser does not model:
 * the words emitted until then are right but incomplete, and the caller must ask Xapian for the whole text. */
int terms_of_text(const char *text, size_t len, void (*emit)(void *arg, const char *word, size_t len), void *arg);

/* Whether Xapian stems word (its first character is a letter, not a digit or '_'). */
int terms_stemmed(const char *word);

#endif
