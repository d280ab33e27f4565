// tests/whip-browser.js BASE NAME TOKEN SECONDS [VIDEO-CODEC]
// A WHIP publisher in headless Chromium with a fake camera and microphone:
// a page of the test's own (RTCPeerConnection + fetch, served at
// BASE/whip-test-page by playwright itself, so it is same-origin with
// the WHIP endpoint) publishes to BASE/whip/NAME with the bearer TOKEN
// for SECONDS (or until the file $WHIP_STOP exists), then DELETEs the session. VIDEO-CODEC (H264, VP8, VP9)
// makes that the only video codec in the offer. Prints one JSON report.
'use strict';
const { launch } = require('./browser');
const fs = require('fs'), os = require('os'), path = require('path');

const [base, name, token, seconds, codec] = process.argv.slice(2);

const PAGE = `<!doctype html><meta charset="utf-8"><title>WHIP test</title><script>
window.publish = async (name, token, codec) => {
    const out = {};
    const media = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: true });
    const pc = new RTCPeerConnection();
    window.pc = pc;
    for (const t of media.getTracks()) {
        const tr = pc.addTransceiver(t, { direction: 'sendonly', streams: [media] });
        if (t.kind === 'video' && codec && tr.setCodecPreferences) {
            // that codec only (and the repair formats): the server takes
            // H.264 whenever it is offered
            const caps = RTCRtpSender.getCapabilities('video').codecs;
            const media = ['video/h264', 'video/vp8', 'video/vp9', 'video/av1', 'video/h265'];
            tr.setCodecPreferences(caps.filter((c) => !media.includes(c.mimeType.toLowerCase()) ||
                                                      c.mimeType.toLowerCase() === 'video/' + codec.toLowerCase()));
        }
    }
    await pc.setLocalDescription(await pc.createOffer());
    // no trickle: wait for the host candidates (the server is ICE-lite)
    await new Promise((r) => {
        if (pc.iceGatheringState === 'complete') return r();
        pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r());
        setTimeout(r, 3000);
    });
    const res = await fetch('/whip/' + name, {
        method: 'POST', body: pc.localDescription.sdp,
        headers: { 'Content-Type': 'application/sdp', 'Authorization': 'Bearer ' + token },
    });
    out.status = res.status;
    out.location = res.headers.get('Location');
    const answer = await res.text();
    if (res.status !== 201) { out.body = answer; return out; }
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    return out;
};
window.stats = async () => {
    const out = { video: 0, audio: 0, nacks: 0, plis: 0, codec: '', target: 0, available: 0,
                  state: window.pc ? window.pc.connectionState : '' };
    if (!window.pc) return out;
    const st = await window.pc.getStats();
    const codecs = {};
    st.forEach((r) => { if (r.type === 'codec') codecs[r.id] = r.mimeType; });
    st.forEach((r) => {
        if (r.type === 'candidate-pair' && r.nominated) out.available = r.availableOutgoingBitrate || 0;
        if (r.type !== 'outbound-rtp') return;
        if (r.kind === 'video') { out.video = r.framesEncoded || 0; out.nacks = r.nackCount || 0;
                                  out.plis = r.pliCount || 0; out.codec = codecs[r.codecId] || '';
                                  out.target = r.targetBitrate || 0; }
        if (r.kind === 'audio') out.audio = r.packetsSent || 0;
    });
    return out;
};
window.unpublish = async (loc, token) => {
    const res = await fetch(loc, { method: 'DELETE', headers: { 'Authorization': 'Bearer ' + token } });
    window.pc.close();
    return res.status;
};
</script>`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
    const report = { errors: [] };
    const browser = await launch({ args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'], autoplay: false });
    try {
        const page = await browser.newPage();
        page.on('pageerror', (e) => report.errors.push(String(e)));
        await page.route(`${base}/whip-test-page`, (route) =>
            route.fulfill({ status: 200, contentType: 'text/html', body: PAGE }));
        await page.goto(`${base}/whip-test-page`);
        Object.assign(report, await page.evaluate(([n, t, c]) => window.publish(n, t, c), [name, token, codec || '']));
        if (report.status === 201) {
            const end = Date.now() + 20000;
            while (Date.now() < end && (await page.evaluate(() => window.pc.connectionState)) !== 'connected')
                await sleep(200);
            report.connected = await page.evaluate(() => window.pc.connectionState);
            report.first = await page.evaluate(() => window.stats());
            // SECONDS, or less when the file $WHIP_STOP appears
            const stopAt = Date.now() + Number(seconds) * 1000;
            while (Date.now() < stopAt && !(process.env.WHIP_STOP && fs.existsSync(process.env.WHIP_STOP)))
                await sleep(200);
            report.second = await page.evaluate(() => window.stats());
            report.delete = await page.evaluate(([l, t]) => window.unpublish(l, t), [report.location, token]);
        }
    } catch (e) {
        report.errors.push(String(e));
    } finally {
        await browser.close();
    }
    console.log(JSON.stringify(report));
})();
