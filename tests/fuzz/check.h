/*
 * CHECK(e): an invariant of the code under test does not hold, a finding:
 * print where and abort, so that libFuzzer keeps the input.
 */
#ifndef TF_FUZZ_CHECK_H
#define TF_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(e)                                                          \
	do {                                                              \
		if (!(e)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n",      \
			    __FILE__, __LINE__, #e);                      \
			abort();                                          \
		}                                                         \
	} while (0)

#endif
