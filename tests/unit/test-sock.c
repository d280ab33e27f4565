/* Unit tests for lib/sock.c: loopback addresses, printing peers, O_NONBLOCK,
 * datagrams read in a bounded batch (real UDP sockets on loopback). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sock.h"
#include "tap.h"

static struct sockaddr_storage v4(const char *ip, int port)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;

    memset(&ss, 0, sizeof(ss));
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    inet_pton(AF_INET, ip, &in->sin_addr);
    return ss;
}

static struct sockaddr_storage v6(const char *ip, int port)
{
    struct sockaddr_storage ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

    memset(&ss, 0, sizeof(ss));
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &in6->sin6_addr);
    return ss;
}

#define SA(ss) ((struct sockaddr *)&(ss))

typedef struct Got {
    int n;
    char last[16];
    int from_port;
} Got;

static void on_dgram(void *arg, const uint8_t *data, size_t len, const struct sockaddr *from,
                     socklen_t fromlen)
{
    Got *g = arg;
    g->n++;
    snprintf(g->last, sizeof(g->last), "%.*s", (int)len, (const char *)data);
    g->from_port = fromlen >= (socklen_t)sizeof(struct sockaddr_in)
                       ? ntohs(((const struct sockaddr_in *)from)->sin_port) : -1;
}

/* Three datagrams to a nonblocking UDP socket: read two, then the third,
 * then none. */
static void test_recv_each(void)
{
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct sockaddr_in me = to;
    socklen_t l = sizeof(to);
    int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
    Got g = { 0 };

    bind(rx, (struct sockaddr *)&to, sizeof(to));
    getsockname(rx, (struct sockaddr *)&to, &l);
    bind(tx, (struct sockaddr *)&me, sizeof(me));
    l = sizeof(me);
    getsockname(tx, (struct sockaddr *)&me, &l);
    sock_set_nonblock(rx);
    for (int i = 1; i <= 3; i++) {
        char m[16];
        snprintf(m, sizeof(m), "d%d", i);
        sendto(tx, m, strlen(m), 0, (struct sockaddr *)&to, sizeof(to));
    }
    usleep(100 * 1000);
    sock_recv_each(rx, 2, on_dgram, &g);
    ok(g.n == 2 && !strcmp(g.last, "d2"), "sock_recv_each: at most max, in order");
    is_int(g.from_port, ntohs(me.sin_port), "with the sender's address");
    sock_recv_each(rx, 2, on_dgram, &g);
    ok(g.n == 3 && !strcmp(g.last, "d3"), "the rest next time");
    sock_recv_each(rx, 2, on_dgram, &g);
    is_int(g.n, 3, "none waiting: returns at once");
    close(rx);
    close(tx);
}

int main(void)
{
    struct sockaddr_storage a;
    char buf[64];
    int fds[2];

    plan(25);
    a = v4("127.0.0.1", 1935);
    ok(sock_is_loopback(SA(a)), "127.0.0.1 is loopback");
    a = v4("127.255.1.2", 1);
    ok(sock_is_loopback(SA(a)), "all of 127/8 is");
    a = v4("128.0.0.1", 1);
    ok(!sock_is_loopback(SA(a)), "128.0.0.1 is not");
    a = v4("10.0.0.1", 1);
    ok(!sock_is_loopback(SA(a)), "10.0.0.1 is not");
    a = v6("::1", 1);
    ok(sock_is_loopback(SA(a)), "::1 is");
    a = v6("::ffff:127.0.0.1", 1);
    ok(sock_is_loopback(SA(a)), "::ffff:127.0.0.1 is");
    a = v6("::ffff:10.0.0.1", 1);
    ok(!sock_is_loopback(SA(a)), "::ffff:10.0.0.1 is not");
    a = v6("2001:db8::1", 1);
    ok(!sock_is_loopback(SA(a)), "2001:db8::1 is not");
    memset(&a, 0, sizeof(a));
    a.ss_family = AF_UNIX;
    ok(!sock_is_loopback(SA(a)), "another family is not");

    a = v4("192.0.2.7", 1935);
    sock_peer(SA(a), buf, sizeof(buf));
    is_str(buf, "192.0.2.7:1935", "IPv4 peer");
    a = v6("2001:db8::1", 8080);
    sock_peer(SA(a), buf, sizeof(buf));
    is_str(buf, "[2001:db8::1]:8080", "IPv6 peer in brackets");
    sock_host(SA(a), buf, sizeof(buf));
    is_str(buf, "2001:db8::1", "IPv6 host alone");
    memset(&a, 0, sizeof(a));
    a.ss_family = AF_UNIX;
    sock_peer(SA(a), buf, sizeof(buf));
    is_str(buf, "?", "another family's peer is ?");
    sock_host(SA(a), buf, sizeof(buf));
    is_str(buf, "", "and its host empty");

    {
        struct sockaddr_storage x = v4("10.1.2.3", 5000), y = v4("10.1.2.3", 5000);
        struct sockaddr_storage z = v6("2001:db8::1", 5000), w = v6("2001:db8::1", 5000);
        ok(sock_same_addr(&x, sizeof(x), SA(y)), "the same IPv4 address and port");
        y = v4("10.1.2.3", 5001);
        ok(!sock_same_addr(&x, sizeof(x), SA(y)), "another port is another address");
        y = v4("10.1.2.4", 5000);
        ok(!sock_same_addr(&x, sizeof(x), SA(y)), "another host too");
        ok(!sock_same_addr(&x, 0, SA(x)), "no address yet (length 0) is nobody");
        ok(sock_same_addr(&z, sizeof(z), SA(w)), "the same IPv6 address and port");
        ok(!sock_same_addr(&x, sizeof(x), SA(z)), "another family");
    }
    if (pipe(fds) < 0)
        return 1;
    ok(sock_set_nonblock(fds[0]) == 0 && (fcntl(fds[0], F_GETFL) & O_NONBLOCK), "O_NONBLOCK set");
    close(fds[0]);
    close(fds[1]);
    test_recv_each();
    return done();
}
