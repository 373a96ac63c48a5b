/*
 * Unit tests for proxy/tickets.c, the session ticket key set: keys are
 * random and distinct, a rotation makes a new current key and retires the
 * old one, a retired key opens tickets for TF_TICKETS_NKEYS - 1 rotations
 * and then is gone, two sets (two processes) share nothing, and readers
 * on other threads never see a torn key while the set rotates (the CI's
 * ThreadSanitizer run checks that they do not race either).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "test.h"
#include "tickets.h"

static const uint8_t zero_name[TF_TICKET_NAME_LEN];

static int
same_key(const struct tf_ticket_key *a, const struct tf_ticket_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

TEST(numbers)
{
	/* A key seals for an hour and is kept two more: three keys. */
	ASSERT_EQ(TF_TICKETS_ROTATE_S, 3600);
	ASSERT_EQ(TF_TICKETS_LIFETIME_S, 7200);
	ASSERT_EQ(TF_TICKETS_NKEYS, 3);
	/* Every ticket sealed by a key lives out its lifetime before the key
	 * is dropped: (NKEYS - 1) rotations after its retirement. */
	ASSERT((TF_TICKETS_NKEYS - 1) * TF_TICKETS_ROTATE_S >=
	    TF_TICKETS_LIFETIME_S);
	ASSERT((TF_TICKETS_NKEYS - 2) * TF_TICKETS_ROTATE_S <
	    TF_TICKETS_LIFETIME_S);
}

TEST(new_key_is_random)
{
	struct tf_tickets *a, *b;
	struct tf_ticket_key ka, kb, found;

	ASSERT_OK(tf_tickets_new(&a));
	ASSERT_OK(tf_tickets_new(&b));
	tf_tickets_current(a, &ka);
	tf_tickets_current(b, &kb);
	ASSERT(memcmp(ka.name, zero_name, sizeof(zero_name)) != 0);
	ASSERT(memcmp(ka.aes_key, ka.hmac_key, sizeof(ka.aes_key)) != 0);
	ASSERT(memcmp(ka.name, kb.name, sizeof(ka.name)) != 0);
	ASSERT(memcmp(ka.aes_key, kb.aes_key, sizeof(ka.aes_key)) != 0);
	ASSERT(memcmp(ka.hmac_key, kb.hmac_key, sizeof(ka.hmac_key)) != 0);

	/* The current key is found as current, with its secrets. */
	ASSERT_EQ(tf_tickets_find(a, ka.name, &found), TF_TICKET_CURRENT);
	ASSERT(same_key(&found, &ka));
	/* Another process's key (another set) is unknown here. */
	memset(&found, 0, sizeof(found));
	ASSERT_EQ(tf_tickets_find(a, kb.name, &found), TF_TICKET_UNKNOWN);
	ASSERT(memcmp(&found, zero_name, sizeof(zero_name)) == 0);
	ASSERT_EQ(tf_tickets_find(b, ka.name, &found), TF_TICKET_UNKNOWN);
	ASSERT_EQ(tf_tickets_find(a, zero_name, &found), TF_TICKET_UNKNOWN);
	tf_tickets_free(a);
	tf_tickets_free(b);
	tf_tickets_free(NULL);
}

TEST(rotation_retires_then_drops)
{
	struct tf_ticket_key k[TF_TICKETS_NKEYS + 2], found, cur;
	struct tf_tickets *tk;
	size_t i, j;

	ASSERT_OK(tf_tickets_new(&tk));
	tf_tickets_current(tk, &k[0]);
	for (i = 1; i < TF_ARRAY_SIZE(k); i++) {
		ASSERT_OK(tf_tickets_rotate(tk));
		tf_tickets_current(tk, &k[i]);
		/* A new key seals from now on. */
		for (j = 0; j < i; j++)
			ASSERT(memcmp(k[i].name, k[j].name,
			    sizeof(k[i].name)) != 0);
		ASSERT_EQ(tf_tickets_find(tk, k[i].name, &found),
		    TF_TICKET_CURRENT);
		ASSERT(same_key(&found, &k[i]));
		/* The keys retired in the last NKEYS - 1 rotations still
		 * open (and ask for a new ticket), older ones are gone. */
		for (j = 0; j < i; j++) {
			enum tf_ticket_found f;

			f = tf_tickets_find(tk, k[j].name, &found);
			if (i - j < TF_TICKETS_NKEYS) {
				ASSERT_EQ(f, TF_TICKET_RETIRED);
				ASSERT(same_key(&found, &k[j]));
			} else {
				ASSERT_EQ(f, TF_TICKET_UNKNOWN);
			}
		}
	}
	tf_tickets_current(tk, &cur);
	ASSERT(same_key(&cur, &k[TF_ARRAY_SIZE(k) - 1]));
	tf_tickets_free(tk);
}

/* Readers on other threads while the control thread rotates. */
struct race {
	struct tf_tickets *tk;
	_Atomic int stop;
	_Atomic unsigned long reads;
	_Atomic unsigned long found;
	_Atomic int bad;
};

static void *
reader(void *arg)
{
	struct race *r = arg;
	struct tf_ticket_key k, found;

	while (!atomic_load(&r->stop)) {
		enum tf_ticket_found f;

		tf_tickets_current(r->tk, &k);
		f = tf_tickets_find(r->tk, k.name, &found);
		/* The key just read is current, or retired since, or (when
		 * this thread slept through NKEYS rotations) gone; when found,
		 * it is the same key, never a torn one. */
		if (f != TF_TICKET_UNKNOWN) {
			if (!same_key(&found, &k))
				atomic_store(&r->bad, 1);
			atomic_fetch_add(&r->found, 1);
		}
		atomic_fetch_add(&r->reads, 1);
	}
	return NULL;
}

TEST(readers_while_rotating)
{
	struct race r;
	pthread_t th[2];
	size_t i;
	int n;

	memset(&r, 0, sizeof(r));
	ASSERT_OK(tf_tickets_new(&r.tk));
	for (i = 0; i < TF_ARRAY_SIZE(th); i++)
		ASSERT_OK(pthread_create(&th[i], NULL, reader, &r));
	for (n = 0; n < 2000 || atomic_load(&r.reads) < 2000; n++)
		ASSERT_OK(tf_tickets_rotate(r.tk));
	atomic_store(&r.stop, 1);
	for (i = 0; i < TF_ARRAY_SIZE(th); i++)
		ASSERT_OK(pthread_join(th[i], NULL));
	ASSERT_EQ(atomic_load(&r.bad), 0);
	ASSERT(atomic_load(&r.found) > 0);
	tf_tickets_free(r.tk);
}

TEST_MAIN(
	TEST_ENTRY(numbers),
	TEST_ENTRY(new_key_is_random),
	TEST_ENTRY(rotation_retires_then_drops),
	TEST_ENTRY(readers_while_rotating),
)
