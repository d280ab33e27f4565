/* Unit tests for lib/rtc/server.c: live-rtc run on a real UDP port and a
 * real control socket — a stream fed over FEED (FLV of real H.264 and AAC
 * from libx264), WHEP requests over the control socket: an offer for it
 * answered 201 with an SDP naming the UDP port, one for a stream that is
 * not there 404, the session deleted; the server stops on its flag and
 * removes its socket. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/mem.h>

#include "../tap.h"
#include "../media.h"
#include "bytebuf.h"
#include "flv.h"
#include "log.h"
#include "rtc/control.h"
#include "rtc/dtls.h"
#include "rtc/server.h"
#include "rtc/whep.h"

static RtcConfig cfg;
static volatile sig_atomic_t stop;
static int run_ret = 1;

static void *server(void *arg)
{
    (void)arg;
    run_ret = rtc_server_run(&cfg);
    return NULL;
}

/* The file at path as FLV: header, sequence headers, then its packets. */
static void flv_of(const char *path, ByteBuf *b)
{
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = av_packet_alloc();
    uint8_t *t = malloc(1 << 20);

    flv_put_header(b, 1, 1);
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0 || avformat_find_stream_info(fmt, NULL) < 0)
        goto end;
    for (unsigned i = 0; i < fmt->nb_streams; i++) {
        AVCodecParameters *par = fmt->streams[i]->codecpar;
        int video = par->codec_type == AVMEDIA_TYPE_VIDEO;
        size_t h = video ? 5 : 2;
        memcpy(t, video ? "\x17\0\0\0\0" : "\xaf\0", h);
        memcpy(t + h, par->extradata, par->extradata_size);
        flv_put_tag(b, video ? FLV_TAG_VIDEO : FLV_TAG_AUDIO, 0, t, h + par->extradata_size);
    }
    while (av_read_frame(fmt, pkt) >= 0) {
        AVStream *st = fmt->streams[pkt->stream_index];
        int64_t ms = av_rescale_q(pkt->dts, st->time_base, (AVRational){ 1, 1000 });
        int video = st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO;
        size_t h = video ? 5 : 2;
        if (video)
            memcpy(t, pkt->flags & AV_PKT_FLAG_KEY ? "\x17\1\0\0\0" : "\x27\1\0\0\0", 5);
        else
            memcpy(t, "\xaf\1", 2);
        memcpy(t + h, pkt->data, pkt->size);
        flv_put_tag(b, video ? FLV_TAG_VIDEO : FLV_TAG_AUDIO, (uint32_t)(ms < 0 ? 0 : ms), t, h + pkt->size);
        av_packet_unref(pkt);
    }
end:
    free(t);
    avformat_close_input(&fmt);
    av_packet_free(&pkt);
}

static int whep(const char *method, const char *path, const char *body, WhepResponse *rs)
{
    WhepRequest rq = { .method = method, .path = path, .content_type = body ? "application/sdp" : NULL,
                       .body = body, .body_len = body ? strlen(body) : 0, .addr = "127.0.0.1" };
    static char ctype[128], allow[64];
    return rtc_control_whep(cfg.control, &rq, rs, ctype, sizeof(ctype), allow, sizeof(allow), 30000);
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char dir[512], media[600], sock[600], offer[4096], loc[256], port_s[32];
    MediaSpec spec = { .format = "mp4", .width = 160, .height = 96, .fps = 25, .frames = 25, .gop = 1,
                       .no_bframes = 1, .audio = AV_CODEC_ID_AAC, .sample_rate = 48000, .channels = 2 };
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timespec ms50 = { 0, 50 * 1000000 };
    DtlsCert *cert = NULL;
    WhepResponse rs;
    ByteBuf flv;
    pthread_t t;
    int fd = -1, i, status = 0;

    log_init("test-server");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(dir, sizeof(dir), "%s/live-test-rtcsrv-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    snprintf(media, sizeof(media), "%s/src.mp4", dir);
    snprintf(sock, sizeof(sock), "%s/rtc.sock", dir);
    is_int(media_write(media, &spec), 0, "1 s of baseline H.264 and AAC");
    bytebuf_init(&flv, 0);
    flv_of(media, &flv);

    rtc_config_defaults(&cfg);
    is_int(cfg.udp_port, 8189, "default UDP port 8189");
    cfg.udp_port = 0;
    cfg.control = sock;
    cfg.address = "127.0.0.1";
    cfg.stop = &stop;
    pthread_create(&t, NULL, server, NULL);
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    for (i = 0; i < 600; i++) {   /* the control socket appears once it listens */
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            break;
        close(fd);
        fd = -1;
        nanosleep(&ms50, NULL);
    }
    ok(fd >= 0, "the control socket takes connections");

    /* the stream */
    if (write(fd, "FEED\tcam\n", 9) != 9 ||
        write(fd, bytebuf_data(&flv), bytebuf_size(&flv)) != (ssize_t)bytebuf_size(&flv))
        diag("feeding failed");

    dtls_cert_new(&cert);
    snprintf(offer, sizeof(offer),
             "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
             "m=video 9 UDP/TLS/RTP/SAVPF 106\r\nc=IN IP4 0.0.0.0\r\n"
             "a=ice-ufrag:Peer\r\na=ice-pwd:PeerPassword0123456789xy\r\n"
             "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\n"
             "a=rtpmap:106 H264/90000\r\na=rtcp-fb:106 nack pli\r\n"
             "a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
             "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
             "a=ice-ufrag:Peer\r\na=ice-pwd:PeerPassword0123456789xy\r\n"
             "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:1\r\na=recvonly\r\na=rtcp-mux\r\n"
             "a=rtpmap:111 opus/48000/2\r\n",
             dtls_cert_fingerprint(cert), dtls_cert_fingerprint(cert));

    /* until the stream's media is known (its tags are being read) */
    for (i = 0; i < 600; i++) {
        if (whep("POST", "/whep/cam", offer, &rs) == 0 && (status = rs.status) == 201)
            break;
        av_freep(&rs.body);
        nanosleep(&ms50, NULL);
    }
    is_int(status, 201, "an offer for the fed stream: 201");
    ok(rs.body && strstr(rs.body, "a=setup:passive") && strstr(rs.body, "H264/90000") &&
           strstr(rs.body, "opus/48000/2"), "the answer: DTLS server, H.264 and Opus");
    ok(rs.body && strstr(rs.body, "a=candidate:") && strstr(rs.body, " 127.0.0.1 ") &&
           strstr(rs.body, "typ host"), "a host candidate on the -a address");
    snprintf(port_s, sizeof(port_s), " 8189 ");
    ok(rs.body && !strstr(strstr(rs.body, "a=candidate:") ? strstr(rs.body, "a=candidate:") : "", port_s),
       "on the port it bound (0: any), not the default");
    ok(!strncmp(rs.location, "/whep/cam/", 10) && strlen(rs.location) == 10 + 32, "Location: /whep/cam/ID");
    snprintf(loc, sizeof(loc), "%s", rs.location);
    av_freep(&rs.body);

    is_int(whep("POST", "/whep/nothere", offer, &rs), 0, "an offer for another stream");
    is_int(rs.status, 404, "404: no such live stream");
    av_freep(&rs.body);
    is_int(whep("POST", "/whep/cam", "v=0\r\nnot an offer", &rs), 0, "a bad offer");
    ok(rs.status == 400 || rs.status == 422 || rs.status == 415, "refused with a 4xx (%d)", rs.status);
    av_freep(&rs.body);

    is_int(whep("DELETE", loc, NULL, &rs), 0, "DELETE the session");
    ok(rs.status == 200 || rs.status == 204, "deleted (%d)", rs.status);
    av_freep(&rs.body);
    is_int(whep("DELETE", loc, NULL, &rs), 0, "DELETE it again");
    is_int(rs.status, 404, "404: no such session");
    av_freep(&rs.body);

    /* Each stream keeps its own viewers: a frame goes to them only, a
     * viewer that goes leaves its stream's list, a stream that ends
     * closes its own viewers and no others. Three viewers of cam, two
     * of cam2; the middle one of cam goes; more frames of cam (a viewer
     * left in the list would be used after it was freed); cam ends. */
    {
        char locs[5][256];
        int fd2 = socket(AF_UNIX, SOCK_STREAM, 0), n201 = 0, after[5];
        if (connect(fd2, (struct sockaddr *)&sa, sizeof(sa)) < 0 || write(fd2, "FEED\tcam2\n", 10) != 10 ||
            write(fd2, bytebuf_data(&flv), bytebuf_size(&flv)) != (ssize_t)bytebuf_size(&flv))
            diag("feeding cam2 failed");
        for (int k = 0; k < 5; k++) {
            const char *path = k < 3 ? "/whep/cam" : "/whep/cam2";
            locs[k][0] = '\0';
            for (i = 0; i < 600; i++) {
                if (whep("POST", path, offer, &rs) == 0 && rs.status == 201)
                    break;
                av_freep(&rs.body);
                nanosleep(&ms50, NULL);
            }
            if (rs.status == 201) {
                n201++;
                snprintf(locs[k], sizeof(locs[k]), "%s", rs.location);
            }
            av_freep(&rs.body);
        }
        is_int(n201, 5, "three viewers of cam, two of cam2");
        whep("DELETE", locs[1], NULL, &rs);
        is_int(rs.status, 200, "the middle viewer of cam goes");
        av_freep(&rs.body);
        /* cam's tags again (after its header): frames for its viewers */
        if (write(fd, bytebuf_data(&flv) + FLV_HEADER_SIZE, bytebuf_size(&flv) - FLV_HEADER_SIZE) !=
            (ssize_t)(bytebuf_size(&flv) - FLV_HEADER_SIZE))
            diag("feeding cam again failed");
        close(fd);
        fd = -1;
        /* cam ends: wait until it is gone (an offer for it gets 404;
         * the viewers those before make are closed with it) */
        for (i = 0; i < 600; i++) {
            whep("POST", "/whep/cam", offer, &rs);
            av_freep(&rs.body);
            if (rs.status == 404)
                break;
            nanosleep(&ms50, NULL);
        }
        is_int(rs.status, 404, "cam has ended");
        for (int k = 0; k < 5; k++) {
            if (!locs[k][0] || k == 1) {
                after[k] = 0;
                continue;
            }
            whep("DELETE", locs[k], NULL, &rs);
            after[k] = rs.status;
            av_freep(&rs.body);
        }
        ok(after[0] == 404 && after[2] == 404, "the end of cam closed its viewers (%d %d)", after[0], after[2]);
        is_int(whep("DELETE", locs[1], NULL, &rs), 0, "DELETE the viewer of cam that went before");
        is_int(rs.status, 404, "it is gone too");
        av_freep(&rs.body);
        ok(after[3] == 200 && after[4] == 200, "and not cam2's (%d %d)", after[3], after[4]);
        close(fd2);
    }

    if (fd >= 0)
        close(fd);
    stop = 1;
    pthread_join(t, NULL);
    is_int(run_ret, 0, "stopped on its flag: 0");
    ok(access(sock, F_OK) < 0, "the control socket's file is removed");

    cfg.control = "/nonexistent-dir/rtc.sock";
    stop = 0;
    ok(rtc_server_run(&cfg) < 0, "a control socket that cannot be made: an error");

    dtls_cert_free(&cert);
    bytebuf_free(&flv);
    snprintf(media, sizeof(media), "rm -rf '%s'", dir);
    if (system(media) != 0)
        diag("could not remove %s", dir);
    return done();
}
