/*
 * mpd.c: writing the DASH manifest. See mpd.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/bprint.h>
#include <libavutil/common.h>
#include <libavutil/error.h>

#include "mpd.h"

void mpd_format_time(double t, char *buf, unsigned size)
{
    time_t sec = (time_t)floor(t);
    int ms = (int)lround((t - (double)sec) * 1000);
    struct tm tm;

    if (ms >= 1000) {
        sec++;
        ms -= 1000;
    }
    gmtime_r(&sec, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

static void put_duration(AVBPrint *bp, const char *attr, double s)
{
    av_bprintf(bp, " %s=\"PT%.3fS\"", attr, s < 0 ? 0 : s);
}

/* s rounded up to the millisecond (a duration that must not end before
 * the media does). */
static double ceil_ms(double s)
{
    return ceil(s * 1000 - 1e-6) / 1000;
}

/* Whether rendition r is listed in the period of segments [a, b): it has
 * a file in it (a video rendition the load guard left out of a run of
 * segments has none there: that run is a period of its own, see
 * put_periods). */
static int listed(const ManifestRendition *r, int a, int b)
{
    for (int i = a; i < b; i++)
        if (r->files[i].t >= 0)
            return 1;
    return 0;
}

/* Index of the first rendition of kind listed in [a, b), or -1. */
static int first_of(const Manifest *m, int kind, int a, int b)
{
    for (int i = 0; i < m->nb_renditions; i++)
        if (m->renditions[i].media.kind == kind && listed(&m->renditions[i], a, b))
            return i;
    return -1;
}

/* The SegmentTimeline of segments [a, b) from rendition r's files. */
static void put_timeline(AVBPrint *bp, const ManifestRendition *r, int a, int b,
                         int64_t open_d)
{
    int64_t next = -1;
    int i = a;

    av_bprintf(bp, "        <SegmentTimeline>\n");
    while (i < b) {
        const ManifestFile *f = &r->files[i];
        int j = i + 1, rep = 0;
        if (f->t < 0) {
            i++;
            continue;
        }
        while (j < b && r->files[j].t >= 0 && r->files[j].d == f->d &&
               r->files[j].t == r->files[j - 1].t + r->files[j - 1].d) {
            j++;
            rep++;
        }
        av_bprintf(bp, "          <S");
        if (f->t != next)
            av_bprintf(bp, " t=\"%lld\"", (long long)f->t);
        av_bprintf(bp, " d=\"%lld\"", (long long)f->d);
        if (rep)
            av_bprintf(bp, " r=\"%d\"", rep);
        av_bprintf(bp, "/>\n");
        next = r->files[j - 1].t + r->files[j - 1].d;
        i = j;
    }
    /* low latency: the segment being written, at its nominal duration,
     * available in chunks (availabilityTimeOffset) */
    if (open_d > 0 && next >= 0)
        av_bprintf(bp, "          <S d=\"%lld\"/>\n", (long long)open_d);
    av_bprintf(bp, "        </SegmentTimeline>\n");
}

/* Rendition r's video size in the period of segments [a, b): its first
 * file's that says (a size change starts a new period), else the
 * rendition's. */
static void period_size(const ManifestRendition *r, int a, int b, int *w, int *h)
{
    *w = r->media.width;
    *h = r->media.height;
    for (int i = a; i < b; i++)
        if (r->files[i].t >= 0 && r->files[i].width > 0 && r->files[i].height > 0) {
            *w = r->files[i].width;
            *h = r->files[i].height;
            return;
        }
}

/* The AdaptationSet element's start tag: for video the largest size any
 * of its representations has in the period. */
static void put_set_head(AVBPrint *bp, const Manifest *m, int kind, int a, int b,
                         const ManifestRendition *r0)
{
    int maxw = 0, maxh = 0, w, h;

    for (int i = 0; i < m->nb_renditions; i++) {
        const ManifestRendition *r = &m->renditions[i];
        if (r->media.kind != kind || !listed(r, a, b))
            continue;
        period_size(r, a, b, &w, &h);
        if (w > maxw)
            maxw = w;
        if (h > maxh)
            maxh = h;
    }
    if (kind == CMAF_VIDEO) {
        av_bprintf(bp, "    <AdaptationSet id=\"0\" contentType=\"video\" mimeType=\"video/mp4\""
                       " segmentAlignment=\"true\" startWithSAP=\"1\" maxWidth=\"%d\""
                       " maxHeight=\"%d\"", maxw, maxh);
        if (r0->media.fps_num > 0)
            av_bprintf(bp, " maxFrameRate=\"%d/%d\"", r0->media.fps_num, r0->media.fps_den);
        av_bprintf(bp, ">\n");
    } else {
        av_bprintf(bp, "    <AdaptationSet id=\"1\" contentType=\"audio\" mimeType=\"audio/mp4\""
                       " segmentAlignment=\"true\" startWithSAP=\"1\" lang=\"und\">\n");
    }
}

/* Low latency: the wall clock at which a sample was made, for the
 * players' latency (the stream timeline starts at availabilityStartTime). */
static void put_producer_time(AVBPrint *bp, const Manifest *m, int kind, int a, int b,
                              const ManifestRendition *r0)
{
    int64_t t = -1;
    char when[40];

    for (int i = a; i < b && t < 0; i++)
        t = r0->files[i].t;
    if (t < 0)
        return;
    mpd_format_time(m->availability_start + (double)t / r0->media.timescale, when, sizeof(when));
    av_bprintf(bp, "      <ProducerReferenceTime id=\"%d\" type=\"encoder\""
                   " wallClockTime=\"%s\" presentationTime=\"%lld\"/>\n",
               kind == CMAF_VIDEO ? 0 : 1, when, (long long)t);
}

/* One Representation element for each rendition of kind in the period. */
static void put_representations(AVBPrint *bp, const Manifest *m, int kind, int a, int b)
{
    int w, h;

    for (int i = 0; i < m->nb_renditions; i++) {
        const ManifestRendition *r = &m->renditions[i];
        if (r->media.kind != kind || !listed(r, a, b))
            continue;
        av_bprintf(bp, "      <Representation id=\"%s\" bandwidth=\"%lld\" codecs=\"%s\"", r->id,
                   (long long)(r->bandwidth > 0 ? r->bandwidth : 1), r->media.codec);
        if (kind == CMAF_VIDEO) {
            period_size(r, a, b, &w, &h);
            av_bprintf(bp, " width=\"%d\" height=\"%d\"", w, h);
            if (r->media.fps_num > 0) {
                if (r->media.fps_den == 1)
                    av_bprintf(bp, " frameRate=\"%d\"", r->media.fps_num);
                else
                    av_bprintf(bp, " frameRate=\"%d/%d\"", r->media.fps_num, r->media.fps_den);
            }
            av_bprintf(bp, " sar=\"%d:%d\"/>\n", r->media.sar_num, r->media.sar_den);
        } else {
            av_bprintf(bp, " audioSamplingRate=\"%d\">\n", r->media.sample_rate);
            av_bprintf(bp, "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:"
                           "23003:3:audio_channel_configuration:2011\" value=\"%d\"/>\n",
                       r->media.channels > 0 ? r->media.channels : 2);
            av_bprintf(bp, "      </Representation>\n");
        }
    }
}

static void put_adaptation_set(AVBPrint *bp, const Manifest *m, int kind, int a, int b,
                               double period_media_start)
{
    int first = first_of(m, kind, a, b);
    const ManifestRendition *r0;
    char prefix[72 + 8] = "", init[64];
    int ll;

    if (first < 0)
        return;
    r0 = &m->renditions[first];
    ll = m->dynamic && m->part_target > 0;
    put_set_head(bp, m, kind, a, b, r0);
    if (ll && a < b)
        put_producer_time(bp, m, kind, a, b, r0);
    /* a finished broadcast's manifest (OUT/NAME@ID/) names the media
     * where they stayed, under OUT/NAME/ */
    if (m->media_dir[0])
        snprintf(prefix, sizeof(prefix), "../%s/", m->media_dir);
    manifest_init_file(init, sizeof(init), m->tag, m->segments[a].init_seq);
    av_bprintf(bp, "      <SegmentTemplate timescale=\"%u\" initialization=\"%s$RepresentationID$/"
                   "%s\" media=\"%s$RepresentationID$/%s%s$Number$.m4s\" startNumber=\"%lld\"",
               r0->media.timescale, prefix, init, prefix, m->tag, m->tag[0] ? "-" : "",
               (long long)m->segments[a].seq);
    av_bprintf(bp, " presentationTimeOffset=\"%lld\"",
               (long long)llrint(period_media_start * r0->media.timescale));
    if (ll)
        av_bprintf(bp, " availabilityTimeOffset=\"%.3f\" availabilityTimeComplete=\"false\"",
                   FFMAX(0, m->segment_duration - m->part_target));
    av_bprintf(bp, ">\n");
    put_timeline(bp, r0, a, b,
                 ll && b == m->nb_segments && m->open_seq >= 0 &&
                 manifest_parts(m, m->open_seq, r0->id) ?
                 llrint(m->segment_duration * r0->media.timescale) : 0);
    av_bprintf(bp, "      </SegmentTemplate>\n");
    put_representations(bp, m, kind, a, b);
    av_bprintf(bp, "    </AdaptationSet>\n");
}

/* The MPD element's attributes and the ServiceDescription. first and
 * end bound the listed media, maxd is the longest segment. */
static void put_mpd_head(AVBPrint *bp, const Manifest *m, double first, double end,
                         double maxd)
{
    double minbuf = ceil(m->segment_duration > 0 ? m->segment_duration : maxd);
    char when[40];

    av_bprintf(bp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    av_bprintf(bp, "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\""
                   " profiles=\"urn:mpeg:dash:profile:isoff-live:2011,"
                   "urn:mpeg:dash:profile:cmaf:2019\"");
    if (m->dynamic) {
        av_bprintf(bp, " type=\"dynamic\"");
        mpd_format_time(m->availability_start, when, sizeof(when));
        av_bprintf(bp, " availabilityStartTime=\"%s\"", when);
        mpd_format_time(m->publish_time, when, sizeof(when));
        av_bprintf(bp, " publishTime=\"%s\"", when);
        /* low latency: a player learns of the next segment (in the
         * timeline from its first chunk) within a part */
        put_duration(bp, "minimumUpdatePeriod", m->part_target > 0 ? m->part_target
                     : m->segment_duration > 0 ? m->segment_duration : maxd);
        put_duration(bp, "timeShiftBufferDepth", m->window);
        put_duration(bp, "suggestedPresentationDelay",
                     m->part_target > 0 ? FFMAX(1, 3 * m->part_target) : 3 * maxd);
    } else {
        av_bprintf(bp, " type=\"static\"");
        put_duration(bp, "mediaPresentationDuration", ceil_ms(end - first));
    }
    put_duration(bp, "maxSegmentDuration", maxd);
    put_duration(bp, "minBufferTime", minbuf);
    av_bprintf(bp, ">\n");
    /* The latency a player should keep, for players that read it rather
     * than suggestedPresentationDelay (dash.js, Shaka): the same 3
     * segments, between 2 and 6 of them. */
    /* Low latency: 3 parts behind (as PART-HOLD-BACK), at least a second;
     * players catch up by playing faster, within 0.95-1.05. */
    if (m->dynamic && m->part_target > 0)
        av_bprintf(bp, "  <ServiceDescription id=\"0\"><Latency target=\"%lld\" min=\"%lld\""
                       " max=\"%lld\"/><PlaybackRate min=\"0.95\" max=\"1.05\"/>"
                       "</ServiceDescription>\n", FFMAX(1000, llrint(3000 * m->part_target)),
                   llrint(1000 * m->part_target), llrint(3000 * maxd));
    else if (m->dynamic)
        av_bprintf(bp, "  <ServiceDescription id=\"0\"><Latency target=\"%lld\" min=\"%lld\""
                       " max=\"%lld\"/></ServiceDescription>\n", llrint(3000 * maxd),
                   llrint(2000 * maxd), llrint(6000 * maxd));
}

/* Whether segments i and j have files of the same video renditions. */
static int same_video(const Manifest *m, int i, int j)
{
    for (int k = 0; k < m->nb_renditions; k++) {
        const ManifestRendition *r = &m->renditions[k];
        if (r->media.kind == CMAF_VIDEO && (r->files[i].t >= 0) != (r->files[j].t >= 0))
            return 0;
    }
    return 1;
}

/* Whether the run of segments from a is split off within its period
 * (the segment before it, listed, is of the same period). */
static int split_run(const Manifest *m, int a)
{
    return a > 0 && m->segments[a - 1].period == m->segments[a].period;
}

/* Where the Period of segments from a starts on the stream timeline: its
 * period's start, or its own first segment's for a split run. */
static double run_start(const Manifest *m, int a)
{
    return split_run(m, a) ? m->segments[a].start : m->segments[a].period_start;
}

/* One Period per run of segments of the same period, init segment and
 * video renditions: a rendition the load guard left out of some segments
 * (live-transcode --max-lag) is absent from the Period of those, so DASH
 * players switch to another one there (a hole in one Representation's
 * SegmentTimeline under $Number$ would shift every later number, and a
 * hole in the shared one would stop them all). */
static void put_periods(AVBPrint *bp, const Manifest *m, double first, double end)
{
    for (int a = 0; a < m->nb_segments;) {
        int b = a + 1;
        /* (a new init segment starts a new period too) */
        while (b < m->nb_segments && m->segments[b].period == m->segments[a].period &&
               m->segments[b].init_seq == m->segments[a].init_seq && same_video(m, a, b))
            b++;
        /* The media time at the start of the period: a live stream keeps
         * the stream timeline; a static one presents from its first
         * listed segment at 0. */
        double pstart = run_start(m, a);
        if (!m->dynamic && a == 0)
            pstart = m->segments[0].start;
        /* ids stay the same as the MPD grows: p<period>, and p<period>-<seq>
         * for a run split off within it (while the run before it is in
         * the window) */
        if (!split_run(m, a))
            av_bprintf(bp, "  <Period id=\"p%lld\"", (long long)m->segments[a].period);
        else
            av_bprintf(bp, "  <Period id=\"p%lld-%lld\"", (long long)m->segments[a].period,
                       (long long)m->segments[a].seq);
        put_duration(bp, "start", m->dynamic ? pstart : pstart - first);
        /* A period lasts until the next one starts (so across the gap);
         * the last one of a static MPD until the end. */
        if (b < m->nb_segments)
            put_duration(bp, "duration", run_start(m, b) - pstart);
        else if (!m->dynamic)
            put_duration(bp, "duration", ceil_ms(end - pstart));
        av_bprintf(bp, ">\n");
        put_adaptation_set(bp, m, CMAF_VIDEO, a, b, pstart);
        put_adaptation_set(bp, m, CMAF_AUDIO, a, b, pstart);
        av_bprintf(bp, "  </Period>\n");
        a = b;
    }
    if (m->nb_segments == 0)
        av_bprintf(bp, "  <Period id=\"p0\" start=\"PT0S\"/>\n");
}

/* The UTCTiming element of a live MPD, its URL escaped for XML. */
static void put_utc_timing(AVBPrint *bp, const Manifest *m)
{
    if (!m->dynamic || !m->utc_timing || !*m->utc_timing)
        return;
    av_bprintf(bp, "  <UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-iso:2014\" value=\"");
    for (const char *c = m->utc_timing; *c; c++) {
        switch (*c) {
        case '&': av_bprintf(bp, "&amp;"); break;
        case '<': av_bprintf(bp, "&lt;"); break;
        case '>': av_bprintf(bp, "&gt;"); break;
        case '"': av_bprintf(bp, "&quot;"); break;
        default: av_bprint_chars(bp, *c, 1);
        }
    }
    av_bprintf(bp, "\"/>\n");
}

/* Where segment i's media ends on the stream timeline: the latest end of
 * its renditions' files (the audio often runs a few ms past the video:
 * whole AAC frames), or 0 when none has a file. */
static double media_end(const Manifest *m, int i)
{
    double end = 0;

    for (int k = 0; k < m->nb_renditions; k++) {
        const ManifestRendition *r = &m->renditions[k];
        const ManifestFile *f = &r->files[i];
        if (f->t >= 0 && f->d > 0 && r->media.timescale > 0 &&
            (double)(f->t + f->d) / r->media.timescale > end)
            end = (double)(f->t + f->d) / r->media.timescale;
    }
    return end;
}

int mpd_write(const Manifest *m, char **out)
{
    AVBPrint bp;
    double first = m->nb_segments ? m->segments[0].start : 0, end = first, maxd = 0;

    for (int i = 0; i < m->nb_segments; i++) {
        const ManifestSegment *s = &m->segments[i];
        if (s->start + s->duration > end)
            end = s->start + s->duration;
        if (s->duration > maxd)
            maxd = s->duration;
    }
    /* A static presentation lasts until its longest track ends: when it
     * ended with the video, a few ms before the audio, dash.js reached
     * the end of the Period while the media element still played, sought
     * back and stopped short (at 1.5 s of a 2 s clip, one run in three). */
    if (m->nb_segments && media_end(m, m->nb_segments - 1) > end)
        end = media_end(m, m->nb_segments - 1);
    if (maxd <= 0)
        maxd = m->segment_duration > 0 ? m->segment_duration : 1;
    av_bprint_init(&bp, 4096, AV_BPRINT_SIZE_UNLIMITED);
    put_mpd_head(&bp, m, first, end, maxd);
    put_periods(&bp, m, first, end);
    put_utc_timing(&bp, m);
    av_bprintf(&bp, "</MPD>\n");
    if (!av_bprint_is_complete(&bp)) {
        av_bprint_finalize(&bp, NULL);
        return AVERROR(ENOMEM);
    }
    return av_bprint_finalize(&bp, out) < 0 ? AVERROR(ENOMEM) : 0;
}
