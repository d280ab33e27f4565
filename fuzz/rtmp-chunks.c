/*
 * fuzz/rtmp-chunks.c: fuzz/rtmp.c with the handshake done, so every input
 * is spent on the chunk stream, the messages and the AMF0 commands.
 * Inputs start right after C2.
 *
 * Links: lib/rtmp.c lib/amf.c lib/bytebuf.c lib/log.c lib/array.c lib/parse.c
 */
#define FUZZ_RTMP_CHUNKS 1
#include "rtmp.c"
