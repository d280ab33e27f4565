// tests/package-tfdt.js: print "tfdt trun_version samples negative_cto"
// of each CMAF media segment named on the command line (one line each).
'use strict';
const fs = require('fs');

function boxes(buf, start, end, cb) {
    for (let p = start; p + 8 <= end;) {
        const size = buf.readUInt32BE(p), type = buf.toString('latin1', p + 4, p + 8);
        if (size < 8 || p + size > end)
            throw new Error('bad box ' + type + ' at ' + p);
        cb(type, p + 8, p + size);
        p += size;
    }
}

for (const f of process.argv.slice(2)) {
    const b = fs.readFileSync(f);
    const r = { tfdt: -1, version: -1, samples: 0, negative: 0 };
    boxes(b, 0, b.length, (t, s, e) => {
        if (t !== 'moof')
            return;
        boxes(b, s, e, (t2, s2, e2) => {
            if (t2 !== 'traf')
                return;
            boxes(b, s2, e2, (t3, s3) => {
                if (t3 === 'tfdt')
                    r.tfdt = b[s3] === 1 ? Number(b.readBigUInt64BE(s3 + 4)) : b.readUInt32BE(s3 + 4);
                if (t3 === 'trun') {
                    const flags = b.readUInt32BE(s3) & 0xffffff;
                    r.version = b[s3];
                    r.samples = b.readUInt32BE(s3 + 4);
                    let p = s3 + 8 + (flags & 1 ? 4 : 0) + (flags & 4 ? 4 : 0);
                    for (let i = 0; i < r.samples; i++) {
                        if (flags & 0x100) p += 4;
                        if (flags & 0x200) p += 4;
                        if (flags & 0x400) p += 4;
                        if (flags & 0x800) {
                            if (b.readInt32BE(p) < 0) r.negative++;
                            p += 4;
                        }
                    }
                }
            });
        });
    });
    console.log(`${r.tfdt} ${r.version} ${r.samples} ${r.negative}`);
}
