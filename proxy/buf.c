#include <stdlib.h>
#include <string.h>

#include "buf.h"

int
tf_buf_init(struct tf_buf *b, size_t cap)
{
	b->start = b->end = 0;
	b->cap = cap;
	b->data = malloc(cap);
	return b->data == NULL ? -1 : 0;
}

void
tf_buf_free(struct tf_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->start = b->end = b->cap = 0;
}

void
tf_buf_compact(struct tf_buf *b)
{
	size_t n = tf_buf_len(b);

	if (b->start == 0)
		return;
	memmove(b->data, b->data + b->start, n);
	b->start = 0;
	b->end = n;
}

int
tf_buf_append(struct tf_buf *b, const void *p, size_t n)
{
	if (n > tf_buf_tailroom(b)) {
		if (n > tf_buf_space(b))
			return -1;
		tf_buf_compact(b);
	}
	memcpy(tf_buf_tail(b), p, n);
	b->end += n;
	return 0;
}
