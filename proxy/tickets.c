/*
 * The session ticket key set: random keys from getrandom(2), newest first,
 * rotated by the control thread and read by the workers under a
 * read-write lock. Readers copy a key out and use the copy, so the lock is
 * held only for a memcpy and a rotation never waits on a handshake.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "tickets.h"

#define TF_TICKETS_MAGIC 0x71c4e75e

struct tf_tickets {
	unsigned magic;
	pthread_rwlock_t lock;
	/* [0] seals new tickets, [1..nkeys) are retired, newest first;
	 * under lock. Unused slots are zero. */
	struct tf_ticket_key keys[TF_TICKETS_NKEYS];
	size_t nkeys;
};

/* Fills p with n bytes from the kernel's random source. 0 or -errno. */
static int
fill_random(void *p, size_t n)
{
	uint8_t *q = p;

	while (n > 0) {
		ssize_t r = getrandom(q, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		q += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * Draws a new key whose name is none of the n keys in have (a clash of
 * random 128-bit names will not happen, but costs nothing to rule out).
 * 0 or -errno.
 */
static int
key_new(struct tf_ticket_key *k, const struct tf_ticket_key *have, size_t n)
{
	size_t i;
	int r;

again:
	r = fill_random(k, sizeof(*k));
	if (r != 0) {
		explicit_bzero(k, sizeof(*k));
		return r;
	}
	for (i = 0; i < n; i++)
		if (memcmp(k->name, have[i].name, sizeof(k->name)) == 0)
			goto again;
	return 0;
}

int
tf_tickets_new(struct tf_tickets **out)
{
	struct tf_tickets *tk = tf_xcalloc(1, sizeof(*tk));
	int r;

	r = key_new(&tk->keys[0], NULL, 0);
	if (r != 0) {
		free(tk);
		return r;
	}
	tk->nkeys = 1;
	TF_ASSERT(pthread_rwlock_init(&tk->lock, NULL) == 0);
	tk->magic = TF_TICKETS_MAGIC;
	*out = tk;
	return 0;
}

void
tf_tickets_free(struct tf_tickets *tk)
{
	if (tk == NULL)
		return;
	TF_CHECK_OBJ(tk, TF_TICKETS_MAGIC);
	TF_ASSERT(pthread_rwlock_destroy(&tk->lock) == 0);
	explicit_bzero(tk->keys, sizeof(tk->keys));
	tk->magic = 0;
	free(tk);
}

int
tf_tickets_rotate(struct tf_tickets *tk)
{
	struct tf_ticket_key k;
	size_t n;
	int r;

	TF_CHECK_OBJ(tk, TF_TICKETS_MAGIC);
	/* The new key is drawn under the read lock only, so that handshakes
	 * never wait on the kernel. Only this function writes the set, from
	 * one thread (the control thread), so the names it was checked
	 * against are still the ones kept when the write lock is taken. */
	TF_ASSERT(pthread_rwlock_rdlock(&tk->lock) == 0);
	r = key_new(&k, tk->keys, tk->nkeys);
	TF_ASSERT(pthread_rwlock_unlock(&tk->lock) == 0);
	if (r != 0)
		return r;

	TF_ASSERT(pthread_rwlock_wrlock(&tk->lock) == 0);
	n = tk->nkeys < TF_TICKETS_NKEYS ? tk->nkeys : TF_TICKETS_NKEYS - 1;
	explicit_bzero(&tk->keys[TF_TICKETS_NKEYS - 1], sizeof(tk->keys[0]));
	memmove(&tk->keys[1], &tk->keys[0], n * sizeof(tk->keys[0]));
	tk->keys[0] = k;
	tk->nkeys = n + 1;
	TF_ASSERT(pthread_rwlock_unlock(&tk->lock) == 0);
	explicit_bzero(&k, sizeof(k));
	return 0;
}

void
tf_tickets_current(struct tf_tickets *tk, struct tf_ticket_key *out)
{
	TF_CHECK_OBJ(tk, TF_TICKETS_MAGIC);
	TF_ASSERT(pthread_rwlock_rdlock(&tk->lock) == 0);
	*out = tk->keys[0];
	TF_ASSERT(pthread_rwlock_unlock(&tk->lock) == 0);
}

enum tf_ticket_found
tf_tickets_find(struct tf_tickets *tk, const uint8_t name[TF_TICKET_NAME_LEN],
    struct tf_ticket_key *out)
{
	enum tf_ticket_found found = TF_TICKET_UNKNOWN;
	size_t i;

	TF_CHECK_OBJ(tk, TF_TICKETS_MAGIC);
	TF_ASSERT(pthread_rwlock_rdlock(&tk->lock) == 0);
	for (i = 0; i < tk->nkeys; i++) {
		if (memcmp(tk->keys[i].name, name, TF_TICKET_NAME_LEN) != 0)
			continue;
		*out = tk->keys[i];
		found = i == 0 ? TF_TICKET_CURRENT : TF_TICKET_RETIRED;
		break;
	}
	TF_ASSERT(pthread_rwlock_unlock(&tk->lock) == 0);
	return found;
}
