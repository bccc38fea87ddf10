/* draft.h: machine drafts of an analysis (解读初稿), asked for by an analyst (advice.h's queue) and written by the
 * translator's OpenAI-compatible provider, one at a time, on the service's loop. A draft is stored as the
 * analysis's current text, unpublished and marked "machine": nobody outside the staff sees it until an analyst
 * publishes it, reviewed. A person's text is never replaced. */
#ifndef TBT_DRAFT_H
#define TBT_DRAFT_H

#include "translate.h"

struct drafter;
/* f and o are the translator's (borrowed); report where each outcome is said, or NULL. */
struct drafter *drafter_new(struct archive *a, struct fetcher *f, const struct translate_opts *o);
void drafter_free(struct drafter *d);
void drafter_set_report(struct drafter *d, FILE *out);
/* Starts the next draft due when none is in flight and the provider is not paused. budget: characters the day
 * still allows (-1: no budget). Returns the characters sent (0: none). */
long drafter_fill(struct drafter *d, long budget);
/* Whether a draft is in flight. */
int drafter_busy(const struct drafter *d);

/* The checks a model's answer passes before it is stored: a JSON object {summary_zh (Chinese, 1 to 4,000 bytes),
 * requirements_zh (up to 8,000), actions_zh (1 to 20 texts of up to 1,000)}; the stored document (with "machine":
 * model and no links: a model's links are not trusted), or NULL with why. */
json_t *draft_check(const char *content, const char *model, char *why, size_t whylen);

#endif
