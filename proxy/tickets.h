/*
 * Session ticket keys: TLS 1.2 session tickets (RFC 5077) and TLS 1.3
 * PSK tickets are sealed with keys that are the gateway's own, drawn from
 * the kernel's random source and held only in memory: never read from the
 * configuration or from disk, never written anywhere, never logged.
 *
 * One key set serves every listener, every worker and every configuration
 * generation of the process, so that a ticket issued on one worker resumes
 * on another and after a reload (tls.c binds each session to the listener
 * that issued it). The control thread rotates the set on a timer: from
 * then on a new key seals every ticket issued, and the retired keys still
 * open tickets for as long as one they sealed can be valid. Workers read
 * the set from inside handshakes; a read-write lock keeps a rotation from
 * racing them.
 */
#ifndef TF_TICKETS_H
#define TF_TICKETS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/*
 * A new key every hour: a key taken from the process's memory opens at
 * most the tickets of the last few hours, the forward-secrecy window of
 * resumption (a TLS 1.2 ticket holds the session's master secret).
 */
#define TF_TICKETS_ROTATE_S 3600
/*
 * How long a ticket (the session it carries) may resume: TLS 1.3's
 * default of two hours, for TLS 1.2 sessions and TLS 1.3 PSKs alike.
 * Outlook and phones reconnect far more often than that.
 */
#define TF_TICKETS_LIFETIME_S 7200
/*
 * Keys kept: the current one, plus every retired one that may have sealed
 * a ticket still inside its lifetime. A key seals tickets until its
 * retirement, so it is kept for LIFETIME after that, i.e. for
 * ceil(LIFETIME / ROTATE) more rotations: three keys, the newest three
 * hours of them.
 */
#define TF_TICKETS_NKEYS \
	(1 + (TF_TICKETS_LIFETIME_S + TF_TICKETS_ROTATE_S - 1) / \
	TF_TICKETS_ROTATE_S)

#define TF_TICKET_NAME_LEN 16           /* sent in the clear in tickets */

/* One key: its name, and the secrets of AES-256-CBC and HMAC-SHA256. */
struct tf_ticket_key {
	uint8_t name[TF_TICKET_NAME_LEN];
	uint8_t aes_key[32];
	uint8_t hmac_key[32];
};

/* What tf_tickets_find() found for a ticket's key name. */
enum tf_ticket_found {
	TF_TICKET_UNKNOWN = 0,          /* expired, or another process's */
	TF_TICKET_CURRENT,              /* the key that seals new tickets */
	TF_TICKET_RETIRED,              /* opens; the ticket is reissued */
};

/* The key set, shared by every thread (opaque). */
struct tf_tickets;

/*
 * Makes a key set holding one new random key. Returns 0, or a negative
 * errno when the kernel gave no random bytes (nothing allocated then).
 * The caller frees it with tf_tickets_free() once no TLS context that
 * uses it is left.
 */
int tf_tickets_new(struct tf_tickets **out) TF_WARN_UNUSED;
void tf_tickets_free(struct tf_tickets *tk);

/*
 * Rotates: a new random key becomes the current one, the current one is
 * retired, and the oldest key beyond TF_TICKETS_NKEYS is wiped. Any
 * thread, while others read. Returns 0, or a negative errno with the set
 * unchanged (the current key then goes on sealing).
 */
int tf_tickets_rotate(struct tf_tickets *tk) TF_WARN_UNUSED;

/* Copies the current key into out; any thread. The caller wipes it. */
void tf_tickets_current(struct tf_tickets *tk, struct tf_ticket_key *out);

/*
 * Looks a ticket's key name up; any thread. When found, the key is
 * copied into out (the caller wipes it) and the result says whether it is
 * the current one.
 */
enum tf_ticket_found tf_tickets_find(struct tf_tickets *tk,
    const uint8_t name[TF_TICKET_NAME_LEN], struct tf_ticket_key *out);

#endif
