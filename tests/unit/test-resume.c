/* Unit tests for lib/resume.c: the live-resume commands on a real SQLite
 * file, their output on stdout (text and JSON lines), password reading
 * and the seconds format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <libavutil/error.h>

#include "account.h"
#include "log.h"
#include "resume.h"
#include "tap.h"

static char dir[512];

/* Run cmd with stdin from the text in_text (NULL: empty) and stdout into
 * out (at most size bytes). Returns resume_run's result. */
static int run(const ResumeCommand *cmd, const char *in_text, char *out, size_t size)
{
    char inpath[600], outpath[600];
    FILE *f;
    int saved_out, fd, ret;
    size_t n;

    snprintf(inpath, sizeof(inpath), "%s/stdin", dir);
    snprintf(outpath, sizeof(outpath), "%s/stdout", dir);
    f = fopen(inpath, "w");
    if (in_text)
        fputs(in_text, f);
    fclose(f);
    if (!freopen(inpath, "r", stdin))
        return -1;
    fflush(stdout);
    saved_out = dup(STDOUT_FILENO);
    fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    ret = resume_run(cmd);
    fflush(stdout);
    dup2(saved_out, STDOUT_FILENO);
    close(saved_out);
    f = fopen(outpath, "r");
    n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    fclose(f);
    return ret;
}

static int read_pw(const char *text, char *buf, size_t size)
{
    FILE *f = tmpfile();
    int ret;
    fputs(text, f);
    rewind(f);
    ret = resume_read_password(f, buf, size);
    fclose(f);
    return ret;
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    char db[600], out[4096], buf[64], pw[ACCOUNT_PASSWORD_MAX + 2], big[ACCOUNT_PASSWORD_MAX + 40];
    ResumeCommand c = { 0 };

    log_init("test-resume");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(dir, sizeof(dir), "%s/live-test-resume-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    snprintf(db, sizeof(db), "%s/live.db", dir);

    resume_format_seconds(20, buf, sizeof(buf));
    is_str(buf, "20", "whole seconds without a point");
    resume_format_seconds(12.5, buf, sizeof(buf));
    is_str(buf, "12.5", "trailing zeros go");
    resume_format_seconds(0.0004, buf, sizeof(buf));
    is_str(buf, "0", "below a millisecond is 0");
    resume_format_seconds(3.14159, buf, sizeof(buf));
    is_str(buf, "3.142", "three decimals at most");

    is_int(read_pw("secret\n", pw, sizeof(pw)), 0, "password from a pipe");
    is_str(pw, "secret", "without its line end");
    is_int(read_pw("dos\r\nrest", pw, sizeof(pw)), 0, "CRLF line");
    is_str(pw, "dos", "without CR LF, only the first line");
    is_int(read_pw("\n", pw, sizeof(pw)), AVERROR(EINVAL), "an empty password is refused");
    is_int(read_pw("", pw, sizeof(pw)), AVERROR(EINVAL), "no input is refused");
    memset(big, 'x', sizeof(big) - 2);
    big[sizeof(big) - 2] = '\n';
    big[sizeof(big) - 1] = '\0';
    is_int(read_pw(big, pw, sizeof(pw)), AVERROR(EINVAL), "a too long password is refused");
    ok(pw[0] == '\0', "and the buffer is wiped");

    c.db = db;
    c.verb = RESUME_USER_ADD;
    c.user = "alice";
    is_int(run(&c, "pass-word\n", out, sizeof(out)), 0, "user add");
    is_int(run(&c, "other\n", out, sizeof(out)), AVERROR(EEXIST), "adding her again: EEXIST");
    c.user = "bad\nname";
    is_int(run(&c, "x\n", out, sizeof(out)), AVERROR(EINVAL), "a bad user name: EINVAL");
    c.user = "bob";
    run(&c, "hunter22\n", out, sizeof(out));

    c.verb = RESUME_USER_LIST;
    is_int(run(&c, NULL, out, sizeof(out)), 0, "user list");
    ok(!strncmp(out, "alice\t20", 8) && strstr(out, "\nbob\t20"), "both users, with their dates");
    c.json = 1;
    run(&c, NULL, out, sizeof(out));
    ok(strstr(out, "{\"user\":\"alice\",\"created\":") != NULL, "JSON lines");
    c.json = 0;

    c.verb = RESUME_SET;
    c.user = "alice";
    c.stream = "cam1";
    c.seconds = 12.5;
    is_int(run(&c, NULL, out, sizeof(out)), 0, "set a position");
    c.stream = "cam2";
    c.seconds = 60;
    run(&c, NULL, out, sizeof(out));
    c.user = "nobody";
    is_int(run(&c, NULL, out, sizeof(out)), AVERROR(ENOENT), "set for an unknown user: ENOENT");
    c.user = "alice";
    c.stream = "a/b";
    is_int(run(&c, NULL, out, sizeof(out)), AVERROR(EINVAL), "a stream name with '/': EINVAL");

    c.verb = RESUME_GET;
    c.stream = "cam1";
    is_int(run(&c, NULL, out, sizeof(out)), 0, "get");
    is_str(out, "12.5\n", "the position as set");
    c.json = 1;
    run(&c, NULL, out, sizeof(out));
    ok(strstr(out, "\"stream\":\"cam1\"") && strstr(out, "\"seconds\":12.5"), "get as JSON");
    c.json = 0;
    c.stream = "cam3";
    is_int(run(&c, NULL, out, sizeof(out)), AVERROR(ENOENT), "no position: ENOENT");
    is_str(out, "", "and nothing on stdout");

    c.verb = RESUME_LIST;
    c.stream = NULL;
    is_int(run(&c, NULL, out, sizeof(out)), 0, "list");
    ok(strstr(out, "cam1\t12.5\t") && strstr(out, "cam2\t60\t"), "both positions listed");

    c.verb = RESUME_USER_PASSWD;
    is_int(run(&c, "new-pass\n", out, sizeof(out)), 0, "passwd");
    c.user = "carol";
    is_int(run(&c, "new-pass\n", out, sizeof(out)), AVERROR(ENOENT), "passwd of an unknown user");

    c.verb = RESUME_USER_DEL;
    c.user = "bob";
    is_int(run(&c, NULL, out, sizeof(out)), 0, "user del");
    is_int(run(&c, NULL, out, sizeof(out)), AVERROR(ENOENT), "deleting again: ENOENT");
    c.verb = RESUME_USER_LIST;
    run(&c, NULL, out, sizeof(out));
    ok(!strstr(out, "bob") && strstr(out, "alice"), "bob is gone, alice stays");

    snprintf(out, sizeof(out), "rm -rf '%s'", dir);
    if (system(out) != 0)
        diag("could not remove %s", dir);
    return done();
}
