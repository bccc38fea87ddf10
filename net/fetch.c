/* fetch.c: curl_multi on libev. Socket and timer callbacks translate events into curl_multi_socket_action; a small
 * per-host queue adds the politeness delay that curl does not have. */
#include "net/fetch.h"

#include "netguard.h"

#include <curl/curl.h>
#include <zlib.h>
#include <sys/socket.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct transfer;
struct fetcher;

/* A curl multi handle on the loop: its socket watchers and its one timer. The fetcher's own runs every transfer but
 * the connect_only ones: each of those gets its own, so that the session it hands over sits in a connection cache
 * that no other transfer touches (libcurl keeps a CONNECT_ONLY connection in the cache of the multi handle that made
 * it, and a new transfer there may prune it as dead when a reply waits on it, or close it to make room). */
struct multi {
	CURLM *h;
	ev_timer timer; /* curl's timeout */
	struct fetcher *f;
	int own; /* a connect_only transfer's own, freed with it */
};

/* A host with its own queue, so that starting the next request costs a look at each host, not at each request. */
struct host {
	char *name;
	int local; /* file:// URLs: no server to be polite to */
	int active;
	ev_tstamp next_allowed;
	struct transfer *queue, *queue_tail;
	struct host *next;
};

struct transfer {
	struct fetcher *f;
	struct multi *m; /* the fetcher's, or the transfer's own (connect_only) */
	CURL *easy;
	struct curl_slist *headers;
	struct host *host;
	char *url, *etag, *last_modified;
	char **extra; /* copied header lines */
	char *send_body, *mail_from;
	size_t send_len, send_off;
	struct curl_slist *rcpt;
	fetch_done_fn done;
	void *arg;
	struct fetch_result res;
	char *ca_file;
	int over_cap;
	int connect_only;
	/* Guarded requests: every address connected to is checked (guard); unguarded ones: addresses reached after a
	 * redirect to another host are checked (the fetcher's redirect_guard). refused says why a socket was refused. */
	const struct netguard *guard;
	char refused[160];
	/* Content decoding is ours, so that the cap applies to the decoded size (a gzip bomb stops at the cap) and a
	 * stream cut short is an error (libcurl 7.88 passes a truncated gzip body as good). */
	int encoded;      /* 1 while a gzip or deflate body is being inflated */
	int stream_end;   /* the compressed stream ended properly */
	int bad_encoding; /* inflate failed */
	z_stream z;
	ev_tstamp started;
	struct transfer *next;               /* in the wait queue */
	struct transfer *act_prev, *act_next; /* in the list of running transfers */
};

/* A session handed over after a connect_only transfer: its easy handle stays in the multi handle (libcurl keeps
 * the connection with it), in a list so that the fetcher can close what its users left open. */
struct fetch_conn {
	struct fetcher *f;
	struct multi *m; /* its own */
	CURL *easy;
	struct fetch_conn *prev, *next;
};

/* The ev_io watcher of one socket, kept with curl_multi_assign. */
struct sock {
	ev_io io;
	struct multi *m;
};

struct fetcher {
	struct ev_loop *loop;
	struct multi main;
	/* Guarded requests (webhooks, robots) run on a multi handle of their own, so that they never reuse a connection
	 * that an unguarded request opened without the check. */
	struct multi guarded;
	ev_timer pump;  /* wakes the queue when a politeness delay ends */
	struct fetch_opts o;
	char *ca_file, *proxy, *user_agent;
	struct host *hosts;
	struct transfer *active;
	size_t running, queued;
	struct fetch_conn *conns;
	struct netguard redirects; /* what a redirect to another host may reach beyond public addresses */
};

void fetch_opts_default(struct fetch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout = 10;
	o->timeout = 120;
	o->max_body = 64u * 1024 * 1024;
	o->max_host_connections = 4;
	o->max_connections = 64;
	o->polite_delay = 0.2;
	o->user_agent = "tbtwarn/0.1 (+https://github.com/tbtwarn)";
	o->allow_file = 1;
	o->guard_redirects = 1;
}

static void check_done(struct multi *m);
static void pump_queue(struct fetcher *f);

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct multi *m = w->data;
	int running;
	(void)loop;
	(void)revents;
	curl_multi_socket_action(m->h, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(m);
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	/* curl may close the socket inside the call and free its watcher (on_socket): keep what we need first. */
	struct multi *m = ((struct sock *)w)->m;
	int running, action = (revents & EV_READ ? CURL_CSELECT_IN : 0) | (revents & EV_WRITE ? CURL_CSELECT_OUT : 0);
	(void)loop;
	curl_multi_socket_action(m->h, w->fd, action, &running);
	check_done(m);
}

/* CURLMOPT_SOCKETFUNCTION: start, change or stop the watcher of a socket. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct multi *m = userp;
	struct sock *s = socketp;
	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			ev_io_stop(m->f->loop, &s->io);
			free(s);
			curl_multi_assign(m->h, fd, NULL);
		}
		return 0;
	}
	int events = (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
	if (!s) {
		s = xcalloc(1, sizeof(*s));
		s->m = m;
		curl_multi_assign(m->h, fd, s);
	} else {
		ev_io_stop(m->f->loop, &s->io);
	}
	ev_io_init(&s->io, on_io, fd, events);
	ev_io_start(m->f->loop, &s->io);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: one timer; 0 means "soon" (never call curl from inside its own callback). */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct multi *m = userp;
	(void)multi;
	ev_timer_stop(m->f->loop, &m->timer);
	if (timeout_ms >= 0) {
		ev_timer_set(&m->timer, (double)timeout_ms / 1000.0, 0.0);
		ev_timer_start(m->f->loop, &m->timer);
	}
	return 0;
}

static void multi_init(struct multi *m, struct fetcher *f)
{
	m->f = f;
	m->h = curl_multi_init();
	if (!m->h)
		out_of_memory("curl_multi_init"); /* libcurl fails it only for lack of memory */
	curl_multi_setopt(m->h, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(m->h, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->h, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(m->h, CURLMOPT_TIMERDATA, m);
	ev_timer_init(&m->timer, on_timer, 0., 0.);
	m->timer.data = m;
}

static void multi_release(struct multi *m)
{
	ev_timer_stop(m->f->loop, &m->timer);
	curl_multi_cleanup(m->h);
}

/* A transfer's own multi handle goes with it; the fetcher's stays. */
static void multi_drop(struct multi *m)
{
	if (m && m->own) {
		multi_release(m);
		free(m);
	}
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	if (!t->encoded) {
		if (buf_add(&t->res.body, data, size * n)) {
			t->over_cap = 1;
			return 0; /* curl stops the transfer with CURLE_WRITE_ERROR */
		}
		return size * n;
	}
	t->z.next_in = (Bytef *)data;
	t->z.avail_in = (uInt)(size * n);
	while (t->z.avail_in && !t->stream_end) {
		unsigned char out[16384];
		t->z.next_out = out;
		t->z.avail_out = sizeof(out);
		int zr = inflate(&t->z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			t->bad_encoding = 1;
			return 0;
		}
		if (buf_add(&t->res.body, out, sizeof(out) - t->z.avail_out)) {
			t->over_cap = 1;
			return 0;
		}
		if (zr == Z_STREAM_END)
			t->stream_end = 1;
	}
	return size * n;
}

static char *header_value(const char *line, size_t len, const char *name)
{
	size_t nl = strlen(name);
	if (len <= nl + 1 || strncasecmp(line, name, nl) || line[nl] != ':')
		return NULL;
	return strndup_trim(line + nl + 1, len - nl - 1);
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * n;
	char *v;
	if (t->connect_only) {
		/* The replies of the session's setup (greeting, EHLO): the caller reads the capabilities in them. */
		if (buf_add(&t->res.body, data, len))
			t->over_cap = 1;
		return len;
	}
	/* A new response (after a redirect) starts with its status line: forget the previous one's headers. */
	if (len > 5 && !strncmp(data, "HTTP/", 5)) {
		free(t->res.etag);
		free(t->res.last_modified);
		t->res.etag = t->res.last_modified = NULL;
		t->res.retry_after = 0;
	}
	if ((v = header_value(data, len, "Content-Encoding"))) {
		if (!strcasecmp(v, "gzip") || !strcasecmp(v, "x-gzip") || !strcasecmp(v, "deflate")) {
			if (t->encoded)
				inflateEnd(&t->z);
			memset(&t->z, 0, sizeof(t->z));
			/* 15 + 32: zlib or gzip, detected from the header. */
			t->encoded = inflateInit2(&t->z, 15 + 32) == Z_OK;
			t->stream_end = 0;
		}
		free(v);
	} else if ((v = header_value(data, len, "ETag"))) {
		free(t->res.etag);
		t->res.etag = v;
	} else if ((v = header_value(data, len, "Last-Modified"))) {
		free(t->res.last_modified);
		t->res.last_modified = v;
	} else if ((v = header_value(data, len, "Retry-After"))) {
		long secs;
		if (!parse_long(v, 0, 7 * 86400, &secs)) {
			t->res.retry_after = (double)secs;
		} else {
			/* An HTTP date. */
			time_t when = curl_getdate(v, NULL);
			if (when > 0)
				t->res.retry_after = fmax(0.0, (double)(when - time(NULL)));
		}
		free(v);
	}
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	size_t left = t->send_len - t->send_off, want = size * n;
	if (want > left)
		want = left;
	memcpy(buf, t->send_body + t->send_off, want);
	t->send_off += want;
	return want;
}

/* The host part of url, or NULL; caller frees. */
static char *url_host(const char *url)
{
	CURLU *u = curl_url();
	char *h = NULL, *out = NULL;
	if (u && !curl_url_set(u, CURLUPART_URL, url, 0) && !curl_url_get(u, CURLUPART_HOST, &h, 0) && h)
		out = xstrdup(h);
	curl_free(h);
	curl_url_cleanup(u);
	return out;
}

static struct host *host_of(struct fetcher *f, const char *url)
{
	char *h = url_host(url);
	const char *name = h ? h : "";
	for (struct host *x = f->hosts; x; x = x->next)
		if (!strcmp(x->name, name)) {
			free(h);
			return x;
		}
	struct host *x = xcalloc(1, sizeof(*x));
	x->name = h ? h : xstrdup("");
	x->local = starts_with_ci(url, "file:");
	x->next = f->hosts;
	f->hosts = x;
	return x;
}

struct fetcher *fetcher_new(struct ev_loop *loop, const struct fetch_opts *o)
{
	struct fetcher *f = xcalloc(1, sizeof(*f));
	static int global_done;
	if (!global_done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		global_done = 1;
	}
	f->loop = loop;
	f->o = *o;
	f->ca_file = o->ca_file ? xstrdup(o->ca_file) : NULL;
	f->proxy = o->proxy ? xstrdup(o->proxy) : NULL;
	f->user_agent = xstrdup(o->user_agent ? o->user_agent : "tbtwarn");
	f->o.ca_file = f->ca_file;
	f->o.proxy = f->proxy;
	f->o.user_agent = f->user_agent;
	netguard_init(&f->redirects);
	if (o->redirect_allow) {
		char err[ERRBUF_SIZE];
		netguard_add(&f->redirects, o->redirect_allow, err, sizeof(err));
	}
	f->o.redirect_allow = NULL;
	multi_init(&f->main, f);
	multi_init(&f->guarded, f);
	for (struct multi *m = &f->main; m; m = m == &f->main ? &f->guarded : NULL) {
		curl_multi_setopt(m->h, CURLMOPT_MAX_HOST_CONNECTIONS, o->max_host_connections);
		curl_multi_setopt(m->h, CURLMOPT_MAX_TOTAL_CONNECTIONS, o->max_connections);
		curl_multi_setopt(m->h, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	}
	ev_timer_init(&f->pump, NULL, 0., 0.);
	return f;
}

static void transfer_free(struct transfer *t)
{
	if (t->easy)
		curl_easy_cleanup(t->easy);
	multi_drop(t->m);
	if (t->encoded)
		inflateEnd(&t->z);
	curl_slist_free_all(t->headers);
	free(t->url);
	free(t->etag);
	free(t->last_modified);
	free(t->send_body);
	free(t->mail_from);
	free(t->ca_file);
	curl_slist_free_all(t->rcpt);
	for (char **h = t->extra; h && *h; h++)
		free(*h);
	free(t->extra);
	buf_release(&t->res.body);
	free(t->res.effective_url);
	free(t->res.etag);
	free(t->res.last_modified);
	free(t->res.content_type);
	free(t->res.redirect_url);
	free(t);
}

void fetcher_free(struct fetcher *f)
{
	if (!f)
		return;
	/* Transfers still running: remove them from the multi handle first, then free. */
	for (struct transfer *t = f->active, *nx; t; t = nx) {
		nx = t->act_next;
		curl_multi_remove_handle(t->m->h, t->easy);
		transfer_free(t);
	}
	for (struct host *h = f->hosts; h; h = h->next)
		for (struct transfer *t = h->queue, *nx; t; t = nx) {
			nx = t->next;
			transfer_free(t);
		}
	while (f->conns)
		fetch_conn_close(f->conns);
	ev_timer_stop(f->loop, &f->pump);
	multi_release(&f->main);
	multi_release(&f->guarded);
	netguard_release(&f->redirects);
	for (struct host *h = f->hosts, *nx; h; h = nx) {
		nx = h->next;
		free(h->name);
		free(h);
	}
	free(f->ca_file);
	free(f->proxy);
	free(f->user_agent);
	free(f);
}

/* Takes a transfer that has left the multi handle off the running list. */
static void unlink_active(struct fetcher *f, struct transfer *t)
{
	if (t->act_prev)
		t->act_prev->act_next = t->act_next;
	else
		f->active = t->act_next;
	if (t->act_next)
		t->act_next->act_prev = t->act_prev;
	f->running--;
	t->host->active--;
}

void fetch_cancel(struct fetcher *f, void *arg)
{
	for (struct transfer *t = f->active, *nx; t; t = nx) {
		nx = t->act_next;
		if (t->arg != arg)
			continue;
		curl_multi_remove_handle(t->m->h, t->easy);
		unlink_active(f, t);
		transfer_free(t);
	}
	for (struct host *h = f->hosts; h; h = h->next) {
		struct transfer **p = &h->queue, *last = NULL;
		while (*p) {
			struct transfer *t = *p;
			if (t->arg == arg) {
				*p = t->next;
				f->queued--;
				transfer_free(t);
				continue;
			}
			last = t;
			p = &t->next;
		}
		h->queue_tail = last;
	}
}

size_t fetch_pending(const struct fetcher *f)
{
	return f->running + f->queued;
}

/* CURLOPT_OPENSOCKETFUNCTION: the one place where the address actually connected to is known, after resolution and
 * for every redirect and every address tried. A refused address gets no socket; libcurl tries the next one or fails
 * the transfer, and finish() reports why. */
static curl_socket_t on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct transfer *t = arg;
	const struct netguard *g = t->guard;
	(void)purpose;
	if (!g && t->f->o.guard_redirects) {
		/* An unguarded request (a source the operator chose) is trusted for its own host; a redirect elsewhere is
		 * not: a public source must not send us into the intranet or to a cloud metadata service. */
		char *eff = NULL;
		long redirects = 0;
		curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_COUNT, &redirects);
		curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &eff);
		if (redirects > 0 && eff) {
			/* Hosts are compared only when a redirect happened: most transfers never parse a URL here. */
			char *host = url_host(eff);
			if (!host || strcasecmp(host, t->host->name))
				g = &t->f->redirects;
			free(host);
		}
	}
	const char *why = g ? netguard_refuse(g, &a->addr) : NULL;
	if (why) {
		char ip[64];
		netguard_format(&a->addr, ip, sizeof(ip));
		snprintf(t->refused, sizeof(t->refused), "refused to connect to %s: %s%s", ip, why,
			 t->guard ? "" : " reached by a redirect");
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static void begin(struct fetcher *f, struct transfer *t)
{
	CURL *e = curl_easy_init();
	if (!e)
		out_of_memory("curl_easy_init"); /* libcurl fails it only for lack of memory */
	t->easy = e;
	t->started = ev_now(f->loop);
	t->host->active++;
	curl_easy_setopt(e, CURLOPT_URL, t->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->res.error);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
	/* Redirects only ever to http or https: never to file:, whatever the first URL was. */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, t->rcpt || t->connect_only ? "smtp,smtps" : f->o.allow_file ? "http,https,file" : "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	t->headers = curl_slist_append(t->headers, "Accept-Encoding: gzip, deflate");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(f->o.connect_timeout * 1000));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(f->o.timeout * 1000));
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->o.max_body);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, f->o.user_agent);
	if (t->ca_file || f->o.ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file ? t->ca_file : f->o.ca_file);
	if (t->guard) {
		/* Through a proxy the socket would reach the proxy, and the check could not see the target. */
		curl_easy_setopt(e, CURLOPT_PROXY, "");
		curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	} else if (f->o.proxy) {
		curl_easy_setopt(e, CURLOPT_PROXY, f->o.proxy);
	}
	for (char **h = t->extra; h && *h; h++)
		t->headers = curl_slist_append(t->headers, *h);
	if (t->etag) {
		char line[512];
		snprintf(line, sizeof(line), "If-None-Match: %s", t->etag);
		t->headers = curl_slist_append(t->headers, line);
	}
	if (t->last_modified) {
		char line[256];
		snprintf(line, sizeof(line), "If-Modified-Since: %s", t->last_modified);
		t->headers = curl_slist_append(t->headers, line);
	}
	if (t->connect_only) {
		curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
		curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	} else if (t->rcpt) {
		/* A message to a mail relay: STARTTLS when the relay offers it, the body read from memory. */
		curl_easy_setopt(e, CURLOPT_MAIL_FROM, t->mail_from);
		curl_easy_setopt(e, CURLOPT_MAIL_RCPT, t->rcpt);
		curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, t);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)t->send_len);
	} else {
		if (t->send_body) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->send_body);
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->send_len);
			curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L); /* a webhook is delivered where it was said */
		}
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	}
	f->running++;
	t->act_next = f->active;
	if (f->active)
		f->active->act_prev = t;
	f->active = t;
	if (t->connect_only) {
		t->m = xcalloc(1, sizeof(*t->m));
		multi_init(t->m, f);
		t->m->own = 1;
	} else {
		t->m = t->guard ? &f->guarded : &f->main;
	}
	curl_multi_add_handle(t->m->h, e);
}

static void on_pump(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	pump_queue(w->data);
}

/* Starts every queued transfer whose host allows it now; arms the pump timer for the earliest host that does not. */
static void pump_queue(struct fetcher *f)
{
	ev_tstamp now = ev_now(f->loop), wake = 0;
	for (struct host *h = f->hosts; h; h = h->next) {
		while (h->queue && h->active < f->o.max_host_connections && h->next_allowed <= now) {
			struct transfer *t = h->queue;
			h->queue = t->next;
			if (!h->queue)
				h->queue_tail = NULL;
			t->next = NULL;
			f->queued--;
			/* The politeness delay spaces out the starts of requests to one host. */
			if (f->o.polite_delay > 0 && !h->local)
				h->next_allowed = now + f->o.polite_delay;
			begin(f, t);
		}
		if (h->queue && h->next_allowed > now && (!wake || h->next_allowed < wake))
			wake = h->next_allowed;
	}
	ev_timer_stop(f->loop, &f->pump);
	if (wake) {
		ev_timer_init(&f->pump, on_pump, wake - now, 0.);
		f->pump.data = f;
		ev_timer_start(f->loop, &f->pump);
	}
}

int fetch_start(struct fetcher *f, const struct fetch_req *req, fetch_done_fn done, void *arg)
{
	int mail = req->mail_rcpt != NULL || req->connect_only;
	if (mail ? (!starts_with_ci(req->url, "smtp://") && !starts_with_ci(req->url, "smtps://"))
		 : (!starts_with_ci(req->url, "http://") && !starts_with_ci(req->url, "https://") &&
		    !(f->o.allow_file && starts_with_ci(req->url, "file://"))))
		return -EINVAL;
	struct transfer *t = xcalloc(1, sizeof(*t));
	size_t nh = 0;
	t->f = f;
	t->url = xstrdup(req->url);
	t->etag = req->etag && *req->etag ? xstrdup(req->etag) : NULL;
	t->last_modified = req->last_modified && *req->last_modified ? xstrdup(req->last_modified) : NULL;
	while (req->headers && req->headers[nh])
		nh++;
	t->extra = xcalloc(nh + 1, sizeof(char *));
	for (size_t i = 0; i < nh; i++)
		t->extra[i] = xstrdup(req->headers[i]);
	t->done = done;
	t->arg = arg;
	if (req->body) {
		t->send_body = xmalloc(req->body_len + 1);
		memcpy(t->send_body, req->body, req->body_len);
		t->send_body[req->body_len] = '\0';
		t->send_len = req->body_len;
	}
	t->connect_only = req->connect_only;
	t->guard = req->guard;
	t->ca_file = req->ca_file ? xstrdup(req->ca_file) : NULL;
	if (req->mail_rcpt) {
		t->mail_from = xstrdup(req->mail_from ? req->mail_from : "");
		t->rcpt = curl_slist_append(NULL, req->mail_rcpt);
	}
	t->res.url = t->url;
	buf_init(&t->res.body, f->o.max_body);
	struct host *h = t->host = host_of(f, t->url);
	if (h->queue_tail)
		h->queue_tail->next = t;
	else
		h->queue = t;
	h->queue_tail = t;
	f->queued++;
	pump_queue(f);
	return 0;
}

static void finish(struct fetcher *f, struct transfer *t, CURLcode code)
{
	struct fetch_result *r = &t->res;
	char *ct = NULL, *eff = NULL;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ct);
	curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &eff);
	r->content_type = ct ? xstrdup(ct) : NULL;
	r->effective_url = xstrdup(eff ? eff : t->url);
	if (t->guard) {
		/* A guarded request follows no redirect: the caller may, guarded again, to where this one pointed. */
		char *loc = NULL;
		if (curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc)
			r->redirect_url = xstrdup(loc);
	}
	r->seconds = ev_now(f->loop) - t->started;
	if (t->over_cap || code == CURLE_FILESIZE_EXCEEDED) {
		r->failed = r->too_large = 1;
		errf(r->error, sizeof(r->error), "body larger than the %zu-byte limit", f->o.max_body);
	} else if (t->bad_encoding) {
		r->failed = 1;
		errf(r->error, sizeof(r->error), "compressed body is corrupt: %s", t->z.msg ? t->z.msg : "inflate failed");
	} else if (code != CURLE_OK && t->refused[0]) {
		r->failed = r->refused = 1;
		errf(r->error, sizeof(r->error), "%s", t->refused);
	} else if (code != CURLE_OK) {
		r->failed = 1;
		if (!r->error[0])
			errf(r->error, sizeof(r->error), "%s", curl_easy_strerror(code));
	} else if (t->encoded && !t->stream_end && r->status != 304) {
		r->failed = 1;
		errf(r->error, sizeof(r->error), "compressed body cut short (the gzip or deflate stream did not end)");
	} else if (r->status == 304) {
		r->not_modified = 1;
	} else if (r->status >= 400) {
		r->failed = 1;
		errf(r->error, sizeof(r->error), "HTTP %ld", r->status);
	} else if (t->rcpt || t->send_body || t->connect_only) {
		/* Sent: any 2xx from a webhook, 250 from the relay. */
		if (r->status >= 300 && !t->rcpt) {
			r->failed = 1;
			errf(r->error, sizeof(r->error), "HTTP %ld", r->status);
		}
	} else if (r->status != 0 && r->status != 200 && r->status != 203) {
		/* 2xx without a body we can use (204, 206...) is not a document. */
		if (r->status >= 300 || r->status == 204) {
			r->failed = 1;
			errf(r->error, sizeof(r->error), "unexpected HTTP %ld", r->status);
		}
	}
	if (t->connect_only && !r->failed) {
		/* The session goes to the caller; the handle stays in the multi handle, which holds the connection. */
		struct fetch_conn *c = xcalloc(1, sizeof(*c));
		c->f = f;
		c->m = t->m;
		t->m = NULL;
		c->easy = t->easy;
		curl_easy_setopt(c->easy, CURLOPT_PRIVATE, NULL);
		c->next = f->conns;
		if (f->conns)
			f->conns->prev = c;
		f->conns = c;
		t->easy = NULL;
		r->conn = c;
	} else {
		curl_multi_remove_handle(t->m->h, t->easy);
	}
	unlink_active(f, t);
	if (f->o.polite_delay > 0 && !t->host->local)
		t->host->next_allowed = fmax(t->host->next_allowed, ev_now(f->loop) + f->o.polite_delay);
	t->done(t->arg, r);
	transfer_free(t);
}

static void check_done(struct multi *m)
{
	struct fetcher *f = m->f;
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(m->h, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct transfer *t = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		int own = m->own;
		finish(f, t, msg->data.result);
		if (own)
			break; /* a transfer's own multi handle held only it, and is gone or handed over with its session */
	}
	pump_queue(f);
}

int fetch_conn_fd(const struct fetch_conn *c)
{
	curl_socket_t fd = CURL_SOCKET_BAD;
	if (curl_easy_getinfo(c->easy, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK)
		return -1;
	return (int)fd;
}

int fetch_conn_tls(const struct fetch_conn *c)
{
	struct curl_tlssessioninfo *info = NULL;
	if (curl_easy_getinfo(c->easy, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || !info)
		return 1; /* unknown: the careful answer */
	return info->backend != CURLSSLBACKEND_NONE && info->internals != NULL;
}

int fetch_conn_send(struct fetch_conn *c, const void *p, size_t n, size_t *sent, char *err, size_t errlen)
{
	*sent = 0;
	CURLcode rc = curl_easy_send(c->easy, p, n, sent);
	if (rc == CURLE_AGAIN)
		return -EAGAIN;
	if (rc != CURLE_OK) {
		errf(err, errlen, "send failed: %s", curl_easy_strerror(rc));
		return -EIO;
	}
	return 0;
}

int fetch_conn_recv(struct fetch_conn *c, void *p, size_t n, size_t *got, char *err, size_t errlen)
{
	*got = 0;
	CURLcode rc = curl_easy_recv(c->easy, p, n, got);
	if (rc == CURLE_AGAIN)
		return -EAGAIN;
	if (rc != CURLE_OK) {
		errf(err, errlen, "receive failed: %s", curl_easy_strerror(rc));
		return -EIO;
	}
	return 0;
}

void fetch_conn_close(struct fetch_conn *c)
{
	if (!c)
		return;
	struct fetcher *f = c->f;
	if (c->prev)
		c->prev->next = c->next;
	else
		f->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	curl_multi_remove_handle(c->m->h, c->easy);
	curl_easy_cleanup(c->easy);
	multi_drop(c->m);
	free(c);
}
