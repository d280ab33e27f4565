/* Unit tests for lib/srtid.c: SRT stream ids, both forms. */
#include <string.h>

#include <libavutil/error.h>

#include "srtid.h"
#include "tap.h"

static void t(const char *sid, int want, const char *wname, const char *wkey)
{
    char name[65], key[65];
    int r = srtid_parse(sid, name, sizeof(name), key, sizeof(key));
    if (!ok(r == want && (r < 0 || (!strcmp(name, wname) && !strcmp(key, wkey))), "\"%s\"",
            sid ? sid : "(null)"))
        diag("  got %d name '%s' key '%s'", r, name, key);
}

int main(void)
{
    t("#!::r=cam1,m=publish", 0, "cam1", "");
    t("#!::r=cam1,m=publish,k=s3cret", 0, "cam1", "s3cret");
    t("#!::u=alice,r=cam1,k=x,s=123,t=stream", 0, "cam1", "x");
    t("#!::r=cam1", 0, "cam1", "");
    t("#!::m=publish,r=cam2", 0, "cam2", "");
    t("#!::r=cam1,m=request", AVERROR_INVALIDDATA, "", "");
    t("#!::m=publish", AVERROR_INVALIDDATA, "", "");
    t("#!::r=,m=publish", AVERROR_INVALIDDATA, "", "");
    t("#!::r=cam1,bogus", AVERROR_INVALIDDATA, "", "");
    t("#!::=x", AVERROR_INVALIDDATA, "", "");
    t("cam3", 0, "cam3", "");
    t("cam3?key=abc", 0, "cam3", "abc");
    t("cam3?user=abc", AVERROR_INVALIDDATA, "", "");
    t("?key=abc", AVERROR_INVALIDDATA, "", "");
    t("", AVERROR_INVALIDDATA, "", "");
    t(NULL, AVERROR_INVALIDDATA, "", "");
    t("#!::r=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      AVERROR_INVALIDDATA, "", "");
    return done();
}
