// scripts/rtc-latency.js URL T0_MS FPS SECONDS (for scripts/bench-rtc-latency)
// Glass-to-glass latency as a viewer sees it: plays URL (a player page)
// in headless Chromium and, for every video frame it presents
// (requestVideoFrameCallback), reads the frame number burned into the
// picture as 16 black/white blocks (bit k of N in the block at
// x = 20k..20k+19, y = 0..39 of a 640-wide picture) back from a canvas.
// Frame N left the publisher at T0 + N / FPS; the latency is the
// presentation time minus that. Plays SECONDS, prints one JSON line:
// { samples, median, p95, min, max, engine } (seconds).
'use strict';
const { launch } = require('../tests/browser');
const fs = require('fs'), os = require('os'), path = require('path');

const [url, t0Arg, fpsArg, secsArg] = process.argv.slice(2);
const t0 = +t0Arg, fps = +fpsArg, secs = +secsArg;

(async () => {
    const out = { samples: 0 };
    const browser = await launch();
    try {
        const page = await browser.newPage();
        await page.goto(url);
        await page.waitForFunction(() => {
            const v = document.getElementById('video');
            return v && v.videoWidth > 0 && typeof v.requestVideoFrameCallback === 'function';
        }, null, { timeout: 60000 });
        out.engine = await page.evaluate(() => window.livePlayer && window.livePlayer.engine);
        const samples = await page.evaluate((secs) => new Promise((resolve) => {
            const v = document.getElementById('video');
            const c = document.createElement('canvas');
            c.width = 320; c.height = 40;
            const g = c.getContext('2d', { willReadFrequently: true });
            const got = [];
            const end = performance.now() + secs * 1000;
            const onFrame = (now, meta) => {
                const sx = v.videoWidth / 640;   /* blocks scale with the picture */
                g.drawImage(v, 0, 0, 320 * sx, 40 * sx, 0, 0, 320, 40);
                const px = g.getImageData(0, 0, 320, 40).data;
                let n = 0;
                for (let k = 0; k < 16; k++) {
                    const i = (20 * 320 + 20 * k + 10) * 4;
                    if (px[i] + px[i + 1] + px[i + 2] > 3 * 128)
                        n |= 1 << k;
                }
                got.push([performance.timeOrigin + now, n]);
                if (now < end)
                    v.requestVideoFrameCallback(onFrame);
                else
                    resolve(got);
            };
            v.requestVideoFrameCallback(onFrame);
        }), secs);
        // frame numbers only go up: a misread block shows as a jump
        const lat = [];
        let last = -1;
        for (const [t, n] of samples) {
            if (n <= last || (last >= 0 && n - last > 10 * fps))
                continue;
            last = n;
            lat.push((t - (t0 + n * 1000 / fps)) / 1000);
        }
        lat.sort((a, b) => a - b);
        const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
        Object.assign(out, { samples: lat.length, median: q(0.5), p95: q(0.95), min: lat[0],
                             max: lat[lat.length - 1] });
    } catch (e) {
        out.error = String(e);
    } finally {
        await browser.close();
    }
    console.log(JSON.stringify(out));
})();
