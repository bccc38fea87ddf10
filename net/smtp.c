/* smtp.c: pipelined SMTP transactions on sessions that libcurl set up (see smtp.h). */
#include "net/smtp.h"

#include "buf.h"
#include "util.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A session idle this long says QUIT (a relay would drop it anyway). */
#define SMTP_IDLE 30.0

struct msg {
	char *from, *rcpt;
	char *raw; /* the message as given (libcurl's transfer stuffs it itself) */
	size_t len;
	fetch_done_fn done;
	void *arg;
	long code;
	int failed;    /* a reply refused it (code, error) */
	int body_sent; /* the relay may have it: never sent twice by this module */
	int retried;   /* sent again once on a new session after the first was lost before its body */
	char error[ERRBUF_SIZE];
	struct msg *next;
};

/* The replies a session waits for, in order. A message has MAIL, RCPT and DATA outstanding, then its DOT. */
enum expect_what { X_MAIL, X_RCPT, X_DATA, X_DOT, X_RSET };

struct expect {
	struct msg *m;
	enum expect_what what;
};

struct sess {
	struct smtp *s;
	struct fetch_conn *fc; /* NULL while libcurl sets the session up */
	ev_io io;
	ev_timer timer; /* the wait for a reply, or the idle time */
	int events;
	struct buf out; /* to write; out_off of it written */
	size_t out_off;
	struct buf in; /* received, not yet a whole reply line */
	struct expect *exp;
	size_t head, n, cap;
	int awaiting_data; /* a message's DATA is outstanding: the next message waits for its 354 */
	int tls;
	struct sess *next;
};

struct smtp {
	struct ev_loop *loop;
	struct fetcher *f;
	char *url, *ca_file;
	int max;
	double timeout;
	struct sess *sessions;
	int nsess, connecting;
	struct msg *head, *tail; /* waiting for a session */
	size_t queued, pending;
	int no_pipelining; /* the relay did not offer PIPELINING: libcurl's transfers */
	ev_timer drained;  /* all sent: the idle sessions say QUIT (from the loop, not inside a session's callback) */
};

static void kick(struct smtp *s);

void smtp_stuff(struct buf *out, const char *msg, size_t len)
{
	/* Copied in spans: only a bare LF or a line that begins with a dot breaks one (RFC 5321 4.5.2 doubles the dot). */
	size_t span = 0;
	if (len && msg[0] == '.')
		buf_addch(out, '.');
	for (const char *nl = memchr(msg, '\n', len); nl; nl = memchr(nl + 1, '\n', len - (size_t)(nl + 1 - msg))) {
		size_t at = (size_t)(nl - msg);
		int bare = at == 0 || msg[at - 1] != '\r', dot = at + 1 < len && msg[at + 1] == '.';
		if (!bare && !dot)
			continue;
		buf_add(out, msg + span, at - span);
		buf_add(out, bare ? "\r\n" : "\n", bare ? 2 : 1);
		if (dot)
			buf_addch(out, '.');
		span = at + 1;
	}
	buf_add(out, msg + span, len - span);
	if (len && msg[len - 1] != '\n')
		buf_add(out, "\r\n", 2);
	buf_add(out, ".\r\n", 3);
}

/* The first waiting message, taken off the queue, or NULL. */
static struct msg *queue_pop(struct smtp *s)
{
	struct msg *m = s->head;
	if (!m)
		return NULL;
	s->head = m->next;
	if (!s->head)
		s->tail = NULL;
	m->next = NULL;
	s->queued--;
	return m;
}

static void msg_free(struct msg *m)
{
	free(m->from);
	free(m->rcpt);
	free(m->raw);
	free(m);
}

/* The end of a message: its callback, once. */
static void msg_done(struct smtp *s, struct msg *m)
{
	struct fetch_result r;
	memset(&r, 0, sizeof(r));
	r.url = s->url;
	r.status = m->code;
	r.failed = m->failed;
	snprintf(r.error, sizeof(r.error), "%s", m->error);
	buf_init(&r.body, 0);
	s->pending--;
	if (!s->pending && !ev_is_active(&s->drained)) {
		ev_timer_set(&s->drained, 0., 0.);
		ev_timer_start(s->loop, &s->drained);
	}
	m->done(m->arg, &r);
	msg_free(m);
}

static void msg_refused(struct msg *m, long code, const char *command, const char *reply)
{
	if (m->failed)
		return; /* the first refusal says why; what follows it is its consequence */
	m->failed = 1;
	m->code = code;
	errf(m->error, sizeof(m->error), "%s refused: %s", command, reply);
}

static void on_legacy_done(void *arg, struct fetch_result *r)
{
	struct msg *m = arg;
	m->done(m->arg, r);
	msg_free(m);
}

/* One message as libcurl's own SMTP transfer (a relay without PIPELINING, an international address). */
static void legacy_send(struct smtp *s, struct msg *m)
{
	struct fetch_req req;
	memset(&req, 0, sizeof(req));
	req.url = s->url;
	req.body = m->raw;
	req.body_len = m->len;
	req.mail_from = m->from;
	req.mail_rcpt = m->rcpt;
	req.ca_file = s->ca_file;
	if (fetch_start(s->f, &req, on_legacy_done, m)) {
		/* Not reached: smtp_new took only smtp:// and smtps:// URLs, as fetch_start does. */
		m->failed = 1;
		errf(m->error, sizeof(m->error), "the mail relay '%s' is not an smtp:// or smtps:// URL", s->url);
		msg_done(s, m);
		return;
	}
	s->pending--; /* the fetcher's from now on */
}

static void sess_expect(struct sess *c, struct msg *m, enum expect_what what)
{
	if (c->head && c->head == c->n)
		c->head = c->n = 0;
	if (c->n == c->cap) {
		if (c->head) {
			memmove(c->exp, c->exp + c->head, (c->n - c->head) * sizeof(*c->exp));
			c->n -= c->head;
			c->head = 0;
		} else {
			c->cap = c->cap ? c->cap * 2 : 16;
			c->exp = xrealloc(c->exp, c->cap * sizeof(*c->exp));
		}
	}
	c->exp[c->n].m = m;
	c->exp[c->n].what = what;
	c->n++;
}

/* Watches the socket for what the session needs, and times the wait for a reply (or the idle time). */
static void sess_arm(struct sess *c)
{
	struct ev_loop *loop = c->s->loop;
	int events = EV_READ | (c->out_off < c->out.len ? EV_WRITE : 0);
	if (events != c->events) {
		ev_io_stop(loop, &c->io);
		ev_io_set(&c->io, c->io.fd, events);
		ev_io_start(loop, &c->io);
		c->events = events;
	}
	c->timer.repeat = c->head < c->n ? c->s->timeout : SMTP_IDLE;
	ev_timer_again(loop, &c->timer);
}

/* The next waiting message's commands, written at once (MAIL, RCPT, DATA), after whatever the session has still to
 * write (the end of the message before): one round trip per message. */
static int sess_take(struct sess *c)
{
	struct smtp *s = c->s;
	if (!c->fc || c->awaiting_data || !s->head)
		return 0;
	struct msg *m = queue_pop(s);
	buf_addf(&c->out, "MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n", m->from, m->rcpt);
	sess_expect(c, m, X_MAIL);
	sess_expect(c, m, X_RCPT);
	sess_expect(c, m, X_DATA);
	c->awaiting_data = 1;
	return 1; /* the caller writes, or arms the watcher to */
}

/* Unlinks and frees a session; its messages must have been dealt with. */
static void sess_close(struct sess *c, int quit)
{
	struct smtp *s = c->s;
	for (struct sess **p = &s->sessions; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	s->nsess--;
	if (c->fc) {
		if (quit) {
			/* A courtesy, not waited for: the relay ends the session on its side either way. */
			size_t sent;
			char err[ERRBUF_SIZE];
			fetch_conn_send(c->fc, "QUIT\r\n", 6, &sent, err, sizeof(err));
		}
		ev_io_stop(s->loop, &c->io);
		ev_timer_stop(s->loop, &c->timer);
		fetch_conn_close(c->fc);
	}
	buf_release(&c->out);
	buf_release(&c->in);
	free(c->exp);
	free(c);
}

/* The session is lost (an error, the relay hung up, no reply in time). A message whose body had not gone is sent
 * again once on another session; one that may have reached the relay fails as temporary, and is retried later
 * under the same Message-ID. */
static void sess_fail(struct sess *c, const char *why)
{
	struct smtp *s = c->s;
	struct msg *mine = NULL, **tail = &mine;
	for (size_t i = c->head; i < c->n; i++)
		if (c->exp[i].what == X_DATA || c->exp[i].what == X_DOT) {
			*tail = c->exp[i].m;
			tail = &c->exp[i].m->next;
		}
	*tail = NULL;
	c->head = c->n = 0;
	sess_close(c, 0);
	struct msg *again = NULL, **atail = &again;
	for (struct msg *m = mine, *nx; m; m = nx) {
		nx = m->next;
		if (!m->failed && !m->body_sent && !m->retried) {
			m->retried = 1;
			m->next = NULL;
			*atail = m;
			atail = &m->next;
			continue;
		}
		if (!m->failed) {
			m->failed = 1;
			m->code = 0;
			errf(m->error, sizeof(m->error), "the session with the mail relay was lost: %s", why);
		}
		msg_done(s, m);
	}
	if (again) {
		/* At the front: they were taken first. */
		struct msg *last = again;
		size_t n = 1;
		for (; last->next; last = last->next)
			n++;
		last->next = s->head;
		if (!s->head)
			s->tail = last;
		s->head = again;
		s->queued += n;
	}
	kick(s);
}

/* One whole reply (the last line of a multi-line one). Returns 1 when the session is gone. */
static int sess_reply(struct sess *c, long code, const char *text)
{
	if (c->head == c->n) {
		/* Nothing was asked: a relay closing an idle session (421) or a stray line. */
		char why[ERRBUF_SIZE];
		errf(why, sizeof(why), "unexpected reply '%s'", text);
		sess_fail(c, why);
		return 1;
	}
	struct expect x = c->exp[c->head++];
	struct msg *m = x.m;
	switch (x.what) {
	case X_MAIL:
	case X_RCPT:
		if (code / 100 != 2)
			msg_refused(m, code, x.what == X_MAIL ? "MAIL FROM" : "RCPT TO", text);
		break;
	case X_DATA:
		c->awaiting_data = 0;
		if (code == 354 && !m->failed) {
			smtp_stuff(&c->out, m->raw, m->len);
			m->body_sent = 1;
			sess_expect(c, m, X_DOT);
		} else if (code == 354) {
			/* DATA taken although an earlier command was refused: no message may go; the session ends. */
			msg_done(c->s, m);
			sess_fail(c, "the relay accepted DATA after refusing the envelope");
			return 1;
		} else {
			msg_refused(m, code, "DATA", text);
			buf_addstr(&c->out, "RSET\r\n");
			sess_expect(c, NULL, X_RSET);
			msg_done(c->s, m);
		}
		sess_take(c);
		break;
	case X_DOT:
		if (code / 100 != 2)
			msg_refused(m, code, "the message", text);
		else
			m->code = code;
		msg_done(c->s, m);
		break;
	case X_RSET:
		break;
	}
	return 0;
}

/* Reads what the relay said and acts on each whole reply. Returns 1 when the session is gone. */
static int sess_read(struct sess *c)
{
	char tmp[16384], err[ERRBUF_SIZE];
	for (;;) {
		size_t got;
		int rc = fetch_conn_recv(c->fc, tmp, sizeof(tmp), &got, err, sizeof(err));
		if (rc == -EAGAIN)
			return 0;
		if (rc) {
			sess_fail(c, err);
			return 1;
		}
		if (!got) {
			sess_fail(c, "the relay closed the connection");
			return 1;
		}
		int drained = !c->tls && got < sizeof(tmp); /* plain TCP: a short read took all there was */
		if (buf_add(&c->in, tmp, got)) {
			sess_fail(c, "a reply line longer than 64 KiB");
			return 1;
		}
		size_t start = 0;
		for (char *nl; (nl = memchr(c->in.s + start, '\n', c->in.len - start));) {
			char *line = c->in.s + start;
			size_t len = (size_t)(nl - line);
			start += len + 1;
			if (len && line[len - 1] == '\r')
				len--;
			line[len] = '\0';
			if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' ||
			    line[2] > '9' || (len > 3 && line[3] != ' ' && line[3] != '-')) {
				char why[ERRBUF_SIZE];
				errf(why, sizeof(why), "not an SMTP reply: '%.80s'", line);
				sess_fail(c, why);
				return 1;
			}
			if (len > 3 && line[3] == '-')
				continue; /* a multi-line reply goes on */
			long code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
			if (sess_reply(c, code, line))
				return 1;
		}
		if (start) {
			memmove(c->in.s, c->in.s + start, c->in.len - start);
			c->in.len -= start;
			c->in.s[c->in.len] = '\0';
		}
		/* Over TLS the library may hold decrypted data the socket no longer shows: read until it says again. */
		if (drained)
			return 0;
	}
}

/* Writes what waits. Returns 1 when the session is gone. */
static int sess_write(struct sess *c)
{
	char err[ERRBUF_SIZE];
	while (c->out_off < c->out.len) {
		size_t sent;
		int rc = fetch_conn_send(c->fc, c->out.s + c->out_off, c->out.len - c->out_off, &sent, err, sizeof(err));
		if (rc == -EAGAIN)
			break;
		if (rc) {
			sess_fail(c, err);
			return 1;
		}
		c->out_off += sent;
	}
	if (c->out_off == c->out.len) {
		c->out.len = 0;
		c->out.s[0] = '\0';
		c->out_off = 0;
	}
	return 0;
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sess *c = w->data;
	(void)loop;
	if ((revents & EV_READ) && sess_read(c))
		return;
	if (sess_write(c))
		return;
	sess_arm(c);
}

/* Nothing left to send: idle sessions end, so that nothing keeps the loop running (a one-shot run exits at once). */
static void on_drained(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct smtp *s = w->data;
	(void)loop;
	(void)revents;
	if (s->pending)
		return;
	for (struct sess *c = s->sessions, *nx; c; c = nx) {
		nx = c->next;
		if (c->fc && c->head == c->n && !c->out.len)
			sess_close(c, 1);
	}
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sess *c = w->data;
	char why[ERRBUF_SIZE];
	(void)loop;
	(void)revents;
	if (c->head == c->n) {
		sess_close(c, 1);
		return;
	}
	errf(why, sizeof(why), "no reply within %.0f s", c->s->timeout);
	sess_fail(c, why);
}

static int offers_pipelining(const struct buf *ehlo)
{
	for (const char *p = ehlo->s; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= 14 && !strncmp(p, "250", 3) && (p[3] == '-' || p[3] == ' ') && !strncasecmp(p + 4, "PIPELINING", 10) &&
		    (len == 14 || p[14] == '\r' || p[14] == ' '))
			return 1;
		p = nl ? nl + 1 : p + len;
	}
	return 0;
}

static void on_connected(void *arg, struct fetch_result *r)
{
	struct sess *c = arg;
	struct smtp *s = c->s;
	s->connecting--;
	if (r->failed || !r->conn) {
		sess_close(c, 0);
		if (!s->nsess) {
			/* No session at all: what waits fails now, as each transfer would have, and is retried later. */
			for (struct msg *m; (m = queue_pop(s));) {
				m->failed = 1;
				m->code = r->status;
				errf(m->error, sizeof(m->error), "%s", r->error[0] ? r->error : "cannot reach the mail relay");
				msg_done(s, m);
			}
		}
		return;
	}
	c->fc = r->conn;
	c->tls = fetch_conn_tls(c->fc);
	if (!offers_pipelining(&r->body)) {
		s->no_pipelining = 1;
		sess_close(c, 1);
		kick(s);
		return;
	}
	ev_io_init(&c->io, on_io, fetch_conn_fd(c->fc), EV_READ);
	c->io.data = c;
	c->events = EV_READ;
	ev_io_start(s->loop, &c->io);
	ev_init(&c->timer, on_timer);
	c->timer.data = c;
	if (!s->pending) {
		sess_close(c, 1);
		return;
	}
	sess_take(c);
	sess_arm(c);
}

static void sess_open(struct smtp *s)
{
	struct sess *c = xcalloc(1, sizeof(*c));
	struct fetch_req req;
	c->s = s;
	buf_init(&c->out, BUF_NOMAX);
	buf_init(&c->in, 65536);
	c->next = s->sessions;
	s->sessions = c;
	s->nsess++;
	s->connecting++;
	memset(&req, 0, sizeof(req));
	req.url = s->url;
	req.ca_file = s->ca_file;
	req.connect_only = 1;
	if (fetch_start(s->f, &req, on_connected, c)) {
		struct fetch_result r;
		memset(&r, 0, sizeof(r));
		r.failed = 1;
		errf(r.error, sizeof(r.error), "the mail relay '%s' is not an smtp:// or smtps:// URL", s->url);
		buf_init(&r.body, 0);
		on_connected(c, &r);
	}
}

/* Gives waiting messages to the sessions that can take one, and opens sessions while messages wait for them. */
static void kick(struct smtp *s)
{
	if (s->no_pipelining) {
		for (struct msg *m; (m = queue_pop(s));)
			legacy_send(s, m);
		return;
	}
	for (struct sess *c = s->sessions; c && s->head; c = c->next)
		if (sess_take(c))
			sess_arm(c);
	while (s->queued > (size_t)s->connecting && s->nsess < s->max)
		sess_open(s);
}

struct smtp *smtp_new(struct ev_loop *loop, struct fetcher *f, const char *url, const char *ca_file, int sessions,
		      double timeout)
{
	if (!starts_with_ci(url, "smtp://") && !starts_with_ci(url, "smtps://"))
		return NULL;
	struct smtp *s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->f = f;
	s->url = xstrdup(url);
	s->ca_file = ca_file ? xstrdup(ca_file) : NULL;
	s->max = sessions > 0 ? sessions : 1;
	s->timeout = timeout > 0 ? timeout : 60;
	ev_timer_init(&s->drained, on_drained, 0., 0.);
	s->drained.data = s;
	return s;
}

void smtp_free(struct smtp *s)
{
	if (!s)
		return;
	while (s->sessions) {
		struct sess *c = s->sessions;
		if (!c->fc) {
			fetch_cancel(s->f, c);
			s->connecting--;
		}
		sess_close(c, c->fc && c->head == c->n);
	}
	for (struct msg *m; (m = queue_pop(s));)
		msg_free(m);
	ev_timer_stop(s->loop, &s->drained);
	free(s->url);
	free(s->ca_file);
	free(s);
}

static int bad_address(const char *a)
{
	return !a || strpbrk(a, "\r\n<>") != NULL;
}

int smtp_send(struct smtp *s, const char *from, const char *rcpt, char *msg, size_t len, fetch_done_fn done, void *arg)
{
	if (bad_address(from) || bad_address(rcpt) || !*rcpt) {
		free(msg);
		return -EINVAL;
	}
	struct msg *m = xcalloc(1, sizeof(*m));
	m->from = xstrdup(from);
	m->rcpt = xstrdup(rcpt);
	m->raw = msg;
	m->len = len;
	m->done = done;
	m->arg = arg;
	s->pending++;
	int ascii = 1;
	for (const char *p = from; *p && ascii; p++)
		ascii = (unsigned char)*p < 0x80;
	for (const char *p = rcpt; *p && ascii; p++)
		ascii = (unsigned char)*p < 0x80;
	if (!ascii) {
		legacy_send(s, m);
		return 0;
	}
	if (s->tail)
		s->tail->next = m;
	else
		s->head = m;
	s->tail = m;
	s->queued++;
	kick(s);
	return 0;
}

