/*
 * Minimal harness for the engine's C tests: each test program counts its
 * checks, prints every failure with file and line, and ends with
 * "N passed, N failed" (its exit status is nonzero if any failed).
 */
#ifndef TEST_HARNESS_H
#define TEST_HARNESS_H

#include <stdio.h>

static int harness_passed, harness_failed;

/* Records one check; prints the failure (with a printf-style explanation). */
#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (cond) {                                                           \
            harness_passed++;                                                 \
        } else {                                                              \
            harness_failed++;                                                 \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
            printf(__VA_ARGS__);                                              \
            printf("\n");                                                     \
        }                                                                     \
    } while (0)

#define CHECK_EQ_INT(got, want)                                               \
    do {                                                                      \
        long long got_ = (long long)(got), want_ = (long long)(want);         \
        CHECK(got_ == want_, "got %lld, want %lld", got_, want_);             \
    } while (0)

static int harness_finish(void) {
    printf("%d passed, %d failed\n", harness_passed, harness_failed);
    return harness_failed != 0;
}

#endif /* TEST_HARNESS_H */
