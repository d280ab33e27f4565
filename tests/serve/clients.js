// tests/serve/clients.js: misbehaving HTTP clients for the live-serve
// protection tests. Opens --idle connections that never send a byte
// (spread over --spread source addresses 127.0.0.2, .3, ...) and --slow
// clients that send a request one byte per second; prints "ready" once
// all are connected, and after --hold seconds one JSON line: how many
// idle connections the server closed and when, and when the slow ones
// were cut.
'use strict';
const net = require('net');

const args = {};
for (let i = 2; i < process.argv.length; i += 2)
    args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const port = +args.port, idle = +(args.idle || 0), spread = +(args.spread || 1);
const slow = +(args.slow || 0), hold = +(args.hold || 5);
const keep = +(args.keepalive || 0);
const from = args.from || '127.0.0.';
const base = +(args.base || 2);
const t0 = Date.now();
let connected = 0, closedIdle = 0, refused = 0;
const closeTimes = [], slowCut = [];

function ready() {
    if (connected === idle + slow + keep)
        console.log('ready');
}

for (let i = 0; i < idle; i++) {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from + (base + i % spread) });
    s.on('connect', () => { connected++; ready(); });
    s.on('error', () => {});
    s.on('close', () => {
        closedIdle++;
        closeTimes.push((Date.now() - t0) / 1000);
    });
}

const request = 'GET /cam1/manifest.mpd HTTP/1.1\r\nHost: slow\r\nX-Pad: ' + 'x'.repeat(200) + '\r\n\r\n';
for (let i = 0; i < slow; i++) {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from + (base + spread + i) });
    let sent = 0, timer = null, got = '';
    s.on('connect', () => {
        connected++;
        ready();
        timer = setInterval(() => {
            if (sent < request.length)
                s.write(request[sent++]);
        }, 1000);
    });
    s.on('data', (d) => { got += d; });
    s.on('error', () => {});
    s.on('close', () => {
        clearInterval(timer);
        slowCut.push({ after: (Date.now() - t0) / 1000, sent, answered: got.startsWith('HTTP/') });
    });
}

// Keep-alive clients: one request, then idle on the open connection.
const keepClosed = [];
for (let i = 0; i < keep; i++) {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: from + (base + spread + slow + i) });
    let got = '';
    s.on('connect', () => {
        connected++;
        ready();
        s.write('GET /cam1/manifest.mpd HTTP/1.1\r\nHost: keep\r\n\r\n');
    });
    s.on('data', (d) => { got += d; });
    s.on('error', () => {});
    s.on('close', () => {
        keepClosed.push({ after: (Date.now() - t0) / 1000, answered: got.startsWith('HTTP/1.1 200') });
    });
}

setTimeout(() => {
    closeTimes.sort((a, b) => a - b);
    console.log(JSON.stringify({
        connected, closedIdle, refused,
        firstClose: closeTimes.length ? closeTimes[0] : null,
        lastClose: closeTimes.length ? closeTimes[closeTimes.length - 1] : null,
        slow: slowCut,
        keepalive: keepClosed,
    }));
    process.exit(0);
}, hold * 1000);
