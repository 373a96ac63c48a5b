/*
 * Free lists of large blocks, by size.
 */
#include <stdlib.h>
#include <string.h>

#include "mcache.h"

void
tf_mcache_init(struct tf_mcache *c, size_t keep)
{
	memset(c, 0, sizeof(*c));
	c->keep = keep;
}

/* The list for size: found, or a free slot claimed; NULL when all four
 * slots hold other sizes (such blocks are plain malloc'd). */
static struct tf_mclass *
class_of(struct tf_mcache *c, size_t size)
{
	size_t i;

	for (i = 0; i < TF_MCACHE_CLASSES; i++) {
		struct tf_mclass *k = &c->classes[i];

		if (k->size == size)
			return k;
		if (k->size == 0) {
			k->size = size;
			k->max = c->keep / size > 2 ? c->keep / size : 2;
			return k;
		}
	}
	return NULL;
}

void *
tf_mcache_get(struct tf_mcache *c, size_t size)
{
	struct tf_mclass *k;
	void *p;

	TF_ASSERT(size >= sizeof(void *));
	if (c == NULL || (k = class_of(c, size)) == NULL || k->free == NULL) {
		if (c != NULL)
			c->misses++;
		return malloc(size);
	}
	p = k->free;
	memcpy(&k->free, p, sizeof(void *));
	k->n--;
	c->hits++;
	return p;
}

void
tf_mcache_put(struct tf_mcache *c, void *p, size_t size)
{
	struct tf_mclass *k;

	if (p == NULL)
		return;
	if (c == NULL || (k = class_of(c, size)) == NULL || k->n >= k->max) {
		free(p);
		return;
	}
	memcpy(p, &k->free, sizeof(void *));
	k->free = p;
	k->n++;
}

void
tf_mcache_drain(struct tf_mcache *c)
{
	size_t i;

	for (i = 0; i < TF_MCACHE_CLASSES; i++) {
		struct tf_mclass *k = &c->classes[i];
		void *p;

		while ((p = k->free) != NULL) {
			memcpy(&k->free, p, sizeof(void *));
			free(p);
		}
		k->n = 0;
	}
}
