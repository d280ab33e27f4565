// scripts/bench-latency-parts.js: when each LL-HLS part is published.
//   node scripts/bench-latency-parts.js PLAYLIST_URL SECONDS
// Follows a low-latency media playlist with blocking reloads (_HLS_msn,
// _HLS_part: live-serve answers the moment the part asked for lands) for
// SECONDS and prints one line per part first seen: the wall clock then
// and where the part ends on the stream timeline (seconds from the
// stream's first frame: the playlist must list the stream from its
// first segment, MEDIA-SEQUENCE 0). scripts/bench-latency subtracts the
// send time of that instant: how long after its last frame a part was
// there to fetch (segmenting, encoding, packaging).
'use strict';

const [url, secs] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* The parts of a playlist: [{ key, end }], and where to ask next. */
function parse(text) {
    let msn = 0, start = 0, t = 0, n = 0;
    const parts = [];
    for (const line of text.split('\n')) {
        if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) {
            msn = parseInt(line.slice(22), 10);
            if (msn !== 0)
                throw new Error('the playlist does not start at segment 0');
        } else if (line.startsWith('#EXT-X-PART:')) {
            const d = /DURATION=([0-9.]+)/.exec(line);
            t += d ? parseFloat(d[1]) : 0;
            parts.push({ key: msn + '.' + n, end: start + t });
            n++;
        } else if (line.startsWith('#EXTINF:')) {
            start += parseFloat(line.slice(8));
        } else if (line && line[0] !== '#') {
            msn++;          /* a segment's URI: the next one's parts follow */
            t = 0;
            n = 0;
        }
    }
    return { parts, msn, part: n };
}

(async () => {
    const seen = new Set();
    const end = Date.now() + 1000 * Number(secs);
    let q = '';
    while (Date.now() < end) {
        let p;
        try {
            const r = await fetch(url + q, { signal: AbortSignal.timeout(10000) });
            const text = await r.text();
            const now = Date.now() / 1000;
            if (!r.ok) {
                q = '';
                await sleep(100);
                continue;
            }
            p = parse(text);
            for (const { key, end: e } of p.parts)
                if (!seen.has(key)) {
                    seen.add(key);
                    /* the first answer lists everything there already */
                    if (q)
                        console.log(now.toFixed(3) + ' ' + e.toFixed(3));
                }
        } catch (e) {
            console.error('bench-latency-parts: ' + e.message);
            q = '';
            await sleep(200);
            continue;
        }
        q = '?_HLS_msn=' + p.msn + '&_HLS_part=' + p.part;
    }
})();
