/*
 * libFuzzer driver for proxy/smtp.c. conn.c serves whatever a device has
 * sent so far, again after each read, and upstream.c reads the upstream's
 * replies the same way; so besides memory safety this checks that the
 * answers do not depend on how the bytes were split:
 *   - tf_smtp_serve() over the whole input and over the input fed one
 *     byte at a time gives the same replies and the same outcome; every
 *     reply line ends with CRLF; STARTTLS leaves nothing unread;
 *   - tf_smtp_reply() takes at most what it was given, a code in 100..599,
 *     and every prefix of a complete reply is incomplete, never refused.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "buf.h"
#include "smtp.h"

#define CAP 65536

/* The replies so far and the outcome of one way of feeding. */
struct run {
	struct tf_buf in, out;
	char said[CAP * 4];
	size_t nsaid;
	enum tf_smtp_next next;
};

static void
run_init(struct run *r)
{
	CHECK(tf_buf_init(&r->in, CAP) == 0);
	CHECK(tf_buf_init(&r->out, CAP) == 0);
	r->nsaid = 0;
	r->next = TF_SMTP_MORE;
}

/* Feeds n bytes and serves until nothing more is answered, taking the
 * replies as a client that reads at once would. */
static void
run_feed(struct run *r, const uint8_t *p, size_t n)
{
	size_t len;

	if (r->next != TF_SMTP_MORE || n > tf_buf_space(&r->in))
		return;
	CHECK(tf_buf_append(&r->in, p, n) == 0);
	do {
		r->next = tf_smtp_serve(&r->in, &r->out, "mail.contoso.test");
		len = tf_buf_len(&r->out);
		CHECK(r->nsaid + len <= sizeof(r->said));
		memcpy(r->said + r->nsaid, tf_buf_head(&r->out), len);
		r->nsaid += len;
		tf_buf_consume(&r->out, len);
	} while (len > 0 && r->next == TF_SMTP_MORE);
	if (r->next == TF_SMTP_TLS)
		CHECK(tf_buf_len(&r->in) == 0);
	if (r->next == TF_SMTP_MORE)
		CHECK(tf_buf_len(&r->in) < TF_SMTP_LINE_MAX ||
		    memchr(tf_buf_head(&r->in), '\n', TF_SMTP_LINE_MAX) != NULL);
}

static void
run_free(struct run *r)
{
	tf_buf_free(&r->in);
	tf_buf_free(&r->out);
}

static struct run whole, bytewise;

/* Parses a copy of the first n bytes, so that ASan sees the bound. */
static long
reply_copy(const uint8_t *data, size_t n, struct tf_smtp_reply *rep)
{
	char *p = malloc(n > 0 ? n : 1);
	long r;

	CHECK(p != NULL);
	memcpy(p, data, n);
	r = tf_smtp_reply(p, n, rep);
	free(p);
	CHECK(r >= -1 && r <= (long)n);
	if (r > 0)
		CHECK(rep->code >= 100 && rep->code <= 599);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tf_smtp_reply rep;
	size_t i, k, step;
	long n;

	if (size > CAP / 2)
		return 0;
	run_init(&whole);
	run_init(&bytewise);
	run_feed(&whole, data, size);
	for (i = 0; i < size; i++)
		run_feed(&bytewise, data + i, 1);
	CHECK(whole.next == bytewise.next);
	CHECK(whole.nsaid == bytewise.nsaid &&
	    memcmp(whole.said, bytewise.said, whole.nsaid) == 0);
	CHECK(whole.nsaid == 0 || (whole.nsaid >= 2 &&
	    memcmp(whole.said + whole.nsaid - 2, "\r\n", 2) == 0));
	run_free(&whole);
	run_free(&bytewise);

	n = reply_copy(data, size, &rep);
	if (n <= 0)
		return 0;
	step = n <= 512 ? 1 : (size_t)n / 256;
	for (k = 0; k < (size_t)n; k += step)
		CHECK(reply_copy(data, k, &rep) == 0);
	CHECK(reply_copy(data, (size_t)n - 1, &rep) == 0);
	return 0;
}
