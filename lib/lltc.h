/*
 * lltc.h: live-transcode in low-latency mode (--low-latency). Part
 * records (live-pipe(5), from live-segment -L) are transcoded as they
 * come: per stream, the segment in progress has one decoder and one
 * libx264 encoder per rung (tune zerolatency: no B-frames, no lookahead,
 * sliced threads, so a frame comes out as soon as it goes in), kept
 * across the segment's parts and closed at its end; every segment starts
 * with an IDR frame, with more every gop seconds, as in the normal mode.
 *
 *   part record ──▶ decode ──▶ scale, encode (each rung) ──▶ chunk files
 *                                                            SEQ.cK.ID.mp4
 *                              chunk record ◀────────────────┘
 *   segment record ──▶ renditions record (the whole segment's files,
 *                      made of the same packets as its chunks)
 *
 * A chunk is the rungs' and the audio's media of one part (of two or more
 * when a part gave a rung no frame); it is written the moment every frame
 * before the part's end has come out of the decoder and the encoders. A
 * source with B-frames holds the decoder's last frames of a part back
 * until the next part's packets arrive (or the segment ends).
 *
 * A segment whose part 0 this process did not see (it started mid
 * segment), or whose parts failed, is transcoded whole from its segment
 * record as in the normal mode: no chunks, the same renditions record.
 * Not in this mode: passthrough, the load guard, deinterlacing, several
 * segments at once (-j).
 */
#ifndef LIVE_LLTC_H
#define LIVE_LLTC_H

#include <stdio.h>

#include "tcrun.h"

/* Run tcrun's contract in low-latency mode (see tcrun.h for the return). */
int lltc_run(const TcrunOptions *o, FILE *in, const char *name, FILE *out);

#endif
