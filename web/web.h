/* web.h: the HTTP front door: the JSON API, feeds, calendars, subscription pages and the static web UI, served by
 * libmicrohttpd on the service's libev loop. */
#ifndef TBT_WEB_H
#define TBT_WEB_H

#include "alert.h"
#include "archive.h"
#include "crawl.h"

#include <ev.h>
#include <stdio.h>

/* A rate: n requests per per seconds ("20/1m"). */
struct web_rate {
	double n, per;
};

struct web_opts {
	const char *listen;      /* "127.0.0.1:8080"; port 0 picks a free one */
	const char *admin_token; /* bearer token of the administration endpoints; NULL disables them */
	int read_only;           /* a mirror: no subscriptions */
	FILE *access_log;        /* one logfmt line per request, or NULL */
	unsigned timeout;        /* seconds a connection may stay idle */
	size_t max_body;         /* largest request body accepted */
	unsigned search_threads; /* searches on this many threads with their own archive handles; 0: on the loop */
	double head_timeout;     /* seconds in which a request's line and headers must be in (slow clients are cut) */
	double body_timeout;     /* seconds in which a request's body must be in, after its head */
	unsigned max_client_connections; /* connections at once from one address */
	struct web_rate write_rate, write_rate_global; /* state-changing requests per client, and in all */
	const char *trusted_proxies; /* addresses whose X-Forwarded-For names the client (a netguard list), or NULL */
	char *owned_token;       /* read from admin_token_file (freed by the process at exit) */
	const char *draft_model; /* the OpenAI-compatible model that writes machine drafts of analyses, or NULL: none */
};

void web_opts_default(struct web_opts *o);
/* Takes the [web] section of cfg (borrowed) and TBTWARN_LISTEN, TBTWARN_ADMIN_TOKEN. -EINVAL with err naming file,
 * line and key. */
int web_opts_load(struct web_opts *o, const struct ini *cfg, char *err, size_t errlen);

struct web;

/*
 * Starts serving on loop. a is the archive (borrowed), cr the crawler whose sources /api/sources reports (borrowed,
 * may be NULL), ao the alerter's options (links, tokens' secret; borrowed). Returns NULL with err when the address
 * cannot be bound.
 */
struct web *web_new(struct ev_loop *loop, struct archive *a, struct crawler *cr, const struct alert_opts *ao,
		    const struct web_opts *o, char *err, size_t errlen);
/* The crawler whose sources are reported (after a reload made a new one). */
void web_set_crawler(struct web *w, struct crawler *cr);
/* Options that can change while serving (after a reload): the admin token, read-only. */
void web_set_opts(struct web *w, const struct web_opts *o);
/* A function telling /healthz what is wrong (NULL: nothing). */
void web_set_status(struct web *w, const char *(*fn)(void *arg), void *arg);
/* The port actually bound. */
unsigned web_port(const struct web *w);
/* Stops accepting, closes connections and frees everything. */
void web_free(struct web *w);

#endif
