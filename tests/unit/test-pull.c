/* Unit tests for lib/pull.c: a real file (H.264 and AAC from libx264)
 * pulled to FLV on standard output, packets copied; a source served over
 * HTTP by a small server in this test that ends after each answer, so
 * pull reconnects and the FLV goes on with one header and timestamps
 * that keep rising; an input without streams refused. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libavformat/avformat.h>

#include "log.h"
#include "pull.h"
#include "media.h"
#include "tap.h"

typedef struct Server {
    int fd, port, answers;
    const char *file;
} Server;

/* Answer `answers` connections with the file, then stop. */
static void *serve(void *arg)
{
    Server *s = arg;
    for (int i = 0; i < s->answers; i++) {
        char req[4096], buf[65536];
        int c = accept(s->fd, NULL, NULL), f;
        ssize_t n;
        if (c < 0)
            break;
        if (read(c, req, sizeof(req)) <= 0) {
            close(c);
            continue;
        }
        dprintf(c, "HTTP/1.0 200 OK\r\nContent-Type: video/mp2t\r\n\r\n");
        f = open(s->file, O_RDONLY);
        while (f >= 0 && (n = read(f, buf, sizeof(buf))) > 0)
            if (write(c, buf, n) != n)
                break;
        if (f >= 0)
            close(f);
        close(c);
    }
    close(s->fd);   /* then refused: the next reconnect fails at once */
    return NULL;
}

/* pull_run with stdout into out. */
static int pull_to(const PullOptions *o, const char *out)
{
    int saved, fd, ret;
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    ret = pull_run(o);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    return ret;
}

/* Packets by kind in an FLV file; *rising: no stream's dts goes back;
 * *headers: "FLV" signatures in the file. */
static void read_flv(const char *path, int *nv, int *na, int *rising, int *headers)
{
    AVFormatContext *fmt = NULL;
    AVPacket *pkt = av_packet_alloc();
    int64_t last[8];
    char buf[1 << 16];
    FILE *f;
    size_t n;

    *nv = *na = *headers = 0;
    *rising = 1;
    for (int i = 0; i < 8; i++)
        last[i] = INT64_MIN;
    if (avformat_open_input(&fmt, path, NULL, NULL) >= 0 && avformat_find_stream_info(fmt, NULL) >= 0) {
        while (av_read_frame(fmt, pkt) >= 0) {
            int i = pkt->stream_index & 7;
            if (fmt->streams[pkt->stream_index]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO)
                (*nv)++;
            else
                (*na)++;
            *rising &= pkt->dts >= last[i];
            last[i] = pkt->dts;
            av_packet_unref(pkt);
        }
    }
    avformat_close_input(&fmt);
    av_packet_free(&pkt);
    if ((f = fopen(path, "rb"))) {
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
            for (size_t i = 0; i + 3 <= n; i++)
                *headers += !memcmp(buf + i, "FLV\x01", 4);
        fclose(f);
    }
}

int main(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char dir[512], src[600], ts[600], out[600], url[128];
    MediaSpec spec = { .format = "mp4", .width = 160, .height = 96, .fps = 25, .frames = 25,
                       .audio = AV_CODEC_ID_AAC, .sample_rate = 48000, .channels = 2 };
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t sl = sizeof(sa);
    Server s = { .answers = 2 };
    PullOptions o;
    pthread_t t;
    int nv, na, sv = 0, sa_n = 0, rising, headers;
    FILE *f;

    log_init("test-pull");
    log_set_level(LOG_LEVEL_QUIET);
    snprintf(dir, sizeof(dir), "%s/live-test-pull-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    snprintf(src, sizeof(src), "%s/src.mp4", dir);
    snprintf(ts, sizeof(ts), "%s/src.ts", dir);
    snprintf(out, sizeof(out), "%s/out.flv", dir);
    is_int(media_write(src, &spec), 0, "1 s of H.264 and AAC in MP4");
    spec.format = "mpegts";
    is_int(media_write(ts, &spec), 0, "the same as MPEG-TS");
    media_count(ts, &sv, &sa_n, NULL);

    pull_options_default(&o);
    is_int(o.retry, 10, "default: 10 reconnects");
    is_dbl(o.timeout, 10, 0, "default: 10 s without data");
    o.url = src;
    o.retry = 0;
    is_int(pull_to(&o, out), 0, "a file pulled to FLV");
    read_flv(out, &nv, &na, &rising, &headers);
    is_int(nv, sv, "every video packet (%d)", sv);
    is_int(na, sa_n, "every audio packet (%d)", sa_n);
    ok(rising, "timestamps never go back");
    o.url = ts;
    is_int(pull_to(&o, out), 0, "MPEG-TS pulled to FLV");
    read_flv(out, &nv, &na, &rising, &headers);
    ok(nv == sv && na == sa_n, "every packet");

    /* over HTTP, twice: the output goes on after the source ends */
    s.file = ts;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s.fd = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(s.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s.fd, 4) < 0 ||
        getsockname(s.fd, (struct sockaddr *)&sa, &sl) < 0)
        return 1;
    pthread_create(&t, NULL, serve, &s);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/cam.ts", ntohs(sa.sin_port));
    o.url = url;
    o.retry = 1;
    o.timeout = 30;
    is_int(pull_to(&o, out), 0, "pulled over HTTP, reconnected once, then the retries were spent");
    pthread_join(t, NULL);
    read_flv(out, &nv, &na, &rising, &headers);
    is_int(nv, 2 * sv, "the video of both sessions");
    is_int(na, 2 * sa_n, "the audio of both sessions");
    ok(rising, "the second session's timestamps continue after the first's (never back)");
    is_int(headers, 1, "one FLV header");

    /* not media */
    snprintf(src, sizeof(src), "%s/text.txt", dir);
    f = fopen(src, "w");
    fputs("plain text, no streams here\n", f);
    fclose(f);
    o.url = src;
    o.retry = 0;
    ok(pull_to(&o, out) < 0, "an input that is not media fails");
    snprintf(src, sizeof(src), "%s/missing.mp4", dir);
    o.url = src;
    ok(pull_to(&o, out) < 0, "a missing file fails");

    snprintf(src, sizeof(src), "rm -rf '%s'", dir);
    if (system(src) != 0)
        diag("could not remove %s", dir);
    return done();
}
