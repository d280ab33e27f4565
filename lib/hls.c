/*
 * hls.c: writing the HLS master and media playlists. See hls.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/bprint.h>
#include <libavutil/error.h>

#include "hls.h"
#include "manifest.h"
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
        if (m->renditions[i].media.kind == CMAF_AUDIO && !audio)
            audio = &m->renditions[i];
        nvideo += m->renditions[i].media.kind == CMAF_VIDEO;
    }
    av_bprint_init(&bp, 1024, AV_BPRINT_SIZE_UNLIMITED);
    av_bprintf(&bp, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    if (audio && nvideo)
        av_bprintf(&bp, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"%s\",LANGUAGE=\"und\","
                        "DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"%d\",URI=\"%s/index.m3u8\"\n",
                   audio->id, audio->media.channels > 0 ? audio->media.channels : 2, audio->id);
    for (int i = 0; i < m->nb_renditions; i++) {
        const ManifestRendition *r = &m->renditions[i];
        int64_t bw = r->bandwidth, avg = r->avg_bandwidth;
        if (r->media.kind != CMAF_VIDEO)
            continue;
        if (audio) {
            bw += audio->bandwidth;
            avg += audio->avg_bandwidth;
        }
        bw = FFMAX(bw, avg);    /* RFC 8216 4.3.4.2: the peak, never below the average */
        av_bprintf(&bp, "#EXT-X-STREAM-INF:BANDWIDTH=%lld", (long long)(bw > 0 ? bw : 1));
        if (avg > 0)
            av_bprintf(&bp, ",AVERAGE-BANDWIDTH=%lld", (long long)avg);
        av_bprintf(&bp, ",RESOLUTION=%dx%d,CODECS=\"%s%s%s\"", r->media.width, r->media.height,
                   r->media.codec, audio ? "," : "", audio ? audio->media.codec : "");
        if (r->media.fps_num > 0 && r->media.fps_den > 0)
            av_bprintf(&bp, ",FRAME-RATE=%.3f", (double)r->media.fps_num / r->media.fps_den);
        if (audio)
            av_bprintf(&bp, ",AUDIO=\"audio\"");
        av_bprintf(&bp, "\n%s/index.m3u8\n", r->id);
    }
    if (audio && !nvideo) {
        int64_t bw = FFMAX(audio->bandwidth, audio->avg_bandwidth);
        av_bprintf(&bp, "#EXT-X-STREAM-INF:BANDWIDTH=%lld", (long long)(bw > 0 ? bw : 1));
        if (audio->avg_bandwidth > 0)
            av_bprintf(&bp, ",AVERAGE-BANDWIDTH=%lld", (long long)audio->avg_bandwidth);
        av_bprintf(&bp, ",CODECS=\"%s\"\n%s/index.m3u8\n", audio->media.codec, audio->id);
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

/* Segments at the end of a low-latency playlist whose parts are listed. */
#define LL_PARTS_SEGMENTS 3

/* EXT-X-PART lines: byte ranges of the segment's file. */
static void put_parts(AVBPrint *bp, const ManifestParts *ps, const char *prefix,
                      const char *file)
{
    for (int k = 0; ps && k < ps->n; k++) {
        const ManifestPart *pt = &ps->part[k];
        av_bprintf(bp, "#EXT-X-PART:DURATION=%.5f,URI=\"%s%s\",BYTERANGE=\"%lld@%lld\"%s\n",
                   pt->duration, prefix, file, (long long)pt->size, (long long)pt->offset,
                   pt->independent ? ",INDEPENDENT=YES" : "");
    }
}

/* The media sequence number segment seq has (or will have: the open one). */
static int64_t msn_of(const Manifest *m, int64_t seq)
{
    for (int i = m->nb_segments - 1; i >= 0; i--)
        if (m->segments[i].seq == seq)
            return m->segments[i].msn;
    if (m->nb_segments == 0)
        return 0;
    return m->segments[m->nb_segments - 1].msn + (seq - m->segments[m->nb_segments - 1].seq);
}

/* Where rendition ri's parts end: the segment and part index of its last
 * part (*seq -1: none). */
static void last_part(const Manifest *m, int ri, int64_t *seq, int *part)
{
    const char *id = m->renditions[ri].id;
    const ManifestParts *ps = m->open_seq >= 0 ? manifest_parts(m, m->open_seq, id) : NULL;

    *seq = -1;
    *part = -1;
    if (ps) {
        *seq = ps->seq;
        *part = ps->n - 1;
    } else if (m->nb_segments > 0) {
        *seq = m->segments[m->nb_segments - 1].seq;
        ps = manifest_parts(m, *seq, id);
        *part = ps ? ps->n - 1 : -1;
    }
}

/* The end of a low-latency playlist: the open segment's parts, the hint
 * of the next part (the open segment's next bytes, or the next segment's
 * first), and where every other rendition is. */
static void put_live_edge(AVBPrint *bp, const Manifest *m, int ri, const char *prefix)
{
    const ManifestRendition *r = &m->renditions[ri];
    const ManifestParts *open = m->open_seq >= 0 ? manifest_parts(m, m->open_seq, r->id) : NULL;
    int64_t next_seq = m->nb_segments ? m->segments[m->nb_segments - 1].seq + 1 : 0, start = 0;
    char file[64];

    if (open) {
        const ManifestPart *lp = &open->part[open->n - 1];
        manifest_media_file(file, sizeof(file), m->tag, open->seq);
        put_parts(bp, open, prefix, file);
        next_seq = open->seq + (m->open_complete ? 1 : 0);
        start = m->open_complete ? 0 : lp->offset + lp->size;
    }
    manifest_media_file(file, sizeof(file), m->tag, next_seq);
    av_bprintf(bp, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"%s%s\",BYTERANGE-START=%lld\n", prefix,
               file, (long long)start);
    for (int k = 0; k < m->nb_renditions; k++) {
        int64_t seq;
        int part;
        if (k == ri)
            continue;
        last_part(m, k, &seq, &part);
        if (seq < 0)
            continue;
        av_bprintf(bp, "#EXT-X-RENDITION-REPORT:URI=\"../%s/index.m3u8\",LAST-MSN=%lld",
                   m->renditions[k].id, (long long)msn_of(m, seq));
        if (part >= 0)
            av_bprintf(bp, ",LAST-PART=%d", part);
        av_bprintf(bp, "\n");
    }
}

/* The media playlist's target duration: its longest segment, rounded
 * (at least the stream's segment duration, and 1). *first: the first
 * segment rendition r has a file in, -1 when none. */
static long target_duration(const Manifest *m, const ManifestRendition *r, int *first)
{
    double maxd = m->segment_duration;

    *first = -1;
    for (int i = 0; i < m->nb_segments; i++) {
        const ManifestFile *f = &r->files[i];
        if (f->t < 0)
            continue;
        if (*first < 0)
            *first = i;
        if ((double)f->d / r->media.timescale > maxd)
            maxd = (double)f->d / r->media.timescale;
    }
    return lround(maxd) > 0 ? lround(maxd) : 1L;
}

/* The media playlist's head: version, target duration, the sequence
 * numbers of its first segment, and how it is played (live, low latency,
 * or VOD). */
static void put_media_head(AVBPrint *bp, const Manifest *m, long target, int first)
{
    av_bprintf(bp, "#EXTM3U\n#EXT-X-VERSION:7\n");
    av_bprintf(bp, "#EXT-X-TARGETDURATION:%ld\n", target);
    av_bprintf(bp, "#EXT-X-MEDIA-SEQUENCE:%lld\n",
               (long long)(first >= 0 ? m->segments[first].msn : 0));
    av_bprintf(bp, "#EXT-X-DISCONTINUITY-SEQUENCE:%lld\n",
               (long long)(first >= 0 ? m->segments[first].dseq : 0));
    /* Where a player joins a live stream: HOLD-BACK behind the end of
     * the playlist, the least RFC 8216bis allows (3 target durations).
     * live-serve answers blocking reloads (_HLS_msn) and delta updates
     * (_HLS_skip) of segments older than 6 target durations, the least
     * allowed (llhls.h). */
    if (m->dynamic && m->part_target > 0)
        av_bprintf(bp, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=%.3f,"
                       "HOLD-BACK=%.3f,PART-HOLD-BACK=%.3f\n#EXT-X-PART-INF:PART-TARGET=%.3f\n",
                   6.0 * target, 3.0 * target, 3.0 * m->part_target, m->part_target);
    else if (m->dynamic)
        av_bprintf(bp, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=%.3f,"
                       "HOLD-BACK=%.3f\n", 6.0 * target, 3.0 * target);
    else
        av_bprintf(bp, "#EXT-X-PLAYLIST-TYPE:VOD\n");
}

int hls_write_media(const Manifest *m, int ri, char **out)
{
    const ManifestRendition *r;
    long target;
    char prefix[2 * RECORD_MAX_NAME + 16] = "", file[64];
    int first = -1;
    int64_t map;
    AVBPrint bp;

    if (ri < 0 || ri >= m->nb_renditions)
        return AVERROR(EINVAL);
    r = &m->renditions[ri];
    target = target_duration(m, r, &first);
    av_bprint_init(&bp, 4096, AV_BPRINT_SIZE_UNLIMITED);
    put_media_head(&bp, m, target, first);
    /* a finished broadcast's playlists (OUT/NAME@ID/REND/) name the media
     * where they stayed, under OUT/NAME/REND/ */
    if (m->media_dir[0])
        snprintf(prefix, sizeof(prefix), "../../%s/%s/", m->media_dir, r->id);
    manifest_init_file(file, sizeof(file), m->tag,
                       first >= 0 && first < m->nb_segments ? m->segments[first].init_seq : 0);
    av_bprintf(&bp, "#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"%s%s\"\n", prefix, file);
    map = first >= 0 && first < m->nb_segments ? m->segments[first].init_seq : 0;
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
        if (i > first && (s->discontinuity || s->init_seq != map))
            av_bprintf(&bp, "#EXT-X-DISCONTINUITY\n");
        if (s->init_seq != map) {
            /* a new size or codec from here on: its init segment */
            map = s->init_seq;
            manifest_init_file(file, sizeof(file), m->tag, map);
            av_bprintf(&bp, "#EXT-X-MAP:URI=\"%s%s\"\n", prefix, file);
        }
        mpd_format_time(m->availability_start + (double)f->t / r->media.timescale, when,
                        sizeof(when));
        av_bprintf(&bp, "#EXT-X-PROGRAM-DATE-TIME:%s\n", when);
        manifest_media_file(file, sizeof(file), m->tag, s->seq);
        /* low latency: the parts of the last few segments (RFC 8216bis:
         * those within 3 target durations of the end) */
        if (m->dynamic && m->part_target > 0 && i >= m->nb_segments - LL_PARTS_SEGMENTS)
            put_parts(&bp, manifest_parts(m, s->seq, r->id), prefix, file);
        av_bprintf(&bp, "#EXTINF:%.5f,\n%s%s\n", (double)f->d / r->media.timescale, prefix, file);
    }
    if (m->dynamic && m->part_target > 0)
        put_live_edge(&bp, m, ri, prefix);
    if (!m->dynamic)
        av_bprintf(&bp, "#EXT-X-ENDLIST\n");
    return finish(&bp, out);
}
