#!/usr/bin/python3
# scripts/rtc-viewers.py (for scripts/bench-rtc-viewers): N WebRTC viewers
# of one stream in one process, on aiortc with decoding switched off (the
# benchmark measures the server, not the clients' decoders). Signalling:
#   --whep URL        WHEP (live-rtc through live-serve)
#   --janus URL       Janus's HTTP API, streaming plugin mountpoint --mountpoint ID
# Plays --seconds, then prints one JSON line: viewers that connected, RTP
# packets received and lost (RTCP receiver statistics, both media).
import argparse, asyncio, json, random, time, urllib.request

import aiortc.rtcrtpreceiver as rr
from aiortc import RTCPeerConnection, RTCSessionDescription


class NoDecoder:
    def decode(self, frame):
        return []


rr.get_decoder = lambda codec: NoDecoder()


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
    for pc in pcs:
        if pc.connectionState == "connected":
            connected += 1
        for r in pc.getReceivers():
            for s in (await r.getStats()).values():
                if s.type == "inbound-rtp":
                    got += s.packetsReceived
                    lost += max(0, s.packetsLost)
    print(json.dumps({"viewers": a.n, "connected": connected, "received": got, "lost": lost,
                      "loss": lost / max(1, got + lost), "errors": errors[:3]}), flush=True)
    for pc in pcs:
        await pc.close()


asyncio.run(main())
