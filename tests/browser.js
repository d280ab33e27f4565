// tests/browser.js: the one way the browser tests and benchmarks start
// headless Chromium: /usr/bin/chromium (or $CHROMIUM) with the flags every
// run needs (no sandbox, no GPU, no background networking, component
// updates or sync) and, unless autoplay is false, media that plays
// without a user gesture.
//
//   const { launch } = require('./browser');           // from tests/
//   const ctx = await launch({ args: ['--mute-audio'] });
//   ... ctx.newPage() ...
//   await ctx.close();     // also removes its profile directory
//
// launch() gives a persistent context in a fresh profile (one per run);
// launchBrowser() a browser whose contexts are each a fresh profile.
// until(page, fn, arg, ms) waits for a condition evaluated in the page.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                   '--disable-component-update', '--disable-sync', '--headless'];
const AUTOPLAY = ['--autoplay-policy=no-user-gesture-required'];

function options(opts) {
    return {
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: [...BASE_ARGS, ...(opts.autoplay === false ? [] : AUTOPLAY), ...(opts.args || [])],
    };
}

// A persistent context; its close() removes the profile directory too.
async function launch(opts = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-chromium-'));
    let ctx;
    try {
        ctx = await chromium.launchPersistentContext(dir, options(opts));
    } catch (e) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw e;
    }
    const close = ctx.close.bind(ctx);
    ctx.close = async () => {
        try {
            await close();
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    };
    return ctx;
}

// A browser (playwright gives every launch a fresh temporary profile).
function launchBrowser(opts = {}) {
    return chromium.launch(options(opts));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Evaluate fn(arg) in page every 200 ms until it is true (then true) or
// ms have passed (then false).
async function until(page, fn, arg, ms) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (await page.evaluate(fn, arg))
            return true;
        await sleep(200);
    }
    return false;
}

module.exports = { launch, launchBrowser, sleep, until };
