// tests/live-join.js: join a live stream served by live-serve with several
// players at once, in one headless Chromium, and report how far behind
// live each one plays.
//   node tests/live-join.js URL NAME SECONDS PLAYER...
// PLAYER: watch-hls, watch-dash (the player page /watch/NAME, forced to
// hls.js or dash.js); hls, dash, shaka-dash, shaka-hls (the stock player
// at its defaults on a plain page of our own, on another origin,
// http://localhost:PORT/plain/ (URL is http://127.0.0.1:PORT): the page
// and the libraries are answered from here, not by the server). LOWLAT=1 gives the plain pages the
// players' low-latency switches (hls.js lowLatencyMode is on by default;
// dash.js catch-up is on by default for low-latency MPDs).
//
// Prints one JSON object per player, a line each: samples of
// { wall, t, latency, paused } taken every 500 ms over SECONDS after the
// player first played, where latency is the wall clock minus the
// wall-clock time of the frame shown (from EXT-X-PROGRAM-DATE-TIME or
// availabilityStartTime), stalls (waiting events and how long each
// lasted, timed by the events' time stamps, one still going at the end
// included; STALLS_AFTER_PLAY=1: only those after the player first
// played), held (for each stall, the longest time the page's main thread
// could not run in it or the 2 s before it: that much of the stall is the
// machine's, not the player's), stallAt (the wall clock at each stall's
// start, as the samples' wall), starved (the longest such time in all),
// page and player errors, console
// errors (log), lowLatency (the player page's data-low-latency: which
// player it put in its low-latency mode, or null). Each sample also has edge: how far the end of
// the newest segment in NAME's first media playlist is behind the wall
// clock then (so latency - edge is how far behind the published end the
// player is), and window: the seconds that playlist lists.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { launch } = require('./browser');

const [url, name, secs, ...players] = process.argv.slice(2);
const top = path.resolve(__dirname, '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/* Another origin (the same port on another name), answered by the route
 * below: the browser never asks the server for it. */
const PLAIN = url.replace('//127.0.0.1:', '//localhost:') + '/plain';
const libs = {
    '/hls.js': 'node_modules/hls.js/dist/hls.min.js',
    '/dash.js': 'node_modules/dashjs/dist/modern/umd/dash.all.min.js',
    '/shaka.js': 'node_modules/shaka-player/dist/shaka-player.compiled.js',
};

/* In the page: the video element's stalls into J.stalls (seconds from
 * each 'waiting' to the next 'playing', timed by the events' own time
 * stamps, so a page whose handlers run late under load does not
 * lengthen them) and their spans; J.freezes: the times the page's main
 * thread, where the players feed their buffers, could not run (a
 * 100 ms timer late by more than 50 ms); J.held(a, b): the longest of
 * those in the span [a - 2 s, b], in seconds. */
function watchStalls(v, J) {
    J.spans = [];
    J.freezes = [];
    v.addEventListener('waiting', (e) => { if (!J.waitingSince) J.waitingSince = e.timeStamp; });
    v.addEventListener('playing', (e) => {
        if (J.waitingSince) {
            J.stalls.push(Math.max(0, e.timeStamp - J.waitingSince) / 1000);
            J.spans.push([J.waitingSince, e.timeStamp]);
        }
        J.waitingSince = 0;
    });
    let last = performance.now();
    setInterval(() => {
        const now = performance.now();
        if (now - last > 150)
            J.freezes.push([last + 100, now]);
        last = now;
    }, 100);
    J.held = (a, b) => Math.max(0, ...J.freezes.map(([s, e]) =>
        Math.min(e, b) - Math.max(s, a - 2000))) / 1000;
}

/* In the page: start a stock player and keep window.J up to date. */
function startStock([kind, src, lowlat]) {
    const v = document.getElementById('v');
    const J = window.J = { errors: [], stalls: [], waitingSince: 0 };
    watchStalls(v, J);
    if (kind === 'hls') {
        const h = window.P = new Hls(lowlat ? { lowLatencyMode: true } : {});
        h.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) J.errors.push(d.type + ':' + d.details); });
        h.loadSource(src);
        h.attachMedia(v);
        v.play().catch(() => {});
        J.date = () => h.playingDate;
    } else if (kind === 'dash') {
        const p = window.P = dashjs.MediaPlayer().create();
        p.on(dashjs.MediaPlayer.events.ERROR, (e) => J.errors.push(JSON.stringify(e.error || e).slice(0, 200)));
        p.initialize(v, src, true);
        J.latency = () => p.getCurrentLiveLatency();
    } else {
        shaka.polyfill.installAll();
        const p = window.P = new shaka.Player();
        /* the code, and for a network error (1001 BAD_HTTP_STATUS...) the
         * URI and the status: which request failed, and how */
        p.addEventListener('error', (e) => J.errors.push(['shaka', e.detail && e.detail.code,
            ...(e.detail && e.detail.category === 1 ? (e.detail.data || []).slice(0, 2) : [])]
            .join(' ').slice(0, 300)));
        p.attach(v).then(() => p.load(src)).then(() => v.play()).catch((e) =>
            J.errors.push('shaka load ' + (e && e.code)));
        J.date = () => p.getPlayheadTimeAsDate();
    }
}

/* In the page: the same bookkeeping for the player page (livePlayer). */
function watchPage() {
    const v = livePlayer.video;
    const J = window.J = { errors: [], stalls: [], waitingSince: 0 };
    watchStalls(v, J);
    if (livePlayer.engine === 'hls')
        J.date = () => livePlayer.hls().playingDate;
    else
        J.latency = () => livePlayer.dash().getCurrentLiveLatency();
}

function sample() {
    const v = document.querySelector('video');
    const d = J.date && J.date();
    let latency = J.latency ? J.latency() : null;
    if (d && isFinite(d.getTime()))
        latency = (Date.now() - d.getTime()) / 1000;
    return {
        wall: Date.now() / 1000, t: v.currentTime, paused: v.paused,
        latency: isFinite(latency) ? latency : null,
        waiting: J.waitingSince ? (performance.now() - J.waitingSince) / 1000 : 0,
    };
}

async function open(ctx, player) {
    const r = { player, errors: [], samples: [], stalls: [] };
    const page = await ctx.newPage();
    page.on('pageerror', (e) => r.errors.push('page: ' + e.message));
    r.log = [];
    page.on('console', (m) => { if (m.type() === 'error') r.log.push(m.text()); });
    const lowlat = !!process.env.LOWLAT;
    await page.addInitScript({ content: 'window.watchStalls = ' + watchStalls.toString() + ';' });
    if (player.startsWith('watch-')) {
        await page.goto(url + '/watch/' + encodeURIComponent(name) + '?player=' + player.slice(6));
        await page.waitForFunction(() => window.livePlayer && livePlayer.engine, null, { timeout: 30000 });
        await page.evaluate(watchPage);
    } else {
        const kind = player.startsWith('shaka') ? 'shaka' : player;
        const lib = { hls: '/hls.js', dash: '/dash.js', shaka: '/shaka.js' }[kind];
        await page.route(PLAIN + '/**', (route) => {
            const u = new URL(route.request().url());
            const file = libs[u.pathname.replace(/^\/plain/, '')];
            if (file)
                return route.fulfill({ path: path.join(top, file),
                                       contentType: 'text/javascript' });
            return route.fulfill({ contentType: 'text/html', body:
                '<!doctype html><video id="v" muted autoplay playsinline width="320"></video>' +
                '<script src="' + lib.slice(1) + '"></script>' });
        });
        await page.goto(PLAIN + '/index.html');
        const src = url + '/' + encodeURIComponent(name) +
            (player === 'dash' || player === 'shaka-dash' ? '/manifest.mpd' : '/master.m3u8');
        await page.evaluate(startStock, [kind, src, lowlat]);
    }
    return { r, page };
}

let mediaUrl = null;
/* Seconds the end of the newest listed segment is behind the wall clock. */
async function publishedEnd() {
    try {
        if (!mediaUrl) {
            const m = await (await fetch(url + '/' + encodeURIComponent(name) + '/master.m3u8')).text();
            const first = m.split('\n').find((l) => l && !l.startsWith('#'));
            mediaUrl = url + '/' + encodeURIComponent(name) + '/' + first;
        }
        const text = await (await fetch(mediaUrl)).text();
        let pdt = null, dur = 0;
        windowLength = 0;
        for (const l of text.split('\n')) {
            if (l.startsWith('#EXT-X-PROGRAM-DATE-TIME:'))
                pdt = Date.parse(l.slice(25));
            else if (l.startsWith('#EXTINF:'))
                windowLength += (dur = parseFloat(l.slice(8)));
        }
        return pdt === null ? null : (Date.now() - pdt) / 1000 - dur;
    } catch (e) {
        return null;
    }
}
let windowLength = 0;

async function main() {
    /* The plain page is answered by the route, so Chromium takes it for
     * a public page asking loopback: its checks are off. */
    const ctx = await launch({ args: ['--mute-audio',
        '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests'] });
    const runs = [];
    try {
        for (const p of players) {
            try {
                runs.push(await open(ctx, p));
            } catch (e) {
                runs.push({ r: { player: p, errors: ['driver: ' + e.message], samples: [], stalls: [] } });
            }
        }
        /* Wait for each to play, then sample all of them together. */
        const t0 = Date.now();
        for (const { r, page } of runs) {
            if (!page)
                continue;
            try {
                await page.waitForFunction(() => {
                    const v = document.querySelector('video');
                    return v && v.currentTime > 0.2 && !v.paused;
                }, null, { timeout: Math.max(1000, 40000 - (Date.now() - t0)), polling: 200 });
                r.played = true;
                /* STALLS_AFTER_PLAY=1: the start-up's buffering is not a stall */
                if (process.env.STALLS_AFTER_PLAY)
                    await page.evaluate(() => { J.stalls = []; J.spans = []; J.freezes = []; if (J.waitingSince) J.waitingSince = performance.now(); });
            } catch (e) {
                r.errors.push('never played: ' + e.message.split('\n')[0]);
            }
        }
        const end = Date.now() + 1000 * Number(secs);
        while (Date.now() < end) {
            const edge = await publishedEnd();
            for (const { r, page } of runs)
                if (page)
                    r.samples.push(Object.assign({ edge, window: windowLength },
                        await page.evaluate(sample).catch((e) => ({ error: e.message }))));
            await sleep(500);
        }
        for (const { r, page } of runs) {
            if (!page)
                continue;
            const j = await page.evaluate(() => ({ errors: J.errors, stalls: J.stalls,
                held: J.spans.concat(J.waitingSince ? [[J.waitingSince, performance.now()]] : [])
                    .map(([a, b]) => J.held(a, b)),
                stallAt: J.spans.concat(J.waitingSince ? [[J.waitingSince]] : [])
                    .map(([a]) => (performance.timeOrigin + a) / 1000),
                starved: J.held(-Infinity, Infinity),
                lowLatency: document.querySelector('video').dataset.lowLatency || null,
                waiting: J.waitingSince ? (performance.now() - J.waitingSince) / 1000 : 0 }));
            r.errors.push(...j.errors);
            r.stalls = j.stalls;
            if (j.waiting > 0)
                r.stalls.push(j.waiting);   /* still waiting at the end */
            r.lowLatency = j.lowLatency;
            r.held = j.held;
            r.stallAt = j.stallAt;
            r.starved = j.starved;
        }
    } finally {
        for (const { r } of runs)
            console.log(JSON.stringify(r));
        await ctx.close();
    }
}
main();
