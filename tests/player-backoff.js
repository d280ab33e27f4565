// tests/player-backoff.js URL SEGMENT_RE FAILS [PLAYERS]
// Opens the player page URL in PLAYERS (default 2) pages, one after the
// other, in headless Chromium. The first FAILS requests of each page for
// the media segment matching SEGMENT_RE are answered 429 with
// Retry-After: 1 (an edge throttling), the next goes through. Prints one
// JSON line per page: {"attempts": [ms since the first attempt, ...],
// "played": bool, "errors": [...]}.
'use strict';
const { launch } = require('./browser');
const fs = require('fs'), os = require('os'), path = require('path');

const [url, re, failsArg, playersArg] = process.argv.slice(2);
const fails = +failsArg, players = +(playersArg || 2);
const segRe = new RegExp(re);

(async () => {
    const browser = await launch();
    for (let p = 0; p < players; p++) {
        const r = { attempts: [], played: false, errors: [] };
        let t0 = 0;
        const page = await browser.newPage();
        page.on('pageerror', (e) => r.errors.push(String(e)));
        await page.route(segRe, (route) => {
            const now = Date.now();
            if (!t0) t0 = now;
            r.attempts.push(now - t0);
            if (r.attempts.length <= fails)
                return route.fulfill({ status: 429, headers: { 'Retry-After': '1',
                                       'Access-Control-Allow-Origin': '*' }, body: 'slow down' });
            return route.continue();
        });
        try {
            await page.goto(url, { waitUntil: 'load' });
            await page.waitForFunction(() => window.livePlayer && livePlayer.video.currentTime > 0.5,
                                       null, { timeout: 30000 });
            r.played = true;
        } catch (e) {
            r.errors.push(String(e));
        }
        await page.close();
        console.log(JSON.stringify(r));
    }
    await browser.close();
})();
