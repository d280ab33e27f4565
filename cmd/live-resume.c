/*
 * live-resume: viewer accounts and watch positions in the live database,
 * from the shell. The same library code (lib/account.c) backs the login
 * and resume API of live-serve. See live-resume(1).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>

#include "account.h"
#include "db.h"
#include "live.h"
#include "log.h"
#include "parse.h"
#include "resume.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: live-resume [-jqv] [-d DB] user add|passwd|del NAME\n"
            "       live-resume [-jqv] [-d DB] user list\n"
            "       live-resume [-jqv] [-d DB] get USER STREAM\n"
            "       live-resume [-jqv] [-d DB] set USER STREAM SECONDS\n"
            "       live-resume [-jqv] [-d DB] list USER\n"
            "Viewer accounts and watch positions in the live database.\n"
            "A new password is read from standard input (first line), or\n"
            "asked for twice when that is a terminal; never from arguments.\n"
            "  -d, --db PATH   the database (default %s)\n"
            "  -j, --json      JSON lines on standard output instead of text\n"
            "  -v, --verbose   more messages; -q, --quiet fewer\n"
            "  -h, --help      this help;  --version  the version\n"
            "Exit status: 0 done, 1 failure, 2 usage, 3 no such user or\n"
            "position, user exists, or a bad name, password or number.\n",
            DB_DEFAULT_PATH);
}

/* Words of each command after the verb, and which verb they make; -1
 * after saying what is wrong. */
static int parse_command(int argc, char **argv, ResumeCommand *c)
{
    const char *w = argc > 0 ? argv[0] : "";

    if (argc == 0) {
        log_error("no command: user, get, set or list");
        return -1;
    }
    if (strcmp(w, "user") && strcmp(w, "get") && strcmp(w, "set") && strcmp(w, "list")) {
        log_error("unknown command '%s': user, get, set or list", w);
        return -1;
    }

    if (!strcmp(w, "user") && argc >= 2) {
        const char *sub = argv[1];
        if (!strcmp(sub, "list") && argc == 2)
            c->verb = RESUME_USER_LIST;
        else if (!strcmp(sub, "add") && argc == 3)
            c->verb = RESUME_USER_ADD;
        else if (!strcmp(sub, "passwd") && argc == 3)
            c->verb = RESUME_USER_PASSWD;
        else if (!strcmp(sub, "del") && argc == 3)
            c->verb = RESUME_USER_DEL;
        else {
            log_error("user: want add|passwd|del NAME or list");
            return -1;
        }
        c->user = argc == 3 ? argv[2] : NULL;
        return 0;
    }
    if (!strcmp(w, "get") && argc == 3) {
        c->verb = RESUME_GET;
    } else if (!strcmp(w, "set") && argc == 4) {
        c->verb = RESUME_SET;
        if (parse_double(argv[3], 0, ACCOUNT_SECONDS_MAX, &c->seconds) < 0) {
            log_error("bad SECONDS '%s' (0 to %.0f)", argv[3], ACCOUNT_SECONDS_MAX);
            return -1;
        }
    } else if (!strcmp(w, "list") && argc == 2) {
        c->verb = RESUME_LIST;
    } else {
        log_error("%s: want %s", w, !strcmp(w, "user") ? "add|passwd|del NAME or list"
                                    : !strcmp(w, "get") ? "USER STREAM"
                                    : !strcmp(w, "set") ? "USER STREAM SECONDS" : "USER");
        return -1;
    }
    c->user = argv[1];
    c->stream = argc >= 3 ? argv[2] : NULL;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "db",      required_argument, NULL, 'd' },
        { "json",    no_argument,       NULL, 'j' },
        LIVE_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    ResumeCommand cmd = { .db = DB_DEFAULT_PATH };
    int opt, ret, status;

    live_init(argv[0]);
    /* "+": options end at the command, so "set alice talk -1" is a
     * (bad) number of seconds, not an option */
    while ((opt = getopt_long(argc, argv, "+d:j" LIVE_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': cmd.db = optarg; break;
        case 'j': cmd.json = 1; break;
        default:
            if ((status = live_common_option(opt, usage)) >= 0)
                return status;
        }
    }
    if (parse_command(argc - optind, argv + optind, &cmd) < 0) {
        usage(stderr);
        return LIVE_EXIT_USAGE;
    }

    ret = resume_run(&cmd);
    /* no such user or position, user exists, a bad name or password: the
     * input's fault, like AVERROR_INVALIDDATA elsewhere */
    if (ret == AVERROR(ENOENT) || ret == AVERROR(EEXIST) || ret == AVERROR(EINVAL))
        ret = AVERROR_INVALIDDATA;
    return live_finish(live_exit_status(ret));
}
