// tests/edge-player.js URL SECONDS MARK_FILE [LIVE_DELAY]
// Plays a live-serve player page (through an edge) in headless Chromium.
// Once it plays, creates MARK_FILE (the test then kills an origin) and
// plays on for SECONDS. Prints one JSON report: currentTime when the mark
// was made, halfway and at the end, how long the video sat waiting (stalled)
// after the mark, every media or manifest request the player saw fail
// (HTTP >= 400 or a network error), the counts of such requests before
// and after the mark, and page errors. LIVE_DELAY (seconds) sets dash.js's
// live delay before the page starts it: a stream whose MPD says to play
// one segment behind the edge starves on a machine this busy.
'use strict';
const { launch } = require('./browser');
const fs = require('fs'), os = require('os'), path = require('path');

const [url, secondsArg, mark, delayArg] = process.argv.slice(2);
const seconds = +secondsArg;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const media = /\.(m4s|mp4|mpd|m3u8)(\?|$)/;

(async () => {
    const report = { failed: [], before: 0, after: 0, errors: [] };
    let marked = false;
    const browser = await launch();
    try {
        const page = await browser.newPage();
        if (delayArg) {
            await page.addInitScript((delay) => {
                let d;
                Object.defineProperty(window, 'dashjs', {
                    configurable: true,
                    get() { return d; },
                    set(v) {
                        const MP = v && v.MediaPlayer;
                        if (typeof MP !== 'function' || MP.__wrapped) { d = v; return; }
                        v.MediaPlayer = new Proxy(MP, { apply(target, self, args) {
                            const f = Reflect.apply(target, self, args);
                            const create = f.create;
                            f.create = function () {
                                const p = create.apply(f, arguments);
                                const init = p.initialize;
                                p.initialize = function () {
                                    p.updateSettings({ streaming: { delay: { liveDelay: delay } } });
                                    return init.apply(p, arguments);
                                };
                                return p;
                            };
                            return f;
                        }, get(target, key) { return key === '__wrapped' ? true : target[key]; } });
                        d = v;
                    },
                });
            }, +delayArg);
        }
        page.on('response', (r) => {
            if (!media.test(r.url()))
                return;
            if (marked) report.after++; else report.before++;
            if (r.status() >= 400)
                report.failed.push(r.status() + ' ' + r.url());
        });
        page.on('requestfailed', (r) => {
            if (media.test(r.url()))
                report.failed.push('failed ' + (r.failure() && r.failure().errorText) + ' ' + r.url());
        });
        page.on('pageerror', (e) => report.errors.push(String(e)));
        await page.goto(url, { waitUntil: 'load' });
        await page.waitForFunction(() => window.livePlayer && livePlayer.video.currentTime > 0.5 &&
                                   !livePlayer.video.paused, null, { timeout: 60000 });
        await page.evaluate(() => {
            window.__stalled = 0;
            let since = 0;
            const v = livePlayer.video;
            v.addEventListener('waiting', () => { since = performance.now(); });
            v.addEventListener('playing', () => {
                if (since) window.__stalled += performance.now() - since;
                since = 0;
            });
        });
        report.live = await page.evaluate(() => livePlayer.isLive());
        report.t_mark = await page.evaluate(() => livePlayer.video.currentTime);
        fs.writeFileSync(mark, '');
        marked = true;
        await sleep(seconds * 500);
        report.t_mid = await page.evaluate(() => livePlayer.video.currentTime);
        await sleep(seconds * 500);
        report.t_end = await page.evaluate(() => livePlayer.video.currentTime);
        report.stalled_ms = await page.evaluate(() => Math.round(window.__stalled));
        report.paused = await page.evaluate(() => livePlayer.video.paused);
    } catch (e) {
        report.errors.push(String(e));
    }
    await browser.close();
    console.log(JSON.stringify(report));
})();
