// tests/small-play.js: play several VOD streams to the end, each in
// dash.js and in hls.js, in one headless Chromium (one browser start for
// all: the machine is busy), against tests/package-serve.js.
//   node tests/small-play.js BASE_URL NAME...
// Prints one JSON line per stream and player:
//   {"name","player","playing","ended","frames","size","time","errors"}
// frames: video frames the element decoded (getVideoPlaybackQuality),
// size: videoWidth x videoHeight while playing ("0x0" for audio only),
// sizes: every size the element showed, in order (its resize events),
// reloads: how often the player gave the element a new source after the
// first (its emptied events: a MediaSource made anew, which starts frames
// again from 0), media_errors: the element's own errors (code and message:
// dash.js makes a new MediaSource after a decode error without reporting
// one).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { launch, until } = require('./browser');

const [base, ...names] = process.argv.slice(2);

async function play(page, name, player) {
    const out = { name, player, errors: [] };
    await page.goto(base + '/player.html');
    await page.evaluate(([src, which]) => {
        window.L = { errors: [], sizes: [] };
        const v = window.V = document.getElementById('v');
        v.addEventListener('ended', () => { L.ended = true; });
        v.addEventListener('resize', () => L.sizes.push(v.videoWidth + 'x' + v.videoHeight));
        L.reloads = 0;
        L.mediaErrors = [];
        v.addEventListener('emptied', () => { L.reloads++; });
        v.addEventListener('error', () =>
            L.mediaErrors.push(v.error ? v.error.code + ' ' + v.error.message : '?'));
        if (which === 'hls') {
            const h = new Hls();
            h.on(Hls.Events.ERROR, (e, d) => { if (d.fatal) L.errors.push(d.type + ':' + d.details); });
            h.loadSource(src + '/master.m3u8');
            h.attachMedia(v);
            v.play().catch((e) => L.errors.push('play: ' + e.message));
        } else {
            const p = dashjs.MediaPlayer().create();
            p.updateSettings({ debug: { logLevel: 1 } });
            p.on(dashjs.MediaPlayer.events.ERROR,
                 (e) => L.errors.push(JSON.stringify(e.error || e).slice(0, 300)));
            p.initialize(v, src + '/manifest.mpd', true);
        }
    }, [base + '/' + name, player]);
    out.playing = await until(page, () => V.currentTime > 0.5 && !V.paused, null, 30000);
    out.size = await page.evaluate(() => V.videoWidth + 'x' + V.videoHeight);
    await page.evaluate(() => { V.playbackRate = 2; });
    out.ended = await until(page, () => L.ended === true, null, 30000);
    Object.assign(out, await page.evaluate(() => ({
        time: V.currentTime,
        sizes: L.sizes,
        reloads: L.reloads,
        media_errors: L.mediaErrors,
        frames: V.getVideoPlaybackQuality ? V.getVideoPlaybackQuality().totalVideoFrames : -1,
    })));
    out.errors.push(...await page.evaluate(() => L.errors));
    return out;
}

async function main() {
    const ctx = await launch({ args: ['--mute-audio'] });
    try {
        const page = ctx.pages()[0] || await ctx.newPage();
        page.on('pageerror', (e) => console.error('page: ' + e.message));
        for (const name of names)
            for (const player of ['dash', 'hls']) {
                let r;
                try {
                    r = await play(page, name, player);
                } catch (e) {
                    r = { name, player, errors: ['driver: ' + e.message] };
                }
                console.log(JSON.stringify(r));
            }
    } finally {
        await ctx.close();
    }
}
main();
