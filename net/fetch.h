/* fetch.h: HTTP(S) and file:// transfers with libcurl's multi interface driven by the libev loop. */
#ifndef TBT_FETCH_H
#define TBT_FETCH_H

#include "buf.h"
#include "netguard.h"
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
	/* A redirect to another host than the request's own may not lead to a loopback, private or other special
	 * address (a public source must not send us into the intranet), except to the ranges in redirect_allow (a
	 * netguard list, or NULL). On by default. */
	int guard_redirects;
	const char *redirect_allow;
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
	/* With connect_only (smtp:// and smtps:// only), the transfer ends once libcurl has set the session up:
	 * connected, greeted, EHLO, STARTTLS when offered, AUTH when the URL carries credentials. The result's conn then
	 * holds the open session for the caller, and its body the server's replies (the EHLO capabilities). */
	int connect_only;
	const char *ca_file; /* CA certificates for this request instead of the fetcher's, or NULL */
	/* A request made on someone else's behalf (a webhook, a robot): every address it connects to must pass this
	 * guard (borrowed; must outlive the request), it goes to no proxy and follows no redirect. The error then says
	 * "refused to connect to ADDRESS: WHY". One guard per fetcher: guarded requests share their connections. */
	const struct netguard *guard;
};

struct fetch_result {
	const char *url;     /* as requested; borrowed */
	char *effective_url; /* after redirects */
	long status;         /* HTTP status, 0 when none was received */
	int failed;          /* transport failure, body over the cap, or HTTP status >= 400 */
	int not_modified;    /* 304 */
	int refused;         /* a guard refused every address (error says which and why): nothing was sent */
	int too_large;       /* the body was over the cap (failed too) */
	char error[ERRBUF_SIZE];
	struct buf body;
	char *etag, *last_modified, *content_type;
	char *redirect_url; /* a guarded request answered 3xx: where it pointed (absolute), else NULL */
	double retry_after; /* seconds from a Retry-After header, or 0 */
	double seconds;     /* time the transfer took */
	struct fetch_conn *conn; /* connect_only: the session, owned by the callback (fetch_conn_close), else NULL */
};

/* Called once per request when it ends, from the loop. The result is freed after the call returns. */
typedef void (*fetch_done_fn)(void *arg, struct fetch_result *r);

/* Creates a fetcher on loop (borrowed; must outlive the fetcher). Copies what it needs of o; o->redirect_allow must
 * have passed netguard_add (a bad list is ignored). */
struct fetcher *fetcher_new(struct ev_loop *loop, const struct fetch_opts *o);
/* Cancels transfers still running (their callbacks are not called) and frees everything. */
void fetcher_free(struct fetcher *f);

/* Queues a request; it starts when the per-host cap and politeness delay allow. Returns 0 or -EINVAL for a URL
 * that is not http, https or (when allowed) file. The request's strings are copied. */
int fetch_start(struct fetcher *f, const struct fetch_req *req, fetch_done_fn done, void *arg);
/* Drops the requests queued or running with this callback argument, without calling their callbacks. */
void fetch_cancel(struct fetcher *f, void *arg);
/* Requests queued or running. */
size_t fetch_pending(const struct fetcher *f);

/*
 * A session handed over by a connect_only request: the caller speaks the protocol, through libcurl's own TLS when
 * there is one. Sockets are non-blocking: send and recv return -EAGAIN when they cannot go on now (wait on
 * fetch_conn_fd for readability or writability, then call again; read until -EAGAIN, as TLS may hold data back).
 */
struct fetch_conn;
int fetch_conn_fd(const struct fetch_conn *c);
/* 1 when the session runs over TLS (smtps://, or STARTTLS during the setup). */
int fetch_conn_tls(const struct fetch_conn *c);
/* Sends up to n bytes of p; *sent says how many went. Returns 0, -EAGAIN (nothing could go), or -EIO with err. */
int fetch_conn_send(struct fetch_conn *c, const void *p, size_t n, size_t *sent, char *err, size_t errlen);
/* Receives up to n bytes into p; *got 0 with a 0 return means the server closed. Returns 0, -EAGAIN or -EIO. */
int fetch_conn_recv(struct fetch_conn *c, void *p, size_t n, size_t *got, char *err, size_t errlen);
/* Closes the session and frees c (NULL is a no-op). A fetcher closes the sessions still open when it is freed. */
void fetch_conn_close(struct fetch_conn *c);

#endif
