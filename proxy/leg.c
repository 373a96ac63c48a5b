/*
 * Legs: buffers, TLS records in and out of them, and the TCP transport.
 */
#include <stdlib.h>
#include <string.h>

#include "leg.h"
#include "mcache.h"
#include "tls.h"

void
tf_leg_init(struct tf_leg *leg, struct tf_mcache *cache, tf_leg_cb *cb,
    void *owner)
{
	memset(leg, 0, sizeof(*leg));
	leg->magic = TF_LEG_MAGIC;
	leg->cache = cache;
	leg->cb = cb;
	leg->owner = owner;
}

struct tf_leg *
tf_leg_new(struct tf_mcache *cache, tf_leg_cb *cb, void *owner)
{
	struct tf_leg *leg = tf_xmalloc(sizeof(*leg));

	tf_leg_init(leg, cache, cb, owner);
	return leg;
}

/* Borrows a buffer's memory unless it has some. 0 or -1. */
static int
borrow(struct tf_leg *leg, struct tf_buf *b)
{
	char *mem;

	if (b->data != NULL)
		return 0;
	mem = tf_mcache_get(leg->cache, TF_LEG_BUF);
	if (mem == NULL)
		return -1;
	tf_buf_attach(b, mem, TF_LEG_BUF);
	return 0;
}

static void
give_back(struct tf_leg *leg, struct tf_buf *b)
{
	if (b->data != NULL)
		tf_mcache_put(leg->cache, tf_buf_detach(b), TF_LEG_BUF);
}

int
tf_leg_hold(struct tf_leg *leg)
{
	return borrow(leg, &leg->in) == 0 && borrow(leg, &leg->out) == 0 ?
	    0 : -1;
}

void
tf_leg_trim(struct tf_leg *leg)
{
	if (tf_buf_len(&leg->in) == 0)
		give_back(leg, &leg->in);
	if (tf_buf_len(&leg->out) == 0 && leg->sending == 0)
		give_back(leg, &leg->out);
}

int
tf_leg_handshake(struct tf_leg *leg)
{
	if (tf_leg_hold(leg) != 0)
		return TF_TLS_ERROR;
	return tf_tls_handshake(leg->tls);
}

void
tf_leg_close_notify(struct tf_leg *leg)
{
	if (tf_leg_hold(leg) == 0)
		tf_tls_close_notify(leg->tls);
}

void
tf_leg_set_owner(struct tf_leg *leg, tf_leg_cb *cb, void *owner)
{
	leg->cb = cb;
	leg->owner = owner;
}

void
tf_leg_open(struct tf_leg *leg, const struct tf_leg_ops *ops)
{
	TF_ASSERT(!leg->open && !leg->closing);
	leg->ops = ops;
	leg->open = 1;
	leg->reading = 0;
	leg->eof = 0;
	leg->broken = 0;
	leg->notified = 0;
	leg->error = 0;
	leg->sending = 0;
	tf_buf_consume(&leg->in, tf_buf_len(&leg->in));
	tf_buf_consume(&leg->out, tf_buf_len(&leg->out));
}

static void
notify(struct tf_leg *leg, enum tf_leg_event ev)
{
	if (leg->cb != NULL)
		leg->cb(leg, ev, leg->owner);
}

void
tf_leg_read_space(struct tf_leg *leg, char **p, size_t *n)
{
	if (borrow(leg, &leg->in) != 0) {
		*p = NULL;
		*n = 0;
		return;
	}
	if (tf_buf_tailroom(&leg->in) < TF_LEG_READ_MIN)
		tf_buf_compact(&leg->in);
	*p = tf_buf_tail(&leg->in);
	*n = tf_buf_tailroom(&leg->in);
}

void
tf_leg_received(struct tf_leg *leg, ssize_t nread)
{
	TF_CHECK_OBJ(leg, TF_LEG_MAGIC);
	if (nread == 0)
		return;
	if (nread > 0) {
		tf_buf_commit(&leg->in, (size_t)nread);
		leg->bytes_in += (uint64_t)nread;
	} else {
		leg->eof = 1;
		if (leg->error == 0)
			leg->error = (int)nread;
		if (leg->reading) {
			leg->ops->read(leg, 0);
			leg->reading = 0;
		}
	}
	notify(leg, TF_LEG_EV_READ);
}

void
tf_leg_sent(struct tf_leg *leg, int status)
{
	TF_CHECK_OBJ(leg, TF_LEG_MAGIC);
	tf_buf_consume(&leg->out, leg->sending);
	leg->sending = 0;
	/* A send cancelled by our own close is nobody's error. */
	if (!leg->open)
		return;
	if (status < 0) {
		leg->broken = 1;
		if (leg->error == 0)
			leg->error = status;
	}
	notify(leg, TF_LEG_EV_SENT);
}

void
tf_leg_closed(struct tf_leg *leg)
{
	TF_CHECK_OBJ(leg, TF_LEG_MAGIC);
	leg->closing = 0;
	if (leg->destroy) {
		tf_leg_release(leg);
		leg->magic = 0;
		free(leg);
		return;
	}
	notify(leg, TF_LEG_EV_CLOSED);
}

void
tf_leg_want_read(struct tf_leg *leg, int want)
{
	want = want && leg->open && !leg->eof && (leg->in.data == NULL ||
	    tf_buf_space(&leg->in) >= TF_LEG_READ_MIN);
	if (want && !leg->reading) {
		if (leg->ops->read(leg, 1) == 0)
			leg->reading = 1;
	} else if (!want && leg->reading) {
		leg->ops->read(leg, 0);
		leg->reading = 0;
	}
}

int
tf_leg_flush(struct tf_leg *leg)
{
	size_t n = tf_buf_len(&leg->out);
	ssize_t r;

	if (leg->sending || n == 0 || !leg->open || leg->broken)
		return 0;
	r = leg->ops->send(leg, tf_buf_head(&leg->out), n);
	if (r < 0) {
		leg->broken = 1;
		if (leg->error == 0)
			leg->error = (int)r;
		return (int)r;
	}
	TF_ASSERT((size_t)r <= n);
	leg->sending = n - (size_t)r;
	tf_buf_consume(&leg->out, (size_t)r);
	return 0;
}

int
tf_leg_encrypt(struct tf_leg *leg, struct tf_buf *src)
{
	if (tf_buf_len(src) > 0 && tf_leg_hold(leg) != 0)
		return TF_TLS_ERROR;
	while (tf_buf_len(src) > 0) {
		size_t n = tf_buf_len(src), room;

		if (n > TF_TLS_MAX_PLAIN)
			n = TF_TLS_MAX_PLAIN;
		room = tf_tls_write_room(leg->tls, n);

		if (tf_buf_tailroom(&leg->out) < room) {
			/* Bytes under a send must stay where they are. */
			if (leg->sending)
				break;
			tf_buf_compact(&leg->out);
			if (tf_buf_tailroom(&leg->out) < room)
				break;
		}
		if (tf_tls_write(leg->tls, tf_buf_head(src), n) != 0)
			return TF_TLS_ERROR;
		tf_buf_consume(src, n);
	}
	return 0;
}

int
tf_leg_decrypt_to(struct tf_leg *leg, char *p, size_t n, size_t *got)
{
	*got = 0;
	/* Nothing to read from: say so without asking TLS (an SSL_read
	 * that answers WANT_READ costs about 1.5k instructions, and the
	 * pump asks every leg on every turn). */
	if (tf_buf_len(&leg->in) == 0 && !tf_tls_has_pending(leg->tls))
		return leg->eof ? TF_TLS_EOF : TF_TLS_AGAIN;
	/* Reading may answer (an alert, a key update): out too. */
	if (tf_leg_hold(leg) != 0)
		return TF_TLS_ERROR;
	while (*got < n) {
		long r;

		r = tf_tls_read(leg->tls, p + *got, n - *got);
		if (r == TF_TLS_AGAIN && leg->eof && tf_buf_len(&leg->in) == 0)
			return TF_TLS_EOF; /* closed without notify */
		if (r == TF_TLS_EOF || r == TF_TLS_ERROR)
			leg->eof = 1;
		if (r <= 0)
			return (int)r;
		*got += (size_t)r;
		/* No ciphertext left and nothing held: another read could
		 * only say so. */
		if (tf_buf_len(&leg->in) == 0 && !leg->eof &&
		    !tf_tls_has_pending(leg->tls))
			return TF_TLS_AGAIN;
	}
	return TF_TLS_AGAIN;
}

int
tf_leg_decrypt(struct tf_leg *leg, struct tf_buf *dst)
{
	size_t got;
	int r;

	if (tf_buf_tailroom(dst) < TF_LEG_READ_MIN)
		tf_buf_compact(dst);
	if (tf_buf_tailroom(dst) == 0)
		return tf_leg_hold(leg) != 0 ? TF_TLS_ERROR : TF_TLS_AGAIN;
	r = tf_leg_decrypt_to(leg, tf_buf_tail(dst), tf_buf_tailroom(dst),
	    &got);
	tf_buf_commit(dst, got);
	return r;
}

int
tf_leg_idle(const struct tf_leg *leg)
{
	return leg->open && !leg->eof && !leg->broken && !leg->sending &&
	    tf_buf_len(&leg->in) == 0 && tf_buf_len(&leg->out) == 0 &&
	    (leg->tls == NULL || tf_tls_pending(leg->tls) == 0);
}

int
tf_leg_close(struct tf_leg *leg)
{
	if (!leg->open)
		return -1;
	leg->open = 0;
	leg->closing = 1;
	leg->reading = 0;
	leg->ops->close(leg);
	return 0;
}

void
tf_leg_release(struct tf_leg *leg)
{
	TF_ASSERT(!leg->open && !leg->closing);
	tf_tls_free(leg->tls);
	leg->tls = NULL;
	give_back(leg, &leg->in);
	give_back(leg, &leg->out);
}

void
tf_leg_destroy(struct tf_leg *leg)
{
	TF_CHECK_OBJ(leg, TF_LEG_MAGIC);
	leg->cb = NULL;
	leg->destroy = 1;
	/* TLS goes now; the buffers may be under a send until closed. */
	tf_tls_free(leg->tls);
	leg->tls = NULL;
	if (tf_leg_close(leg) != 0 && !leg->closing)
		tf_leg_closed(leg);
}

/* --- TCP ----------------------------------------------------------------- */

static void
tcp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct tf_leg *leg;
	size_t n;

	TF_CAST_OBJ(leg, h->data, TF_LEG_MAGIC);
	tf_leg_read_space(leg, &buf->base, &n);
	buf->len = n;
}

static void
tcp_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	tf_leg_received(s->data, nread);
}

static int
tcp_read(struct tf_leg *leg, int on)
{
	if (on)
		return uv_read_start((uv_stream_t *)&leg->tcp, tcp_alloc_cb,
		    tcp_read_cb);
	return uv_read_stop((uv_stream_t *)&leg->tcp);
}

static void
tcp_write_cb(uv_write_t *req, int status)
{
	struct tf_leg *leg = tf_container_of(req, struct tf_leg, wreq);

	tf_leg_sent(leg, status);
}

static ssize_t
tcp_send(struct tf_leg *leg, const char *p, size_t n)
{
	uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
	int r;

	r = uv_try_write((uv_stream_t *)&leg->tcp, &b, 1);
	if (r == UV_EAGAIN || r == UV_ENOSYS)
		r = 0;
	else if (r < 0)
		return r;
	if ((size_t)r == n)
		return r;
	b = uv_buf_init((char *)p + r, (unsigned)(n - (size_t)r));
	if (uv_write(&leg->wreq, (uv_stream_t *)&leg->tcp, &b, 1,
	    tcp_write_cb) != 0)
		return UV_EPIPE;
	return r;
}

static void
tcp_close_cb(uv_handle_t *h)
{
	tf_leg_closed(h->data);
}

static void
tcp_close(struct tf_leg *leg)
{
	uv_close((uv_handle_t *)&leg->tcp, tcp_close_cb);
}

static const struct tf_leg_ops tcp_ops = {
	.read = tcp_read,
	.send = tcp_send,
	.close = tcp_close,
};

void
tf_leg_nodelay(struct tf_leg *leg)
{
	if (leg->ops == &tcp_ops && leg->open)
		uv_tcp_nodelay(&leg->tcp, 1);
}

int
tf_leg_tcp_init(struct tf_leg *leg, uv_loop_t *loop)
{
	int r = uv_tcp_init(loop, &leg->tcp);

	if (r != 0)
		return r;
	leg->tcp.data = leg;
	tf_leg_open(leg, &tcp_ops);
	return 0;
}
