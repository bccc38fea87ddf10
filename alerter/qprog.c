/* qprog.c: queries compiled into programs over term numbers, run without Xapian, and their anchor terms (qprog.h). */
#include "qprog.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Compiling a query: the nodes as idx_query_walk gives them, terms numbered, appended to the program. */
struct compiler {
	struct qprog *p;
	struct intern *vocab;
	size_t start;
};

static void compile_node(void *arg, enum idx_qop op, const char *term, size_t nsub)
{
	struct compiler *c = arg;
	struct qprog *p = c->p;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 1024;
		p->code = xrealloc(p->code, p->cap * sizeof(*p->code));
	}
	struct qnode *q = &p->code[p->n++];
	q->op = (uint8_t)op;
	q->size = 1;
	if (op == IDX_Q_TERM) {
		if (term[0] == 'S' || (term[0] == 'Z' && term[1] == 'S'))
			p->title_terms = 1; /* title:... */
		int t = intern_id(c->vocab, term, 1);
		if (t < 0) {
			q->op = IDX_Q_UNKNOWN; /* a vocabulary of a billion terms: let Xapian decide */
			t = 0;
		}
		q->arg = (uint32_t)t;
	} else {
		q->arg = (uint32_t)nsub;
	}
}

/* Sets the subtree sizes from the node at i on; returns the size of its subtree. */
static uint32_t compile_sizes(struct qnode *q, size_t i)
{
	uint32_t size = 1;
	if (q[i].op != IDX_Q_TERM)
		for (uint32_t k = 0; k < q[i].arg; k++)
			size += compile_sizes(q, i + size);
	q[i].size = size;
	return size;
}

uint32_t qprog_compile(struct qprog *p, struct intern *vocab, struct idx *mem, const struct idx_query *q)
{
	struct compiler c = {p, vocab, p->n};
	if (idx_query_walk(mem, q, compile_node, &c) || p->n == c.start) {
		p->n = c.start;
		compile_node(&c, IDX_Q_UNKNOWN, NULL, 0);
	}
	compile_sizes(p->code, c.start);
	return (uint32_t)c.start;
}

void qprog_release(struct qprog *p)
{
	free(p->code);
	p->code = NULL;
	p->n = p->cap = 0;
}

int qprog_run(const struct qnode *q, const uint32_t *seen, uint32_t stamp)
{
	const struct qnode *c = q + 1;
	int unknown = 0;
	switch ((enum idx_qop)q->op) {
	case IDX_Q_TERM:
		return seen[q->arg] == stamp;
	case IDX_Q_ALL:
		return 1;
	case IDX_Q_NONE:
		return 0;
	case IDX_Q_AND:
	case IDX_Q_PHRASE:
		for (uint32_t k = 0; k < q->arg; k++, c += c->size) {
			int r = qprog_run(c, seen, stamp);
			if (!r)
				return 0;
			unknown |= r < 0;
		}
		return unknown || q->op == IDX_Q_PHRASE ? -1 : 1;
	case IDX_Q_OR:
		for (uint32_t k = 0; k < q->arg; k++, c += c->size) {
			int r = qprog_run(c, seen, stamp);
			if (r == 1)
				return 1;
			unknown |= r < 0;
		}
		return unknown ? -1 : 0;
	case IDX_Q_AND_NOT: {
		int a = q->arg ? qprog_run(c, seen, stamp) : 1, b = 0;
		if (!a)
			return 0;
		c += q->arg ? c->size : 0;
		for (uint32_t k = 1; k < q->arg && b != 1; k++, c += c->size) {
			int r = qprog_run(c, seen, stamp);
			b = r == 1 ? 1 : r < 0 ? -1 : b;
		}
		if (b == 1)
			return 0;
		return a == 1 && !b ? 1 : -1;
	}
	case IDX_Q_UNKNOWN:
	default:
		return -1;
	}
}

int qprog_anchors(const struct intern *vocab, const struct qnode *q, uint32_t *out)
{
	const struct qnode *c = q + 1;
	switch ((enum idx_qop)q->op) {
	case IDX_Q_TERM:
		out[0] = q->arg;
		return 1;
	case IDX_Q_NONE:
		return 0;
	case IDX_Q_AND:
	case IDX_Q_PHRASE: {
		/* The fewest terms, then the longest (the rarer, as a rule). */
		int best = -1;
		size_t best_len = 0;
		uint32_t tmp[ANCHOR_MAX];
		for (uint32_t k = 0; k < q->arg; k++, c += c->size) {
			int n = qprog_anchors(vocab, c, tmp);
			if (n < 0)
				continue;
			size_t len = n ? strlen(vocab->names[tmp[0]]) : 0;
			if (best < 0 || n < best || (n == best && len > best_len)) {
				best = n;
				best_len = len;
				memcpy(out, tmp, (size_t)n * sizeof(*out));
			}
		}
		return best;
	}
	case IDX_Q_OR: {
		int total = 0;
		uint32_t tmp[ANCHOR_MAX];
		for (uint32_t k = 0; k < q->arg; k++, c += c->size) {
			int n = qprog_anchors(vocab, c, tmp);
			if (n < 0 || total + n > ANCHOR_MAX)
				return -1;
			memcpy(out + total, tmp, (size_t)n * sizeof(*out));
			total += n;
		}
		return total;
	}
	case IDX_Q_AND_NOT:
		return q->arg ? qprog_anchors(vocab, c, out) : -1;
	case IDX_Q_ALL:
	case IDX_Q_UNKNOWN:
	default:
		return -1;
	}
}

int qprog_anchor_decides(const struct qnode *q)
{
	if (q->op == IDX_Q_TERM)
		return 1;
	if (q->op != IDX_Q_OR)
		return 0;
	const struct qnode *c = q + 1;
	for (uint32_t k = 0; k < q->arg; k++, c += c->size)
		if (c->op != IDX_Q_TERM)
			return 0;
	return 1;
}
