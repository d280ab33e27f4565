// tests/package-browser.js: drive dash.js / hls.js in headless Chromium
// against a stream served by tests/package-serve.js and print what the
// player did as one JSON object on stdout.
//   node tests/package-browser.js BASE_URL SCENARIO SRC [SECONDS]
// SCENARIO: dash-vod  play SRC (an MPD) from the start, throttle the
//                     network once the top rendition plays, note the
//                     switch down, then unthrottle and play to the end
//                     at 8x speed;
//           dash-end  play SRC to the end at 2x (across periods and gaps);
//           hls-vod   the same for hls.js without the throttling;
//           dash-live play a dynamic MPD for SECONDS, note latency.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { launch, sleep, until } = require('./browser');

const [base, scenario, src, secs] = process.argv.slice(2);

async function main() {
    const ctx = await launch({ args: ['--mute-audio'] });
    const out = { scenario, errors: [] };
    try {
        const page = ctx.pages()[0] || await ctx.newPage();
        page.on('pageerror', (e) => out.errors.push('page: ' + e.message));
        await page.goto(base + '/player.html');
        if (scenario === 'hls-vod') {
            await page.evaluate((s) => {
                window.L = { errors: [], levels: [] };
                const v = window.V = document.getElementById('v');
                const h = window.H = new Hls();
                h.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) L.errors.push(d.type + ':' + d.details); });
                h.on(Hls.Events.LEVEL_SWITCHED, (e, d) => L.levels.push(d.level));
                v.addEventListener('ended', () => { L.ended = true; });
                h.loadSource(s);
                h.attachMedia(v);
                v.play().catch((e) => L.errors.push('play: ' + e.message));
            }, base + '/' + src);
            out.playing = await until(page, () => V.currentTime > 1, null, 20000);
            out.duration = await page.evaluate(() => V.duration);
            out.nlevels = await page.evaluate(() => H.levels.length);
            out.resolutions = await page.evaluate(() => H.levels.map((l) => l.width + 'x' + l.height));
            await page.evaluate(() => { V.playbackRate = 8; });
            out.ended = await until(page, () => L.ended === true, null, 30000);
            Object.assign(out, await page.evaluate(() => ({ time: V.currentTime, levels: L.levels })));
            out.errors.push(...await page.evaluate(() => L.errors));
        } else {
            if (scenario === 'dash-live') {
                // Chromium is up: tell the test to start the stream (a
                // slow browser start must not eat the live part), then
                // wait for a dynamic MPD with three segments.
                if (process.env.READY)
                    fs.writeFileSync(process.env.READY, 'ready\n');
                out.mpd_ready = await until(page, async (u) => {
                    const r = await fetch(u, { cache: 'no-store' });
                    const t = r.ok ? await r.text() : '';
                    return /type="dynamic"/.test(t) && /r="[2-9]"/.test(t);
                }, base + '/' + src, 60000);
            }
            await page.evaluate((s) => {
                window.L = { errors: [], quality: [] };
                const v = window.V = document.getElementById('v');
                const p = window.P = dashjs.MediaPlayer().create();
                p.updateSettings({ debug: { logLevel: 1 }, streaming: { buffer: {
                    bufferTimeDefault: 6, bufferTimeAtTopQuality: 6, bufferTimeAtTopQualityLongForm: 6,
                    stableBufferTime: 6 } } });
                p.on(dashjs.MediaPlayer.events.QUALITY_CHANGE_RENDERED, (e) => {
                    if (e.mediaType === 'video')
                        L.quality.push(e.newRepresentation ? e.newRepresentation.id : '?');
                });
                p.on(dashjs.MediaPlayer.events.ERROR, (e) => L.errors.push(JSON.stringify(e.error || e).slice(0, 300)));
                v.addEventListener('ended', () => { L.ended = true; });
                p.initialize(v, s, true);
            }, base + '/' + src);
            out.playing = await until(page, () => V.currentTime > 0.5 && !V.paused, null, 30000);
            out.dynamic = await page.evaluate(() => P.isDynamic());
            out.duration = await page.evaluate(() => P.duration());
            if (scenario === 'dash-end') {
                await page.evaluate(() => P.setPlaybackRate(2));
                out.ended = await until(page, () => L.ended === true, null, 30000);
                out.time = await page.evaluate(() => V.currentTime);
            } else if (scenario === 'dash-vod') {
                const top = await page.evaluate(() => P.getRepresentationsByType('video')
                    .map((r) => r.bandwidth).reduce((a, b) => Math.max(a, b), 0));
                out.top_reached = await until(page, (t) => {
                    const r = P.getCurrentRepresentationForType('video');
                    return r && r.bandwidth === t;
                }, top, 15000);
                out.before = await page.evaluate(() => P.getCurrentRepresentationForType('video').id);
                const cdp = await ctx.newCDPSession(page);
                await cdp.send('Network.enable');
                await cdp.send('Network.emulateNetworkConditions', {
                    offline: false, latency: 100, downloadThroughput: 200000 / 8, uploadThroughput: -1,
                });
                out.switched_down = await until(page, (t) => {
                    const r = P.getCurrentRepresentationForType('video');
                    return r && r.bandwidth < t;
                }, top, 30000);
                out.after = await page.evaluate(() => P.getCurrentRepresentationForType('video').id);
                await cdp.send('Network.emulateNetworkConditions', {
                    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
                });
                await page.evaluate(() => P.setPlaybackRate(8));
                out.ended = await until(page, () => L.ended === true, null, 40000);
                out.time = await page.evaluate(() => V.currentTime);
            } else {
                await sleep(1000 * Number(secs || 8));
                Object.assign(out, await page.evaluate(() => ({
                    time: V.currentTime, latency: P.getCurrentLiveLatency(),
                    dvr: P.getDvrWindow(), paused: V.paused,
                    buffered: V.buffered.length ? V.buffered.end(V.buffered.length - 1) : 0,
                })));
                out.still_playing = await until(page, (t) => V.currentTime > t + 1, out.time, 5000);
            }
            out.quality = await page.evaluate(() => L.quality);
            out.errors.push(...await page.evaluate(() => L.errors));
        }
    } catch (e) {
        out.errors.push('driver: ' + e.message);
    } finally {
        await ctx.close();
    }
    console.log(JSON.stringify(out));
}
main();
