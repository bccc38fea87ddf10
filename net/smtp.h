/* smtp.h: e-mail to one relay over a few long-lived sessions with the transactions pipelined (RFC 2920).
 *
 * libcurl sets each session up (connection, TLS or STARTTLS, EHLO, AUTH: fetch.h's connect_only) and hands it over;
 * this module then speaks MAIL, RCPT and DATA on it, writing a message's three commands at once, and the next
 * message's with the end of the one before, so that a message costs one round trip instead of libcurl's four. A
 * relay that does not offer PIPELINING, and an address that is not ASCII (libcurl converts international domains),
 * get each message as libcurl's own SMTP transfer instead. */
#ifndef TBT_SMTP_H
#define TBT_SMTP_H

#include "net/fetch.h"

#include <ev.h>
#include <stddef.h>

struct smtp;

/* A sender to the relay at url (smtp:// or smtps://, credentials in it for AUTH) over at most sessions sessions,
 * set up through f (borrowed, must outlive the sender); ca_file (or NULL: the fetcher's) verifies the relay's
 * certificate. timeout bounds the wait for each reply, in seconds. NULL for a URL that is not smtp or smtps. */
struct smtp *smtp_new(struct ev_loop *loop, struct fetcher *f, const char *url, const char *ca_file, int sessions,
		      double timeout);
/* Says QUIT on the idle sessions and closes all; messages not yet answered are dropped without their callbacks,
 * as fetcher_free drops its transfers. NULL is a no-op. */
void smtp_free(struct smtp *s);

/*
 * Queues one message (headers and body, CRLF or LF line ends; dot-stuffed here) from the address from to rcpt. Takes
 * ownership of msg (malloc'd, NUL-terminated at len; freed with free, also on error). done gets, once, a result with
 * the relay's reply code in status (250 when accepted), failed set when it was not accepted, and the reason in error
 * (a status of 0 means no reply: the connection failed). Returns 0, or -EINVAL when an address holds a line break or
 * angle brackets (nothing is queued, done is not called).
 */
int smtp_send(struct smtp *s, const char *from, const char *rcpt, char *msg, size_t len, fetch_done_fn done, void *arg);

/* Appends msg to out as DATA content: line ends made CRLF, a leading dot doubled, then the closing ".\r\n". */
void smtp_stuff(struct buf *out, const char *msg, size_t len);

#endif
