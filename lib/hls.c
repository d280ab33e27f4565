/*
 * hls.c: writing the HLS master and media playlists. See hls.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <libavutil/bprint.h>
#include <libavutil/error.h>

#include "hls.h"
#include "mpd.h"

static int finish(AVBPrint *bp, char **out)
{
    if (!av_bprint_is_complete(bp)) {
        av_bprint_finalize(bp, NULL);
        return AVERROR(ENOMEM);
    }
    return av_bprint_finalize(bp, out) < 0 ? AVERROR(ENOMEM) : 0;
}

int hls_write_master(const Manifest *m, char **out)
{
    const ManifestRendition *audio = NULL;
    int nvideo = 0;
    AVBPrint bp;

    for (int i = 0; i < m->nb_renditions; i++) {
        if (m->renditions[i].kind == CMAF_AUDIO && !audio)
            audio = &m->renditions[i];
        nvideo += m->renditions[i].kind == CMAF_VIDEO;
    }
    av_bprint_init(&bp, 1024, AV_BPRINT_SIZE_UNLIMITED);
    av_bprintf(&bp, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    if (audio && nvideo)
        av_bprintf(&bp, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"%s\",LANGUAGE=\"und\","
                        "DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"%d\",URI=\"%s/index.m3u8\"\n",
                   audio->id, audio->channels > 0 ? audio->channels : 2, audio->id);
    for (int i = 0; i < m->nb_renditions; i++) {
        const ManifestRendition *r = &m->renditions[i];
        int64_t bw = r->bandwidth, avg = r->avg_bandwidth;
        if (r->kind != CMAF_VIDEO)
            continue;
        if (audio) {
            bw += audio->bandwidth;
            avg += audio->avg_bandwidth;
        }
        bw = FFMAX(bw, avg);    /* RFC 8216 4.3.4.2: the peak, never below the average */
        av_bprintf(&bp, "#EXT-X-STREAM-INF:BANDWIDTH=%lld", (long long)(bw > 0 ? bw : 1));
        if (avg > 0)
            av_bprintf(&bp, ",AVERAGE-BANDWIDTH=%lld", (long long)avg);
        av_bprintf(&bp, ",RESOLUTION=%dx%d,CODECS=\"%s%s%s\"", r->width, r->height, r->codec,
                   audio ? "," : "", audio ? audio->codec : "");
        if (r->fps_num > 0 && r->fps_den > 0)
            av_bprintf(&bp, ",FRAME-RATE=%.3f", (double)r->fps_num / r->fps_den);
        if (audio)
            av_bprintf(&bp, ",AUDIO=\"audio\"");
        av_bprintf(&bp, "\n%s/index.m3u8\n", r->id);
    }
    if (audio && !nvideo) {
        int64_t bw = FFMAX(audio->bandwidth, audio->avg_bandwidth);
        av_bprintf(&bp, "#EXT-X-STREAM-INF:BANDWIDTH=%lld", (long long)(bw > 0 ? bw : 1));
        if (audio->avg_bandwidth > 0)
            av_bprintf(&bp, ",AVERAGE-BANDWIDTH=%lld", (long long)audio->avg_bandwidth);
        av_bprintf(&bp, ",CODECS=\"%s\"\n%s/index.m3u8\n", audio->codec, audio->id);
    }
    return finish(&bp, out);
}

/* Whether some rendition has a file for segment i. */
static int segment_listed(const Manifest *m, int i)
{
    for (int k = 0; k < m->nb_renditions; k++)
        if (m->renditions[k].files[i].t >= 0)
            return 1;
    return 0;
}

int hls_write_media(const Manifest *m, int ri, char **out)
{
    const ManifestRendition *r;
    double maxd = m->segment_duration;
    long target;
    char prefix[2 * RECORD_MAX_NAME + 16] = "", file[64];
    int first = -1;
    AVBPrint bp;

    if (ri < 0 || ri >= m->nb_renditions)
        return AVERROR(EINVAL);
    r = &m->renditions[ri];
    for (int i = 0; i < m->nb_segments; i++) {
        const ManifestFile *f = &r->files[i];
        if (f->t < 0)
            continue;
        if (first < 0)
            first = i;
        if ((double)f->d / r->timescale > maxd)
            maxd = (double)f->d / r->timescale;
    }
    target = lround(maxd) > 0 ? lround(maxd) : 1L;
    av_bprint_init(&bp, 4096, AV_BPRINT_SIZE_UNLIMITED);
    av_bprintf(&bp, "#EXTM3U\n#EXT-X-VERSION:7\n");
    av_bprintf(&bp, "#EXT-X-TARGETDURATION:%ld\n", target);
    av_bprintf(&bp, "#EXT-X-MEDIA-SEQUENCE:%lld\n",
               (long long)(first >= 0 ? m->segments[first].msn : 0));
    av_bprintf(&bp, "#EXT-X-DISCONTINUITY-SEQUENCE:%lld\n",
               (long long)(first >= 0 ? m->segments[first].dseq : 0));
    /* Where a player joins a live stream: HOLD-BACK behind the end of
     * the playlist, the least RFC 8216bis allows (3 target durations).
     * live-serve answers blocking reloads (_HLS_msn) and delta updates
     * (_HLS_skip) of segments older than 6 target durations, the least
     * allowed (llhls.h). */
    if (m->dynamic)
        av_bprintf(&bp, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=%.3f,"
                        "HOLD-BACK=%.3f\n", 6.0 * target, 3.0 * target);
    else
        av_bprintf(&bp, "#EXT-X-PLAYLIST-TYPE:VOD\n");
    /* a finished broadcast's playlists (OUT/NAME@ID/REND/) name the media
     * where they stayed, under OUT/NAME/REND/ */
    if (m->media_dir[0])
        snprintf(prefix, sizeof(prefix), "../../%s/%s/", m->media_dir, r->id);
    manifest_init_file(file, sizeof(file), m->tag);
    av_bprintf(&bp, "#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"%s%s\"\n", prefix, file);
    for (int i = first < 0 ? m->nb_segments : first; i < m->nb_segments; i++) {
        const ManifestSegment *s = &m->segments[i];
        const ManifestFile *f = &r->files[i];
        char when[40];
        if (f->t < 0) {
            /* a rendition left out of a segment the others have (the
             * load guard's step): a gap, so every variant keeps the
             * same media sequence numbers */
            if (i > first && segment_listed(m, i)) {
                manifest_media_file(file, sizeof(file), m->tag, s->seq);
                av_bprintf(&bp, "#EXT-X-GAP\n#EXTINF:%.5f,\n%s%s\n", s->duration, prefix, file);
            }
            continue;
        }
        if (i > first && s->discontinuity)
            av_bprintf(&bp, "#EXT-X-DISCONTINUITY\n");
        mpd_format_time(m->availability_start + (double)f->t / r->timescale, when, sizeof(when));
        av_bprintf(&bp, "#EXT-X-PROGRAM-DATE-TIME:%s\n", when);
        manifest_media_file(file, sizeof(file), m->tag, s->seq);
        av_bprintf(&bp, "#EXTINF:%.5f,\n%s%s\n", (double)f->d / r->timescale, prefix, file);
    }
    if (!m->dynamic)
        av_bprintf(&bp, "#EXT-X-ENDLIST\n");
    return finish(&bp, out);
}
