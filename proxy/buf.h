/*
 * A bounded linear byte buffer: data lives in [start, end) of a fixed
 * allocation made once. Writers reserve space at the end, readers consume
 * from the start; compaction moves the data down only when asked, so a
 * region handed to uv_write stays put until its callback.
 */
#ifndef TF_BUF_H
#define TF_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct tf_buf {
	char *data;    /* NULL until tf_buf_init */
	size_t start;  /* first unread byte */
	size_t end;    /* one past the last written byte */
	size_t cap;    /* allocation size */
};

/* Allocates cap bytes. Returns 0 or UV_ENOMEM-like -1. */
int tf_buf_init(struct tf_buf *b, size_t cap) TF_WARN_UNUSED;
void tf_buf_free(struct tf_buf *b);

/* Uses cap bytes at mem, which stay the caller's: tf_buf_detach() gives
 * them back (a buffer lent from a free list). */
static inline void tf_buf_attach(struct tf_buf *b, char *mem, size_t cap)
{
	b->data = mem;
	b->start = b->end = 0;
	b->cap = cap;
}

static inline char *tf_buf_detach(struct tf_buf *b)
{
	char *p = b->data;

	b->data = NULL;
	b->start = b->end = b->cap = 0;
	return p;
}

static inline size_t tf_buf_len(const struct tf_buf *b)
{
	return b->end - b->start;
}

/* A buffer without storage (one lent and returned) has no head or tail:
 * NULL, not NULL plus an offset, which C leaves undefined. */
static inline char *tf_buf_head(const struct tf_buf *b)
{
	return b->data != NULL ? b->data + b->start : NULL;
}

static inline char *tf_buf_tail(const struct tf_buf *b)
{
	return b->data != NULL ? b->data + b->end : NULL;
}

/* Room at the end without compacting. */
static inline size_t tf_buf_tailroom(const struct tf_buf *b)
{
	return b->cap - b->end;
}

/* Room at the end after a compaction. */
static inline size_t tf_buf_space(const struct tf_buf *b)
{
	return b->cap - tf_buf_len(b);
}

/* Moves the unread bytes to the start of the allocation. */
void tf_buf_compact(struct tf_buf *b);

/* Marks n bytes written at the tail. */
static inline void tf_buf_commit(struct tf_buf *b, size_t n)
{
	TF_ASSERT(n <= tf_buf_tailroom(b));
	b->end += n;
}

/* Drops n bytes from the head; an empty buffer rewinds to offset 0. */
static inline void tf_buf_consume(struct tf_buf *b, size_t n)
{
	TF_ASSERT(n <= tf_buf_len(b));
	b->start += n;
	if (b->start == b->end)
		b->start = b->end = 0;
}

/*
 * Appends n bytes, compacting first when needed (the caller must not have
 * a write in flight on this buffer). Returns 0, or -1 if they do not fit.
 */
int tf_buf_append(struct tf_buf *b, const void *p, size_t n) TF_WARN_UNUSED;

#endif
