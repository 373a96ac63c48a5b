/*
 * SMTP up to STARTTLS (RFC 5321, RFC 3207), both ways, as a codec over
 * byte buffers: the gateway's side of a device's dialogue before TLS, and
 * the upstream's replies to the gateway's own EHLO and STARTTLS. After
 * STARTTLS nothing here is used: the session is relayed as bytes.
 */
#ifndef TF_SMTP_H
#define TF_SMTP_H

#include <stddef.h>

struct tf_buf;

/* The longest command line, CRLF included (RFC 5321 4.5.3.1.4), and the
 * longest reply line, CRLF included (4.5.3.1.5). */
#define TF_SMTP_LINE_MAX 512
/* The most a whole multiline reply may take: Office 365's EHLO reply is
 * about 200 bytes. */
#define TF_SMTP_REPLY_MAX 4096
/* Room in the output buffer that any one of our replies fits in. */
#define TF_SMTP_REPLY_ROOM (TF_SMTP_LINE_MAX * 2)

/* What tf_smtp_serve() leaves the connection to do. */
enum tf_smtp_next {
	TF_SMTP_MORE = 0,       /* wait for more bytes, or for room in out */
	TF_SMTP_TLS,            /* STARTTLS was answered: TLS begins */
	TF_SMTP_QUIT,           /* QUIT was answered: close once sent */
	TF_SMTP_TOO_LONG,       /* a line too long was answered: close */
};

/* Queues the greeting, "220 HOST ESMTP tlsfloor". 0, or -1 without room. */
int tf_smtp_greet(struct tf_buf *out, const char *host);

/*
 * Answers the complete command lines in `in` into `out`, one at a time
 * while `out` has TF_SMTP_REPLY_ROOM: EHLO, HELO, NOOP, RSET, QUIT and
 * STARTTLS as a server offering only STARTTLS would, and anything else
 * with 530 (RFC 3207 4). The lines answered are consumed; at STARTTLS so
 * is everything after it, which a client may only send under TLS (bytes
 * pipelined behind STARTTLS are the plaintext injection of
 * CVE-2011-0411). host is our name in the replies.
 */
enum tf_smtp_next tf_smtp_serve(struct tf_buf *in, struct tf_buf *out,
    const char *host);

/* One reply of the upstream. */
struct tf_smtp_reply {
	int code;               /* 100..599 */
	int starttls;           /* a line of it says STARTTLS (EHLO's) */
};

/*
 * Reads one complete reply, possibly multiline (RFC 5321 4.2.1), from the
 * n bytes at p. Returns the bytes it took, 0 when it is not complete yet,
 * or -1 when it is malformed or longer than TF_SMTP_LINE_MAX per line or
 * TF_SMTP_REPLY_MAX in all.
 */
long tf_smtp_reply(const char *p, size_t n, struct tf_smtp_reply *r);

/* True when name may stand in our greeting and EHLO: a host name of
 * letters, digits, '-' and '.' of at most 255 bytes. */
int tf_smtp_valid_host(const char *name);

#endif
