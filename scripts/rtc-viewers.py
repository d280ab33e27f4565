#!/usr/bin/python3
# scripts/rtc-viewers.py (for scripts/bench-rtc-viewers): N WebRTC viewers
# of one stream in one process, on aiortc with decoding switched off (the
# benchmark measures the server, not the clients' decoders). Signalling:
#   --whep URL        WHEP (live-rtc through live-serve)
#   --janus URL       Janus's HTTP API, streaming plugin mountpoint --mountpoint ID
# Plays --seconds, then prints one JSON line: viewers that connected, RTP
# packets received and lost (by sequence numbers, both media), and "rate":
# the packets a second the server sent each viewer (by sequence numbers,
# so what the client lost counts: a measure of the server, not of us).
#
# The viewers are as light as aiortc allows, so that many fit beside the
# server on two cores: ICE, DTLS and SRTCP as usual, but an RTP packet
# only counts (sequence number and SSRC, read from its header, which SRTP
# leaves in the clear): no decryption, parsing into objects, jitter
# buffer, depacketising, NACK or decoding. RTCP still goes out (receiver
# reports), consent checks too. The tests (tests/rtc-*.t) are where
# what is sent is checked to decrypt and decode. Their sockets get 8 MiB
# receive buffers.
import argparse, asyncio, json, os, random, socket, sys, time, urllib.request

import aioice.ice as ice
import aiortc.rtcdtlstransport as dt
from aiortc import RTCPeerConnection, RTCSessionDescription

# per (transport, SSRC): [received, first extended seq, highest extended seq, when first]
COUNTS = {}


async def count_rtp(self, data, arrival_time_ms):
    if len(data) < 12:
        return
    seq = data[2] << 8 | data[3]
    key = (id(self), data[8:12])
    c = COUNTS.get(key)
    if c is None:
        COUNTS[key] = [1, seq, seq, time.monotonic()]
        return
    c[0] += 1
    hi = c[2]
    d = (seq - (hi & 0xFFFF)) & 0xFFFF
    if d < 0x8000:
        c[2] = hi + d
    # older (reordered or resent) packets count, and move nothing


dt.RTCDtlsTransport._handle_rtp_data = count_rtp


class HeaderOnly(dt.Session):
    """SRTP that leaves RTP as it came: its header is in the clear, and
    counting needs nothing else (RTCP is still authenticated)."""

    def unprotect(self, packet):
        return packet


dt.Session = HeaderOnly

# Large receive buffers (SO_RCVBUFFORCE when allowed): a client descheduled
# for a moment on a loaded machine must not lose what the server sent.
_orig_made = ice.StunProtocol.connection_made


def connection_made(self, transport):
    sock = transport.get_extra_info("socket")
    for opt in (getattr(socket, "SO_RCVBUFFORCE", 33), socket.SO_RCVBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, opt, 8 << 20)
            break
        except OSError:
            pass
    _orig_made(self, transport)


ice.StunProtocol.connection_made = connection_made


def post(url, body, ctype="application/json"):
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Content-Type", ctype)
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, dict(r.headers), r.read().decode()


def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.loads(r.read().decode())


async def run_in(fn, *a):
    return await asyncio.get_event_loop().run_in_executor(None, fn, *a)


async def drain(track):
    try:
        while True:
            await track.recv()
    except Exception:
        pass


async def whep_viewer(url):
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    pc.on("track", lambda t: asyncio.ensure_future(drain(t)))
    await pc.setLocalDescription(await pc.createOffer())
    status, _, body = await run_in(post, url, pc.localDescription.sdp.encode(), "application/sdp")
    if status != 201:
        raise RuntimeError("WHEP %d" % status)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
    return pc


async def janus_viewer(base, mountpoint):
    tx = lambda: "%08x" % random.getrandbits(32)
    _, _, r = await run_in(post, base, json.dumps({"janus": "create", "transaction": tx()}).encode())
    sid = json.loads(r)["data"]["id"]
    _, _, r = await run_in(post, "%s/%d" % (base, sid), json.dumps(
        {"janus": "attach", "plugin": "janus.plugin.streaming", "transaction": tx()}).encode())
    hid = json.loads(r)["data"]["id"]
    hurl = "%s/%d/%d" % (base, sid, hid)
    await run_in(post, hurl, json.dumps({"janus": "message", "transaction": tx(),
                                         "body": {"request": "watch", "id": mountpoint}}).encode())
    offer = None
    for _ in range(20):
        ev = await run_in(get, "%s/%d?maxev=1" % (base, sid))
        if ev.get("jsep"):
            offer = ev["jsep"]
            break
    if not offer:
        raise RuntimeError("no offer from Janus")
    pc = RTCPeerConnection()
    pc.on("track", lambda t: asyncio.ensure_future(drain(t)))
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    await run_in(post, hurl, json.dumps({"janus": "message", "transaction": tx(), "body": {"request": "start"},
                                         "jsep": {"type": "answer", "sdp": pc.localDescription.sdp}}).encode())

    async def keepalive():
        while True:
            await asyncio.sleep(20)
            try:
                await run_in(post, "%s/%d" % (base, sid), json.dumps({"janus": "keepalive", "transaction": tx()}).encode())
                await run_in(get, "%s/%d?maxev=5" % (base, sid))
            except Exception:
                pass
    asyncio.ensure_future(keepalive())
    return pc


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--whep")
    ap.add_argument("--janus")
    ap.add_argument("--mountpoint", type=int, default=1)
    ap.add_argument("-n", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args()
    pcs, errors = [], []
    for _ in range(a.n):
        try:
            pcs.append(await (whep_viewer(a.whep) if a.whep else janus_viewer(a.janus, a.mountpoint)))
        except Exception as e:
            errors.append(str(e))
    await asyncio.sleep(a.seconds)
    got = lost = connected = 0
    end = time.monotonic()
    for pc in pcs:
        if pc.connectionState == "connected":
            connected += 1
    if os.environ.get("RTC_VIEWERS_DEBUG"):
        for k, v in COUNTS.items():
            print(k[0], k[1].hex(), v, v[2] - v[1] + 1 - v[0], file=sys.stderr)
    # what the server sent, by sequence numbers (lost packets included):
    # packets a second per viewer since its first packet
    sent = {}
    for (tr, _), (n, first, hi, t) in COUNTS.items():
        got += n
        lost += max(0, (hi - first + 1) - n)
        s_n, s_t = sent.get(tr, (0, t))
        sent[tr] = (s_n + hi - first + 1, min(s_t, t))
    rate = sum(n / max(0.1, end - t) for n, t in sent.values()) / max(1, a.n)
    print(json.dumps({"viewers": a.n, "connected": connected, "received": got, "lost": lost,
                      "loss": lost / max(1, got + lost), "rate": round(rate, 1), "errors": errors[:3]}), flush=True)
    for pc in pcs:
        await pc.close()


asyncio.run(main())
