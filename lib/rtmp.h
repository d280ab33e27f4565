/*
 * rtmp.h: the server side of an RTMP publishing connection as an I/O-free
 * state machine: bytes from the peer go in (rtmp_conn_feed), events come
 * out (connect, publish, metadata, audio, video, unpublish) and the bytes
 * to send back accumulate in an output queue (rtmp_conn_output). The
 * socket loop around it is lib/ingest.c; lib/amf.c encodes the commands.
 *
 * Handshake (C = client, S = server; sizes in bytes):
 *
 *   C0 (1: version 3) C1 (1536) ->
 *                                <- S0 (1) S1 (1536) S2 (1536)
 *   C2 (1536)                   ->
 *
 *   C1/S1 = time (4), version (4), 1528 bytes. When the client's version
 *   field is non-zero it is the "digest" form (Flash Player 9+, ffmpeg,
 *   OBS/librtmp): C1 carries an HMAC-SHA256 digest at an offset given by
 *   four bytes at 8 (scheme 0) or at 772 (scheme 1), keyed with
 *   "Genuine Adobe Flash Player 001"; the server answers with its own
 *   digest in S1 (same scheme, key "Genuine Adobe Flash Media Server 001")
 *   and an S2 signed with a key derived from the client's digest.
 *   Otherwise (plain) S2 echoes C1.
 *
 * Chunk stream: every message is cut into chunks of the sender's chunk
 * size (128 until Set Chunk Size), each with a header:
 *
 *   basic header  fmt:2 csid:6  [csid-64 (1) | csid-64 (2, LE)]
 *   message header, by fmt:
 *     0: timestamp (3) length (3) type (1) stream id (4, LE)  (11)
 *     1: timestamp delta (3) length (3) type (1)               (7)
 *     2: timestamp delta (3)                                   (3)
 *     3: none: continues the message, or repeats the last header
 *   extended timestamp (4) when the 3-byte field is 0xffffff (also after
 *   a fmt 3 header on a chunk stream whose last header had one).
 *
 * Message types handled: 1 Set Chunk Size, 2 Abort, 3 Acknowledgement,
 * 4 User Control, 5 Window Acknowledgement Size, 6 Set Peer Bandwidth,
 * 8 audio, 9 video, 15/18 data (@setDataFrame onMetaData), 22 aggregate
 * (its audio and video sub-messages become events), 17/20 commands (connect, releaseStream, FCPublish, createStream, publish,
 * FCUnpublish, deleteStream, closeStream). Others are ignored.
 *
 * Every length from the wire is checked against RtmpLimits before use;
 * a violation makes rtmp_conn_feed fail, and the connection is dead.
 */
#ifndef LIVE_RTMP_H
#define LIVE_RTMP_H

#include <stddef.h>
#include <stdint.h>

#define RTMP_HANDSHAKE_SIZE 1536

typedef struct RtmpLimits {
    uint32_t max_chunk_size;    /* largest Set Chunk Size accepted */
    uint32_t max_message_size;  /* largest message length accepted */
    uint32_t max_pending;       /* bytes of unfinished messages, all chunk streams */
    uint32_t max_chunk_streams; /* distinct chunk stream ids per connection */
    uint32_t max_output;        /* response bytes waiting to be sent */
    uint32_t max_prepublish;    /* message and pending bytes before a publish is accepted */
} RtmpLimits;

/* Defaults: chunk size <= 1 MiB, message <= 8 MiB, 16 MiB pending,
 * 32 chunk streams, 1 MiB of output, 64 KiB before publishing. The
 * largest message an FLV tag can carry is RTMP_MAX_MESSAGE. */
#define RTMP_MAX_MESSAGE 0xffffff
void rtmp_limits_default(RtmpLimits *lim);

enum RtmpEventType {
    RTMP_EVENT_CONNECT = 1, /* app, tc_url */
    RTMP_EVENT_PUBLISH,     /* app, name, key: answer with accept/refuse before feeding on */
    RTMP_EVENT_UNPUBLISH,   /* name: FCUnpublish, deleteStream or closeStream */
    RTMP_EVENT_METADATA,    /* data: AMF0 "onMetaData" and its value, as in an FLV script tag */
    RTMP_EVENT_AUDIO,       /* timestamp, data: an FLV audio tag body */
    RTMP_EVENT_VIDEO,       /* timestamp, data: an FLV video tag body */
};

typedef struct RtmpEvent {
    enum RtmpEventType type;
    uint32_t timestamp;     /* ms, as on the wire (wraps after 2^32) */
    const uint8_t *data;    /* valid until the next rtmp_conn_feed or free */
    size_t size;
    const char *app;        /* the application, without a query */
    const char *tc_url;
    const char *name;       /* the publishing name without its query; "" if too long */
    const char *key;        /* key=... from the name's query, else the app's or tcUrl's; NULL if none */
} RtmpEvent;

typedef struct RtmpConn RtmpConn;

/* A connection waiting for C0+C1. lim NULL: defaults (copied). NULL on ENOMEM. */
RtmpConn *rtmp_conn_new(const RtmpLimits *lim);
void rtmp_conn_free(RtmpConn **c);

/*
 * Feed len bytes from the peer. Consumes bytes until one event is ready or
 * all are used; *used says how many were taken. Returns 1 with *ev filled
 * (call again with the rest), 0 when everything was used without an event,
 * AVERROR_INVALIDDATA for a protocol violation or a limit (why:
 * rtmp_conn_error), AVERROR(ENOMEM), or AVERROR_EOF after a refused
 * publish. After a negative return the connection is dead: send what
 * rtmp_conn_output still holds, if anything, and close.
 */
int rtmp_conn_feed(RtmpConn *c, const uint8_t *data, size_t len, size_t *used, RtmpEvent *ev);

/* 1 when events are ready without more input (the rest of an aggregate
 * message): call rtmp_conn_feed, with no bytes if need be, until 0. */
int rtmp_conn_has_event(const RtmpConn *c);

/* Answer the pending RTMP_EVENT_PUBLISH: accept (NetStream.Publish.Start),
 * or refuse with an onStatus of level "error" (code such as
 * "NetStream.Publish.BadName" or "NetStream.Publish.Denied"), after which
 * the connection only flushes its output. 0 or a negative AVERROR. */
int rtmp_conn_accept_publish(RtmpConn *c);
int rtmp_conn_refuse_publish(RtmpConn *c, const char *code, const char *description);

/* Bytes waiting to be sent, and how many of them were sent. */
const uint8_t *rtmp_conn_output(const RtmpConn *c, size_t *len);
void rtmp_conn_sent(RtmpConn *c, size_t n);

/* Why feed failed ("" if it did not). */
const char *rtmp_conn_error(const RtmpConn *c);
/* 1 once the handshake is done; 1 while a publish is accepted. */
int rtmp_conn_handshaken(const RtmpConn *c);
int rtmp_conn_publishing(const RtmpConn *c);
/* 1 if the client used the digest handshake. */
int rtmp_conn_digest(const RtmpConn *c);

/*
 * Handshake digests, exported for the unit tests and for clients:
 * the offset of the digest in a 1536-byte C1/S1 for scheme 0 or 1, and
 * the HMAC-SHA256 of the packet without those 32 bytes.
 */
uint32_t rtmp_digest_pos(const uint8_t *pkt, int scheme);
void rtmp_digest(const uint8_t *pkt, uint32_t pos, const uint8_t *key, size_t keylen,
                 uint8_t out[32]);
/* The keys: client (30 public bytes + 32), server (36 public bytes + 32). */
extern const uint8_t rtmp_client_key[62];
extern const uint8_t rtmp_server_key[68];

#endif
