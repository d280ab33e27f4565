/*
 * pull.h: live-ingest's pull mode: read any libavformat input (srt://,
 * rtsp://, rtmp:// pull, http://, a file) and write its first video and
 * first audio stream as FLV to standard output, packets copied, not
 * re-encoded. When a network source drops or ends, it is opened again
 * after an exponential backoff with jitter (0.5 s, 1 s, 2 s ... capped at
 * 30 s, each times a random factor in [0.5, 1.5)), and the output goes
 * on: one FLV header, timestamps continuing after the last ones written
 * plus the time the source was away, new codec parameters passed as new
 * sequence headers.
 */
#ifndef LIVE_PULL_H
#define LIVE_PULL_H

typedef struct PullOptions {
    const char *url;
    int realtime;   /* pace the input at its own speed (for files) */
    int retry;      /* reconnects in a row before giving up; -1: forever */
    double timeout; /* seconds without data before a source counts as dropped */
} PullOptions;

/* retry 10, timeout 10 s. */
void pull_options_default(PullOptions *o);

/*
 * Run until the input ends for good (a file's end, or retries spent) or
 * SIGINT/SIGTERM. 0 when the output was written and closed cleanly (also
 * when the consumer went away), AVERROR_INVALIDDATA when the input has
 * no usable stream, else a negative AVERROR; messages are logged.
 */
int pull_run(const PullOptions *o);

#endif
