/*
 * Unit tests for proxy/leg.c: the contract between a leg, its transport
 * and its owner, over a scripted transport. A send the leg's own close
 * cancels is nobody's error; reading follows room; the end of input and
 * failed sends are reported once; a destroyed leg frees itself when its
 * transport has closed and reports nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "leg.h"
#include "test.h"

/* The scripted transport: what the leg asked of it. */
struct script {
	int reading;
	ssize_t send_result;            /* what send() answers */
	size_t queued;                  /* bytes a send left queued */
	int closing;
};

/* What the owner was told. */
struct seen {
	int read, sent, closed;
};

static struct script *
script_of(struct tf_leg *leg)
{
	return leg->io;
}

static int
s_read(struct tf_leg *leg, int on)
{
	script_of(leg)->reading = on;
	return 0;
}

static ssize_t
s_send(struct tf_leg *leg, const char *p, size_t n)
{
	struct script *s = script_of(leg);

	if (s->send_result < 0)
		return s->send_result;
	if ((size_t)s->send_result < n)
		s->queued = n - (size_t)s->send_result;
	return s->send_result < (ssize_t)n ? s->send_result : (ssize_t)n;
}

static void
s_close(struct tf_leg *leg)
{
	script_of(leg)->closing = 1;
}

static const struct tf_leg_ops script_ops = {
	.read = s_read,
	.send = s_send,
	.close = s_close,
};

static void
owner_cb(struct tf_leg *leg, enum tf_leg_event ev, void *owner)
{
	struct seen *seen = owner;

	if (ev == TF_LEG_EV_READ)
		seen->read++;
	else if (ev == TF_LEG_EV_SENT)
		seen->sent++;
	else
		seen->closed++;
}

static void
setup(struct tf_leg *leg, struct script *s, struct seen *seen)
{
	memset(s, 0, sizeof(*s));
	memset(seen, 0, sizeof(*seen));
	tf_leg_init(leg, NULL, owner_cb, seen);
	ASSERT_OK(tf_leg_hold(leg));
	leg->io = s;
	tf_leg_open(leg, &script_ops);
}

static void
queue_out(struct tf_leg *leg, size_t n)
{
	char *p = malloc(n);

	ASSERT(p != NULL);
	memset(p, 'o', n);
	ASSERT_OK(tf_buf_append(&leg->out, p, n));
	free(p);
}

TEST(send_all_at_once)
{
	struct tf_leg leg;
	struct script s;
	struct seen seen;

	setup(&leg, &s, &seen);
	s.send_result = 1000;
	queue_out(&leg, 1000);
	ASSERT_OK(tf_leg_flush(&leg));
	ASSERT_EQ(tf_buf_len(&leg.out), 0);
	ASSERT_EQ(leg.sending, 0);
	ASSERT_EQ(tf_leg_close(&leg), 0);
	tf_leg_closed(&leg);
	ASSERT_EQ(seen.closed, 1);
	tf_leg_release(&leg);
}

TEST(send_queued_then_done)
{
	struct tf_leg leg;
	struct script s;
	struct seen seen;

	setup(&leg, &s, &seen);
	s.send_result = 300;
	queue_out(&leg, 1000);
	ASSERT_OK(tf_leg_flush(&leg));
	ASSERT_EQ(leg.sending, 700);
	ASSERT_EQ(tf_buf_len(&leg.out), 700);
	/* One send at a time: more bytes wait for the first. */
	queue_out(&leg, 10);
	ASSERT_OK(tf_leg_flush(&leg));
	ASSERT_EQ(leg.sending, 700);
	tf_leg_sent(&leg, 0);
	ASSERT_EQ(seen.sent, 1);
	ASSERT_EQ(leg.sending, 0);
	ASSERT_EQ(tf_buf_len(&leg.out), 10);
	ASSERT(!leg.broken);
	ASSERT_EQ(tf_leg_close(&leg), 0);
	tf_leg_closed(&leg);
	tf_leg_release(&leg);
}

/* A send that fails, at once or later, breaks the leg: reported once. */
TEST(send_failures_break_the_leg)
{
	struct tf_leg leg;
	struct script s;
	struct seen seen;

	setup(&leg, &s, &seen);
	s.send_result = UV_EPIPE;
	queue_out(&leg, 100);
	ASSERT_EQ(tf_leg_flush(&leg), UV_EPIPE);
	ASSERT(leg.broken);
	ASSERT_EQ(leg.error, UV_EPIPE);
	ASSERT_OK(tf_leg_flush(&leg));  /* nothing more goes out */
	ASSERT_EQ(tf_leg_close(&leg), 0);
	tf_leg_closed(&leg);
	tf_leg_release(&leg);

	setup(&leg, &s, &seen);
	s.send_result = 0;
	queue_out(&leg, 100);
	ASSERT_OK(tf_leg_flush(&leg));
	tf_leg_sent(&leg, UV_ECONNRESET);
	ASSERT_EQ(seen.sent, 1);
	ASSERT(leg.broken);
	ASSERT_EQ(leg.error, UV_ECONNRESET);
	ASSERT_EQ(tf_leg_close(&leg), 0);
	tf_leg_closed(&leg);
	tf_leg_release(&leg);
}

/*
 * The leg's own close cancels the send in flight (libuv answers
 * UV_ECANCELED before the close callback): that is not an error, and the
 * owner hears of nothing but the close.
 */
TEST(send_cancelled_by_own_close_is_no_error)
{
	struct tf_leg leg;
	struct script s;
	struct seen seen;

	setup(&leg, &s, &seen);
	s.send_result = 0;
	queue_out(&leg, 5000);
	ASSERT_OK(tf_leg_flush(&leg));
	ASSERT_EQ(leg.sending, 5000);
	ASSERT_EQ(tf_leg_close(&leg), 0);
	ASSERT(s.closing);
	tf_leg_sent(&leg, UV_ECANCELED);
	ASSERT_EQ(seen.sent, 0);
	ASSERT(!leg.broken);
	ASSERT_EQ(leg.error, 0);
	ASSERT_EQ(leg.sending, 0);
	tf_leg_closed(&leg);
	ASSERT_EQ(seen.closed, 1);
	ASSERT_EQ(tf_leg_close(&leg), -1);      /* once */
	tf_leg_release(&leg);
}

TEST(reading_follows_room)
{
	struct tf_leg leg;
	struct script s;
	struct seen seen;
	char *p;
	size_t n;

	setup(&leg, &s, &seen);
	tf_leg_want_read(&leg, 1);
	ASSERT(s.reading && leg.reading);
	tf_leg_read_space(&leg, &p, &n);
	ASSERT_EQ(n, TF_LEG_BUF);
	memset(p, 'i', n - TF_LEG_READ_MIN + 1);
	tf_leg_received(&leg, (ssize_t)(n - TF_LEG_READ_MIN + 1));
	ASSERT_EQ(seen.read, 1);
	ASSERT_EQ(leg.bytes_in, n - TF_LEG_READ_MIN + 1);
	/* Less than TF_LEG_READ_MIN of room: no more reading. */
	tf_leg_want_read(&leg, 1);
	ASSERT(!s.reading && !leg.reading);
	tf_buf_consume(&leg.in, 100);
	tf_leg_want_read(&leg, 1);
	ASSERT(s.reading);
	/* A read callback with nothing is no event. */
	tf_leg_received(&leg, 0);
	ASSERT_EQ(seen.read, 1);
	tf_leg_want_read(&leg, 0);
	ASSERT(!s.reading);
	ASSERT_EQ(tf_leg_close(&leg), 0);
	tf_leg_closed(&leg);
	tf_leg_release(&leg);
}

TEST(end_of_input_reported_once)
{
	struct tf_leg leg;
	struct script s;
	struct seen seen;

	setup(&leg, &s, &seen);
	tf_leg_want_read(&leg, 1);
	tf_leg_received(&leg, UV_EOF);
	ASSERT_EQ(seen.read, 1);
	ASSERT(leg.eof);
	ASSERT_EQ(leg.error, UV_EOF);
	ASSERT(!s.reading && !leg.reading);
	tf_leg_want_read(&leg, 1);      /* never again after the end */
	ASSERT(!s.reading);
	ASSERT(!tf_leg_idle(&leg));
	ASSERT_EQ(tf_leg_close(&leg), 0);
	tf_leg_closed(&leg);
	tf_leg_release(&leg);
}

TEST(idle_means_nothing_held)
{
	struct tf_leg leg;
	struct script s;
	struct seen seen;

	setup(&leg, &s, &seen);
	ASSERT(tf_leg_idle(&leg));
	queue_out(&leg, 1);
	ASSERT(!tf_leg_idle(&leg));
	tf_buf_consume(&leg.out, 1);
	ASSERT_OK(tf_buf_append(&leg.in, "x", 1));
	ASSERT(!tf_leg_idle(&leg));
	tf_buf_consume(&leg.in, 1);
	ASSERT(tf_leg_idle(&leg));
	ASSERT_EQ(tf_leg_close(&leg), 0);
	ASSERT(!tf_leg_idle(&leg));
	tf_leg_closed(&leg);
	tf_leg_release(&leg);
}

/* A destroyed leg reports nothing and is freed once its transport has
 * closed (ASan checks that it is, and only then). */
TEST(destroy_frees_after_the_close)
{
	struct script s;
	struct seen seen;
	struct tf_leg *leg;

	memset(&s, 0, sizeof(s));
	memset(&seen, 0, sizeof(seen));
	leg = tf_leg_new(NULL, owner_cb, &seen);
	ASSERT_OK(tf_leg_hold(leg));
	leg->io = &s;
	tf_leg_open(leg, &script_ops);
	s.send_result = 0;
	queue_out(leg, 100);
	ASSERT_OK(tf_leg_flush(leg));
	tf_leg_destroy(leg);
	ASSERT(s.closing);
	tf_leg_sent(leg, UV_ECANCELED);
	tf_leg_closed(leg);             /* freed here */
	ASSERT_EQ(seen.sent + seen.closed + seen.read, 0);

	/* Never opened: freed at once. */
	leg = tf_leg_new(NULL, owner_cb, &seen);
	tf_leg_destroy(leg);
	ASSERT_EQ(seen.closed, 0);
}

TEST_MAIN(
	TEST_ENTRY(send_all_at_once),
	TEST_ENTRY(send_queued_then_done),
	TEST_ENTRY(send_failures_break_the_leg),
	TEST_ENTRY(send_cancelled_by_own_close_is_no_error),
	TEST_ENTRY(reading_follows_room),
	TEST_ENTRY(end_of_input_reported_once),
	TEST_ENTRY(idle_means_nothing_held),
	TEST_ENTRY(destroy_frees_after_the_close),
)
