/*
 * package.h: live-package's reduce step. Rendition records (live-pipe(5))
 * arrive in any order; each stream's segments are published strictly by
 * seq: a missing seq holds the later ones back until it arrives or the
 * reorder timeout passes, after which it becomes a gap. Publishing a
 * segment is, in this order:
 *
 *   1. OUT/NAME/REND/init.mp4 (first time) and OUT/NAME/REND/SEQ.m4s for
 *      every rendition, each written under a temporary name and renamed;
 *   2. one transaction: the segment's rows, the live-edge cache (and its
 *      trimming), the stream's next_seq, the DVR window's expiry marks;
 *   3. the playlists and manifest.mpd, regenerated from the database and
 *      renamed into place;
 *   4. the spool files removed.
 *
 * In low-latency mode (-L) chunk records (live-pipe(5)) of the segment
 * next to publish are appended, each rendition's chunk one whole
 * moof+mdat, to OUT/NAME/REND/SEQ.m4s.open as they come, and the playlists
 * and manifest.mpd rewritten after each to list the new parts (byte
 * ranges of that file); when the segment's renditions record comes and
 * all its chunks were appended, step 1 is the fsync and rename of each
 * .open file to its final name (the same inode), and the steps go on as
 * above. A segment whose chunks did not all come is published whole.
 *
 * Records are kept in the database from the moment they are read until
 * step 4, so a live-package killed at any point and started again on the
 * same OUT and database redoes what was missing and continues the stream
 * with the same availabilityStartTime. Files that left the window are
 * deleted a grace period after the first manifest that no longer lists
 * them was published.
 */
#ifndef LIVE_PACKAGE_H
#define LIVE_PACKAGE_H

typedef struct PackageOptions {
    const char *input;          /* records: a file, a FIFO or "-" for stdin */
    const char *spool;          /* -C: directory record paths are relative to */
    const char *out;            /* -o: output tree */
    const char *db_path;        /* --db */
    const char *utc_timing;     /* --utc-timing: UTCTiming value ("/time") */
    double timeout;             /* -t: reorder timeout, seconds */
    double window;              /* -w: DVR window, seconds */
    double cache_seconds;       /* --cache-seconds */
    double grace;               /* --grace: delay before deleting expired files */
    double end_timeout;         /* --end-timeout: a lost publisher's stream is finished */
    int vod;                    /* --vod: static manifests from the start */
    int keep;                   /* --keep: leave spool files in place */
    int low_latency;            /* -L: chunk records appended to growing segments */
    double part;                /* --part: the parts' nominal duration, seconds */
} PackageOptions;

#define PACKAGE_DEFAULT_TIMEOUT 30.0
#define PACKAGE_DEFAULT_WINDOW  7200.0
#define PACKAGE_DEFAULT_CACHE   10.0
#define PACKAGE_DEFAULT_GRACE   30.0
#define PACKAGE_DEFAULT_END_TIMEOUT 600.0
#define PACKAGE_DEFAULT_PART    0.5

/*
 * Run until the input ends and every stream that ended (an end record,
 * or any stream with --vod) is finalized. Returns 0; AVERROR_INVALIDDATA
 * when bad records or unreadable rendition files were met (what was good
 * was published; exit status 3); another negative AVERROR on a runtime
 * failure (logged).
 */
int package_run(const PackageOptions *o);

/* The largest jump of a record's seq past the next one to publish: every
 * number skipped becomes a gap row, so a record further ahead (a seq of
 * 9000000000000000) is refused as bad input, its stream going on. */
#define PACKAGE_MAX_SEQ_JUMP 10000

/* Reorder-buffer decision, for tests: given the next seq to publish, the
 * lowest pending seq (-1: none), how long the head has waited and the
 * timeout, return how many seqs to give up as gaps now (0 = wait). */
long package_gaps_due(long long next_seq, long long lowest_pending, double waited,
                      double timeout, int force);

#endif
