/*
 * SMTP before STARTTLS: the device's commands answered, the upstream's
 * replies read.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "common.h"
#include "smtp.h"

/* Queues one formatted reply; the caller made sure of the room. */
static void __attribute__((format(printf, 2, 3)))
reply(struct tf_buf *out, const char *fmt, ...)
{
	char line[TF_SMTP_REPLY_ROOM];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	TF_ASSERT(n > 0 && (size_t)n < sizeof(line));
	TF_ASSERT(tf_buf_append(out, line, (size_t)n) == 0);
}

int
tf_smtp_greet(struct tf_buf *out, const char *host)
{
	if (tf_buf_space(out) < TF_SMTP_REPLY_ROOM)
		return -1;
	tf_buf_compact(out);
	reply(out, "220 %s ESMTP tlsfloor\r\n", host);
	return 0;
}

/* True when the n-byte verb at p is word, in any case. */
static int
is_verb(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

/*
 * Answers the one command line of n bytes at p (its CRLF or LF cut off).
 * Returns as tf_smtp_serve().
 */
static enum tf_smtp_next
answer(const char *p, size_t n, struct tf_buf *out, const char *host)
{
	size_t verb = 0, arg;

	while (verb < n && p[verb] != ' ')
		verb++;
	for (arg = verb; arg < n && p[arg] == ' '; arg++)
		;
	if (is_verb(p, verb, "EHLO") || is_verb(p, verb, "HELO")) {
		if (arg == n)
			reply(out, "501 5.5.4 Syntax: %.4s hostname\r\n", p);
		else if (toupper((unsigned char)p[0]) == 'E')
			/* Only what holds before TLS: after STARTTLS the
			 * client asks again, and the upstream answers. */
			reply(out, "250-%s\r\n250-ENHANCEDSTATUSCODES\r\n"
			    "250 STARTTLS\r\n", host);
		else
			reply(out, "250 %s\r\n", host);
	} else if (is_verb(p, verb, "NOOP") || is_verb(p, verb, "RSET")) {
		reply(out, "250 2.0.0 OK\r\n");
	} else if (is_verb(p, verb, "QUIT")) {
		reply(out, "221 2.0.0 %s closing connection\r\n", host);
		return TF_SMTP_QUIT;
	} else if (is_verb(p, verb, "STARTTLS")) {
		if (arg < n) {
			reply(out, "501 5.5.4 Syntax: STARTTLS\r\n");
			return TF_SMTP_MORE;
		}
		reply(out, "220 2.0.0 Ready to start TLS\r\n");
		return TF_SMTP_TLS;
	} else {
		reply(out, "530 5.7.0 Must issue a STARTTLS command first\r\n");
	}
	return TF_SMTP_MORE;
}

enum tf_smtp_next
tf_smtp_serve(struct tf_buf *in, struct tf_buf *out, const char *host)
{
	enum tf_smtp_next next = TF_SMTP_MORE;

	while (next == TF_SMTP_MORE && tf_buf_len(in) > 0) {
		const char *p = tf_buf_head(in), *lf;
		size_t n = tf_buf_len(in), len;

		if (tf_buf_space(out) < TF_SMTP_REPLY_ROOM)
			break;
		tf_buf_compact(out);
		lf = memchr(p, '\n', n < TF_SMTP_LINE_MAX ? n :
		    TF_SMTP_LINE_MAX);
		if (lf == NULL) {
			if (n < TF_SMTP_LINE_MAX)
				break;
			reply(out, "500 5.5.2 Line too long\r\n");
			return TF_SMTP_TOO_LONG;
		}
		len = (size_t)(lf - p);
		next = answer(p, len > 0 && p[len - 1] == '\r' ? len - 1 : len,
		    out, host);
		tf_buf_consume(in, len + 1);
	}
	if (next == TF_SMTP_TLS)
		tf_buf_consume(in, tf_buf_len(in));
	return next;
}

long
tf_smtp_reply(const char *p, size_t n, struct tf_smtp_reply *r)
{
	size_t off = 0;

	memset(r, 0, sizeof(*r));
	for (;;) {
		const char *line = p + off, *lf;
		size_t avail = n - off, len, max;
		int code;

		max = avail < TF_SMTP_LINE_MAX ? avail : TF_SMTP_LINE_MAX;
		if (off + max > TF_SMTP_REPLY_MAX)
			max = TF_SMTP_REPLY_MAX - off;
		lf = memchr(line, '\n', max);
		if (lf == NULL)
			return avail < TF_SMTP_LINE_MAX &&
			    n < TF_SMTP_REPLY_MAX ? 0 : -1;
		len = (size_t)(lf - line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len < 3 || line[0] < '1' || line[0] > '5' ||
		    !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]) ||
		    (len > 3 && line[3] != ' ' && line[3] != '-'))
			return -1;
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (r->code != 0 && code != r->code)
			return -1;
		r->code = code;
		/* "250-STARTTLS", or with a trailing word some servers add. */
		if (len >= 12 && strncasecmp(line + 4, "STARTTLS", 8) == 0 &&
		    (len == 12 || line[12] == ' '))
			r->starttls = 1;
		off += (size_t)(lf - line) + 1;
		if (len == 3 || line[3] == ' ')
			return (long)off;
	}
}

int
tf_smtp_valid_host(const char *name)
{
	size_t n = strlen(name), i;

	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) &&
		    name[i] != '-' && name[i] != '.')
			return 0;
	return 1;
}
