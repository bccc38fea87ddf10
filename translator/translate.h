/* translate.h: machine translation of notifications into Chinese through a provider the operator chooses
 * (LibreTranslate, or an OpenAI-compatible chat-completions server), on the service's loop, from the durable queue
 * in the store, with a translation memory of segments, a glossary and checks before any answer is accepted. */
#ifndef TBT_TRANSLATE_H
#define TBT_TRANSLATE_H

#include "archive.h"
#include "net/fetch.h"
#include "ini.h"

#include <ev.h>
#include <stdio.h>

enum tr_provider { TP_NONE = 0, TP_LIBRE, TP_OPENAI };

struct translate_opts {
	enum tr_provider provider;
	const char *url;     /* the provider's base URL: {url}/translate, {url}/chat/completions */
	const char *key;     /* from the environment variable key_env; never logged */
	const char *key_env;
	const char *model;   /* openai: the model's name */
	const char *target;  /* libretranslate: the target language code (zh, zh-Hans) */
	double timeout;      /* seconds per request */
	int concurrency;     /* notifications in flight at once */
	long max_chars_per_day; /* English characters sent per UTC day (0: no budget) */
	double wait;         /* how long an immediate alert waits for its translation */
	double retry_base;   /* backoff after a provider failure */
	const char *allow;   /* netguard ranges the provider may be in beyond public addresses (a self-hosted one) */
};

void translate_opts_default(struct translate_opts *o);
/* Reads [translate] over the defaults; strings are borrowed from cfg (and the environment). 0, or -EINVAL with
 * file, line and key in err. */
int translate_opts_load(struct translate_opts *o, const struct ini *cfg, char *err, size_t errlen);

/* One glossary entry: an English term and the Chinese a translation must use for it. */
struct glossary;
/* The built-in glossary (config/glossary.tsv, compiled in). */
const struct glossary *glossary_builtin(void);

/* The checks an answer must pass before it is stored: Chinese, not the English echoed back, not an error page,
 * every number and code of the source kept, a plausible length. Returns NULL when it passes, else why (static). */
const char *translate_check(const char *src, const char *zh);
/* Glossary terms of src whose Chinese zh does not use, as "conformity assessment→合格评定; ..." in out ("" when
 * none). */
void translate_glossary_missed(const struct glossary *g, const char *src, const char *zh, char *out, size_t outlen);
/* Whether s holds a CJK ideograph. */
int translate_has_cjk(const char *s);
/* Splits text into segments (sentences; a title is one segment): appends each, white space folded, to out. */
void translate_segments(const char *text, int whole, struct strv *out);

/* POSTs body (JSON) to o's provider: {url}/translate or {url}/chat/completions, with the key as a bearer token for an
 * OpenAI-compatible one (never logged); done(arg, result) when it ends. 0, or fetch_start's refusal. */
int translate_post(struct fetcher *f, const struct translate_opts *o, const char *body, fetch_done_fn done, void *arg);

struct translator;
/* loop, a and fetcher are borrowed and must outlive it. NULL with err when the options cannot work. */
struct translator *translator_new(struct ev_loop *loop, struct archive *a, const struct translate_opts *o, char *err,
				  size_t errlen);
void translator_free(struct translator *t);
/* Where each finished notification is reported (one line), or NULL. */
void translator_set_report(struct translator *t, FILE *out);
/* Polls the queue on a timer (the service). */
void translator_start(struct translator *t);
/* Translates what is due now (the symbols given, when any, are queued first) and breaks the loop when nothing due
 * is left or the provider cannot be used (translate --once). */
void translator_run_once(struct translator *t, const struct strv *symbols);
/* Whether the provider refused the key or could not be reached at all in the last run (for exit statuses). */
int translator_fatal(const struct translator *t, char *why, size_t whylen);
/* Asks the provider to translate one test sentence and checks the answer (doctor): 0, or -EIO with why. */
int translator_probe(struct translator *t, char *why, size_t whylen);
/* Health: {provider, url, model, health, last_success, last_error, failures, chars_today, budget, queue}. */
json_t *translator_health_json(struct translator *t);
/* The configured provider as the running service last saved it, shaped like a crawler source's row (for `sources`):
 * {name: "translator:PROVIDER", kind: "translator", url, model, health, last_success, next_run, last_error,
 * failures, chars_today, budget, queue}. NULL when no provider is configured. Read-only: beside a running service. */
json_t *translator_state_json(struct archive *a, const struct translate_opts *o);

#endif
