// tests/serve/watch.js URL [--seconds S] [--quality ID] [--throttle KBIT --after S]
//   [--want-height H] [--advance A] [-- URL [options] ...]
// [--advance A: stop as soon as currentTime has moved A seconds: S is
//  then a generous limit, not a duration the test depends on]
// [--high H: throttle as soon as the height reaches H]
// Opens each URL (a live-serve player page) in turn in one headless
// Chromium, lets it play for S seconds and prints one JSON report per
// URL, a line each: the engine, currentTime at the start and end of the
// window, the live edge, the qualities and the video heights seen, the
// bytes of audio and of video decoded (Chromium's counters), every
// request that left the server's origin, page errors. --throttle limits
// the network (CDP) after --after seconds, to see the player switch down.
'use strict';
const { launch } = require('../browser');

const runs = [];
for (let i = 2; i < process.argv.length; i++) {
    if (process.argv[i] === '--')
        continue;
    const run = { url: process.argv[i], opt: {} };
    while (i + 1 < process.argv.length && process.argv[i + 1].startsWith('--') && process.argv[i + 1] !== '--') {
        run.opt[process.argv[i + 1].replace(/^--/, '')] = process.argv[i + 2];
        i += 2;
    }
    runs.push(run);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
    const os = require('os'), fs = require('fs'), path = require('path');
    const browser = await launch();
    for (const run of runs)
        console.log(JSON.stringify(await watch(browser, run.url, run.opt)));
    await browser.close();
})();

async function watch(browser, url, opt) {
    const seconds = +(opt.seconds || 6);
    const report = { outside: [], errors: [], heights: [], log: [] };
    const origin = new URL(url).origin;
    let page = null;
    try {
        page = await browser.newPage();
        page.on('request', (r) => {
            if (!r.url().startsWith(origin) && !r.url().startsWith('data:') && !r.url().startsWith('blob:'))
                report.outside.push(r.url());
        });
        page.on('pageerror', (e) => report.errors.push(String(e)));
        page.on('console', (m) => { if (m.type() === 'error') report.log.push(m.text()); });
        const resp = await page.goto(url, { waitUntil: 'load' });
        report.status = resp.status();
        // Playing: currentTime moves.
        await page.waitForFunction(() => window.livePlayer && livePlayer.video.currentTime > 0.3 &&
                                   !livePlayer.video.paused, null, { timeout: 30000 });
        const state = () => page.evaluate(() => ({
            engine: livePlayer.engine,
            t: livePlayer.video.currentTime,
            live: livePlayer.isLive(),
            range: livePlayer.range(),
            height: livePlayer.video.videoHeight,
            quality: livePlayer.quality(),
            qualities: livePlayer.qualities(),
            paused: livePlayer.video.paused,
            status: document.getElementById('status').textContent,
            options: document.getElementById('quality').options.length,
            seekMax: +document.getElementById('seek').max,
            // what Chromium's decoders were given so far: audio plays too
            audioBytes: livePlayer.video.webkitAudioDecodedByteCount,
            videoBytes: livePlayer.video.webkitVideoDecodedByteCount,
            buffered: Array.from({ length: livePlayer.video.buffered.length }, (_, i) =>
                [livePlayer.video.buffered.start(i), livePlayer.video.buffered.end(i)]),
        }));
        let s = await state();
        report.start = s;
        report.engine = s.engine;
        if (opt.quality) {
            await page.evaluate((q) => livePlayer.setQuality(q), opt.quality);
        }
        let cdp = null;
        const t0 = Date.now();
        while (Date.now() - t0 < seconds * 1000) {
            /* Throttle after --after seconds, or as soon as the player
             * reached --high (so that there is a switch down to see). */
            const due = Date.now() - t0 >= (+opt.after || 0) * 1000 ||
                (opt.high && s.height >= +opt.high);
            if (opt.throttle && !cdp && due) {
                cdp = await page.context().newCDPSession(page);
                await cdp.send('Network.enable');
                await cdp.send('Network.emulateNetworkConditions', {
                    offline: false, latency: 20,
                    downloadThroughput: (+opt.throttle) * 1000 / 8,
                    uploadThroughput: (+opt.throttle) * 1000 / 8,
                });
                report.throttledAt = (await state()).t;
            }
            await sleep(500);
            s = await state();
            if (s.height && report.heights[report.heights.length - 1] !== s.height)
                report.heights.push(s.height);
            if (opt['want-height'] && s.height === +opt['want-height'] && Date.now() - t0 > 2000 &&
                (!opt.throttle || cdp))
                break;
            if (opt.advance && s.t - report.start.t >= +opt.advance)
                break;
        }
        report.end = s;
        report.wall = (Date.now() - t0) / 1000;
    } catch (e) {
        report.errors.push(String(e));
    }
    if (page)
        await page.close();
    return report;
}
