/*
 * libFuzzer driver for the connection pump (proxy/conn.c, exchange.c,
 * upstream.c, leg.c, pool.c, http1.c) over in-memory legs: the world of
 * tests/unit/memworld.h, with a real TLS client and real TLS origins
 * through BoringSSL, and no socket. The input is a script of what the
 * peers do: clients and origins send bytes, take only so much
 * ciphertext (backpressure), end with close_notify or vanish, new
 * clients come; after each step the world settles.
 *
 * Invariants, checked on every input: the world settles (no busy loop);
 * no peer sees a TLS error from the gateway; once every peer has ended
 * and the world has settled, no client connection is left; after the
 * gateway closes everything (as a stop does), every leg's transport is
 * closed, the loop has no handle left, and ASan finds nothing leaked or
 * touched after free.
 *
 * One world serves every input (its configuration and TLS contexts are
 * costly); its links, pool and logs are reset between inputs.
 *
 * Script bytes, one op each, some followed by an argument byte A and
 * data (see op()):
 *   0 A DATA  the current client sends A+1 bytes (or what is left)
 *   1 A DATA  the current origin sends A+1 bytes
 *   2 A       the current client takes A*97 bytes more (255: no limit)
 *   3 A       the same for the current origin and those still to come
 *   4 / 5     the current client ends: close_notify / vanishes
 *   6 / 7     the current origin ends: close_notify / vanishes
 *   8 A       a new client (up to MAX_CLIENTS), or client A is current
 *   9 A       origin A (of those opened so far) is current
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit/memworld.h"
#include "check.h"

#define MAX_CLIENTS 4
/* Links a script may make before it is cut short: room for the retries
 * and new upstream connections each request can open. */
#define LINK_BUDGET (MW_MAX_LINKS - 8)

struct script {
	const uint8_t *p;
	size_t n;
};

static int
next(struct script *s)
{
	if (s->n == 0)
		return -1;
	s->n--;
	return *s->p++;
}

/* Up to want bytes of the script, as data. */
static size_t
take(struct script *s, const uint8_t **data, size_t want)
{
	if (want > s->n)
		want = s->n;
	*data = s->p;
	s->p += want;
	s->n -= want;
	return want;
}

static size_t
window(int a)
{
	return a == 255 ? SIZE_MAX : (size_t)a * 97;
}

/* A peer ends without close_notify: the transport just ends, and what it
 * had not sent yet is lost. */
static void
vanish(struct mw_peer *p)
{
	p->send_off = p->send_len;
	p->closed = 1;
}

/* A peer that has ended sends nothing more. */
static int
may_send(const struct mw_peer *p)
{
	return !p->want_close && !p->closed;
}

/* Every link is unlimited; every peer still there ends, politely. */
static void
all_end(struct mw_world *w)
{
	size_t k;

	w->up_window = SIZE_MAX;
	for (k = 0; k < w->nlinks; k++) {
		w->links[k]->window = SIZE_MAX;
		if (!w->links[k]->peer.closed)
			mw_peer_close(&w->links[k]->peer);
	}
}

/*
 * Ends the input: the peers end, nothing may remain; then the gateway
 * closes what it keeps (pooled legs), every transport must be closed and
 * the loop empty. The world is ready for the next input after.
 */
static void
reset(struct mw_world *w)
{
	char path[128];
	size_t k, links;
	int round;

	/* A request retried on a new upstream connection as the peers end
	 * meets an origin that ends in the next round. */
	for (round = 0; round < 4; round++) {
		links = w->nlinks;
		all_end(w);
		mw_settle(w);
		if (w->nlinks == links)
			break;
	}
	CHECK(w->set.n == 0);
	tf_conns_close_all(&w->set, "input over");
	tf_pool_close(&w->pool);
	mw_settle(w);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	CHECK(!uv_loop_alive(&w->loop));
	for (k = 0; k < w->nlinks; k++) {
		CHECK(w->links[k]->leg == NULL);
		mw_peer_free(&w->links[k]->peer);
		free(w->links[k]);
	}
	w->nlinks = 0;
	w->nupstreams = 0;
	w->up_window = SIZE_MAX;
	tf_pool_init(&w->pool, &w->loop, 16, 30000);
	/* The logs are written with O_APPEND: emptied, they go on at 0. */
	snprintf(path, sizeof(path), "%s/access.jsonl", w->dir);
	(void)truncate(path, 0);
	snprintf(path, sizeof(path), "%s/error.log", w->dir);
	(void)truncate(path, 0);
	snprintf(path, sizeof(path), "%s/legacy.jsonl", w->dir);
	(void)truncate(path, 0);
}

/* One op of the script; 0 when the script is over. */
static int
op(struct mw_world *w, struct script *s, struct mw_link **clients,
    size_t *nclients, size_t *cur, size_t *up)
{
	struct mw_link *cl = clients[*cur];
	struct mw_link *ul = w->nupstreams > 0 ? w->ups[*up] : NULL;
	const uint8_t *data;
	int o = next(s), a;
	size_t n;

	if (o < 0 || w->nlinks >= LINK_BUDGET)
		return 0;
	switch (o % 10) {
	case 0:
	case 1:
		if ((a = next(s)) < 0)
			return 0;
		n = take(s, &data, (size_t)a + 1);
		if (o % 10 == 0 && may_send(&cl->peer))
			mw_peer_send(&cl->peer, data, n);
		else if (o % 10 == 1 && ul != NULL && may_send(&ul->peer))
			mw_peer_send(&ul->peer, data, n);
		break;
	case 2:
	case 3:
		if ((a = next(s)) < 0)
			return 0;
		if (o % 10 == 2) {
			cl->window = window(a);
		} else {
			w->up_window = window(a);
			if (ul != NULL)
				ul->window = window(a);
		}
		break;
	case 4:
		if (may_send(&cl->peer))
			mw_peer_close(&cl->peer);
		break;
	case 5:
		vanish(&cl->peer);
		break;
	case 6:
		if (ul != NULL && may_send(&ul->peer))
			mw_peer_close(&ul->peer);
		break;
	case 7:
		if (ul != NULL)
			vanish(&ul->peer);
		break;
	case 8:
		if ((a = next(s)) < 0)
			return 0;
		if (*nclients < MAX_CLIENTS) {
			clients[*nclients] = mw_client(w, NULL);
			*cur = (*nclients)++;
		} else {
			*cur = (size_t)a % *nclients;
		}
		break;
	case 9:
		if ((a = next(s)) < 0)
			return 0;
		if (w->nupstreams > 0)
			*up = (size_t)a % w->nupstreams;
		break;
	}
	mw_settle(w);
	/* New origins become current as they come. */
	if (w->nupstreams > 0 && (ul == NULL || *up >= w->nupstreams))
		*up = w->nupstreams - 1;
	return 1;
}

static struct mw_world *
world(void)
{
	static struct mw_world *w;
	char pki[PATH_MAX];

	if (w != NULL)
		return w;
	/* The test PKI is made next to the binary by the tree's script
	 * unless the environment says otherwise (memworld.h mw_pki()). */
	if (getenv("TF_SRCDIR") == NULL)
		setenv("TF_SRCDIR", TF_FUZZ_SRCDIR, 1);
	if (getenv("TF_BUILDDIR") == NULL) {
		ssize_t r = readlink("/proc/self/exe", pki, sizeof(pki) - 1);
		char *slash;

		CHECK(r > 0);
		pki[r] = '\0';
		slash = strrchr(pki, '/');
		CHECK(slash != NULL);
		*slash = '\0';
		setenv("TF_BUILDDIR", pki, 1);
	}
	w = mw_world_new(NULL);
	return w;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mw_world *w = world();
	struct script s = { data, size };
	struct mw_link *clients[MAX_CLIENTS];
	size_t nclients = 1, cur = 0, up = 0;

	clients[0] = mw_client(w, NULL);
	mw_settle(w);
	CHECK(clients[0]->peer.established);
	while (op(w, &s, clients, &nclients, &cur, &up))
		;
	reset(w);
	return 0;
}
