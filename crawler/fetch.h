/* fetch.h: HTTP(S) and file:// transfers with libcurl's multi interface driven by the libev loop. */
#ifndef TBT_FETCH_H
#define TBT_FETCH_H

#include "buf.h"
#include "util.h"

#include <ev.h>
#include <stddef.h>

struct fetcher;

struct fetch_opts {
	double connect_timeout; /* seconds */
	double timeout;         /* seconds, whole transfer */
	size_t max_body;        /* bytes: a larger body is an error, never truncated */
	long max_host_connections;
	long max_connections;
	double polite_delay; /* seconds between the end of one request to a host and the start of the next */
	const char *ca_file; /* NULL: the system's bundle */
	const char *proxy;   /* NULL: libcurl's usual environment variables (http_proxy, https_proxy, no_proxy) */
	const char *user_agent;
	int allow_file; /* accept file:// URLs (and never follow redirects to them) */
};

/* Sets the defaults: 10 s to connect, 120 s in all, 64 MiB, 4 per host, 0.2 s politeness, file:// allowed. */
void fetch_opts_default(struct fetch_opts *o);

struct fetch_req {
	const char *url;
	const char *etag;          /* sent as If-None-Match, when set */
	const char *last_modified; /* sent as If-Modified-Since, when set */
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
	const char *secret_header;  /* a header whose value must never be logged (API keys), or NULL */
	/* To send rather than fetch: a body POSTed to an http(s) URL, or, with mail_from and mail_rcpt, a message
	 * sent to an smtp:// or smtps:// relay. The body is copied. */
	const char *body;
	size_t body_len;
	const char *mail_from, *mail_rcpt;
};

struct fetch_result {
	const char *url;     /* as requested; borrowed */
	char *effective_url; /* after redirects */
	long status;         /* HTTP status, 0 when none was received */
	int failed;          /* transport failure, body over the cap, or HTTP status >= 400 */
	int not_modified;    /* 304 */
	char error[ERRBUF_SIZE];
	struct buf body;
	char *etag, *last_modified, *content_type;
	double retry_after; /* seconds from a Retry-After header, or 0 */
	double seconds;     /* time the transfer took */
};

/* Called once per request when it ends, from the loop. The result is freed after the call returns. */
typedef void (*fetch_done_fn)(void *arg, struct fetch_result *r);

/* Creates a fetcher on loop (borrowed; must outlive the fetcher). Copies what it needs of o. */
struct fetcher *fetcher_new(struct ev_loop *loop, const struct fetch_opts *o);
/* Cancels transfers still running (their callbacks are not called) and frees everything. */
void fetcher_free(struct fetcher *f);

/* Queues a request; it starts when the per-host cap and politeness delay allow. Returns 0 or -EINVAL for a URL
 * that is not http, https or (when allowed) file. The request's strings are copied. */
int fetch_start(struct fetcher *f, const struct fetch_req *req, fetch_done_fn done, void *arg);
/* Requests queued or running. */
size_t fetch_pending(const struct fetcher *f);

#endif
