/*
 * flv.h: the FLV container as live-ingest writes it (header, onMetaData
 * script tag, AVC/AAC sequence headers, media tags) and a bounded tag
 * reader for tests and fuzzing. No I/O: tags are built in a ByteBuf.
 *
 *   header   "FLV" version(1)=1 flags(1: 4 audio, 1 video) offset(4)=9
 *            PreviousTagSize0(4)=0
 *   tag      type(1: 8 audio, 9 video, 18 script) size(3) timestamp(3)
 *            timestamp_ext(1: bits 24-31) stream_id(3)=0, body(size),
 *            PreviousTagSize(4) = 11 + size
 *   video    frame_type:4 codec_id:4 [AVC: packet_type(1) cts(3, signed)]
 *            Enhanced RTMP: bit 7 set = IsExHeader; frame_type:3 (bits
 *            4-6) packet_type:4, then a FourCC ("hvc1", "av01", "vp09"),
 *            then by packet type: 0 SequenceStart (the codec's
 *            configuration record: hvcC, av1C, vpcC), 1 CodedFrames
 *            (hvc1: cts(3, signed) first), 2 SequenceEnd, 3 CodedFramesX
 *            (cts 0), 4 Metadata (AMF), 5 MPEG2TSSequenceStart.
 *   audio    format:4 rate:2 size:1 stereo:1 [AAC: packet_type(1)]
 */
#ifndef LIVE_FLV_H
#define LIVE_FLV_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

enum FlvTagType {
    FLV_TAG_AUDIO = 8,
    FLV_TAG_VIDEO = 9,
    FLV_TAG_SCRIPT = 18,
};

#define FLV_HEADER_SIZE 13  /* with PreviousTagSize0 */
#define FLV_TAG_HEADER_SIZE 11
#define FLV_TAG_OVERHEAD 15 /* tag header + PreviousTagSize */
#define FLV_CODEC_AVC 7
#define FLV_CODEC_HEVC_LEGACY 12 /* a non-standard extension some encoders use */
#define FLV_AUDIO_AAC 10
#define FLV_AUDIO_EX_HEADER 9     /* Enhanced RTMP v2 audio */

#define FLV_FOURCC(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (c) << 8 | (d))
#define FLV_FOURCC_HEVC FLV_FOURCC('h', 'v', 'c', '1')
#define FLV_FOURCC_AV1  FLV_FOURCC('a', 'v', '0', '1')
#define FLV_FOURCC_VP9  FLV_FOURCC('v', 'p', '0', '9')

/* Enhanced RTMP video packet types. */
enum FlvExPacketType {
    FLV_EX_SEQUENCE_START = 0,
    FLV_EX_CODED_FRAMES = 1,
    FLV_EX_SEQUENCE_END = 2,
    FLV_EX_CODED_FRAMES_X = 3,
    FLV_EX_METADATA = 4,
    FLV_EX_MPEG2TS_SEQUENCE_START = 5,
};

/* 1 for the FourCCs live-ingest takes (hvc1, av01, vp09), else 0. */
int flv_fourcc_known(uint32_t fourcc);

/* Append the FLV header and PreviousTagSize0. */
void flv_put_header(ByteBuf *b, int has_audio, int has_video);

/* Append one whole tag, or nothing: 0, or AVERROR(ENOSPC) when b has no
 * room (b->err untouched), AVERROR(EINVAL) for a body over 16 MiB. */
int flv_put_tag(ByteBuf *b, int type, uint32_t timestamp, const uint8_t *body, size_t size);

/* The same tag as flv_put_tag's, in pieces for a writev without copying
 * the body: the header before it and the PreviousTagSize after it.
 * size must be at most 0xffffff. */
void flv_tag_frame(int type, uint32_t timestamp, size_t size,
                   uint8_t header[FLV_TAG_HEADER_SIZE], uint8_t trailer[4]);

/*
 * The end of a stream, as live-ingest marks it (live-pipe(5)): a script
 * data tag whose body is the AMF0 string "onLiveEnd", the last tag of the
 * FLV. An FLV that stops without it was cut (the publisher or live-ingest
 * went away); one that ends with it was ended on purpose.
 */
#define FLV_END_MARKER "onLiveEnd"
#define FLV_END_TAG_SIZE (FLV_TAG_OVERHEAD + 3 + sizeof(FLV_END_MARKER) - 1)
/* Append the end tag: 0 or AVERROR(ENOSPC). */
int flv_put_end(ByteBuf *b, uint32_t timestamp);
/* 1 if the last n bytes of an FLV stream (n >= FLV_END_TAG_SIZE) are the end tag. */
int flv_is_end(const uint8_t *tail, size_t n);

typedef struct FlvVideoInfo {
    int enhanced;      /* Enhanced RTMP (IsExHeader) */
    int frame_type;    /* 1 keyframe, 2 inter, 5 info/command */
    int codec_id;      /* legacy codec id; 0 when enhanced */
    uint32_t fourcc;   /* enhanced: e.g. 'hvc1' = 0x68766331 */
    int packet_type;   /* AVC: 0 sequence header, 1 NALU, 2 end; enhanced: its PacketType */
    int sequence_header;
    int keyframe;
    int32_t cts;       /* composition time offset, ms (AVC, enhanced hvc1 CodedFrames) */
    size_t payload;    /* where the codec's bytes start in the body */
} FlvVideoInfo;

typedef struct FlvAudioInfo {
    int format;        /* 10 AAC, 2 MP3, ...; 9 = Enhanced RTMP v2 */
    int sequence_header;
} FlvAudioInfo;

/* Describe a video/audio tag body. 0, or AVERROR_INVALIDDATA when too
 * short for its header (an enhanced header: the FourCC, and for hvc1
 * CodedFrames the composition time) or of an unknown enhanced packet
 * type. */
int flv_video_info(const uint8_t *body, size_t size, FlvVideoInfo *vi);
int flv_audio_info(const uint8_t *body, size_t size, FlvAudioInfo *ai);

/* From an onMetaData script body: whether it announces audio and video
 * (audiocodecid/videocodecid, or the data rates), and the video codec id
 * (-1 if absent; a FourCC number for Enhanced RTMP). 0 or
 * AVERROR_INVALIDDATA. */
int flv_metadata_info(const uint8_t *body, size_t size, int *has_audio, int *has_video,
                      double *videocodecid);

typedef struct FlvTag {
    int type;
    uint32_t timestamp; /* ms, with the extension byte */
    const uint8_t *body;
    uint32_t size;
} FlvTag;

/*
 * Parse the header at p: 0 and *flags, *used = 13; AVERROR(EAGAIN) when
 * len is short; AVERROR_INVALIDDATA when it is not FLV.
 */
int flv_read_header(const uint8_t *p, size_t len, int *flags, size_t *used);

/*
 * Parse one tag with its PreviousTagSize at p: 0 with *tag (pointing into
 * p) and *used; AVERROR(EAGAIN) when len is short; AVERROR_INVALIDDATA
 * when the body is over max_size or PreviousTagSize disagrees.
 */
int flv_read_tag(const uint8_t *p, size_t len, uint32_t max_size, FlvTag *tag, size_t *used);

#endif
