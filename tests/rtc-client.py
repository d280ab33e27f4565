#!/usr/bin/python3
# tests/rtc-client.py: an independent WebRTC viewer (aiortc, from Debian)
# for the live-rtc tests. For each WHEP URL it POSTs a recvonly H.264 +
# Opus offer, plays what comes (aiortc decodes H.264 with libavcodec and
# Opus with libopus), and prints one JSON line per URL:
#   {"url", "status", "video_frames", "audio_frames", "first_video",
#    "width", "height", "ended", "error"}
#
#   rtc-client.py [--seconds N] [--until-end] [--vanish] [--min-frames N]
#                 [--pli-after S [--plis N]] [--nack-flood N] [--sync] URL...
#
# --seconds: play this long at most (default 10); --until-end: stop when
# the server ends the tracks; --vanish: leave without DELETE and without
# closing the transport (a viewer that crashed); --min-frames: stop once
# every URL has decoded this many video frames.
# --pli-after S: S seconds after the first video frame, send one RTCP PLI and report
#   (--plis N: N of them at once) and report "pli_key": how far (in media seconds, by RTP timestamps) the first IDR
#   that arrives after it is from the last video packet before it (null
#   if none came), and "plis_sent".
# --nack-flood N: right after the PLI, send N RTCP NACKs at once, each
#   naming the 256 video packets before the last received ("nacks_sent").
# --sync: the source flashes white and beeps at the same instants; report
#   "sync_ms": for each flash, the difference between the flash and the
#   nearest beep onset on the sender's clock (RTP time mapped to NTP by the
#   last Sender Report of each stream), video minus audio, and "srs".
import argparse
import asyncio
import json
import os
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urljoin

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpreceiver import RtcpSrPacket

# What arrives at each receiver below the decoder: Sender Reports and the
# RTP timestamps of IDR starts (aiortc keeps neither where we can see).
WIRE = {}
_orig_rtcp = RTCRtpReceiver._handle_rtcp_packet
_orig_rtp = RTCRtpReceiver._handle_rtp_packet


def wire(r):
    return WIRE.setdefault(id(r), {"srs": [], "keys": [], "last_ts": None, "ssrc": None, "seq": 0})


async def _rtcp(self, packet):
    if isinstance(packet, RtcpSrPacket):
        wire(self)["srs"].append((packet.sender_info.ntp_timestamp, packet.sender_info.rtp_timestamp))
    await _orig_rtcp(self, packet)


def is_idr_start(p):
    if not p:
        return False
    t = p[0] & 0x1F
    if t == 5:
        return True
    if t == 28 and len(p) > 1:
        return (p[1] & 0x80) != 0 and (p[1] & 0x1F) == 5
    if t == 24:  # STAP-A: SPS/PPS first, maybe the IDR too
        i = 1
        while i + 2 < len(p):
            n = p[i] << 8 | p[i + 1]
            if i + 2 < len(p) and p[i + 2] & 0x1F in (5, 7):
                return True
            i += 2 + n
    return False


async def _rtp(self, packet, arrival_time_ms):
    w = wire(self)
    w["ssrc"] = packet.ssrc
    w["last_ts"] = packet.timestamp
    w["seq"] = packet.sequence_number
    if is_idr_start(packet.payload):
        if not w["keys"] or w["keys"][-1][1] != packet.timestamp:
            w["keys"].append((time.monotonic(), packet.timestamp))
    await _orig_rtp(self, packet, arrival_time_ms)

RTCRtpReceiver._handle_rtcp_packet = _rtcp
RTCRtpReceiver._handle_rtp_packet = _rtp


def s32(x):
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x >= 1 << 31 else x


def ntp_of(sr, ts, clock):
    """Sender NTP seconds of RTP time ts by Sender Report sr."""
    ntp, rtp = sr
    return (ntp >> 32) + (ntp & 0xFFFFFFFF) / 2**32 + s32(ts - rtp) / clock


def http(method, url, body=None, ctype=None):
    req = urllib.request.Request(url, data=body, method=method)
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


class Viewer:
    def __init__(self, url, pli_after=0, sync=False, nack_flood=0, plis=1):
        self.url = url
        self.plis = plis
        self.nack_flood = nack_flood
        self.pli_after = pli_after
        self.sync = sync
        self.pli = None             # (monotonic, last video ts) when sent
        self.flashes, self.beeps = [], []
        self.receivers = {}
        self.bright = self.loud = True  # an onset counts after a dark frame, a quiet one
        self.prev_vts = None
        self.pc = RTCPeerConnection()
        self.res = {"url": url, "status": 0, "video_frames": 0, "audio_frames": 0,
                    "first_video": None, "width": 0, "height": 0, "ended": False, "error": None}
        self.location = None
        self.t0 = time.monotonic()
        self.tasks = []

    def raw_ts(self, kind, pts):
        """The RTP timestamp of a decoded frame (aiortc starts pts at 0)."""
        r = self.receivers.get(kind)
        origin = r._RTCRtpReceiver__timestamp_mapper._origin if r else None
        return None if origin is None else (pts + origin) & 0xFFFFFFFF

    def watch_sync(self, kind, frame):
        ts = self.raw_ts(kind, frame.pts)
        if ts is None:
            return
        if kind == "video":
            # a GOP replayed after a PLI comes with timestamps a tick apart:
            # not the frames' own times
            replay = self.prev_vts is not None and 0 <= s32(ts - self.prev_vts) < 900
            self.prev_vts = ts
            bright = frame.to_ndarray(format="gray").mean() > 128
            if bright and not self.bright and not replay:
                self.flashes.append(ts)
            self.bright = bright
        else:
            a = frame.to_ndarray().reshape(-1)
            ch = len(frame.layout.channels)
            loud = abs(a.astype("int32")) > 8000
            if loud.any() and not self.loud:
                self.beeps.append((ts + int(loud.argmax()) // ch) & 0xFFFFFFFF)
                self.loud = True
            elif abs(a.astype("int32")).max() < 800:
                self.loud = False

    async def consume(self, track):
        try:
            while True:
                frame = await track.recv()
                if self.sync:
                    self.watch_sync(track.kind, frame)
                if track.kind == "video":
                    if self.res["first_video"] is None:
                        self.res["first_video"] = round(time.monotonic() - self.t0, 3)
                    self.res["video_frames"] += 1
                    self.res["width"], self.res["height"] = frame.width, frame.height
                    if self.pli_after and self.pli is None and \
                            time.monotonic() - self.t0 - self.res["first_video"] >= self.pli_after:
                        await self.send_pli()
                else:
                    self.res["audio_frames"] += 1
        except MediaStreamError:
            self.res["ended"] = True

    async def send_pli(self):
        r = self.receivers.get("video")
        w = wire(r)
        self.pli = (time.monotonic(), w["last_ts"])
        for _ in range(self.plis):
            await r._send_rtcp_pli(w["ssrc"])
        self.res["plis_sent"] = self.res.get("plis_sent", 0) + self.plis
        if self.nack_flood:
            last = w["seq"]
            lost = [(last - 256 + i) & 0xFFFF for i in range(256)]
            for _ in range(self.nack_flood):
                await r._send_rtcp_nack(w["ssrc"], lost)
            self.res["nacks_sent"] = self.nack_flood * 256

    def report(self):
        v = wire(self.receivers["video"]) if "video" in self.receivers else None
        a = wire(self.receivers["audio"]) if "audio" in self.receivers else None
        if self.pli_after:
            self.res["pli_key"] = None
            if self.pli and v:
                after = [ts for t, ts in v["keys"] if t > self.pli[0]]
                if after:
                    self.res["pli_key"] = round(s32(after[0] - self.pli[1]) / 90000, 3)
            self.res["keyframes"] = len(v["keys"]) if v else 0
        if self.sync and v and a and v["srs"] and a["srs"]:
            self.res["srs"] = [len(v["srs"]), len(a["srs"])]
            out = []
            for f in self.flashes:
                tv = ntp_of(v["srs"][-1], f, 90000)
                ta = [ntp_of(a["srs"][-1], b, 48000) for b in self.beeps]
                if ta:
                    near = min(ta, key=lambda x: abs(x - tv))
                    if abs(near - tv) < 0.8:
                        out.append(round((tv - near) * 1000, 1))
            self.res["sync_ms"] = out

    async def start(self):
        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.addTransceiver("audio", direction="recvonly")

        @self.pc.on("track")
        def on_track(track):
            self.tasks.append(asyncio.ensure_future(self.consume(track)))

        await self.pc.setLocalDescription(await self.pc.createOffer())
        loop = asyncio.get_event_loop()
        for _ in range(40):  # 503 + Retry-After while the stream has no media yet
            status, headers, body = await loop.run_in_executor(
                None, http, "POST", self.url, self.pc.localDescription.sdp.encode(), "application/sdp")
            if status != 503:
                break
            await asyncio.sleep(0.5)
        self.res["status"] = status
        if status != 201:
            self.res["error"] = body.strip()
            return False
        self.location = urljoin(self.url, headers.get("Location", ""))
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
        for r in self.pc.getReceivers():
            if r.track is not None:
                self.receivers[r.track.kind] = r
        return True

    async def stop(self, delete=True):
        if delete and self.location:
            loop = asyncio.get_event_loop()
            status, _, _ = await loop.run_in_executor(None, http, "DELETE", self.location)
            self.res["delete_status"] = status
        await self.pc.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--until-end", action="store_true")
    ap.add_argument("--vanish", action="store_true")
    ap.add_argument("--min-frames", type=int, default=0)
    ap.add_argument("--pli-after", type=float, default=0)
    ap.add_argument("--sync", action="store_true")
    ap.add_argument("--nack-flood", type=int, default=0)
    ap.add_argument("--plis", type=int, default=1)
    ap.add_argument("urls", nargs="+")
    a = ap.parse_args()
    viewers = [Viewer(u, a.pli_after, a.sync, a.nack_flood, a.plis) for u in a.urls]
    started = [await v.start() for v in viewers]
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        await asyncio.sleep(0.1)
        live = [v for v, s in zip(viewers, started) if s]
        if a.until_end and live and all(v.res["ended"] for v in live):
            break
        if a.min_frames and live and all(v.res["video_frames"] >= a.min_frames for v in live):
            break
    for v in viewers:
        v.report()
        print(json.dumps(v.res), flush=True)
    if a.vanish:
        os._exit(0)   # no DELETE, no DTLS close, no RTCP BYE: gone
    for v, s in zip(viewers, started):
        if s:
            await v.stop(delete=not v.res["ended"])


if __name__ == "__main__":
    asyncio.run(main())
