/*
 * resume.c: the commands of live-resume(1). See resume.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libavutil/error.h>
#include <sodium.h>

#include "account.h"
#include "log.h"
#include "resume.h"

void resume_format_seconds(double s, char *buf, size_t size)
{
    size_t n;

    snprintf(buf, size, "%.3f", s);
    n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0')
        buf[--n] = 0;
    if (n > 0 && buf[n - 1] == '.')
        buf[--n] = 0;
}

static void format_time(double t, char *buf, size_t size)
{
    time_t s = (time_t)t;
    struct tm tm;

    gmtime_r(&s, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Print obj as one JSON line and drop the reference. */
static int put_json(json_t *obj)
{
    int ret = obj && json_dumpf(obj, stdout, JSON_COMPACT) == 0 && putchar('\n') != EOF
              ? 0 : AVERROR(EIO);
    json_decref(obj);
    return ret;
}

/* ---- passwords -------------------------------------------------------- */

static struct termios saved_tio;
static volatile sig_atomic_t echo_off;

static void restore_echo(int sig)
{
    if (echo_off)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* One line of in into buf, without "\n" or "\r\n". EINVAL when too long. */
static int read_line(FILE *in, char *buf, size_t size)
{
    size_t n;

    if (!fgets(buf, size, in))
        return ferror(in) ? AVERROR(errno ? errno : EIO) : AVERROR_EOF;
    n = strlen(buf);
    if (n && buf[n - 1] == '\n')
        buf[--n] = 0;
    else if (!feof(in))
        return AVERROR(E2BIG);    /* the line did not fit */
    if (n && buf[n - 1] == '\r')
        buf[--n] = 0;
    return 0;
}

static int prompt(FILE *in, const char *what, char *buf, size_t size)
{
    struct termios tio;
    void (*old_int)(int), (*old_term)(int);
    int ret;

    fprintf(stderr, "%s", what);
    fflush(stderr);
    if (tcgetattr(fileno(in), &saved_tio) < 0)
        return AVERROR(errno);
    tio = saved_tio;
    tio.c_lflag &= ~(ECHO | ECHONL);
    tio.c_lflag |= ICANON;
    old_int = signal(SIGINT, restore_echo);
    old_term = signal(SIGTERM, restore_echo);
    echo_off = 1;
    tcsetattr(fileno(in), TCSAFLUSH, &tio);
    ret = read_line(in, buf, size);
    tcsetattr(fileno(in), TCSAFLUSH, &saved_tio);
    echo_off = 0;
    signal(SIGINT, old_int);
    signal(SIGTERM, old_term);
    fputc('\n', stderr);
    return ret;
}

int resume_read_password(FILE *in, char *buf, size_t size)
{
    char again[ACCOUNT_PASSWORD_MAX + 2];
    int ret;

    if (isatty(fileno(in))) {
        if ((ret = prompt(in, "Password: ", buf, size)) < 0 ||
            (ret = prompt(in, "Again: ", again, sizeof(again))) < 0)
            goto fail;
        if (strcmp(buf, again)) {
            log_error("the passwords differ");
            ret = AVERROR(EINVAL);
            goto fail;
        }
    } else if ((ret = read_line(in, buf, size)) < 0) {
        goto fail;
    }
    if (!*buf) {
        log_error("empty password");
        ret = AVERROR(EINVAL);
        goto fail;
    }
    sodium_memzero(again, sizeof(again));
    return 0;
fail:
    if (ret == AVERROR_EOF) {
        log_error("no password on standard input");
        ret = AVERROR(EINVAL);
    } else if (ret == AVERROR(E2BIG)) {
        log_error("password longer than %d bytes", ACCOUNT_PASSWORD_MAX);
        ret = AVERROR(EINVAL);
    }
    sodium_memzero(again, sizeof(again));
    sodium_memzero(buf, size);
    return ret;
}

/* ---- commands --------------------------------------------------------- */

/* Explain a "not found / exists / invalid" result of an account call. */
static int explain(int ret, const ResumeCommand *c, int have_user)
{
    if (ret == AVERROR(ENOENT) && have_user && c->verb == RESUME_GET)
        log_error("no position for user '%s' in stream '%s'", c->user, c->stream);
    else if (ret == AVERROR(ENOENT))
        log_error("no user '%s'", c->user);
    else if (ret == AVERROR(EEXIST))
        log_error("user '%s' exists", c->user);
    else if (ret == AVERROR(EINVAL) && c->stream && !account_valid_stream_name(c->stream))
        log_error("bad stream name (UTF-8 without control characters or '/', 1-%d bytes)",
                  ACCOUNT_STREAM_MAX);
    else if (ret == AVERROR(EINVAL) && c->user && !account_valid_user_name(c->user))
        log_error("bad user name (UTF-8 without control characters, 1-%d bytes)",
                  ACCOUNT_NAME_MAX);
    else if (ret == AVERROR(EINVAL))
        log_error("bad password or number");
    return ret;
}

static int user_list(Account *a, int json)
{
    AccountUser *u = NULL;
    char t[32];
    int i, n = 0, ret;

    if ((ret = account_user_list(a, &u, &n)) < 0)
        return ret;
    for (i = 0; i < n && !ret; i++) {
        if (json) {
            ret = put_json(json_pack("{s:s, s:f}", "user", u[i].name, "created", u[i].created));
        } else {
            format_time(u[i].created, t, sizeof(t));
            ret = printf("%s\t%s\n", u[i].name, t) < 0 ? AVERROR(EIO) : 0;
        }
    }
    free(u);
    return ret;
}

static int print_position(const char *user, const AccountPosition *p, int json, int with_stream)
{
    char s[64], t[32];

    if (json)
        return put_json(json_pack("{s:s, s:s, s:f, s:f}", "user", user, "stream", p->stream,
                                  "seconds", p->seconds, "updated", p->updated));
    resume_format_seconds(p->seconds, s, sizeof(s));
    format_time(p->updated, t, sizeof(t));
    if (with_stream)
        return printf("%s\t%s\t%s\n", p->stream, s, t) < 0 ? AVERROR(EIO) : 0;
    return printf("%s\n", s) < 0 ? AVERROR(EIO) : 0;
}

int resume_run(const ResumeCommand *c)
{
    char pw[ACCOUNT_PASSWORD_MAX + 2];
    Account *a = NULL;
    AccountUser u;
    AccountPosition p, *v = NULL;
    int i, n, ret, have_user = 0;

    if (c->stream && !account_valid_stream_name(c->stream))
        return explain(AVERROR(EINVAL), c, 0);
    if (c->verb == RESUME_USER_ADD && !account_valid_user_name(c->user))
        return explain(AVERROR(EINVAL), c, 0);
    if ((ret = account_open(c->db, NULL, &a)) < 0)
        return ret;
    switch (c->verb) {
    case RESUME_USER_ADD:
    case RESUME_USER_PASSWD:
        if (c->verb == RESUME_USER_ADD && account_user_get(a, c->user, &u) == 0) {
            ret = AVERROR(EEXIST);   /* before asking for a password */
            break;
        }
        if (c->verb == RESUME_USER_PASSWD && (ret = account_user_get(a, c->user, &u)) < 0)
            break;
        if ((ret = resume_read_password(stdin, pw, sizeof(pw))) < 0) {
            account_close(&a);
            return ret;
        }
        ret = c->verb == RESUME_USER_ADD ? account_user_add(a, c->user, pw)
                                         : account_user_passwd(a, c->user, pw);
        sodium_memzero(pw, sizeof(pw));
        break;
    case RESUME_USER_DEL:
        ret = account_user_del(a, c->user);
        break;
    case RESUME_USER_LIST:
        ret = user_list(a, c->json);
        break;
    case RESUME_GET:
        if ((ret = account_user_get(a, c->user, &u)) < 0)
            break;
        have_user = 1;
        if ((ret = account_position_get(a, u.id, c->stream, &p)) == 0)
            ret = print_position(u.name, &p, c->json, 0);
        break;
    case RESUME_SET:
        if ((ret = account_user_get(a, c->user, &u)) == 0)
            ret = account_position_set(a, u.id, c->stream, c->seconds);
        break;
    case RESUME_LIST:
        if ((ret = account_user_get(a, c->user, &u)) < 0 ||
            (ret = account_position_list(a, u.id, &v, &n)) < 0)
            break;
        for (i = 0; i < n && !ret; i++)
            ret = print_position(u.name, &v[i], c->json, 1);
        free(v);
        break;
    }
    account_close(&a);
    if (ret == AVERROR(ENOENT) || ret == AVERROR(EEXIST) || ret == AVERROR(EINVAL))
        return explain(ret, c, have_user);
    return ret;
}
