// tests/resume-player.js: drives the player page in headless Chromium for
// tests/resume-player.t. Usage: node resume-player.js BASE STREAM
// Prints one JSON object with what it saw; the .t file judges it.
'use strict';
const path = require('path');
const { launchBrowser } = require('./browser');

// LIVE_DIR, LIVE_TEMPLATE: where to write a live stream's MPD (from a
// static one) whose clock starts LIVE_AGO seconds before it is opened.
const [base, stream, liveDir] = process.argv.slice(2);
const fs = require('fs');
const { execFileSync } = require('child_process');
const DB = process.env.DB;   // the db live-serve uses (for the expiry check)
const ODD = process.env.ODD_USER;
const sql = (q) => execFileSync('sqlite3', [DB, q]).toString().trim();
const watch = base + '/watch/' + encodeURIComponent(stream);
const out = {};
const log = (...a) => process.stderr.write('# ' + a.join(' ') + '\n');

async function login(page, user, password) {
    await page.waitForSelector('#login-user', { timeout: 10000 });
    await page.fill('#login-user', user);
    await page.fill('#login-password', password);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#account-user', { timeout: 10000 });
    return page.textContent('#account-user');
}

// currentTime at the page's first 'playing' event (recorded by an init
// script, so nothing is missed), and 1.5 s later.
const FIRST_PLAYING = `document.addEventListener('playing', (e) => {
    if (window.__firstPlaying === undefined) window.__firstPlaying = e.target.currentTime;
}, true);`;
async function startedAt(page) {
    await page.waitForFunction(() => window.__firstPlaying !== undefined, null, { timeout: 20000 });
    const first = await page.evaluate(() => window.__firstPlaying);
    await page.waitForTimeout(1500);
    return { first, later: await page.evaluate(() => document.getElementById('video').currentTime) };
}

const playTo = (page, t) => page.waitForFunction(
    (t) => document.getElementById('video').currentTime >= t, t, { timeout: 30000 });

(async () => {
    const browser = await launchBrowser();   // every context a fresh profile
    try {
        // 0. The form in the browser: a wrong password is refused and
        // makes no session; an odd name logs in and is shown verbatim; a
        // forged or an expired cookie is not logged in.
        if (DB && ODD) {
            const c0 = await browser.newContext();
            const p0 = await c0.newPage();
            await p0.goto(watch);
            await p0.waitForSelector('#login-user');
            await p0.fill('#login-user', 'alice');
            await p0.fill('#login-password', 'wrong');
            await p0.click('#login button[type=submit]');
            await p0.waitForFunction(() => document.getElementById('login-error').textContent !== '');
            out.wrong_error = await p0.textContent('#login-error');
            out.wrong_sessions = sql('SELECT count(*) FROM sessions');
            out.odd_shown = await login(p0, ODD, 'odd pw');
            out.odd_me = await p0.evaluate(async () => (await (await fetch('/api/me')).json()).user);
            sql("UPDATE sessions SET expires = 1000");
            await p0.reload();
            await p0.waitForSelector('#login-user');
            out.expired_me = await p0.evaluate(async () => (await fetch('/api/me')).status);
            await c0.clearCookies();
            await c0.addCookies([{ name: 'live_session', url: base,
                                   value: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }]);
            await p0.reload();
            await p0.waitForSelector('#login-user');
            out.forged_me = await p0.evaluate(async () => (await fetch('/api/me')).status);
            await c0.close();
        }

        // 1. alice logs in, plays to about 20 s, logs out.
        let ctx = await browser.newContext();
        await ctx.addInitScript(FIRST_PLAYING);
        let page = await ctx.newPage();
        page.on('console', (m) => { if (m.type() === 'error') log('console:', m.text()); });
        await page.goto(watch);
        out.alice_login = await login(page, 'alice', 'alice pw');
        await page.evaluate(() => { window.livePlayer.seek(16); window.livePlayer.video.play(); });
        await playTo(page, 20);
        out.alice_at_logout = await page.evaluate(() => window.livePlayer.video.currentTime);
        await page.click('#logout');
        await page.waitForSelector('#login-user');
        out.me_after_logout = await page.evaluate(async () => (await fetch('/api/me')).status);

        // 2. ... logs in again on a fresh page (playing from 0 meanwhile):
        // it jumps to where she was; reopened, it starts there.
        await page.close();
        page = await ctx.newPage();
        await page.goto(watch);
        await startedAt(page);
        out.before_relogin = await page.evaluate(() => window.livePlayer.video.currentTime);
        await login(page, 'alice', 'alice pw');
        await page.waitForTimeout(1000);
        out.after_relogin = await page.evaluate(() => window.livePlayer.video.currentTime);
        await page.close();
        page = await ctx.newPage();
        await page.goto(watch);
        const resumed = await startedAt(page);
        out.alice_resumed_first = resumed.first;
        out.alice_resumed_later = resumed.later;

        // 3. Save on seek (paused) and on leaving the page (sendBeacon).
        await page.evaluate(() => { window.livePlayer.video.pause(); window.livePlayer.seek(41); });
        await page.waitForTimeout(700);
        out.saved_after_seek = await page.evaluate(async (u) =>
            (await (await fetch(u)).json()).seconds, '/api/position/' + encodeURIComponent(stream));
        await page.evaluate(() => window.livePlayer.video.play());
        await playTo(page, 43);
        out.left_at = await page.evaluate(() => window.livePlayer.video.currentTime);
        await page.goto('about:blank');   // pagehide -> sendBeacon
        // With hls.js (when the stream has HLS playlists) she resumes too.
        if (process.env.HLS) {
            await page.waitForTimeout(300);
            await page.goto(watch + '?player=hls');
            out.hls_first = (await startedAt(page)).first;
            out.hls_engine = await page.evaluate(() => window.livePlayer.engine);
            await page.evaluate(() => window.livePlayer.video.pause());
            await page.goto('about:blank');
        }
        await ctx.close();

        // 4. bob (logged in through the API, before any page played) has
        // no position for that stream and starts at 0.
        ctx = await browser.newContext();
        await ctx.addInitScript(FIRST_PLAYING);
        out.bob_login = (await (await ctx.request.post(base + '/api/login',
            { data: { user: 'bob', password: 'bob pw' }, headers: { Origin: base } })).json()).user;
        page = await ctx.newPage();
        await page.goto(watch);
        out.bob_position_status = await page.evaluate(async (u) => (await fetch(u)).status,
                                                      '/api/position/' + encodeURIComponent(stream));
        out.bob_started = (await startedAt(page)).first;
        out.bob_shown = await page.textContent('#account-user');

        // 5. ?t=30 plays from 30 s (bob is logged in: ?t wins over a position).
        await page.goto(watch + '?t=30');
        const t30 = await startedAt(page);
        out.t30_first = t30.first;
        out.t30_later = t30.later;

        // 6. Pause at t: the buffer reaches t+10 s and no further.
        await page.goto(watch + '?t=6');
        await startedAt(page);
        const pause = await page.evaluate(() => new Promise((resolve) => {
            const v = document.getElementById('video');
            v.pause();
            const t = v.currentTime;
            const end = () => {
                for (let i = 0; i < v.buffered.length; i++)
                    if (v.buffered.start(i) <= t + 0.1 && v.buffered.end(i) >= t)
                        return v.buffered.end(i);
                return t;
            };
            const samples = [];
            let n = 0;
            const iv = setInterval(() => {
                samples.push(end());
                if (++n === 16) {   // 8 s
                    clearInterval(iv);
                    resolve({ t, samples, stillPaused: v.paused });
                }
            }, 500);
        }));
        out.pause = pause;

        // 7. A live stream with a 20 s DVR window, 40 s old: bob's
        // position at 3 s is older than the window: he resumes at the
        // window's start (not 3 s, not the live edge); a position inside
        // the window resumes there.
        if (liveDir) {
            const tpl = fs.readFileSync(liveDir + '/static.mpd', 'utf8');
            const ast = new Date(Date.now() - 40000).toISOString();
            fs.writeFileSync(liveDir + '/manifest.mpd', tpl
                .replace('type="static"', `type="dynamic" availabilityStartTime="${ast}" ` +
                         `publishTime="${ast}" timeShiftBufferDepth="PT20S" minimumUpdatePeriod="PT60S"`)
                .replace(/mediaPresentationDuration="[^"]*"/, '')
                .replace(/(<Period[^>]*?) duration="[^"]*"/, '$1')
                .replace('</MPD>', '<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" ' +
                         'value="/time"/></MPD>'));
            const astMs = Date.parse(ast);
            const liveWatch = base + '/watch/cam';
            await page.goto(liveWatch);
            const first = (await startedAt(page)).first;
            out.live = await page.evaluate(() => ({
                live: window.livePlayer.isLive(), range: window.livePlayer.range() }));
            out.live.first = first;
            out.live.age = (Date.now() - astMs) / 1000;
            await page.goto('about:blank');   // (saves where it was)
            out.live.put = (await ctx.request.put(base + '/api/position/cam',
                { data: { seconds: 31 }, headers: { Origin: base } })).status();
            await page.goto(liveWatch);
            out.live.inWindowFirst = (await startedAt(page)).first;
        }
    } finally {
        await browser.close();
    }
    console.log(JSON.stringify(out));
})().catch((e) => {
    console.log(JSON.stringify(Object.assign(out, { error: String(e && e.stack || e) })));
    process.exit(1);
});
