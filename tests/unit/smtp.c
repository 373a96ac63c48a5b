/*
 * Unit tests for proxy/smtp.c: the gateway's answers before STARTTLS
 * (each command, case, CRLF or bare LF, lines cut across reads, 530 for
 * the rest, the 512-octet limit), the bytes behind STARTTLS thrown away
 * (CVE-2011-0411), replies held back while the output has no room, and
 * the upstream's replies: single and multiline, STARTTLS found among the
 * EHLO lines, incomplete, malformed, mixed codes and the size limits.
 */
#include <string.h>

#include "buf.h"
#include "smtp.h"
#include "test.h"

#define HOST "mail.contoso.test"

struct io {
	struct tf_buf in, out;
};

static void
io_init(struct io *io, size_t out_cap)
{
	ASSERT_OK(tf_buf_init(&io->in, 4096));
	ASSERT_OK(tf_buf_init(&io->out, out_cap));
}

static void
io_free(struct io *io)
{
	tf_buf_free(&io->in);
	tf_buf_free(&io->out);
}

/* Feeds s, serves, and checks the answer and what is left unread. */
static enum tf_smtp_next
feed(struct io *io, const char *s, const char *want, size_t left)
{
	enum tf_smtp_next next;
	size_t n = strlen(want);

	ASSERT_OK(tf_buf_append(&io->in, s, strlen(s)));
	next = tf_smtp_serve(&io->in, &io->out, HOST);
	ASSERT_EQ(tf_buf_len(&io->out), n);
	if (memcmp(tf_buf_head(&io->out), want, n) != 0)
		TEST_FAIL("answered \"%.*s\", expected \"%s\"",
		    (int)tf_buf_len(&io->out), tf_buf_head(&io->out), want);
	tf_buf_consume(&io->out, n);
	ASSERT_EQ(tf_buf_len(&io->in), left);
	return next;
}

TEST(greeting)
{
	struct io io;

	io_init(&io, 4096);
	ASSERT_OK(tf_smtp_greet(&io.out, HOST));
	ASSERT_EQ(tf_buf_len(&io.out), sizeof("220 " HOST
	    " ESMTP tlsfloor\r\n") - 1);
	ASSERT(memcmp(tf_buf_head(&io.out), "220 " HOST " ESMTP tlsfloor\r\n",
	    tf_buf_len(&io.out)) == 0);
	io_free(&io);
	/* No room: nothing queued. */
	io_init(&io, 64);
	ASSERT_EQ(tf_smtp_greet(&io.out, HOST), -1);
	ASSERT_EQ(tf_buf_len(&io.out), 0);
	io_free(&io);
}

TEST(commands_before_starttls)
{
	struct io io;

	io_init(&io, 4096);
	ASSERT_EQ(feed(&io, "EHLO printer.lan\r\n", "250-" HOST
	    "\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n", 0),
	    TF_SMTP_MORE);
	ASSERT_EQ(feed(&io, "ehlo\r\n", "501 5.5.4 Syntax: ehlo hostname\r\n",
	    0), TF_SMTP_MORE);
	ASSERT_EQ(feed(&io, "HELO printer\n", "250 " HOST "\r\n", 0),
	    TF_SMTP_MORE);
	ASSERT_EQ(feed(&io, "NOOP\r\nrset\r\n",
	    "250 2.0.0 OK\r\n250 2.0.0 OK\r\n", 0), TF_SMTP_MORE);
	ASSERT_EQ(feed(&io, "MAIL FROM:<scanner@contoso.test>\r\n",
	    "530 5.7.0 Must issue a STARTTLS command first\r\n", 0),
	    TF_SMTP_MORE);
	ASSERT_EQ(feed(&io, "AUTH PLAIN AGFAYgBj\r\n",
	    "530 5.7.0 Must issue a STARTTLS command first\r\n", 0),
	    TF_SMTP_MORE);
	ASSERT_EQ(feed(&io, "EHLOX a\r\n",
	    "530 5.7.0 Must issue a STARTTLS command first\r\n", 0),
	    TF_SMTP_MORE);
	ASSERT_EQ(feed(&io, "STARTTLS now\r\n",
	    "501 5.5.4 Syntax: STARTTLS\r\n", 0), TF_SMTP_MORE);
	/* A line cut across reads waits for its end. */
	ASSERT_EQ(feed(&io, "NO", "", 2), TF_SMTP_MORE);
	ASSERT_EQ(feed(&io, "OP\r\n", "250 2.0.0 OK\r\n", 0), TF_SMTP_MORE);
	ASSERT_EQ(feed(&io, "QUIT\r\nNOOP\r\n", "221 2.0.0 " HOST
	    " closing connection\r\n", 6), TF_SMTP_QUIT);
	io_free(&io);
}

TEST(starttls_discards_what_follows)
{
	struct io io;

	io_init(&io, 4096);
	/* CVE-2011-0411: RSET came in the same read as STARTTLS; it is
	 * neither answered now nor left to be read as if under TLS. */
	ASSERT_EQ(feed(&io, "starttls\r\nRSET\r\nMAIL FROM:<x@y>\r\n",
	    "220 2.0.0 Ready to start TLS\r\n", 0), TF_SMTP_TLS);
	io_free(&io);
}

TEST(line_too_long)
{
	char line[TF_SMTP_LINE_MAX + 1];
	struct io io;

	io_init(&io, 4096);
	/* 510 octets and CRLF: the longest line is answered. */
	memset(line, 'A', sizeof(line));
	memcpy(line, "NOOP ", 5);
	memcpy(line + TF_SMTP_LINE_MAX - 2, "\r\n", 3);
	ASSERT_EQ(feed(&io, line, "250 2.0.0 OK\r\n", 0), TF_SMTP_MORE);
	/* 511 octets without an end of line yet: wait. */
	memset(line, 'A', sizeof(line));
	line[TF_SMTP_LINE_MAX - 1] = '\0';
	ASSERT_EQ(feed(&io, line, "", TF_SMTP_LINE_MAX - 1), TF_SMTP_MORE);
	/* The 512th octet is not the end of the line: too long. */
	ASSERT_EQ(feed(&io, "A", "500 5.5.2 Line too long\r\n",
	    TF_SMTP_LINE_MAX), TF_SMTP_TOO_LONG);
	io_free(&io);
}

TEST(no_room_no_answer)
{
	char held[21];
	struct io io;

	io_init(&io, TF_SMTP_REPLY_ROOM + 20);
	memset(held, 'x', sizeof(held));
	ASSERT_OK(tf_buf_append(&io.out, held, sizeof(held)));
	/* The client does not read: its commands wait where they are. */
	ASSERT_OK(tf_buf_append(&io.in, "NOOP\r\n", 6));
	ASSERT_EQ(tf_smtp_serve(&io.in, &io.out, HOST), TF_SMTP_MORE);
	ASSERT_EQ(tf_buf_len(&io.out), sizeof(held));
	ASSERT_EQ(tf_buf_len(&io.in), 6);
	/* It read: they are answered. */
	tf_buf_consume(&io.out, sizeof(held));
	ASSERT_EQ(feed(&io, "", "250 2.0.0 OK\r\n", 0), TF_SMTP_MORE);
	io_free(&io);
}

/* Parses s whole; checks the length taken, the code and STARTTLS. */
static void
check_reply(const char *s, long want, int code, int starttls)
{
	struct tf_smtp_reply r;
	long n = tf_smtp_reply(s, strlen(s), &r);

	ASSERT_EQ(n, want);
	if (n > 0) {
		ASSERT_EQ(r.code, code);
		ASSERT_EQ(r.starttls, starttls);
	}
}

TEST(upstream_replies)
{
	static const char ehlo[] = "250-smtp.office365.com Hello\r\n"
	    "250-SIZE 157286400\r\n250-PIPELINING\r\n250-STARTTLS\r\n"
	    "250 SMTPUTF8\r\n";
	char big[TF_SMTP_REPLY_MAX + 64];
	size_t i;

	check_reply("220 ready\r\nrest", 11, 220, 0);
	check_reply("220\r\n", 5, 220, 0);
	check_reply("220 bare LF\n", 12, 220, 0);
	check_reply(ehlo, (long)sizeof(ehlo) - 1, 250, 1);
	check_reply("250-a\r\n250 starttls\r\n", 21, 250, 1);
	check_reply("250-STARTTLSX\r\n250 AUTH\r\n", 25, 250, 0);
	check_reply("250-a\r\n250-STARTTLS\r\n", 0, 0, 0);
	check_reply("220 no end", 0, 0, 0);
	check_reply("2", 0, 0, 0);
	check_reply("250-a\r\n220 b\r\n", -1, 0, 0);
	check_reply("25x ok\r\n", -1, 0, 0);
	check_reply("250x\r\n", -1, 0, 0);
	check_reply("650 no\r\n", -1, 0, 0);
	check_reply("hello\r\n", -1, 0, 0);
	/* A line past TF_SMTP_LINE_MAX. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "220 ", 4);
	big[TF_SMTP_LINE_MAX + 8] = '\0';
	check_reply(big, -1, 0, 0);
	/* Lines of 16 bytes past TF_SMTP_REPLY_MAX in all. */
	for (i = 0; i + 16 <= sizeof(big) - 1; i += 16)
		memcpy(big + i, "250-0123456789\r\n", 16);
	big[i] = '\0';
	check_reply(big, -1, 0, 0);
}

TEST(valid_host)
{
	ASSERT(tf_smtp_valid_host("mail.contoso.test"));
	ASSERT(tf_smtp_valid_host("relay-1"));
	ASSERT(!tf_smtp_valid_host(""));
	ASSERT(!tf_smtp_valid_host("a b"));
	ASSERT(!tf_smtp_valid_host("a\r\nRSET"));
	ASSERT(!tf_smtp_valid_host("*.contoso.test"));
}

TEST_MAIN(
	TEST_ENTRY(greeting),
	TEST_ENTRY(commands_before_starttls),
	TEST_ENTRY(starttls_discards_what_follows),
	TEST_ENTRY(line_too_long),
	TEST_ENTRY(no_room_no_answer),
	TEST_ENTRY(upstream_replies),
	TEST_ENTRY(valid_host)
)
