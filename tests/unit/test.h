/*
 * A small list-based unit test runner. Each test program lists its tests
 * with TEST_LIST; every test runs in a forked child with a time limit, so a
 * crash or hang fails that test only. Output is TAP-like, with a closing
 * "N passed, N failed" line.
 */
#ifndef TF_TEST_H
#define TF_TEST_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

typedef void tf_test_fn(void);

struct tf_test {
	const char *name;
	tf_test_fn *fn;
};

#define TEST(name) static void test_##name(void)
#define TEST_ENTRY(name) { #name, test_##name }

#define TEST_FAIL(...)                                               \
	do {                                                         \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);      \
		fprintf(stderr, __VA_ARGS__);                        \
		fputc('\n', stderr);                                 \
		exit(1);                                             \
	} while (0)

#define ASSERT(e) \
	do { if (!(e)) TEST_FAIL("assertion failed: %s", #e); } while (0)
#define ASSERT_OK(e) \
	do { long long r_ = (long long)(e); \
	     if (r_ != 0) TEST_FAIL("%s returned %lld, expected 0", #e, r_); \
	} while (0)
#define ASSERT_FAIL(e) \
	do { if ((e) == 0) TEST_FAIL("%s succeeded, expected failure", #e); \
	} while (0)
#define ASSERT_EQ(a, b) \
	do { long long a_ = (long long)(a), b_ = (long long)(b); \
	     if (a_ != b_) TEST_FAIL("%s == %lld, expected %s == %lld", \
	         #a, a_, #b, b_); } while (0)
#define ASSERT_STR_EQ(a, b) \
	do { const char *a_ = (a), *b_ = (b); \
	     if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) \
		TEST_FAIL("%s is \"%s\", expected \"%s\"", #a, \
		    a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)

static inline int
tf_test_run(const struct tf_test *tests, size_t n, int argc, char **argv)
{
	size_t i, passed = 0, failed = 0;

	for (i = 0; i < n; i++) {
		int status;
		pid_t pid;

		if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
			continue;
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			alarm(60);
			tests[i].fn();
			exit(0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid) {
			perror("fork/waitpid");
			return 99;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok %zu - %s\n", i + 1, tests[i].name);
			passed++;
		} else {
			printf("not ok %zu - %s (%s %d)\n", i + 1,
			    tests[i].name,
			    WIFSIGNALED(status) ? "signal" : "exit",
			    WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status));
			failed++;
		}
	}
	printf("%zu passed, %zu failed\n", passed, failed);
	return failed ? 1 : 0;
}

#define TEST_MAIN(...)                                                 \
	int main(int argc, char **argv)                                \
	{                                                              \
		static const struct tf_test tests_[] = { __VA_ARGS__ }; \
		return tf_test_run(tests_, TF_ARRAY_SIZE(tests_), argc, argv); \
	}

#endif
