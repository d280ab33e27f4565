// tests/package-serve.js: a tiny static HTTP server for the live-package
// browser tests (live-serve is a separate program): serves ROOT, answers
// /time with the UTC time in ISO 8601 (the MPD's UTCTiming), and the
// player libraries under /lib/. Loopback only.
//   node tests/package-serve.js ROOT PORT
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');

const root = path.resolve(process.argv[2]);
const port = Number(process.argv[3]);
const top = path.resolve(__dirname, '..');
const libs = {
    '/lib/dash.js': path.join(top, 'node_modules/dashjs/dist/modern/umd/dash.all.min.js'),
    '/lib/hls.js': path.join(top, 'node_modules/hls.js/dist/hls.min.js'),
};
const types = {
    '.mpd': 'application/dash+xml', '.m3u8': 'application/vnd.apple.mpegurl',
    '.mp4': 'video/mp4', '.m4s': 'video/iso.segment', '.js': 'text/javascript',
    '.html': 'text/html',
};
const page = '<!doctype html><html><body><video id="v" muted playsinline width="426"></video>' +
    '<script src="/lib/dash.js"></script><script src="/lib/hls.js"></script></body></html>';

http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const headers = { 'Cache-Control': 'no-cache', 'Access-Control-Allow-Origin': '*' };
    if (url.pathname === '/time') {
        res.writeHead(200, { ...headers, 'Content-Type': 'text/plain' });
        return res.end(new Date().toISOString());
    }
    if (url.pathname === '/player.html') {
        res.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
        return res.end(page);
    }
    let file = libs[url.pathname];
    if (!file) {
        file = path.join(root, decodeURIComponent(url.pathname));
        if (!file.startsWith(root + path.sep))
            return res.writeHead(403).end();
    }
    fs.readFile(file, (err, data) => {
        if (err) {
            res.writeHead(404, headers);
            return res.end();
        }
        res.writeHead(200, { ...headers, 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
        res.end(data);
    });
}).listen(port, '127.0.0.1', () => console.log('listening on ' + port));
