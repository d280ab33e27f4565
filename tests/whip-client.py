#!/usr/bin/python3
# tests/whip-client.py: an independent WHIP publisher (aiortc, from
# Debian) for the WHIP ingest tests. It POSTs a sendonly offer with a
# moving test picture (aiortc encodes H.264 with libx264 or VP8 with
# libvpx) and a 440 Hz tone (Opus), sends for SECONDS after it connects,
# then DELETEs the session, and prints one JSON line:
#   {"status", "location", "connected", "video_codec" (the answer's),
#    "video_packets", "audio_packets", "delete", "error"}
#
#   whip-client.py URL TOKEN SECONDS [--codec H264|VP8] [--size WxH (160x120)]
import argparse
import asyncio
import fractions
import json
import math
import re
import time
import urllib.error
import urllib.request
from urllib.parse import urljoin

import numpy
from aiortc import RTCPeerConnection, RTCSessionDescription, RTCRtpSender
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import AudioFrame, VideoFrame


def http(method, url, token, body=None, ctype=None):
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


class Picture(VideoStreamTrack):
    """WxH (160x120) at 30 fps, a bar moving across."""
    def __init__(self, w=160, h=120):
        super().__init__()
        self.w, self.h = w, h

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        img = numpy.full((self.h, self.w, 3), 40, numpy.uint8)
        x = (pts // 3000) % self.w
        img[:, x:x + 8] = (255, 200, 0)
        frame = VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


class Tone(AudioStreamTrack):
    """A 440 Hz tone, 20 ms frames, mono, at the rate of aiortc's own
    silence (8 kHz in aiortc 1.4: its pts count those samples; the Opus
    encoder resamples to 48 kHz)."""
    async def recv(self):
        frame = await super().recv()   # silence, paced, with pts
        n, rate = frame.samples, frame.sample_rate
        t = (numpy.arange(n) + frame.pts) / rate
        data = (numpy.sin(2 * math.pi * 440 * t) * 8000).astype(numpy.int16).reshape(1, n)
        out = AudioFrame.from_ndarray(data, format="s16", layout="mono")
        out.pts, out.sample_rate, out.time_base = frame.pts, rate, fractions.Fraction(1, rate)
        return out


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("token")
    ap.add_argument("seconds", type=float)
    ap.add_argument("--codec", default="")
    ap.add_argument("--size", default="160x120")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    res = {"status": 0, "location": None, "connected": False, "video_codec": None, "video_packets": 0,
           "audio_packets": 0, "delete": 0, "error": None}
    pc = RTCPeerConnection()
    try:
        vt = pc.addTransceiver(Picture(w, h), direction="sendonly")
        pc.addTransceiver(Tone(), direction="sendonly")
        if a.codec:
            caps = RTCRtpSender.getCapabilities("video").codecs
            vt.setCodecPreferences([c for c in caps if c.mimeType.lower() in ("video/" + a.codec.lower(), "video/rtx")])
        await pc.setLocalDescription(await pc.createOffer())
        loop = asyncio.get_event_loop()
        status, headers, body = await loop.run_in_executor(
            None, http, "POST", a.url, a.token, pc.localDescription.sdp.encode(), "application/sdp")
        res["status"] = status
        if status != 201:
            res["error"] = body
            return res
        res["location"] = headers.get("Location")
        m = re.search(r"m=video [^\n]*\n(?:(?!m=)[^\n]*\n)*?a=rtpmap:\d+ ([A-Za-z0-9]+)/90000", body)
        res["video_codec"] = m.group(1) if m else None
        await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
        end = time.monotonic() + 20
        while pc.connectionState != "connected" and time.monotonic() < end:
            await asyncio.sleep(0.1)
        res["connected"] = pc.connectionState == "connected"
        await asyncio.sleep(a.seconds)
        stats = await pc.getStats()
        for s in stats.values():
            if s.type == "outbound-rtp":
                res["video_packets" if s.kind == "video" else "audio_packets"] = s.packetsSent
        status, _, _ = await loop.run_in_executor(None, http, "DELETE", urljoin(a.url, res["location"]), a.token)
        res["delete"] = status
    except Exception as e:  # noqa: BLE001 - the report says what went wrong
        res["error"] = repr(e)
    finally:
        await pc.close()
    return res


print(json.dumps(asyncio.run(main())))
