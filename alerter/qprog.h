/* qprog.h: a subscription's query compiled once into a small program over term numbers (the tree Xapian's query
 * parser built, walked by idx_query_walk), run against a notification's terms without Xapian; and the terms that
 * anchor it in the matcher's index. */
#ifndef TBTWARN_QPROG_H
#define TBTWARN_QPROG_H

#include "idx.h"
#include "intern.h"

#include <stddef.h>
#include <stdint.h>

/* One node of a compiled query: op is an enum idx_qop; arg the term's number or the number of subqueries; size the
 * nodes of its subtree, itself included, so that evaluation can step over a subquery it does not need. */
struct qnode {
	uint8_t op;
	uint32_t arg, size;
};

#define NO_PROG UINT32_MAX
#define ANCHOR_MAX 16

/* The compiled queries, one after the other; title_terms: some query asks for words of the title alone. */
struct qprog {
	struct qnode *code;
	size_t n, cap;
	int title_terms;
};

/* q as a program appended to p (its offset returned), its terms numbered in vocab; one IDX_Q_UNKNOWN node when only a
 * search can decide it (wildcards). mem: the index whose query parser built q. */
uint32_t qprog_compile(struct qprog *p, struct intern *vocab, struct idx *mem, const struct idx_query *q);
void qprog_release(struct qprog *p);
/* 1 or 0, or -1 when positions or values decide: the document's terms are those with seen[t] == stamp. */
int qprog_run(const struct qnode *q, const uint32_t *seen, uint32_t stamp);
/* Terms of which every document that q matches has one (at most ANCHOR_MAX), in out; returns how many, or -1 when
 * there is no such set (the query matches documents by their absence of terms, or only Xapian can tell). */
int qprog_anchors(const struct intern *vocab, const struct qnode *q, uint32_t *out);
/* Whether having one of its anchor terms is all that q asks: a term, or terms joined by OR. */
int qprog_anchor_decides(const struct qnode *q);

#endif
