// scripts/bench-latency.js: glass-to-glass latency, read from the picture.
//   node scripts/bench-latency.js T0 FPS SECONDS NAME=URL...
// Opens every URL (a live-serve player page) in one headless Chromium and,
// once each plays, reads the frame number burned into the video (16 boxes
// along the top of a 640-wide picture, 40 px each, white for a 1 bit,
// least significant first) from a canvas every 200 ms for SECONDS. A
// frame N shown at wall time W was sent at T0 + N / FPS: the sample is W
// minus that. Prints one JSON object per URL: { name, samples: [s...],
// errors }.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { launch } = require('../tests/browser');

const [t0, fps, secs, ...targets] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* In the page: the frame number shown now, or null. */
function readFrame() {
    const v = document.querySelector('video');
    if (!v || !v.videoWidth || v.paused)
        return null;
    const c = window.__c || (window.__c = document.createElement('canvas'));
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    const g = c.getContext('2d', { willReadFrequently: true });
    g.drawImage(v, 0, 0);
    const s = v.videoWidth / 640;          /* the boxes scale with the rung */
    const px = g.getImageData(0, 0, c.width, Math.ceil(40 * s)).data;
    let n = 0;
    for (let i = 0; i < 16; i++) {
        const x = Math.floor((40 * i + 20) * s), y = Math.floor(20 * s);
        const o = 4 * (y * c.width + x);
        const lum = (px[o] + px[o + 1] + px[o + 2]) / 3;
        if (lum > 128)
            n |= 1 << i;
    }
    return { n, wall: Date.now() / 1000 };
}

(async () => {
    const ctx = await launch({ args: ['--mute-audio'] });
    const runs = [];
    for (const t of targets) {
        const eq = t.indexOf('=');
        const r = { name: t.slice(0, eq), samples: [], errors: [] };
        try {
            const page = await ctx.newPage();
            page.on('pageerror', (e) => r.errors.push(e.message));
            await page.goto(t.slice(eq + 1));
            runs.push({ r, page });
        } catch (e) {
            r.errors.push('driver: ' + e.message);
            runs.push({ r });
        }
    }
    for (const { r, page } of runs) {
        if (!page)
            continue;
        try {
            await page.waitForFunction(() => {
                const v = document.querySelector('video');
                return v && v.currentTime > 0.5 && !v.paused;
            }, null, { timeout: 60000, polling: 250 });
        } catch (e) {
            r.errors.push('never played');
        }
    }
    const end = Date.now() + 1000 * Number(secs);
    while (Date.now() < end) {
        for (const { r, page } of runs) {
            if (!page)
                continue;
            const f = await page.evaluate(readFrame).catch(() => null);
            if (f)
                r.samples.push(f.wall - (Number(t0) + f.n / Number(fps)));
        }
        await sleep(200);
    }
    for (const { r } of runs)
        console.log(JSON.stringify(r));
    await ctx.close();
})();
