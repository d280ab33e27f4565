/* Unit tests for lib/sock.c: loopback addresses, printing peers, O_NONBLOCK. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
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

int main(void)
{
    struct sockaddr_storage a;
    char buf[64];
    int fds[2];

    plan(21);
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
    return done();
}
