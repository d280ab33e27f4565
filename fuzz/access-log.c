/*
 * fuzz/access-log.c: libFuzzer target for live-serve's access-log line
 * (http_access_line in lib/http.c), the one place where request bytes
 * from strangers are formatted into a fixed buffer.
 *
 * Links: lib/http.c lib/log.c lib/metrics.c lib/path.c lib/clock.c lib/parse.c lib/sock.c
 *
 * Input: two bytes of buffer size, four of status, then the fields (ip,
 * method, target, version, referer, user agent) separated by NUL bytes.
 * The buffer is allocated at exactly its size, so a write past it is an
 * AddressSanitizer finding. Properties: the length returned is that of
 * the string written and less than the size; the line is one line (its
 * only '\n' the last byte) with no other control character; when the
 * buffer is a whole access-log line, the status is in it and its fields
 * are never cut so far that the line loses its shape.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy, *fields[6] = { 0 }, *buf, status[16];
    size_t bufsize, len, at = 0;
    HttpLogEntry e = { 0 };
    uint32_t st;

    if (size < 6)
        return 0;
    bufsize = (size_t)(data[0] | data[1] << 8) % (HTTP_LOG_LINE_MAX + 1);
    memcpy(&st, data + 2, 4);
    data += 6;
    size -= 6;
    if (!(copy = malloc(size + 1)))
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (int i = 0; i < 6 && at <= size; i++) {
        fields[i] = copy + at;
        at += strlen(copy + at) + 1;
    }
    e.ip = fields[0];
    e.method = fields[1];
    e.target = fields[2];
    e.version = fields[3];
    e.referer = fields[4];
    e.user_agent = fields[5];
    e.status = st % 1000;
    e.bytes = st;
    e.time = st;

    if (!(buf = malloc(bufsize ? bufsize : 1)))
        abort();
    len = http_access_line(buf, bufsize, &e);
    if (bufsize == 0) {
        if (len != 0)
            abort();
    } else {
        if (len >= bufsize || strlen(buf) != len)
            abort();
        if (bufsize >= 2 && len > 0 && buf[len - 1] != '\n')
            abort();
        for (size_t i = 0; i + 1 < len; i++)
            if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
                abort();
    }
    free(buf);

    /* The real size: the status is always there, after the request. */
    buf = malloc(HTTP_LOG_LINE_MAX);
    if (!buf)
        abort();
    len = http_access_line(buf, HTTP_LOG_LINE_MAX, &e);
    snprintf(status, sizeof(status), "\" %u ", e.status);
    if (len >= HTTP_LOG_LINE_MAX || buf[len - 1] != '\n' || !strstr(buf, status))
        abort();
    free(buf);
    free(copy);
    return 0;
}
