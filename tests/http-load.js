// tests/http-load.js: N concurrent GETs of one URL, for the edge tests and
// scripts/bench-scale. Each request has its own connection (no agent
// pooling), so N requests are N clients arriving at once.
//
//   node tests/http-load.js URL N [SPREAD_MS [HOLD_MS]]
//
// SPREAD_MS spreads the starts evenly over that many milliseconds (0: all
// at once). HOLD_MS: each client reads nothing of a 200 body for that
// long (a slow viewer holding its connection). Prints one JSON object:
// {"n", "status": {CODE: count}, "cache": {HIT|MISS|...: count},
// "retry_after": count of 429/503 answers that carried Retry-After,
// "retry_after_values": [distinct values], "errors": count, "bytes", "ms"
// (until the last answer), "sent_ms" (until the last request was sent)}.
// With LOAD_READY=FILE in the environment, FILE is created once every
// request has been sent.
'use strict';
const http = require('http');

const [url, nArg, spreadArg] = process.argv.slice(2);
const n = parseInt(nArg, 10);
const spread = parseInt(spreadArg || '0', 10);
const hold = parseInt(process.argv[5] || '0', 10);
if (!url || !(n > 0)) {
    process.stderr.write('usage: node http-load.js URL N [SPREAD_MS]\n');
    process.exit(2);
}
const out = { n, status: {}, cache: {}, retry_after: 0, retry_after_values: [],
              errors: 0, bytes: 0, ms: 0 };
const t0 = Date.now();
let left = n;
let sent = 0;

function done() {
    if (--left === 0) {
        out.ms = Date.now() - t0;
        process.stdout.write(JSON.stringify(out) + '\n');
    }
}

function one() {
    const req = http.get(url, { agent: false, headers: { Connection: 'close' } }, (res) => {
        const c = res.statusCode;
        out.status[c] = (out.status[c] || 0) + 1;
        const cs = res.headers['x-cache-status'] || '-';
        out.cache[cs] = (out.cache[cs] || 0) + 1;
        const ra = res.headers['retry-after'];
        if ((c === 429 || c === 503) && ra !== undefined) {
            out.retry_after++;
            if (!out.retry_after_values.includes(ra))
                out.retry_after_values.push(ra);
        }
        res.on('data', (d) => { out.bytes += d.length; });
        if (hold > 0 && c === 200) {
            res.pause();
            setTimeout(() => res.resume(), hold);
        }
        res.on('end', done);
        res.on('error', () => { out.errors++; done(); });
    });
    req.on('finish', () => {
        if (++sent === n) {
            out.sent_ms = Date.now() - t0;
            if (process.env.LOAD_READY)
                require('fs').writeFileSync(process.env.LOAD_READY, '');
        }
    });
    req.setTimeout(60000, () => req.destroy(new Error('timeout')));
    req.on('error', () => { out.errors++; done(); });
}

for (let i = 0; i < n; i++) {
    if (spread > 0)
        setTimeout(one, Math.floor(i * spread / n));
    else
        one();
}
