#!/usr/bin/env python3
"""ll-feed.py: drive live-package -L with records one at a time and check
what it publishes after each one (tests/package-lowlatency.t).

usage: ll-feed.py RECORDS OUT STREAM -- LIVE-PACKAGE ARGS...

Feeds RECORDS (live-pipe(5) JSON lines) to the live-package command on its
standard input, one record at a time, and after each waits until the
playlists reflect it (a chunk: its part listed; a renditions record: its
segment listed), then reads every media playlist and checks, at that
moment, the LL-HLS rules and that every byte range it names is written.
At the first chunk of the third segment, ffprobe reads the live
master.m3u8 and manifest.mpd. Prints one JSON object of findings.
"""
import json
import os
import re
import subprocess
import sys
import time


def attrs(line):
    return dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', line.split(':', 1)[1]))


def parse(text):
    pl = {'parts': [], 'segments': [], 'reports': [], 'hint': None}
    pending = []
    for line in text.splitlines():
        if line.startswith('#EXT-X-PART-INF:'):
            pl['part_target'] = float(attrs(line)['PART-TARGET'])
        elif line.startswith('#EXT-X-SERVER-CONTROL:'):
            a = attrs(line)
            pl['phb'] = float(a.get('PART-HOLD-BACK', '0'))
        elif line.startswith('#EXT-X-PART:'):
            a = attrs(line)
            n, o = a['BYTERANGE'].strip('"').split('@')
            part = {'uri': a['URI'].strip('"'), 'dur': float(a['DURATION']), 'size': int(n),
                    'off': int(o), 'ind': a.get('INDEPENDENT') == 'YES'}
            pl['parts'].append(part)
            pending.append(part)
        elif line.startswith('#EXT-X-PRELOAD-HINT:'):
            a = attrs(line)
            pl['hint'] = (a['URI'].strip('"'), int(a.get('BYTERANGE-START', '0')), a['TYPE'])
        elif line.startswith('#EXT-X-RENDITION-REPORT:'):
            pl['reports'].append(attrs(line)['URI'].strip('"'))
        elif line and not line.startswith('#'):
            pl['segments'].append(line)
            pending = []
    pl['open_parts'] = pending
    return pl


def main():
    recs, out, stream = sys.argv[1:4]
    cmd = sys.argv[sys.argv.index('--') + 1:]
    top = os.path.join(out, stream)
    f = {'snapshots': 0, 'parts_seen': 0, 'too_long': 0, 'phb_short': 0, 'no_target': 0,
         'reports_bad': 0, 'unwritten': 0, 'not_box': 0, 'hint_bad': 0, 'hint_next_bad': 0,
         'hint_checked': 0, 'first_not_independent': 0, 'ffprobe_live': None,
         'timeouts': 0, 'renditions': []}
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    prev = {}
    probed = False
    for line in open(recs):
        rec = json.loads(line)
        if rec['type'] == 'end':
            break
        p.stdin.write(line.encode())
        p.stdin.flush()
        if rec['type'] not in ('chunk', 'renditions'):
            continue
        rends = [r['id'] for r in rec['renditions']]
        f['renditions'] = rends
        seg = '%d.m4s' % rec['seq']
        deadline = time.time() + float(os.environ.get('LL_WAIT', '60'))
        while True:
            try:
                texts = {r: open(os.path.join(top, r, 'index.m3u8')).read() for r in rends}
            except OSError:
                texts = None
            if texts:
                pls = {r: parse(t) for r, t in texts.items()}
                if all(rec['type'] == 'renditions' and seg in pl['segments'] for pl in pls.values()):
                    break
                if all(rec['type'] == 'chunk' and (
                        seg in pl['segments'] or
                        sum(1 for q in pl['open_parts'] if q['uri'] == seg) > rec['part'])
                       for pl in pls.values()):
                    break
                # the stream's first segment is published whole
                if rec['type'] == 'chunk' and 'part_target' not in pls[rends[0]]:
                    break
            if not texts and rec['type'] == 'chunk':
                break
            if time.time() > deadline:
                f['timeouts'] += 1
                break
            time.sleep(0.02)
        if not texts:
            continue
        for r, pl in pls.items():
            if 'part_target' not in pl:
                continue
            f['snapshots'] += 1
            f['parts_seen'] += len(pl['parts'])
            others = sorted('../%s/index.m3u8' % o for o in rends if o != r)
            if sorted(pl['reports']) != others:
                f['reports_bad'] += 1
            if pl.get('phb', 0) < 3 * pl['part_target'] - 1e-9:
                f['phb_short'] += 1
            for q in pl['parts']:
                if q['dur'] > pl['part_target'] + 1e-9:
                    f['too_long'] += 1
                path = os.path.join(top, r, q['uri'])
                size = os.path.getsize(path) if os.path.exists(path) else \
                    os.path.getsize(path + '.open') if os.path.exists(path + '.open') else -1
                if q['off'] + q['size'] > size:
                    f['unwritten'] += 1
                else:
                    with open(path if os.path.exists(path) else path + '.open', 'rb') as fh:
                        fh.seek(q['off'] + 4)
                        if fh.read(4) not in (b'styp', b'moof'):
                            f['not_box'] += 1
                if q['off'] == 0 and not q['ind']:
                    f['first_not_independent'] += 1
            # the hint names the next part: right after the open segment's
            # last part, or the next segment's start
            h = pl['hint']
            op = pl['open_parts']
            if os.environ.get('LL_DEBUG'):
                print(rec['type'], rec['seq'], rec.get('part'), rec.get('last'), r, h,
                      op[-1] if op else None, file=sys.stderr)
            if not h or h[2] != 'PART':
                f['hint_bad'] += 1
            elif op and rec['type'] == 'chunk' and rec['last']:
                if h[0] != '%d.m4s' % (rec['seq'] + 1) or h[1] != 0:
                    f['hint_bad'] += 1
            elif op and (h[0] != op[-1]['uri'] or h[1] != op[-1]['off'] + op[-1]['size']):
                f['hint_bad'] += 1
            elif not op and (h[0] != '%d.m4s' % (int(pl['segments'][-1].split('.')[0]) + 1)
                             or h[1] != 0):
                f['hint_bad'] += 1
            # ... and the part that comes next is the one it named
            if r in prev and prev[r]['hint']:
                old = {(q['uri'], q['off']) for q in prev[r]['parts']}
                new = [q for q in pl['parts'] if (q['uri'], q['off']) not in old]
                if new:
                    f['hint_checked'] += 1
                    if (new[0]['uri'], new[0]['off']) != prev[r]['hint'][:2]:
                        f['hint_next_bad'] += 1
            prev[r] = pl
        if rec['type'] == 'chunk' and rec['seq'] == 2 and rec['part'] == 0 and not probed:
            probed = True
            codes = [subprocess.call(['ffprobe', '-v', 'error', os.path.join(top, m)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for m in ('master.m3u8', 'manifest.mpd')]
            f['ffprobe_live'] = codes
    # the end record last: the stream becomes VOD
    with open(recs) as fh:
        for line in fh:
            if json.loads(line)['type'] == 'end':
                p.stdin.write(line.encode())
    p.stdin.close()
    f['exit'] = p.wait()
    print(json.dumps(f))


if __name__ == '__main__':
    main()
