/*
 * tap.h: a minimal TAP producer for the C unit tests (one test program per
 * library file, run by prove). Header-only.
 *
 *   plan(3); ok(x == 1, "x is one"); is_int(f(), 0, "f succeeds");
 *   is_str(s, "abc", "name"); return done();
 */
#ifndef LIVE_TAP_H
#define LIVE_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed, tap_planned;

static inline void plan(int n)
{
    tap_planned = n;
    printf("1..%d\n", n);
    fflush(stdout);
}

static inline int tap_vok(int cond, const char *fmt, va_list ap)
{
    tap_n++;
    printf("%sok %d - ", cond ? "" : "not ", tap_n);
    vprintf(fmt, ap);
    printf("\n");
    if (!cond)
        tap_failed++;
    fflush(stdout);
    return cond;
}

static inline int __attribute__((format(printf, 2, 3))) ok(int cond, const char *fmt, ...)
{
    va_list ap;
    int r;
    va_start(ap, fmt);
    r = tap_vok(cond, fmt, ap);
    va_end(ap);
    return r;
}

static inline void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

#define is_int(got, want, ...)                                                  \
    do {                                                                        \
        long long tap_g_ = (long long)(got), tap_w_ = (long long)(want);        \
        if (!ok(tap_g_ == tap_w_, __VA_ARGS__))                                 \
            diag("  got %lld, want %lld", tap_g_, tap_w_);                      \
    } while (0)

#define is_dbl(got, want, eps, ...)                                             \
    do {                                                                        \
        double tap_g_ = (got), tap_w_ = (want);                                 \
        if (!ok(tap_g_ - tap_w_ <= (eps) && tap_w_ - tap_g_ <= (eps), __VA_ARGS__)) \
            diag("  got %.9g, want %.9g", tap_g_, tap_w_);                      \
    } while (0)

#define is_str(got, want, ...)                                                  \
    do {                                                                        \
        const char *tap_g_ = (got), *tap_w_ = (want);                           \
        if (!ok(tap_g_ && tap_w_ && !strcmp(tap_g_, tap_w_), __VA_ARGS__))      \
            diag("  got \"%s\", want \"%s\"", tap_g_ ? tap_g_ : "(null)",       \
                 tap_w_ ? tap_w_ : "(null)");                                   \
    } while (0)

/* Without a plan(), prints the plan at the end. Returns the exit status. */
static inline int done(void)
{
    if (!tap_planned)
        printf("1..%d\n", tap_n);
    fflush(stdout);
    return tap_failed || (tap_planned && tap_planned != tap_n) ? 1 : 0;
}

#endif
