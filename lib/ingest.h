/*
 * ingest.h: live-ingest's RTMP server loop: one thread, epoll, non-blocking
 * sockets, around the protocol state machine of rtmp.c. It accepts
 * publishers, checks their keys (keys.c), and writes each published
 * stream as FLV (flv.c) to its sink: standard output (the first stream
 * only), a child "sh -c CMD" per stream (-e), or DIR/NAME.flv (-o).
 *
 * Isolation: every connection and every stream has bounded buffers. When
 * a stream's consumer is slower than its publisher, up to max_queue bytes
 * wait; past that the publisher is no longer read (TCP back-pressure on
 * that publisher alone), and if that lasts idle_timeout the publisher is
 * disconnected with an error. Nothing one peer does blocks the loop.
 *
 * Before a publish is accepted a connection is a stranger's: at most
 * max_unpublished of them per address (more are closed at accept, so
 * idle sockets from one address cannot take every slot), each with
 * handshake_timeout seconds to publish and the small pre-publish memory
 * budget of RtmpLimits.max_prepublish.
 *
 * Reconnects: a stream whose publisher leaves (drops, or unpublishes)
 * stays open for grace seconds; a new publisher of the same NAME in that
 * time continues the same output, its timestamps shifted to go on after
 * the last ones written (plus the time the stream was away). An SRT
 * caller's MPEG-TS is rewritten the same way (tsmap.c), and a new SRT
 * caller of a stream whose caller has sent nothing for SRT_TAKEOVER_MS
 * (killed, its socket not yet timed out) replaces it.
 */
#ifndef LIVE_INGEST_H
#define LIVE_INGEST_H

#define SRT_TAKEOVER_MS 1000

#include <stddef.h>

#include "rtmp.h"

typedef struct IngestOptions {
    const char *listen;        /* "ADDR:PORT", ":PORT" or "PORT" */
    const char *tls_listen;    /* RTMPS on this address too; NULL: none */
    const char *tls_cert, *tls_key; /* PEM certificate chain and key for RTMPS */
    const char *srt_listen;    /* SRT callers (MPEG-TS) on this address; NULL: none */
    double srt_latency;        /* seconds of SRT receive latency */
    const char *srt_passphrase; /* SRT encryption of streams without their own; NULL: none */
    const char *whip_listen;   /* WHIP publishers: HTTP (TCP) and media (UDP) on this address; NULL: none */
    const char *whip_address;  /* the address put in WHIP answers' candidates; NULL: from whip_listen */
    int whip_max, whip_max_per_addr; /* WHIP publishers in total and per address */
    double whip_keyframes;     /* seconds between keyframes asked of WHIP publishers; <0: the default */
    const char *trusted[16];   /* proxies in front of --whip whose X-Forwarded-For is believed */
    int ntrusted;
    const char *keyfile;       /* NULL: no keys, loopback publishers only */
    const char *exec_cmd;      /* -e: sh -c CMD per stream */
    const char *out_dir;       /* -o: DIR/NAME.flv */
    double grace;              /* seconds a stream waits for its publisher to return */
    double handshake_timeout;  /* seconds from accept to an accepted publish */
    double idle_timeout;       /* seconds of silence from a publisher */
    int max_conns;             /* connections at once */
    int max_unpublished;       /* connections from one address that have not published */
    size_t max_queue;          /* FLV bytes waiting for one stream's consumer */
    RtmpLimits limits;
} IngestOptions;

/* The defaults: listen ":1935", grace 10, handshake 5, idle 10, 256
 * connections, 8 unpublished per address, 16 MiB queue,
 * rtmp_limits_default. */
void ingest_options_default(IngestOptions *opt);

/*
 * Run the server until SIGINT or SIGTERM, or, when writing to standard
 * output, until that one stream has ended. Returns 0, or a negative
 * AVERROR when it could not start (bad address, key file) or standard
 * output failed; messages are logged.
 */
int ingest_run(const IngestOptions *opt);

#endif
