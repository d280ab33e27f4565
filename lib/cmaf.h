/*
 * cmaf.h: CMAF fragmented MP4 for live-package — one track per file.
 *
 * A rendition file from live-transcode (one H.264 or AAC stream, any
 * container libavformat reads) is read whole into a CmafFragment: its
 * track description (codec string, size, avcC / AudioSpecificConfig) and
 * its samples, re-timed onto the stream's timeline. From that, this file
 * writes the two kinds of CMAF files a player fetches:
 *
 *   init.mp4   ftyp moov(mvhd trak(tkhd mdia(mdhd hdlr minf(vmhd|smhd dinf
 *              stbl(stsd(avc1(avcC pasp)|mp4a(esds)) stts stsc stsz stco))))
 *              mvex(trex))
 *   SEQ.m4s    styp moof(mfhd traf(tfhd tfdt trun)) mdat
 *
 * The box writer is hand-written (not libavformat's mp4 muxer) so the
 * fragment's decode time (tfdt) and sequence number come from the record,
 * not from muxer state: a restarted packager continues the same timeline.
 *
 * Timing. Video uses timescale 90000, audio its sample rate. A video
 * fragment's first sample (the IDR) decodes at round(start * 90000), where
 * start is the record's start on the stream timeline; the decode times are
 * the file's presentation times in increasing order (so no container dts
 * is needed), and the composition offsets, signed (trun version 1), put
 * each sample back at its presentation time: the fragment presents from
 * exactly tfdt. The last
 * sample lasts until round((start + duration) * 90000), so consecutive
 * fragments are continuous. Audio keeps the file's timestamps when they
 * are on the stream timeline (within 2 s of start) and is shifted to
 * start otherwise.
 */
#ifndef LIVE_CMAF_H
#define LIVE_CMAF_H

#include <stddef.h>
#include <stdint.h>

/* The containers a rendition file may be in (libavformat's names): those
 * live-transcode and ffmpeg write renditions in. Others are refused. */
#define CMAF_INPUT_FORMATS "mov,mp4,m4a,3gp,3g2,mj2,nut,matroska,webm,flv,mpegts"

enum CmafKind { CMAF_VIDEO = 1, CMAF_AUDIO = 2 };

#define CMAF_VIDEO_TIMESCALE 90000

/*
 * What a track holds, as a player is told it: the one description of a
 * rendition. A track read from a file has it (CmafTrack), the catalog
 * keeps it per rendition (CatalogRendition) and the manifests are written
 * from it (ManifestRendition); each embeds this struct, so it passes
 * from one to the next by assignment.
 */
typedef struct CmafMedia {
    int kind;                   /* CMAF_VIDEO or CMAF_AUDIO */
    char codec[32];             /* RFC 6381 string: avc1.64001f, mp4a.40.2 */
    int width, height;          /* video: coded size */
    int sar_num, sar_den;       /* video: sample aspect ratio (1:1 when unknown) */
    int fps_num, fps_den;       /* video: frame rate (0/0 when unknown) */
    int sample_rate, channels;  /* audio */
    uint32_t timescale;
} CmafMedia;

typedef struct CmafTrack {
    CmafMedia media;
    uint8_t *config;            /* avcC record or AudioSpecificConfig (owned) */
    size_t config_size;
} CmafTrack;

typedef struct CmafSample {
    uint32_t size;
    uint32_t duration;          /* in track timescale */
    int32_t cto;                /* composition offset (signed) */
    int key;                    /* sync sample */
} CmafSample;

typedef struct CmafFragment {
    CmafTrack track;
    int64_t tfdt;               /* decode time of the first sample */
    int64_t duration;           /* sum of sample durations */
    CmafSample *samples;
    int nb_samples;
    uint8_t *data;              /* sample bytes, back to back (owned) */
    size_t data_size;
} CmafFragment;

/*
 * Read the one stream of the rendition file path and build a fragment
 * timed as described above (start, duration: the record's, in seconds).
 * *out is new and freed with cmaf_fragment_free. Returns 0,
 * AVERROR_INVALIDDATA for a file that is not one H.264 or AAC stream with
 * samples (logged with the path), or another negative AVERROR.
 */
int cmaf_read(const char *path, double start, double duration, CmafFragment **out);
/* The same for a chunk of a segment (live-pipe(5) chunk records), whose
 * video may start without a keyframe. */
int cmaf_read_chunk(const char *path, double start, double duration, CmafFragment **out);
void cmaf_fragment_free(CmafFragment **frag);
void cmaf_track_clear(CmafTrack *t);

/* The init segment of track into *buf (malloc'd, caller frees), *len.
 * 0 or AVERROR(ENOMEM) / AVERROR_INVALIDDATA (no codec configuration). */
int cmaf_write_init(const CmafTrack *t, uint8_t **buf, size_t *len);

/* A media segment (styp moof mdat) for frag with moof sequence number
 * seqno into *buf (malloc'd, caller frees), *len. 0 or AVERROR(ENOMEM). */
int cmaf_write_segment(const CmafFragment *frag, uint32_t seqno, uint8_t **buf, size_t *len);

/* Put the parameter sets of the fragment's avcC in band, in front of its
 * first sample (a keyframe): for a stream whose configuration changed
 * after its init segment was published. 0, AVERROR_INVALIDDATA (not
 * video, a bad avcC) or AVERROR(ENOMEM). */
int cmaf_params_inband(CmafFragment *f);

/* Annex B (start codes) H.264 to an avcC record: SPS and PPS are taken
 * from buf. 0, AVERROR_INVALIDDATA (no SPS/PPS) or AVERROR(ENOMEM).
 * *avcc is malloc'd. */
int cmaf_avcc_from_annexb(const uint8_t *buf, size_t len, uint8_t **avcc, size_t *avcc_size);

/* RFC 6381 codec string of an avcC record ("avc1.PPCCLL") or an
 * AudioSpecificConfig ("mp4a.40.N"). 0 or AVERROR_INVALIDDATA. */
int cmaf_codec_string(int kind, const uint8_t *config, size_t size, char *buf, size_t bufsize);

#endif
