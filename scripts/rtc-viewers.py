#!/usr/bin/python3
# scripts/rtc-viewers.py (for scripts/bench-rtc-viewers): N WebRTC viewers
# of one stream in one process, on aiortc with decoding switched off (the
# benchmark measures the server, not the clients' decoders). Signalling:
#   --whep URL        WHEP (live-rtc through live-serve)
#   --janus URL       Janus's HTTP API, streaming plugin mountpoint --mountpoint ID
# Plays --seconds (or, with --stop FILE, until FILE exists, --seconds at
# most; with --ready FILE it makes FILE once every viewer is connected or
# has failed), then prints one JSON line: viewers that connected, RTP
# packets received and lost (by sequence numbers, both media), the same
# per medium ("video", "audio": a payload type is a medium by the SDP both
# sides agreed on; retransmission and FEC types count in neither), how
# many viewers got no video or no audio packet at all ("no_video",
# "no_audio", viewers that failed to connect included), the worst loss one
# viewer saw on each ("worst_video_loss", "worst_audio_loss", fractions),
# and "rate": the packets the server sent each viewer a second of media
# (by sequence numbers over RTP timestamps, so what the client lost counts
# and a client that reads late does not: a measure of the server, not of
# us). RTC_VIEWERS_DEBUG=1 prints each viewer's counts on stderr, 2 the
# ICE, DTLS and RTCP on top.
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

# per (transport, SSRC): [received, first extended seq, highest extended seq,
# when first, payload type, first RTP timestamp, RTP timestamp at the
# highest seq]
COUNTS = {}


async def count_rtp(self, data, arrival_time_ms):
    if len(data) < 12:
        return
    seq = data[2] << 8 | data[3]
    key = (id(self), data[8:12])
    c = COUNTS.get(key)
    if c is None:
        ts = int.from_bytes(data[4:8], "big")
        COUNTS[key] = [1, seq, seq, time.monotonic(), data[1] & 0x7F, ts, ts]
        return
    c[0] += 1
    hi = c[2]
    d = (seq - (hi & 0xFFFF)) & 0xFFFF
    if d < 0x8000:
        c[2] = hi + d
        c[6] = int.from_bytes(data[4:8], "big")
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
# They are set once aioice has gathered its candidates: it sets SO_RCVBUF
# to 256 KiB itself (512 KiB in effect) right after making each socket,
# which undid a setting made when the socket was made.
_orig_gather = ice.Connection.get_component_candidates


async def get_component_candidates(self, *args, **kwargs):
    candidates = await _orig_gather(self, *args, **kwargs)
    for protocol in self._protocols:
        sock = protocol.transport.get_extra_info("socket") if protocol.transport else None
        for opt in (getattr(socket, "SO_RCVBUFFORCE", 33), socket.SO_RCVBUF):
            try:
                sock.setsockopt(socket.SOL_SOCKET, opt, 8 << 20)
                break
            except (OSError, AttributeError):
                pass
    return candidates


ice.Connection.get_component_candidates = get_component_candidates

# Host candidates on one address alone, RTC_VIEWERS_HOST (default
# 127.0.0.1): the one the servers listen on, so that no check or datagram
# goes to another interface's address.
ice.get_host_addresses = lambda use_ipv4, use_ipv6: [os.environ.get("RTC_VIEWERS_HOST", "127.0.0.1")]


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


def transport_of(pc):
    """The DTLS transport all of a viewer's media arrive on (BUNDLE)."""
    return id(pc.getTransceivers()[0].receiver.transport)


def payload_kinds(pc):
    """RTP payload type -> "video", "audio" or "other" (retransmissions,
    FEC), from the SDP both sides agreed on; and payload type -> clock
    rate."""
    kinds, clocks = {}, {}
    for desc in (pc.remoteDescription, pc.localDescription):
        kind = None
        for line in (desc.sdp.splitlines() if desc else []):
            if line.startswith("m="):
                f = line[2:].split()
                kind = f[0] if f[0] in ("video", "audio") else "other"
                for pt in f[3:]:
                    if pt.isdigit():
                        kinds.setdefault(int(pt), kind)
            elif line.startswith("a=rtpmap:") and kind:
                pt, _, enc = line[9:].partition(" ")
                enc = enc.split("/")
                if not pt.isdigit():
                    continue
                if enc[0].lower() in ("rtx", "red", "ulpfec", "flexfec-03"):
                    kinds[int(pt)] = "other"
                if len(enc) > 1 and enc[1].isdigit():
                    clocks.setdefault(int(pt), int(enc[1]))
    return kinds, clocks


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--whep")
    ap.add_argument("--janus")
    ap.add_argument("--mountpoint", type=int, default=1)
    ap.add_argument("-n", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--ready", help="file made once every viewer is connected (or failed)")
    ap.add_argument("--stop", help="play until this file exists (--seconds at most)")
    a = ap.parse_args()
    pcs, errors = [], []
    for _ in range(a.n):
        try:
            pcs.append(await (whep_viewer(a.whep) if a.whep else janus_viewer(a.janus, a.mountpoint)))
        except Exception as e:
            errors.append(str(e))
    if a.ready:
        # ICE and DTLS finish after the signalling: wait for them (30 s at most)
        for _ in range(300):
            if all(pc.connectionState in ("connected", "failed", "closed") for pc in pcs):
                break
            await asyncio.sleep(0.1)
        with open(a.ready + ".tmp", "w") as f:
            f.write("%d\n" % sum(pc.connectionState == "connected" for pc in pcs))
        os.rename(a.ready + ".tmp", a.ready)
    t_end = time.monotonic() + a.seconds
    while time.monotonic() < t_end and not (a.stop and os.path.exists(a.stop)):
        await asyncio.sleep(min(0.5, a.seconds))
    connected = sum(pc.connectionState == "connected" for pc in pcs)
    # per viewer and kind: packets received, lost (by sequence numbers:
    # gaps, so what the server never sent does not count); what the server
    # sent a viewer a second of media (sequence numbers over RTP
    # timestamps: losses count, and so does a stretch of media it skipped,
    # but not how far behind a busy client reads)
    per = {}
    for pc in pcs:
        kinds, clocks = payload_kinds(pc)
        per[transport_of(pc)] = {"kinds": kinds, "clocks": clocks, "video": [0, 0], "audio": [0, 0],
                                 "other": [0, 0], "rate": 0.0}
    for (tr, ssrc), (n, first, hi, t, pt, ts0, ts1) in COUNTS.items():
        v = per.get(tr)
        if v is None:
            continue
        k = v["kinds"].get(pt, "other")
        v[k][0] += n
        v[k][1] += max(0, (hi - first + 1) - n)
        span = ((ts1 - ts0) & 0xFFFFFFFF) / v["clocks"].get(pt, 90000)
        if k != "other" and span >= 1:
            v["rate"] += (hi - first) / span
    tot = {"video": [0, 0], "audio": [0, 0], "other": [0, 0]}
    no_video = no_audio = 0
    worst = {"video": 0.0, "audio": 0.0}
    rate = 0.0
    for tr, v in per.items():
        for k in tot:
            tot[k][0] += v[k][0]
            tot[k][1] += v[k][1]
        for k in worst:
            worst[k] = max(worst[k], v[k][1] / max(1, v[k][0] + v[k][1]))
        no_video += v["video"][0] == 0
        no_audio += v["audio"][0] == 0
        rate += v["rate"]
        if os.environ.get("RTC_VIEWERS_DEBUG"):
            print("viewer %x: video %d lost %d, audio %d lost %d, other %d" % (
                tr, v["video"][0], v["video"][1], v["audio"][0], v["audio"][1], v["other"][0]), file=sys.stderr)
    got = sum(x[0] for x in tot.values())
    lost = sum(x[1] for x in tot.values())
    print(json.dumps({"viewers": a.n, "connected": connected, "received": got, "lost": lost,
                      "loss": lost / max(1, got + lost),
                      "video": {"received": tot["video"][0], "lost": tot["video"][1]},
                      "audio": {"received": tot["audio"][0], "lost": tot["audio"][1]},
                      "no_video": no_video + (a.n - len(pcs)), "no_audio": no_audio + (a.n - len(pcs)),
                      "worst_video_loss": round(worst["video"], 5), "worst_audio_loss": round(worst["audio"], 5),
                      "rate": round(rate / max(1, a.n), 1), "errors": errors[:3]}), flush=True)
    for pc in pcs:
        await pc.close()


if os.environ.get("RTC_VIEWERS_DEBUG") == "2":
    import logging
    logging.basicConfig(level=logging.DEBUG)
asyncio.run(main())
