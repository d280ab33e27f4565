/*
 * sock.h: small helpers for sockets and their addresses, shared by the
 * servers (ingest.c's RTMP server; http.c's peers may use them too).
 */
#ifndef LIVE_SOCK_H
#define LIVE_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* O_NONBLOCK on fd: 0 or AVERROR(errno). */
int sock_set_nonblock(int fd);

/* 1 when sa is a loopback address: 127.0.0.0/8, ::1, or ::ffff:127.x.x.x. */
int sock_is_loopback(const struct sockaddr *sa);

/* The address as text, without port ("" for a family other than IPv4/6). */
void sock_host(const struct sockaddr *sa, char *buf, size_t size);

/* "HOST:PORT", "[HOST]:PORT" for IPv6, "?" for another family. */
void sock_peer(const struct sockaddr *sa, char *buf, size_t size);

/* 1 when a (alen bytes; 0: no address yet) is b: the same family,
 * address and port (IPv4 or IPv6). */
int sock_same_addr(const struct sockaddr_storage *a, socklen_t alen, const struct sockaddr *b);

/* One datagram from sock_recv_each (data and from valid during the call). */
typedef void (*SockDatagram)(void *arg, const uint8_t *data, size_t len,
                             const struct sockaddr *from, socklen_t fromlen);
/* Hand each datagram waiting on nonblocking fd (2048 bytes at most; a
 * longer one is cut) to on, until none waits or max were read. */
void sock_recv_each(int fd, int max, SockDatagram on, void *arg);

#endif
