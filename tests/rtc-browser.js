// tests/rtc-browser.js BASE NAME
// Real-time playback in headless Chromium: the player page at
// BASE/watch/NAME?player=webrtc, then a minimal WHEP page of our own
// (RTCPeerConnection + fetch, nothing of the player page), then the
// player page for a stream live-rtc does not have (it must fall back to
// DASH/HLS). Prints one JSON report.
'use strict';
const { launch } = require('./browser');
const fs = require('fs'), os = require('os'), path = require('path');

const [base, name] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// inbound-rtp counters of a peer connection, in the page
const STATS = `async (pc) => {
    const out = { video: 0, audio: 0, nacks: 0, codec: '' };
    if (!pc) return out;
    const st = await pc.getStats();
    const codecs = {};
    st.forEach((r) => { if (r.type === 'codec') codecs[r.id] = r.mimeType; });
    st.forEach((r) => {
        if (r.type !== 'inbound-rtp') return;
        if (r.kind === 'video') { out.video = r.framesDecoded || 0; out.nacks = r.nackCount || 0;
                                  out.codec = codecs[r.codecId] || ''; }
        if (r.kind === 'audio') out.audio = r.totalSamplesReceived || 0;
    });
    return out;
}`;

async function sample(page, pcExpr) {
    return page.evaluate(`(${STATS})(${pcExpr})`);
}

// polls fn until it is true, at most ms
async function until(fn, ms) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        try { if (await fn()) return true; } catch (e) { /* page not ready */ }
        await sleep(250);
    }
    return false;
}

(async () => {
    const report = { errors: [] };
    const browser = await launch();
    try {
        // 1. the player page
        const page = await browser.newPage();
        page.on('pageerror', (e) => report.errors.push(String(e)));
        await page.goto(`${base}/watch/${name}?player=webrtc`);
        report.player_connected = await until(() => page.evaluate(
            () => window.livePlayer && window.livePlayer.pc() &&
                  window.livePlayer.pc().connectionState === 'connected'), 40000);
        report.player_engine = await page.evaluate(() => window.livePlayer.engine);
        await until(async () => (await sample(page, 'window.livePlayer.pc()')).video > 0, 20000);
        const a = await sample(page, 'window.livePlayer.pc()');
        const t1 = await page.evaluate(() => document.getElementById('video').currentTime);
        await sleep(3000);
        const b = await sample(page, 'window.livePlayer.pc()');
        const t2 = await page.evaluate(() => document.getElementById('video').currentTime);
        report.player = { first: a, second: b, time: [t1, t2] };
        report.player_page = await page.evaluate(() => ({
            note: !document.getElementById('rtcnote').hidden &&
                  document.getElementById('rtcnote').textContent,
            switchText: document.getElementById('rtcswitch').textContent,
            switchHref: document.getElementById('rtcswitch').getAttribute('href'),
            seekHidden: getComputedStyle(document.getElementById('seek')).visibility === 'hidden',
            width: document.getElementById('video').videoWidth,
        }));
        await page.close();

        // 2. a minimal WHEP page of our own, on the same origin
        const own = await browser.newPage();
        own.on('pageerror', (e) => report.errors.push(String(e)));
        await own.goto(`${base}/time`);
        await own.setContent(`<!DOCTYPE html><video id="v" autoplay muted playsinline></video>
<script>
window.run = async (url) => {
    const pc = new RTCPeerConnection();
    window.pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const ms = new MediaStream();
    pc.ontrack = (e) => { ms.addTrack(e.track); document.getElementById('v').srcObject = ms; };
    await pc.setLocalDescription(await pc.createOffer());
    const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' },
                                 body: pc.localDescription.sdp });
    window.location_ = r.headers.get('Location');
    if (r.status !== 201) return r.status;
    await pc.setRemoteDescription({ type: 'answer', sdp: await r.text() });
    return r.status;
};
</script>`);
        report.own_status = await own.evaluate((u) => window.run(u), `${base}/whep/${name}`);
        report.own_connected = await until(() => own.evaluate(() => window.pc.connectionState === 'connected'), 40000);
        await until(async () => (await sample(own, 'window.pc')).video > 0, 20000);
        const c = await sample(own, 'window.pc');
        await sleep(3000);
        const d = await sample(own, 'window.pc');
        report.own = { first: c, second: d };
        report.own_delete = await own.evaluate(async (b) =>
            (await fetch(b + window.location_, { method: 'DELETE' })).status, base);
        await own.close();

        // 3. fallback: live-rtc has no such stream
        const fb = await browser.newPage();
        await fb.goto(`${base}/watch/nosuchstream?player=webrtc`);
        await until(() => fb.evaluate(() => window.livePlayer && window.livePlayer.fallback), 20000);
        report.fallback = await fb.evaluate(() => ({ why: window.livePlayer.fallback,
                                                     engine: window.livePlayer.engine }));
        await fb.close();
    } catch (e) {
        report.errors.push(String(e && e.stack || e));
    } finally {
        await browser.close();
    }
    console.log(JSON.stringify(report));
})();
