#!/usr/bin/python3
# tests/rtc-client.py: an independent WebRTC viewer (aiortc, from Debian)
# for the live-rtc tests. For each WHEP URL it POSTs a recvonly H.264 +
# Opus offer, plays what comes (aiortc decodes H.264 with libavcodec and
# Opus with libopus), and prints one JSON line per URL:
#   {"url", "status", "video_frames", "audio_frames", "first_video",
#    "width", "height", "ended", "error"}
#
#   rtc-client.py [--seconds N] [--until-end] [--vanish] [--min-frames N] URL...
#
# --seconds: play this long at most (default 10); --until-end: stop when
# the server ends the tracks; --vanish: leave without DELETE and without
# closing the transport (a viewer that crashed); --min-frames: stop once
# every URL has decoded this many video frames.
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
    def __init__(self, url):
        self.url = url
        self.pc = RTCPeerConnection()
        self.res = {"url": url, "status": 0, "video_frames": 0, "audio_frames": 0,
                    "first_video": None, "width": 0, "height": 0, "ended": False, "error": None}
        self.location = None
        self.t0 = time.monotonic()
        self.tasks = []

    async def consume(self, track):
        try:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    if self.res["first_video"] is None:
                        self.res["first_video"] = round(time.monotonic() - self.t0, 3)
                    self.res["video_frames"] += 1
                    self.res["width"], self.res["height"] = frame.width, frame.height
                else:
                    self.res["audio_frames"] += 1
        except MediaStreamError:
            self.res["ended"] = True

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
    ap.add_argument("urls", nargs="+")
    a = ap.parse_args()
    viewers = [Viewer(u) for u in a.urls]
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
        print(json.dumps(v.res), flush=True)
    if a.vanish:
        os._exit(0)   # no DELETE, no DTLS close, no RTCP BYE: gone
    for v, s in zip(viewers, started):
        if s:
            await v.stop(delete=not v.res["ended"])


if __name__ == "__main__":
    asyncio.run(main())
