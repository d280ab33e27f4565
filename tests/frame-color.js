// tests/frame-color.js URL
// Plays a live-serve player page in headless Chromium until the video has
// played 2 s, then prints one JSON report: the mean colour of the current
// frame ("rgb": [r, g, b], from a canvas), whether the player says live,
// every media or manifest request that failed (HTTP >= 400 or a network
// error) and page errors. Lets a test tell two broadcasts apart by content.
'use strict';
const { launch } = require('./browser');
const fs = require('fs'), os = require('os'), path = require('path');

const [url] = process.argv.slice(2);
const media = /\.(m4s|mp4|mpd|m3u8)(\?|$)/;

(async () => {
    const report = { failed: [], errors: [] };
    const browser = await launch();
    try {
        const page = await browser.newPage();
        page.on('response', (r) => {
            if (media.test(r.url()) && r.status() >= 400)
                report.failed.push(r.status() + ' ' + r.url());
        });
        page.on('requestfailed', (r) => {
            if (media.test(r.url()))
                report.failed.push('failed ' + (r.failure() && r.failure().errorText) + ' ' + r.url());
        });
        page.on('pageerror', (e) => report.errors.push(String(e)));
        await page.goto(url, { waitUntil: 'load' });
        await page.waitForFunction(() => window.livePlayer && !livePlayer.video.paused &&
                                   livePlayer.video.currentTime > 0.5, null, { timeout: 60000 });
        const t0 = await page.evaluate(() => livePlayer.video.currentTime);
        await page.waitForFunction((t) => livePlayer.video.currentTime > t + 2, t0, { timeout: 60000 });
        report.live = await page.evaluate(() => livePlayer.isLive());
        report.rgb = await page.evaluate(() => {
            const v = livePlayer.video, c = document.createElement('canvas');
            c.width = 16;
            c.height = 16;
            const g = c.getContext('2d');
            g.drawImage(v, 0, 0, 16, 16);
            const d = g.getImageData(0, 0, 16, 16).data, sum = [0, 0, 0];
            for (let i = 0; i < d.length; i += 4)
                for (let k = 0; k < 3; k++)
                    sum[k] += d[i + k];
            return sum.map((s) => Math.round(s / (d.length / 4)));
        });
    } catch (e) {
        report.errors.push(String(e));
    }
    await browser.close();
    console.log(JSON.stringify(report));
})();
