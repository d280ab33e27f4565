/* Unit tests for lib/ingest.c's server loop as a library call: it stops
 * on SIGTERM and gives the caller back the signal mask it had (it blocks
 * SIGHUP, SIGINT, SIGTERM and SIGCHLD for its signalfd while it runs). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ingest.h"
#include "log.h"
#include "tap.h"

/* A loopback port free now (the kernel's choice). */
static int free_port(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* Sends SIGTERM to the process once the server runs; its own mask blocks
 * the signals, so they reach the server's signalfd. */
static void *stopper(void *arg)
{
    (void)arg;
    usleep(300 * 1000);
    kill(getpid(), SIGTERM);
    return NULL;
}

int main(void)
{
    IngestOptions opt;
    sigset_t block, before, after;
    char listen[64], dir[] = "/tmp/test-ingest.XXXXXX";
    pthread_t th;
    int ret;

    log_set_level(LOG_LEVEL_QUIET);
    if (!mkdtemp(dir))
        return 1;
    ingest_options_default(&opt);
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", free_port());
    opt.listen = listen;
    opt.out_dir = dir;

    sigemptyset(&block);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &block, &before);
    pthread_create(&th, NULL, stopper, NULL);   /* inherits the blocked mask */
    pthread_sigmask(SIG_SETMASK, &before, NULL);

    pthread_sigmask(SIG_SETMASK, NULL, &before);
    ret = ingest_run(&opt);
    pthread_sigmask(SIG_SETMASK, NULL, &after);
    pthread_join(th, NULL);
    is_int(ret, 0, "stopped by SIGTERM: 0");
    ok(!sigismember(&after, SIGTERM) && !sigismember(&after, SIGINT) &&
       !sigismember(&after, SIGHUP) && !sigismember(&after, SIGCHLD),
       "the signals it blocked are unblocked again");
    int same = 1;
    for (int sig = 1; sig < SIGRTMIN; sig++)
        same &= sigismember(&before, sig) == sigismember(&after, sig);
    ok(same, "the caller's signal mask is restored");
    rmdir(dir);
    return done();
}
