/* pool.c: searches on a few threads, each with its own read-only handle on the archive (a database connection and
 * an index reader), so that a slow search neither holds up the loop nor leaves the second core idle. The loop
 * suspends the connection and queues the task; a thread runs it and writes the answer; an ev_async brings it back to
 * the loop, which resumes the connection, and libmicrohttpd calls the request handler again to send it. */
#include "http.h"

#include "archive.h"

#include <pthread.h>
#include <stdlib.h>

struct task {
	struct req *r;
	pool_fn fn;
	void *arg;
	void (*free_arg)(void *);
	struct answer ans;
	struct task *next;
};

struct worker {
	struct pool *p;
	struct archive *reader;
	pthread_t th;
};

struct pool {
	struct web *w;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct task *todo, **todo_tail, *done;
	int stop;
	size_t n; /* threads started */
	struct worker *workers;
	ev_async wake;
};

static void task_free(struct task *t)
{
	if (t->free_arg)
		t->free_arg(t->arg);
	free(t->ans.body);
	free(t);
}

static void *work(void *arg)
{
	struct worker *me = arg;
	struct pool *p = me->p;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->todo && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		struct task *t = p->todo;
		if (!t) { /* stopping, and nothing left to do */
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		if (!(p->todo = t->next))
			p->todo_tail = &p->todo;
		pthread_mutex_unlock(&p->mu);
		t->fn(me->reader, t->arg, &t->ans);
		pthread_mutex_lock(&p->mu);
		t->next = p->done;
		p->done = t;
		pthread_mutex_unlock(&p->mu);
		ev_async_send(p->w->loop, &p->wake);
	}
}

/* On the loop: the finished tasks' connections are resumed, and their handler called again, now with an answer. */
static void on_wake(struct ev_loop *loop, ev_async *a, int revents)
{
	struct pool *p = a->data;
	(void)loop;
	(void)revents;
	pthread_mutex_lock(&p->mu);
	struct task *t = p->done;
	p->done = NULL;
	pthread_mutex_unlock(&p->mu);
	for (; t; t = t->next)
		MHD_resume_connection(t->r->c);
	web_run(p->w);
}

struct pool *pool_new(struct web *w, size_t n, char *err, size_t errlen)
{
	struct pool *p = xcalloc(1, sizeof(*p));
	p->w = w;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->todo_tail = &p->todo;
	p->workers = xcalloc(n, sizeof(*p->workers));
	ev_async_init(&p->wake, on_wake);
	p->wake.data = p;
	ev_async_start(w->loop, &p->wake);
	for (size_t i = 0; i < n; i++) {
		struct worker *k = &p->workers[i];
		k->p = p;
		int rc = archive_open_reader(w->a, &k->reader, err, errlen);
		if (rc || pthread_create(&k->th, NULL, work, k)) {
			if (!rc)
				errf(err, errlen, "cannot start a search thread");
			archive_free(k->reader);
			pool_free(p);
			return NULL;
		}
		p->n = i + 1;
	}
	return p;
}

enum MHD_Result pool_submit(struct pool *p, struct req *r, pool_fn fn, void *arg, void (*free_arg)(void *))
{
	struct task *t = xcalloc(1, sizeof(*t));
	t->r = r;
	t->fn = fn;
	t->arg = arg;
	t->free_arg = free_arg;
	r->task = t;
	MHD_suspend_connection(r->c);
	pthread_mutex_lock(&p->mu);
	*p->todo_tail = t;
	p->todo_tail = &t->next;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return MHD_YES;
}

enum MHD_Result pool_answer(struct req *r)
{
	struct task *t = r->task;
	r->task = NULL;
	enum MHD_Result rc = respond_answer(r, &t->ans);
	task_free(t);
	return rc;
}

void pool_forget(struct req *r)
{
	if (r->task) {
		task_free(r->task);
		r->task = NULL;
	}
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < p->n; i++)
		pthread_join(p->workers[i].th, NULL);
	/* What finished after the loop last looked: resumed, so that the daemon can close those connections. */
	for (struct task *t = p->done; t; t = t->next)
		MHD_resume_connection(t->r->c);
	ev_async_stop(p->w->loop, &p->wake);
	for (size_t i = 0; i < p->n; i++)
		archive_free(p->workers[i].reader);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->workers);
	free(p);
}
