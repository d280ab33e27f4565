/* Unit tests for lib/origin.c's path rules: what a path names (manifest,
 * init segment, media segment with its sequence number, anything else)
 * and the NAME/REND/FILE split with its limits. */
#include <string.h>

#include "origin.h"
#include "record.h"
#include "tap.h"

static enum OriginKind kind(const char *rel, char *name, int64_t *seq)
{
    *seq = -1;
    name[0] = '\0';
    return origin_classify(rel, name, seq);
}

int main(void)
{
    char name[RECORD_MAX_NAME + 1], rend[RECORD_MAX_NAME + 1], longname[RECORD_MAX_NAME + 2];
    char path[256];
    const char *file;
    int64_t seq;

    plan(34);
    is_int(kind("cam1/manifest.mpd", name, &seq), ORIGIN_MANIFEST, "an MPD is a manifest");
    is_str(name, "cam1", "with its stream");
    is_int(kind("cam1/720p/index.m3u8", name, &seq), ORIGIN_MANIFEST, "a media playlist too");
    is_str(name, "cam1", "named by the first component");
    is_int(kind("top.m3u8", name, &seq), ORIGIN_MANIFEST, "a playlist at the top");
    is_str(name, "", "has no stream");
    is_int(seq, -1, "manifests leave seq alone");

    is_int(kind("cam1/720p/init.mp4", name, &seq), ORIGIN_INIT, "init.mp4");
    is_int(kind("cam1/720p/init-3.mp4", name, &seq), ORIGIN_INIT, "init-ID.mp4");
    is_int(kind("cam1/720p/init-.mp4", name, &seq), ORIGIN_OTHER, "init-.mp4 (no id) is not");
    is_int(kind("cam1/720p/init-x.mp4", name, &seq), ORIGIN_OTHER, "init-x.mp4 is not");
    is_int(kind("cam1/720p/init.42.mp4", name, &seq), ORIGIN_INIT, "init.SEQ.mp4 (a new size)");
    is_int(kind("cam1/720p/init-3.42.mp4", name, &seq), ORIGIN_INIT, "init-ID.SEQ.mp4");
    is_int(kind("cam1/720p/init..mp4", name, &seq), ORIGIN_OTHER, "init..mp4 is not");
    is_int(kind("cam1/720p/init.4x.mp4", name, &seq), ORIGIN_OTHER, "init.4x.mp4 is not");

    is_int(kind("cam1/720p/42.m4s", name, &seq), ORIGIN_SEGMENT, "SEQ.m4s");
    is_int(seq, 42, "its sequence number");
    is_str(name, "cam1", "its stream");
    is_int(kind("cam1/720p/3-17.m4s", name, &seq), ORIGIN_SEGMENT, "ID-SEQ.m4s");
    is_int(seq, 17, "the number after the id");
    is_int(kind("cam1/720p/1234567890123456789.m4s", name, &seq), ORIGIN_OTHER,
           "19 digits are too many for a sequence number");
    is_int(kind("cam1/720p/x.m4s", name, &seq), ORIGIN_OTHER, "x.m4s is not a segment");
    is_int(kind("cam1/42.m4s", name, &seq), ORIGIN_OTHER, "two components are not");
    is_int(kind("a/cam1/720p/42.m4s", name, &seq), ORIGIN_OTHER, "four components are not");
    is_int(kind("cam1/720p/42.vtt", name, &seq), ORIGIN_OTHER, "captions are other files");

    is_int(origin_split3("cam1/720p/7.m4s", name, rend, &file), 0, "split3");
    ok(!strcmp(name, "cam1") && !strcmp(rend, "720p") && !strcmp(file, "7.m4s"),
       "split3: name, rendition and file");
    is_int(origin_split3("cam1/720p", name, rend, &file), -1, "split3: two components");
    is_int(origin_split3("a/b/c/d", name, rend, &file), -1, "split3: four components");
    is_int(origin_split3("a//c", name, rend, &file), 0, "split3: an empty rendition splits");
    memset(longname, 'n', RECORD_MAX_NAME);
    longname[RECORD_MAX_NAME] = '\0';
    snprintf(path, sizeof(path), "%s/r/f", longname);
    is_int(origin_split3(path, name, rend, &file), 0, "split3: a name of RECORD_MAX_NAME bytes");
    is_int((int)strlen(name), RECORD_MAX_NAME, "kept whole");
    longname[RECORD_MAX_NAME] = 'n';
    longname[RECORD_MAX_NAME + 1] = '\0';
    snprintf(path, sizeof(path), "%s/r/f", longname);
    is_int(origin_split3(path, name, rend, &file), -1, "split3: one byte more is refused");
    snprintf(path, sizeof(path), "n/%s/f", longname);
    is_int(origin_split3(path, name, rend, &file), -1, "split3: a rendition too");
    return done();
}
