/*
 * A worker's free lists of the large blocks connections borrow while they
 * move bytes (TLS record buffers, HTTP workspaces) and give back when they
 * go quiet, so that an idle connection holds none and a busy one does not
 * call malloc per request. One list per block size (a few sizes only), each
 * keeping at most a bounded number of bytes; one thread only.
 */
#ifndef TF_MCACHE_H
#define TF_MCACHE_H

#include <stddef.h>

#include "common.h"

#define TF_MCACHE_CLASSES 4

struct tf_mcache {
	struct tf_mclass {
		size_t size;            /* 0: unused */
		void *free;             /* blocks, linked through their start */
		size_t n;               /* blocks on the list */
		size_t max;             /* blocks kept at most */
	} classes[TF_MCACHE_CLASSES];
	size_t keep;                    /* bytes kept per size at most */
	size_t hits, misses;            /* blocks taken from a list, malloc'd */
};

/* An empty cache keeping at most keep bytes of each block size. */
void tf_mcache_init(struct tf_mcache *c, size_t keep);

/* A block of size bytes (at least a pointer's size), or NULL when out of
 * memory. c may be NULL: plain malloc. */
void *tf_mcache_get(struct tf_mcache *c, size_t size) TF_WARN_UNUSED;

/* Gives back a block of size bytes from tf_mcache_get(); NULL is ignored. */
void tf_mcache_put(struct tf_mcache *c, void *p, size_t size);

/* Frees every block kept. */
void tf_mcache_drain(struct tf_mcache *c);

#endif
