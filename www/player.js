/*
 * player.js: the player page of live-serve (/watch/NAME).
 *
 * Plays NAME's DASH manifest with dash.js where Media Source Extensions
 * exist; otherwise the HLS playlists natively (Safari) or with hls.js.
 * ?player=dash|hls|native forces one; ?player=webrtc plays in real
 * time over WebRTC (WHEP: POST /whep/NAME, DELETE on leaving) and falls
 * back to DASH/HLS when that fails (no WebRTC, UDP blocked, no live-rtc);
 * there the quality menu, the DVR bar and resume do not apply, and the
 * page says so. ?t=SECONDS starts there, in
 * seconds from the stream's start (the DVR window of a live stream, or
 * anywhere in a finished one). Without ?t= a live stream starts where
 * its manifests say (HOLD-BACK behind the playlist's end, the MPD's
 * latency target), never at the window's start, and playback starts
 * muted where the browser refuses sound without a gesture rather than
 * sit paused. Everything it loads comes from this server.
 *
 * When the manifests say low latency (parts in the playlists,
 * availabilityTimeComplete="false" in the MPD), hls.js runs in its
 * lowLatencyMode and dash.js with live catch-up on; the video element's
 * data-low-latency says which.
 *
 * Segment and manifest retries back off exponentially with jitter, so
 * many players missing the same segment do not come back in step.
 *
 * window.livePlayer is the page's small API (tests, and the login and
 * resume code): engine, name, video, position(), isLive(), qualities(),
 * quality(), setQuality(id | 'auto'), seek(t), goLive().
 */
(function () {
    'use strict';

    const $ = (id) => document.getElementById(id);
    const video = $('video');
    const name = decodeURIComponent(location.pathname.replace(/^\/watch\//, ''));
    const params = new URLSearchParams(location.search);
    let startAt = parseFloat(params.get('t'));
    const wanted = params.get('player');
    const base = '/' + encodeURIComponent(name);
    const mpdUrl = base + '/manifest.mpd';
    const hlsUrl = base + '/master.m3u8';

    /* Retry delay for attempt n (1, 2, ...): exponential, capped, with
     * "equal jitter" (half fixed, half random). */
    const RETRY_BASE_MS = 250, RETRY_CAP_MS = 8000;
    function backoff(n) {
        const d = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * Math.pow(2, n - 1));
        return d / 2 + Math.random() * d / 2;
    }

    let engine = null;       /* 'dash' | 'hls' | 'native' | 'webrtc' */
    let dash = null, hls = null;
    let pc = null, whepSession = null;
    const rtcOk = typeof RTCPeerConnection !== 'undefined';
    let dragging = false;

    document.title = name + ' — live';
    $('title').textContent = name;

    function status(msg, isError) {
        const s = $('status');
        s.textContent = msg;
        s.className = 'status' + (isError ? ' error' : '');
    }

    function fmt(t) {
        if (!isFinite(t))
            return '--:--';
        t = Math.max(0, Math.floor(t));
        const h = Math.floor(t / 3600), m = Math.floor(t / 60) % 60, s = t % 60;
        return (h ? h + ':' + String(m).padStart(2, '0') : m) + ':' + String(s).padStart(2, '0');
    }

    /* ---- engines ---- */

    /* Whether the stream's manifests say low latency (live-package -L):
     * the MPD's segments are available in chunks before they are complete
     * (availabilityTimeComplete="false"), the media playlists have parts
     * (EXT-X-PART-INF). false when they cannot be read. */
    async function lowLatency(kind) {
        try {
            if (kind === 'dash') {
                const mpd = await (await fetch(mpdUrl, { cache: 'no-store' })).text();
                return /availabilityTimeComplete="false"/.test(mpd);
            }
            const master = await (await fetch(hlsUrl, { cache: 'no-store' })).text();
            const uri = master.split('\n').find((l) => l && l[0] !== '#');
            const media = await (await fetch(base + '/' + uri, { cache: 'no-store' })).text();
            return /^#EXT-X-PART-INF:/m.test(media);
        } catch (e) {
            return false;
        }
    }

    async function startDash() {
        const ll = await lowLatency('dash');
        engine = 'dash';
        dash = dashjs.MediaPlayer().create();
        const failures = {};   /* url -> failed answers in a row */
        dash.updateSettings({
            debug: { logLevel: dashjs.Debug.LOG_LEVEL_WARNING },
            streaming: {
                /* Buffer up to 10 s ahead, also while paused. */
                buffer: { bufferTimeAtTopQuality: 10, bufferTimeAtTopQualityLongForm: 10,
                          bufferTimeDefault: 10 },
                /* dash.js retries at once; the interceptor below waits. */
                retryAttempts: { MPD: 12, MediaSegment: 12, InitializationSegment: 12, other: 6 },
                retryIntervals: { MPD: 10, MediaSegment: 10, InitializationSegment: 10, other: 10 },
                abr: { autoSwitchBitrate: { video: true, audio: true } },
                /* Low latency: segments fetched while they are written
                 * (chunked transfer), and live catch-up: playback a little
                 * faster or slower (the MPD's ServiceDescription says how
                 * much) holds its latency target. */
                liveCatchup: { enabled: ll ? true : null },
            },
        });
        if (ll)
            video.dataset.lowLatency = 'dash';
        /* A retry (a request for a URL whose last answer was a failure)
         * waits backoff(failures); any other request goes at once. The
         * count is of failures, not of requests: the live MPD is asked
         * for again every update period, and each of those reloads is
         * not a retry (counted as one, they waited up to 8 s, and
         * dash.js, not told of the next segment, stalled). */
        dash.addRequestInterceptor((req) => {
            const n = failures[req.url] || 0;
            if (n === 0)
                return Promise.resolve(req);
            return new Promise((resolve) => setTimeout(() => resolve(req), backoff(n)));
        });
        dash.addResponseInterceptor((res) => {
            const url = res.request && res.request.url;
            if (res.status >= 200 && res.status < 300) {
                delete failures[url];
            } else if (url) {
                const n = failures[url] = (failures[url] || 0) + 1;
                setTimeout(() => { if (failures[url] === n) delete failures[url]; }, 60000);
            }
            return Promise.resolve(res);
        });
        const ev = dashjs.MediaPlayer.events;
        dash.on(ev.STREAM_INITIALIZED, () => { fillQualities(); status(''); });
        dash.on(ev.QUALITY_CHANGE_RENDERED, showQuality);
        dash.on(ev.ERROR, (e) => {
            const err = e && e.error;
            status('Player: ' + (err && err.message ? err.message : 'error'), true);
        });
        /* Without ?t=, dash.js joins a live stream at the MPD's latency
         * target (ServiceDescription, suggestedPresentationDelay). */
        dash.initialize(video, mpdUrl, true, isFinite(startAt) ? Math.max(0, startAt) : NaN);
        video.addEventListener('loadeddata', play, { once: true });
    }

    async function startHls() {
        const ll = await lowLatency('hls');
        engine = 'hls';
        /* hls.js backs off exponentially itself; the jitter is a random
         * base delay for this player. */
        const jitter = RETRY_BASE_MS * (1 + Math.random());
        const policy = {
            default: {
                maxTimeToFirstByteMs: 10000, maxLoadTimeMs: 30000,
                timeoutRetry: { maxNumRetry: 4, retryDelayMs: 0, maxRetryDelayMs: 0 },
                errorRetry: { maxNumRetry: 12, retryDelayMs: jitter, maxRetryDelayMs: RETRY_CAP_MS,
                              backoff: 'exponential' },
            },
        };
        /* Low latency: parts, blocking playlist reloads and preload
         * hints (the playlists have EXT-X-PART-INF); hls.js then joins
         * PART-HOLD-BACK behind the end and catches up by playing faster. */
        hls = new Hls({
            lowLatencyMode: ll,
            maxLiveSyncPlaybackRate: ll ? 1.05 : 1,
            maxBufferLength: 10,
            startPosition: isFinite(startAt) ? Math.max(0, startAt) : -1,
            fragLoadPolicy: policy,
            playlistLoadPolicy: policy,
            manifestLoadPolicy: policy,
        });
        hls.on(Hls.Events.MANIFEST_PARSED, () => {
            fillQualities();
            status('');
            play();
        });
        /* hls.js starts a live stream HOLD-BACK behind the end of the
         * playlist (EXT-X-SERVER-CONTROL); should it ever land far behind
         * that without ?t= asking (the window's start), go to the edge. */
        hls.once(Hls.Events.FRAG_BUFFERED, () => {
            const sync = hls.liveSyncPosition, target = hls.targetLatency;
            if (!isFinite(startAt) && isFinite(sync) && isFinite(target) &&
                sync - video.currentTime > target)
                video.currentTime = sync;
            play();
        });
        hls.on(Hls.Events.LEVEL_SWITCHED, showQuality);
        hls.on(Hls.Events.ERROR, (_, data) => {
            if (data.fatal)
                status('Player: ' + data.details, true);
        });
        hls.loadSource(hlsUrl);
        hls.attachMedia(video);
        if (ll)
            video.dataset.lowLatency = 'hls';
    }

    /* HOLD-BACK of the first media playlist (seconds), or NaN. */
    async function holdBack() {
        try {
            const master = await (await fetch(hlsUrl, { cache: 'no-store' })).text();
            const uri = master.split('\n').find((l) => l && l[0] !== '#');
            const media = await (await fetch(base + '/' + uri, { cache: 'no-store' })).text();
            const m = /^#EXT-X-SERVER-CONTROL:.*\bHOLD-BACK=([0-9.]+)/m.exec(media);
            return m ? parseFloat(m[1]) : NaN;
        } catch (e) {
            return NaN;
        }
    }

    function startNative() {
        engine = 'native';
        video.src = hlsUrl;
        video.addEventListener('loadedmetadata', async () => {
            if (isFinite(startAt)) {
                video.currentTime = startAt;
            } else if (video.duration === Infinity) {
                /* Safari joins HOLD-BACK behind the end itself; any other
                 * native player that starts elsewhere is put there. */
                const hb = await holdBack();
                const end = range()[1];
                if (isFinite(hb) && end - video.currentTime > hb + 1)
                    video.currentTime = Math.max(range()[0], end - hb);
            }
            status('');
            play();
        }, { once: true });
        fillQualities();
    }

    /* ---- real time: WebRTC over WHEP ---- */

    function leaveWhep() {
        if (whepSession) {
            fetch(whepSession, { method: 'DELETE', keepalive: true }).catch(() => {});
            whepSession = null;
        }
        if (pc) {
            pc.close();
            pc = null;
        }
    }

    function rtcFallback(why) {
        leaveWhep();
        engine = null;
        video.srcObject = null;
        document.body.classList.remove('rtc');
        status('Real-time playback failed (' + why + '); playing DASH/HLS instead.', true);
        startHttp(null);
        window.livePlayer.fallback = why;
    }

    async function startWebrtc() {
        engine = 'webrtc';
        document.body.classList.add('rtc');
        $('rtcnote').hidden = false;
        status('Connecting in real time…');
        let connected = false;
        try {
            pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
            pc.addTransceiver('video', { direction: 'recvonly' });
            pc.addTransceiver('audio', { direction: 'recvonly' });
            const stream = new MediaStream();
            pc.ontrack = (e) => {
                stream.addTrack(e.track);
                if (video.srcObject !== stream)
                    video.srcObject = stream;
                play();
            };
            pc.onconnectionstatechange = () => {
                if (!pc)
                    return;
                if (pc.connectionState === 'connected') {
                    connected = true;
                    status('');
                } else if (pc.connectionState === 'failed') {
                    if (connected)
                        status('Real-time connection lost.', true);
                    else
                        rtcFallback('no connection');
                }
            };
            await pc.setLocalDescription(await pc.createOffer());
            /* Send the offer once the host candidates are in it (the
             * server is ICE-lite: it only needs our credentials, but a
             * complete offer costs little). At most 2 s. */
            await new Promise((resolve) => {
                if (pc.iceGatheringState === 'complete')
                    return resolve();
                const t = setTimeout(resolve, 2000);
                pc.addEventListener('icegatheringstatechange', () => {
                    if (pc && pc.iceGatheringState === 'complete') {
                        clearTimeout(t);
                        resolve();
                    }
                });
            });
            let r;
            for (let n = 1; ; n++) {   /* 503 while the stream's media starts */
                r = await fetch('/whep/' + encodeURIComponent(name), {
                    method: 'POST', headers: { 'Content-Type': 'application/sdp' },
                    body: pc.localDescription.sdp });
                if (r.status !== 503 || n >= 6)
                    break;
                await new Promise((res) => setTimeout(res, backoff(n)));
            }
            if (r.status !== 201)
                return rtcFallback('server said ' + r.status + ': ' + (await r.text()).trim());
            whepSession = new URL(r.headers.get('Location'), location.href).href;
            await pc.setRemoteDescription({ type: 'answer', sdp: await r.text() });
            window.addEventListener('pagehide', leaveWhep);
            setTimeout(() => { if (pc && !connected) rtcFallback('no connection within 10 s'); }, 10000);
        } catch (e) {
            rtcFallback(e.message);
        }
    }

    /* Start playing. Where the browser refuses sound without a gesture,
     * play muted (the mute button says so) rather than sit paused. */
    function play() {
        video.play().catch((e) => {
            if (e && e.name === 'NotAllowedError' && !video.muted) {
                video.muted = true;
                $('mute').textContent = '🔇';
                video.play().catch(() => {});
            }
        });
    }

    /* ---- qualities ---- */

    function qualities() {
        if (engine === 'dash' && dash)
            return dash.getRepresentationsByType('video').map((r) => ({
                id: r.id, height: r.height, width: r.width, bandwidth: r.bandwidth }));
        if (engine === 'hls' && hls)
            return hls.levels.map((l, i) => ({
                id: String(i), height: l.height, width: l.width, bandwidth: l.bitrate }));
        return [];
    }

    function quality() {
        if (engine === 'dash' && dash) {
            const r = dash.getCurrentRepresentationForType('video');
            return r ? { id: r.id, height: r.height } : null;
        }
        if (engine === 'hls' && hls && hls.currentLevel >= 0) {
            const l = hls.levels[hls.currentLevel];
            return l ? { id: String(hls.currentLevel), height: l.height } : null;
        }
        return video.videoHeight ? { id: 'native', height: video.videoHeight } : null;
    }

    function setQuality(id) {
        const auto = id === 'auto';
        if (engine === 'dash' && dash) {
            dash.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: auto } } } });
            if (!auto)
                dash.setRepresentationForTypeById('video', id, true);
        } else if (engine === 'hls' && hls) {
            hls.currentLevel = auto ? -1 : parseInt(id, 10);
        }
        $('quality').value = id;
    }

    function fillQualities() {
        const sel = $('quality');
        const list = qualities().sort((a, b) => b.height - a.height || b.bandwidth - a.bandwidth);
        sel.length = 1;
        for (const q of list) {
            const o = document.createElement('option');
            o.value = q.id;
            o.textContent = (q.height ? q.height + 'p' : q.id) +
                (q.bandwidth ? ' (' + Math.round(q.bandwidth / 1000) + ' kb/s)' : '');
            sel.appendChild(o);
        }
        sel.disabled = list.length < 2;
        showQuality();
    }

    function showQuality() {
        const q = quality();
        const sel = $('quality');
        if (sel.options.length && q)
            sel.options[0].textContent = 'Auto' + (q.height ? ' (' + q.height + 'p)' : '');
    }

    /* ---- live, DVR and the seek bar ---- */

    function isLive() {
        if (engine === 'webrtc')
            return true;
        if (engine === 'dash' && dash)
            return dash.isDynamic();
        if (engine === 'hls' && hls) {
            const l = hls.levels[hls.currentLevel >= 0 ? hls.currentLevel : 0];
            return !!(l && l.details && l.details.live);
        }
        return video.duration === Infinity;
    }

    /* [start, end] the player can seek to, in stream seconds. */
    function range() {
        const s = video.seekable;
        if (s && s.length)
            return [s.start(0), s.end(s.length - 1)];
        if (isFinite(video.duration))
            return [0, video.duration];
        return [0, 0];
    }

    function seek(t) {
        if (engine === 'webrtc')
            return;   /* real time has no DVR */
        const [a, b] = range();
        video.currentTime = Math.min(Math.max(t, a), b);
    }

    function goLive() {
        if (engine === 'dash' && dash)
            dash.seekToOriginalLive();
        else if (engine === 'hls' && hls && isFinite(hls.liveSyncPosition))
            video.currentTime = hls.liveSyncPosition;
        else
            video.currentTime = range()[1];
        video.play().catch(() => {});
    }

    function tick() {
        const [a, b] = range();
        const live = isLive();
        const seekEl = $('seek');
        seekEl.min = a;
        seekEl.max = b;
        if (!dragging)
            seekEl.value = video.currentTime;
        const behind = b - video.currentTime;
        $('golive').hidden = !live;
        $('golive').classList.toggle('on', live && behind < 15);
        $('badge').textContent = live ? 'LIVE' : (engine ? 'finished' : '');
        $('badge').className = 'badge' + (live ? ' live' : '');
        $('clock').textContent = live
            ? fmt(video.currentTime) + (behind >= 1 ? ' (−' + fmt(behind) + ')' : '')
            : fmt(video.currentTime) + ' / ' + fmt(b);
        $('play').textContent = video.paused ? '▶' : '❚❚';
    }

    /* ---- controls ---- */

    $('play').addEventListener('click', () => {
        if (video.paused)
            video.play().catch(() => {});
        else
            video.pause();
    });
    $('mute').addEventListener('click', () => {
        video.muted = !video.muted;
        $('mute').textContent = video.muted ? '🔇' : '🔊';
    });
    $('golive').addEventListener('click', goLive);
    $('quality').addEventListener('change', (e) => setQuality(e.target.value));
    const seekEl = $('seek');
    seekEl.addEventListener('input', () => { dragging = true; });
    seekEl.addEventListener('change', () => { dragging = false; seek(parseFloat(seekEl.value)); });
    document.addEventListener('keydown', (e) => {
        if (e.target.tagName === 'INPUT' || e.target.tagName === 'SELECT')
            return;
        if (e.key === ' ') {
            e.preventDefault();
            $('play').click();
        } else if (e.key === 'ArrowLeft') {
            seek(video.currentTime - 10);
        } else if (e.key === 'ArrowRight') {
            seek(video.currentTime + 10);
        }
    });
    video.addEventListener('timeupdate', tick);
    video.addEventListener('waiting', () => status('Buffering…'));
    video.addEventListener('playing', () => status(''));
    setInterval(tick, 500);

    /* ---- start ---- */

    /* DASH, HLS or native HLS, as the browser allows; want forces one. */
    function startHttp(want) {
        const hasMse = 'MediaSource' in window || 'ManagedMediaSource' in window;
        const nativeHls = !!video.canPlayType('application/vnd.apple.mpegurl');
        const hlsOk = typeof Hls !== 'undefined' && Hls.isSupported();
        const dashOk = typeof dashjs !== 'undefined' && hasMse;
        const failed = (e) => status('Player: ' + e.message, true);
        try {
            if (want === 'native' || (!want && !hasMse && nativeHls))
                startNative();
            else if (want === 'hls' && hlsOk)
                startHls().catch(failed);
            else if (dashOk && want !== 'hls')
                startDash().catch(failed);
            else if (hlsOk)
                startHls().catch(failed);
            else if (nativeHls)
                startNative();
            else
                status('This browser cannot play the stream (no Media Source Extensions, no HLS).', true);
        } catch (e) {
            status('Player: ' + e.message, true);
        }
    }

    function start() {
        /* the switch between real time and DASH/HLS, where WebRTC exists */
        const sw = $('rtcswitch');
        const other = new URLSearchParams(location.search);
        if (wanted === 'webrtc')
            other.delete('player');
        else
            other.set('player', 'webrtc');
        sw.href = location.pathname + (other.toString() ? '?' + other : '');
        sw.textContent = wanted === 'webrtc' ? 'DASH/HLS (DVR, qualities)' : 'Real time (WebRTC)';
        sw.hidden = !rtcOk;
        if (wanted === 'webrtc' && rtcOk)
            startWebrtc();
        else if (wanted === 'webrtc')
            rtcFallback('this browser has no WebRTC');
        else
            startHttp(wanted);
    }

    window.livePlayer = {
        get engine() { return engine; },
        name, video, isLive, qualities, quality, setQuality, seek, goLive, range,
        position: () => video.currentTime,
        dash: () => dash, hls: () => hls, pc: () => pc, fallback: null,
    };

    /* The login and resume code (resume.js) picks the start time: ?t=,
     * else a logged-in viewer's saved position. */
    if (window.liveResume && wanted !== 'webrtc')
        window.liveResume.startTime().then((t) => {
            if (t !== null && isFinite(t))
                startAt = t;
        }, () => {}).finally(start);
    else
        start();
})();
