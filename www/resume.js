/*
 * resume.js: login and resume on the player page (/watch/NAME), on the
 * API of live-serve (see live-resume(1), HTTP API).
 *
 * - A login form in #account (made in the page's header when missing);
 *   logged in, the user's name and a logout button. Logging in on the
 *   page jumps to the user's saved position for the stream (unless the
 *   address has ?t=).
 * - Picks the start time before the player starts (player.js asks
 *   window.liveResume.startTime): ?t=SECONDS when given, else the saved
 *   position of a logged-in user, else none. Once the player can seek,
 *   a position outside what it can reach (older than a live stream's DVR
 *   window) is moved to the nearest reachable time — the window's start.
 * - While logged in and playing, saves the position every few seconds,
 *   and on pause, after a seek and when the page is hidden or left (then
 *   with navigator.sendBeacon, which outlives the page).
 * - Buffers up to AHEAD seconds past the play position, playing or
 *   paused, and no further (see tuneBuffer).
 *
 * The session cookie is HttpOnly: this script never sees it; it asks
 * /api/me who is logged in.
 */
(function () {
    'use strict';

    const SAVE_EVERY_MS = 5000;
    const AHEAD = 10;   /* seconds buffered ahead, also while paused */
    const name = decodeURIComponent(location.pathname.replace(/^\/watch\//, ''));
    const posUrl = '/api/position/' + encodeURIComponent(name);

    let user = null;          /* the logged-in user's name, or null */
    let wanted = null;        /* the start time picked, to correct once seekable */
    let lastSaved = -1;
    let video = null;
    let box = null;

    function api(method, url, body) {
        const init = { method, credentials: 'same-origin', cache: 'no-store' };
        if (body !== undefined) {
            init.headers = { 'Content-Type': 'application/json' };
            init.body = JSON.stringify(body);
        }
        return fetch(url, init);
    }

    async function whoami() {
        try {
            const r = await api('GET', '/api/me');
            user = r.ok ? (await r.json()).user : null;
        } catch (e) {
            user = null;
        }
        return user;
    }

    async function savedPosition() {
        try {
            const r = await api('GET', posUrl);
            if (r.ok)
                return (await r.json()).seconds;
        } catch (e) { /* none */ }
        return null;
    }

    /* The start time: ?t=, else the saved position; null for the default. */
    async function startTime() {
        const t = parseFloat(new URLSearchParams(location.search).get('t'));
        if (isFinite(t)) {              /* no need to wait for the server */
            whoami().then(render);
            return (wanted = Math.max(0, t));
        }
        if (await whoami())
            wanted = await savedPosition();
        render();
        return wanted;
    }

    /* ---- saving ---- */

    function position() {
        /* real time (WebRTC) has no position in the stream to resume at */
        if (window.livePlayer && window.livePlayer.engine === 'webrtc')
            return null;
        return video && isFinite(video.currentTime) ? video.currentTime : null;
    }

    function save(beacon) {
        const t = position();
        if (!user || t === null || (t < 0.5 && lastSaved < 0))
            return;
        if (!beacon && Math.abs(t - lastSaved) < 0.05)
            return;
        lastSaved = t;
        const body = JSON.stringify({ seconds: Math.round(t * 1000) / 1000 });
        if (beacon && navigator.sendBeacon && navigator.sendBeacon(posUrl, body))
            return;
        api('PUT', posUrl, { seconds: Math.round(t * 1000) / 1000 }).then((r) => {
            if (r.status === 401) {   /* logged out elsewhere, or expired */
                user = null;
                render();
            }
        }).catch(() => {});
    }

    /* A position the player cannot reach (before a live stream's DVR
     * window, past the end) is moved to the nearest time it can. */
    function correctStart() {
        const p = window.livePlayer;
        if (wanted === null || !p || !p.range)
            return;
        const [a, b] = p.range();
        if (!(b > a))
            return;
        const target = Math.min(Math.max(wanted, a), b);
        wanted = null;
        if (Math.abs(video.currentTime - target) > 2)
            p.seek(target);
    }

    /*
     * dash.js asks for the next segment while buffer level + segment
     * duration < target (for targets above one segment), so a target of
     * AHEAD + the longest segment seen keeps loading until AHEAD seconds
     * are buffered: the buffer ends between AHEAD and AHEAD + one segment
     * past the play (or pause) position. hls.js: maxBufferLength.
     */
    let longest = 0;
    function tuneBuffer() {
        const p = window.livePlayer;
        const dash = p && p.dash && p.dash();
        const hls = p && p.hls && p.hls();
        if (hls) {
            hls.config.maxBufferLength = AHEAD;
            hls.config.maxMaxBufferLength = AHEAD;
        }
        if (!dash || tuneBuffer.done)
            return;
        tuneBuffer.done = true;
        const set = (d) => {
            const target = AHEAD + d;
            dash.updateSettings({ streaming: { buffer: {
                bufferTimeDefault: target, bufferTimeAtTopQuality: target,
                bufferTimeAtTopQualityLongForm: target } } });
        };
        set(2);
        dash.on('fragmentLoadingCompleted', (e) => {
            const d = e && e.request && e.request.duration;
            if (e.request.mediaType === 'video' && isFinite(d) && d > longest) {
                longest = d;
                set(d);
            }
        });
    }

    function track(v) {
        video = v;
        video.addEventListener('loadstart', tuneBuffer);
        video.addEventListener('loadedmetadata', tuneBuffer);
        video.addEventListener('loadedmetadata', correctStart, { once: true });
        video.addEventListener('canplay', correctStart, { once: true });
        video.addEventListener('pause', () => save(false));
        video.addEventListener('seeked', () => save(false));
        setInterval(() => { if (!video.paused && !video.seeking) save(false); }, SAVE_EVERY_MS);
        addEventListener('pagehide', () => save(true));
        document.addEventListener('visibilitychange', () => {
            if (document.visibilityState === 'hidden')
                save(true);
        });
    }

    /* ---- the account box ---- */

    function render() {
        if (!box)
            return;
        box.textContent = '';
        if (user) {
            const who = document.createElement('span');
            who.id = 'account-user';
            who.textContent = user;
            const out = document.createElement('button');
            out.id = 'logout';
            out.type = 'button';
            out.textContent = 'Log out';
            out.addEventListener('click', logout);
            box.append('Signed in as ', who, ' ', out);
            return;
        }
        const form = document.createElement('form');
        form.id = 'login';
        form.innerHTML =
            '<input name="user" id="login-user" autocomplete="username" placeholder="user" required> ' +
            '<input name="password" id="login-password" type="password" ' +
            'autocomplete="current-password" placeholder="password" required> ' +
            '<button type="submit">Log in</button> <span id="login-error" class="error"></span>';
        form.addEventListener('submit', (e) => {
            e.preventDefault();
            login(form.elements.user.value, form.elements.password.value);
        });
        box.append(form);
    }

    async function login(u, pw) {
        const err = () => document.getElementById('login-error');
        try {
            const r = await api('POST', '/api/login', { user: u, password: pw });
            if (r.ok) {
                const name = (await r.json()).user;
                /* Resume where they were (unless ?t= says otherwise) before
                 * anything saves the position they are at now. */
                if (!new URLSearchParams(location.search).has('t')) {
                    const saved = await savedPosition();
                    if (saved !== null && window.livePlayer && window.livePlayer.engine)
                        window.livePlayer.seek(saved);
                    else if (saved !== null)
                        wanted = saved;
                }
                user = name;
                lastSaved = -1;
                render();
                return;
            }
            err().textContent = r.status === 429
                ? 'Too many attempts; try again in ' + (r.headers.get('Retry-After') || 'a few') + ' s.'
                : r.status === 401 ? 'Wrong user or password.' : 'Login failed (' + r.status + ').';
        } catch (e) {
            err().textContent = 'Login failed: ' + e.message;
        }
    }

    async function logout() {
        save(false);
        const t = position();
        if (user && t !== null && t >= 0.5)   /* the last position, for sure */
            await api('PUT', posUrl, { seconds: t }).catch(() => {});
        await api('POST', '/api/logout').catch(() => {});
        user = null;
        lastSaved = -1;
        render();
    }

    function setup() {
        box = document.getElementById('account');
        if (!box) {
            box = document.createElement('div');
            box.id = 'account';
            (document.querySelector('header') || document.body).append(box);
        }
        render();
        const v = document.getElementById('video') || document.querySelector('video');
        if (v)
            track(v);
    }

    window.liveResume = {
        startTime,
        login, logout,
        get user() { return user; },
        save: () => save(false),
    };
    if (document.readyState === 'loading')
        document.addEventListener('DOMContentLoaded', setup);
    else
        setup();
})();
