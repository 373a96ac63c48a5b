/*
 * One leg of a proxied connection: a byte stream carrying TLS, with its two
 * bounded ciphertext buffers. The client half and the upstream half of a
 * connection are both legs. A leg does no protocol work of its own: it
 * reads into `in` while its owner wants it to, sends what `out` holds (one
 * send in flight at most), encrypts and decrypts on request, and tells its
 * owner after anything happened. Its transport is a TCP handle in the
 * daemon; the unit tests plug in memory through struct tf_leg_ops.
 *
 * The buffers are lent by the worker's cache: `in` when bytes are about to
 * be read, both before any TLS work; tf_leg_trim() gives back whichever is
 * empty, so a quiet leg holds neither.
 */
#ifndef TF_LEG_H
#define TF_LEG_H

#include <sys/types.h>

#include <uv.h>

#include "buf.h"
#include "common.h"

struct tf_leg;
struct tf_mcache;
struct tf_tls;

#define TF_LEG_MAGIC 0x1e9a11e9

/* Each ciphertext buffer: a write carries three full TLS records. */
#define TF_LEG_BUF (16384 * 4)
/* A leg is read only while `in` has at least this much room. */
#define TF_LEG_READ_MIN 4096

enum tf_leg_event {
	TF_LEG_EV_READ = 0,  /* bytes arrived in `in`, or eof is now set */
	TF_LEG_EV_SENT,      /* a queued send finished (broken set if it failed) */
	TF_LEG_EV_CLOSED,    /* tf_leg_close() finished */
};

/* Told after every event; it may close the leg, not free it. */
typedef void tf_leg_cb(struct tf_leg *leg, enum tf_leg_event ev, void *owner);

/*
 * A transport. The TCP one is tf_leg_tcp_init()'s. A transport reports
 * back through tf_leg_read_space(), tf_leg_received(), tf_leg_sent() and
 * tf_leg_closed().
 */
struct tf_leg_ops {
	/* Starts (on = 1) or stops delivering bytes. 0 or a UV code. */
	int (*read)(struct tf_leg *leg, int on);
	/*
	 * Sends n bytes at p. Returns the bytes that went out at once; the
	 * rest are queued, stay put in `out` until tf_leg_sent(), and may
	 * not be queued again. A negative UV code: nothing more can be sent.
	 */
	ssize_t (*send)(struct tf_leg *leg, const char *p, size_t n);
	/* Closes; a queued send finishes first (with any status), then
	 * tf_leg_closed(). Never calls back from inside close. */
	void (*close)(struct tf_leg *leg);
};

struct tf_leg {
	unsigned magic;
	const struct tf_leg_ops *ops;   /* NULL until a transport is set */
	struct tf_mcache *cache;        /* lends the buffers; NULL: malloc */
	tf_leg_cb *cb;
	void *owner;
	struct tf_buf in;               /* ciphertext received; lent */
	struct tf_buf out;              /* ciphertext to send; lent */
	struct tf_tls *tls;             /* owned; NULL before TLS starts */
	size_t sending;                 /* head bytes of out under a send */
	int error;                      /* the first read or send error */
	uint64_t bytes_in;              /* ciphertext received, in all */
	unsigned open : 1;              /* transport set up, close not begun */
	unsigned closing : 1;           /* close begun, not finished */
	unsigned reading : 1;           /* the transport delivers bytes */
	unsigned eof : 1;               /* no more bytes will arrive */
	unsigned broken : 1;            /* a send failed: none will go out */
	unsigned notified : 1;          /* close_notify queued */
	unsigned destroy : 1;           /* freed, not reported, once closed */

	/* The TCP transport. */
	uv_tcp_t tcp;
	uv_write_t wreq;
	/* Another transport's state (tests). */
	void *io;
};

/* Prepares a leg without transport or buffers, which cache will lend;
 * cb is told of events. */
void tf_leg_init(struct tf_leg *leg, struct tf_mcache *cache, tf_leg_cb *cb,
    void *owner);

/*
 * Sets up the TCP transport on loop (an unconnected handle, for uv_accept
 * or uv_tcp_connect), on a new leg or one whose transport closed: the
 * buffers are kept, emptied. 0 or a UV code.
 */
int tf_leg_tcp_init(struct tf_leg *leg, uv_loop_t *loop);

/* TCP_NODELAY on a TCP transport: small writes go at once. */
void tf_leg_nodelay(struct tf_leg *leg);

/* Sets another transport (tests). */
void tf_leg_open(struct tf_leg *leg, const struct tf_leg_ops *ops);

/*
 * Borrows both buffers (those not held already) for TLS work or for bytes
 * the owner puts in `out` itself. 0, or -1 when out of memory.
 */
int tf_leg_hold(struct tf_leg *leg) TF_WARN_UNUSED;

/* Gives back each buffer that is empty (`out` once no send uses it). */
void tf_leg_trim(struct tf_leg *leg);

/* Drives the TLS handshake (with the buffers held): TF_TLS_OK,
 * TF_TLS_AGAIN or TF_TLS_ERROR. */
int tf_leg_handshake(struct tf_leg *leg);

/* Queues a close_notify alert. */
void tf_leg_close_notify(struct tf_leg *leg);

/* Hands the leg to another owner. */
void tf_leg_set_owner(struct tf_leg *leg, tf_leg_cb *cb, void *owner);

/*
 * Reads while want is set, the leg is open, not at eof, and `in` has
 * TF_LEG_READ_MIN of room; stops otherwise.
 */
void tf_leg_want_read(struct tf_leg *leg, int want);

/*
 * Sends what `out` holds unless a send is in flight. Returns 0, or the
 * UV code of a send that failed now (broken is then set).
 */
int tf_leg_flush(struct tf_leg *leg);

/* Encrypts plaintext from src into `out` as far as it has room. 0 or
 * TF_TLS_ERROR (out of memory too). */
int tf_leg_encrypt(struct tf_leg *leg, struct tf_buf *src);

/*
 * Decrypts into the n bytes at p; *got says how many were written. Returns
 * as tf_leg_decrypt().
 */
int tf_leg_decrypt_to(struct tf_leg *leg, char *p, size_t n, size_t *got);

/*
 * Decrypts into dst while dst has room. Returns TF_TLS_AGAIN (nothing
 * more now), TF_TLS_EOF (close_notify, or the transport ended with no
 * bytes left) or TF_TLS_ERROR; after either of the last two, eof is set.
 */
int tf_leg_decrypt(struct tf_leg *leg, struct tf_buf *dst);

/* True when nothing is held: no bytes in either buffer or in TLS, no
 * send in flight, open, neither eof nor broken. */
int tf_leg_idle(const struct tf_leg *leg);

/*
 * Closes the transport. Returns 0 when TF_LEG_EV_CLOSED will follow, -1
 * when there was nothing to close. A queued send that the close cancels
 * is not an error.
 */
int tf_leg_close(struct tf_leg *leg);

/* Gives back the buffers and frees TLS of a leg that is not open
 * (tf_leg_close done). */
void tf_leg_release(struct tf_leg *leg);

/* Allocates a leg on the heap for tf_leg_destroy(); aborts when out of
 * memory. */
struct tf_leg *tf_leg_new(struct tf_mcache *cache, tf_leg_cb *cb,
    void *owner);

/* Closes a heap leg and frees it when closed; no more events. */
void tf_leg_destroy(struct tf_leg *leg);

/* For transports. tf_leg_read_space borrows `in` if needed; *n is 0 when
 * out of memory. */
void tf_leg_read_space(struct tf_leg *leg, char **p, size_t *n);
void tf_leg_received(struct tf_leg *leg, ssize_t nread);
void tf_leg_sent(struct tf_leg *leg, int status);
void tf_leg_closed(struct tf_leg *leg);

#endif
