/*
 * Unit tests for proxy/buf.c: the bounded linear buffer every stage of a
 * connection moves its bytes through. Checked: the offsets after each
 * operation, that an append which does not fit fails and leaves the
 * buffer as it was, that consuming everything rewinds to offset 0, the
 * difference between tailroom (no move) and space (after a compaction),
 * and that commit and consume past their bounds abort.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "test.h"

/* Asserts the buffer holds exactly the n bytes at p. */
static void
check_content(const struct tf_buf *b, const char *p, size_t n)
{
	ASSERT_EQ(tf_buf_len(b), n);
	ASSERT(memcmp(tf_buf_head(b), p, n) == 0);
}

#define CHECK_CONTENT(b, lit) check_content(b, lit, sizeof(lit) - 1)

/* Asserts the three offsets and the capacity. */
static void
check_offsets(const struct tf_buf *b, size_t start, size_t end, size_t cap)
{
	ASSERT_EQ(b->start, start);
	ASSERT_EQ(b->end, end);
	ASSERT_EQ(b->cap, cap);
	ASSERT_EQ(tf_buf_len(b), end - start);
	ASSERT_EQ(tf_buf_tailroom(b), cap - end);
	ASSERT_EQ(tf_buf_space(b), cap - (end - start));
	ASSERT(tf_buf_head(b) == b->data + start);
	ASSERT(tf_buf_tail(b) == b->data + end);
}

TEST(init_and_free)
{
	struct tf_buf b, zero;

	ASSERT_OK(tf_buf_init(&b, 64));
	ASSERT(b.data != NULL);
	check_offsets(&b, 0, 0, 64);
	tf_buf_free(&b);
	ASSERT(b.data == NULL);
	ASSERT_EQ(b.cap, 0);
	ASSERT_EQ(tf_buf_len(&b), 0);
	ASSERT_EQ(tf_buf_space(&b), 0);
	/* Freeing twice, or a buffer never made (conn.c frees the HTTP
	 * buffers of a connection that never sent a request), is a no-op. */
	tf_buf_free(&b);
	memset(&zero, 0, sizeof(zero));
	tf_buf_free(&zero);
	ASSERT(zero.data == NULL);
	/* A buffer with no storage (a leg between lent buffers) has a NULL
	 * head and tail; the UBSan build checks that no offset is added to
	 * NULL to get there. */
	ASSERT(tf_buf_head(&b) == NULL);
	ASSERT(tf_buf_tail(&zero) == NULL);
}

TEST(append_and_commit)
{
	struct tf_buf b;

	ASSERT_OK(tf_buf_init(&b, 16));
	ASSERT_OK(tf_buf_append(&b, "abc", 3));
	check_offsets(&b, 0, 3, 16);
	CHECK_CONTENT(&b, "abc");
	/* A writer fills the tail itself (a read, SSL_read), then commits. */
	memcpy(tf_buf_tail(&b), "defg", 4);
	tf_buf_commit(&b, 4);
	check_offsets(&b, 0, 7, 16);
	CHECK_CONTENT(&b, "abcdefg");
	/* Nothing appended or committed is a no-op. */
	ASSERT_OK(tf_buf_append(&b, "", 0));
	tf_buf_commit(&b, 0);
	check_offsets(&b, 0, 7, 16);
	tf_buf_free(&b);
}

TEST(consume)
{
	struct tf_buf b;

	ASSERT_OK(tf_buf_init(&b, 16));
	ASSERT_OK(tf_buf_append(&b, "0123456789", 10));
	tf_buf_consume(&b, 0);
	check_offsets(&b, 0, 10, 16);
	tf_buf_consume(&b, 4);
	check_offsets(&b, 4, 10, 16);
	CHECK_CONTENT(&b, "456789");
	tf_buf_consume(&b, 5);
	check_offsets(&b, 9, 10, 16);
	CHECK_CONTENT(&b, "9");
	tf_buf_free(&b);
}

TEST(consume_to_empty_rewinds)
{
	struct tf_buf b;

	ASSERT_OK(tf_buf_init(&b, 16));
	ASSERT_OK(tf_buf_append(&b, "0123456789", 10));
	tf_buf_consume(&b, 3);
	check_offsets(&b, 3, 10, 16);
	/* The last byte read: back to offset 0, the whole tail free. */
	tf_buf_consume(&b, 7);
	check_offsets(&b, 0, 0, 16);
	/* Also in one step, and from a full buffer. */
	ASSERT_OK(tf_buf_append(&b, "0123456789abcdef", 16));
	check_offsets(&b, 0, 16, 16);
	tf_buf_consume(&b, 16);
	check_offsets(&b, 0, 0, 16);
	tf_buf_free(&b);
}

TEST(tailroom_and_space)
{
	struct tf_buf b;

	ASSERT_OK(tf_buf_init(&b, 16));
	ASSERT_OK(tf_buf_append(&b, "0123456789ab", 12));
	tf_buf_consume(&b, 8);
	/* Consumed bytes at the head count as space but not as tailroom:
	 * only a compaction makes them usable at the tail. */
	check_offsets(&b, 8, 12, 16);
	ASSERT_EQ(tf_buf_tailroom(&b), 4);
	ASSERT_EQ(tf_buf_space(&b), 12);
	tf_buf_free(&b);
}

TEST(compact)
{
	struct tf_buf b;
	char *data;

	ASSERT_OK(tf_buf_init(&b, 16));
	data = b.data;
	/* Already at offset 0: nothing moves. */
	ASSERT_OK(tf_buf_append(&b, "0123456789", 10));
	tf_buf_compact(&b);
	check_offsets(&b, 0, 10, 16);
	tf_buf_consume(&b, 6);
	tf_buf_compact(&b);
	check_offsets(&b, 0, 4, 16);
	CHECK_CONTENT(&b, "6789");
	ASSERT(b.data == data); /* the allocation is never replaced */
	/* An empty buffer is rewound by consume; compacting it is a no-op. */
	tf_buf_consume(&b, 4);
	tf_buf_compact(&b);
	check_offsets(&b, 0, 0, 16);
	tf_buf_free(&b);
}

TEST(append_compacts_when_needed)
{
	struct tf_buf b;

	ASSERT_OK(tf_buf_init(&b, 16));
	ASSERT_OK(tf_buf_append(&b, "0123456789ab", 12));
	tf_buf_consume(&b, 8);
	/* Fits in the tailroom: appended in place, nothing moves. */
	ASSERT_OK(tf_buf_append(&b, "cd", 2));
	check_offsets(&b, 8, 14, 16);
	CHECK_CONTENT(&b, "89abcd");
	/* Fits only after a compaction: the data moves down first. */
	ASSERT_OK(tf_buf_append(&b, "efghij", 6));
	check_offsets(&b, 0, 12, 16);
	CHECK_CONTENT(&b, "89abcdefghij");
	/* Exactly the space left fills the buffer. */
	tf_buf_consume(&b, 2);
	ASSERT_OK(tf_buf_append(&b, "klmnop", 6));
	check_offsets(&b, 0, 16, 16);
	CHECK_CONTENT(&b, "abcdefghijklmnop");
	tf_buf_free(&b);
}

TEST(append_that_does_not_fit)
{
	struct tf_buf b;
	char before[16];

	ASSERT_OK(tf_buf_init(&b, 16));
	ASSERT_FAIL(tf_buf_append(&b, "0123456789abcdefg", 17));
	check_offsets(&b, 0, 0, 16);

	ASSERT_OK(tf_buf_append(&b, "0123456789ab", 12));
	tf_buf_consume(&b, 3);
	memcpy(before, b.data, sizeof(before));
	/* 8 bytes are more than the tailroom (4) and the space (7): the
	 * append fails, and it does not compact either (a region handed to
	 * uv_write must stay where it is). */
	ASSERT_FAIL(tf_buf_append(&b, "ABCDEFGH", 8));
	check_offsets(&b, 3, 12, 16);
	ASSERT(memcmp(b.data, before, sizeof(before)) == 0);
	CHECK_CONTENT(&b, "3456789ab");

	/* A full buffer takes nothing more, but an empty append is fine. */
	ASSERT_OK(tf_buf_append(&b, "cdefghi", 7));
	check_offsets(&b, 0, 16, 16);
	ASSERT_FAIL(tf_buf_append(&b, "x", 1));
	ASSERT_OK(tf_buf_append(&b, "", 0));
	check_offsets(&b, 0, 16, 16);
	CHECK_CONTENT(&b, "3456789abcdefghi");
	tf_buf_free(&b);
}

/* Runs fn in a child and asserts that it aborts (TF_ASSERT). */
static void
expect_abort(void (*fn)(void))
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		/* The assertion's message is expected: keep the log clean. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(2);
		fn();
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGABRT);
}

static void
commit_past_tailroom(void)
{
	struct tf_buf b;

	if (tf_buf_init(&b, 16) != 0 || tf_buf_append(&b, "0123", 4) != 0)
		_exit(2);
	tf_buf_consume(&b, 2);
	/* 14 bytes of space but only 12 of tailroom. */
	tf_buf_commit(&b, 13);
}

static void
consume_past_len(void)
{
	struct tf_buf b;

	if (tf_buf_init(&b, 16) != 0 || tf_buf_append(&b, "0123", 4) != 0)
		_exit(2);
	tf_buf_consume(&b, 5);
}

TEST(bounds_abort)
{
	expect_abort(commit_past_tailroom);
	expect_abort(consume_past_len);
}

TEST_MAIN(
	TEST_ENTRY(init_and_free),
	TEST_ENTRY(append_and_commit),
	TEST_ENTRY(consume),
	TEST_ENTRY(consume_to_empty_rewinds),
	TEST_ENTRY(tailroom_and_space),
	TEST_ENTRY(compact),
	TEST_ENTRY(append_compacts_when_needed),
	TEST_ENTRY(append_that_does_not_fit),
	TEST_ENTRY(bounds_abort)
)
