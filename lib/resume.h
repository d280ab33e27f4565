/*
 * resume.h: the commands of live-resume(1) — accounts and watch positions
 * from the shell — on top of account.h. cmd/live-resume.c parses the
 * command line into a ResumeCommand; resume_run does it and prints the
 * result on stdout (text, or JSON lines with json set).
 */
#ifndef LIVE_RESUME_H
#define LIVE_RESUME_H

#include <stdio.h>

enum ResumeVerb {
    RESUME_USER_ADD,    /* user add NAME     (password from stdin or a prompt) */
    RESUME_USER_PASSWD, /* user passwd NAME  (likewise) */
    RESUME_USER_DEL,    /* user del NAME */
    RESUME_USER_LIST,   /* user list */
    RESUME_GET,         /* get USER STREAM */
    RESUME_SET,         /* set USER STREAM SECONDS */
    RESUME_LIST,        /* list USER */
};

typedef struct ResumeCommand {
    enum ResumeVerb verb;
    const char *db;       /* database path */
    int json;             /* JSON lines instead of text */
    const char *user;
    const char *stream;
    double seconds;
} ResumeCommand;

/* Run one command. Returns 0; AVERROR(ENOENT) for a user or position that
 * does not exist, AVERROR(EEXIST) for a user that does, AVERROR(EINVAL)
 * for a bad name or password (each already explained on stderr); another
 * AVERROR for a failure (logged). */
int resume_run(const ResumeCommand *cmd);

/*
 * Read a password: from a terminal with a prompt on stderr, echo off, and
 * a second time to confirm; otherwise the first line of in (without its
 * line end). buf gets at most size-1 bytes; a longer line, an empty
 * password or a mismatch is AVERROR(EINVAL) (explained on stderr).
 */
int resume_read_password(FILE *in, char *buf, size_t size);

/* Seconds as the shortest of "%.3f" without trailing zeros: 20, 12.5. */
void resume_format_seconds(double s, char *buf, size_t size);

#endif
