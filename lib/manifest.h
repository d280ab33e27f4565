/*
 * manifest.h: what a DASH manifest and the HLS playlists of one stream
 * say, as plain data. catalog.c fills it from the database; mpd.c and
 * hls.c turn it into text. Nothing here does I/O.
 */
#ifndef LIVE_MANIFEST_H
#define LIVE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "cmaf.h"
#include "record.h"

/* One published (listed) segment of the stream, in sequence order. */
typedef struct ManifestSegment {
    int64_t seq;
    double start, duration;     /* seconds on the stream timeline */
    int discontinuity;          /* the record said so, or a gap precedes it */
    int64_t period;             /* seq that began its period (a gap starts one) */
    double period_start;        /* start of that period's first segment */
    int64_t msn;                /* HLS media sequence number */
    int64_t dseq;               /* HLS discontinuity sequence number */
    int64_t init_seq;           /* the init segment it takes (manifest_init_file) */
} ManifestSegment;

/* One rendition's file of one segment (t < 0: none). */
typedef struct ManifestFile {
    int64_t t, d;               /* tfdt and duration, in the track's timescale */
    int64_t size;               /* bytes of SEQ.m4s */
    int width, height;          /* video: its size (0: unknown, the rendition's) */
} ManifestFile;

typedef struct ManifestRendition {
    char id[RECORD_MAX_NAME + 1];
    CmafMedia media;            /* the catalog's (timescale 1 when it had none) */
    int64_t bandwidth;          /* peak segment bit rate (declared one until measured) */
    int64_t avg_bandwidth;      /* average bit rate over the listed segments */
    ManifestFile *files;        /* [nb_segments] of the Manifest */
} ManifestRendition;

/*
 * Low latency (live-package -L): the parts of a rendition's segment, byte
 * ranges of its file (OUT/NAME/REND/SEQ.m4s, written as SEQ.m4s.open
 * while it grows), each a whole moof+mdat.
 */
#define MANIFEST_MAX_PARTS 64

typedef struct ManifestPart {
    double duration;            /* seconds */
    int64_t offset, size;       /* byte range in the segment's file */
    int independent;            /* starts with an IDR frame (or is audio) */
} ManifestPart;

typedef struct ManifestParts {
    int64_t seq;                /* the segment */
    char id[RECORD_MAX_NAME + 1]; /* the rendition */
    int n;
    ManifestPart part[MANIFEST_MAX_PARTS];
} ManifestParts;

typedef struct Manifest {
    char name[RECORD_PRESENTATION_MAX + 1]; /* NAME or NAME@ID (record_presentation_ok) */
    char media_dir[RECORD_MAX_NAME + 1]; /* "": media files under OUT/NAME/; else OUT/MEDIA_DIR/ */
    char tag[24];               /* the broadcast's tag in file names (manifest_media_file) */
    int dynamic;                /* live: dynamic MPD, sliding playlists */
    double availability_start;  /* unix seconds: stream time 0 */
    double publish_time;        /* unix seconds */
    double window;              /* DVR window (timeShiftBufferDepth), seconds */
    double segment_duration;    /* nominal (longest seen) segment duration */
    const char *utc_timing;     /* UTCTiming URL, e.g. "/time" (borrowed) */
    ManifestSegment *segments;
    int nb_segments;
    ManifestRendition *renditions; /* video first (tallest first), then audio */
    int nb_renditions;
    /* low latency only (part_target > 0): LL-HLS parts and LL-DASH */
    double part_target;         /* EXT-X-PART-INF:PART-TARGET, seconds */
    const ManifestParts *parts; /* of recent segments and the open one (borrowed) */
    int nb_parts;
    int64_t open_seq;           /* the segment being written (its parts in parts), -1: none */
    int open_complete;          /* its last part is in: the next part is the next segment's */
} Manifest;

/* The parts of rendition id of segment seq in m, or NULL. */
const ManifestParts *manifest_parts(const Manifest *m, int64_t seq, const char *id);

void manifest_free(Manifest *m);

/* The file names of a broadcast's media under REND/: "SEQ.m4s" and
 * "init.mp4" with an empty tag, else "TAG-SEQ.m4s" and "init-TAG.mp4".
 * An init segment that replaced the first one at segment init_seq (a new
 * size or codec mid-stream; 0: the first) is "init.SEQ.mp4" or
 * "init-TAG.SEQ.mp4". 0 or AVERROR(ENAMETOOLONG). */
int manifest_media_file(char *buf, size_t size, const char *tag, int64_t seq);
int manifest_init_file(char *buf, size_t size, const char *tag, int64_t init_seq);

#endif
