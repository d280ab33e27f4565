#!/usr/bin/env python3
"""TCP clients from a chosen loopback source address, for the tests.

  tcp-helper.py flood SRC PORT N SECONDS STATUS
      open N connections from SRC to 127.0.0.1:PORT, send nothing, hold
      them SECONDS; STATUS is rewritten (atomically) with "CLOSED OPEN":
      how many the server has closed and how many are still open.
  tcp-helper.py relay SRC LISTEN_PORT PORT
      accept on 127.0.0.1:LISTEN_PORT and relay each connection to
      127.0.0.1:PORT from SRC (so a client such as ffmpeg, which cannot
      pick its source address, appears to come from SRC).
"""
import os
import select
import socket
import sys
import threading
import time


def flood(src, port, n, seconds, status):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind((src, 0))
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        except OSError:
            pass
        socks.append(s)
    closed = set()
    end = time.time() + seconds
    last = None
    while time.time() < end:
        live = [s for s in socks if s not in closed]
        r = select.select(live, [], [], 0.2)[0] if live else []
        for s in r:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                closed.add(s)
        now = "%d %d\n" % (len(closed), n - len(closed))
        if now != last:
            with open(status + ".tmp", "w") as f:
                f.write(now)
            os.rename(status + ".tmp", status)
            last = now
        if not live:
            time.sleep(0.2)


def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def relay(src, listen_port, port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(16)
    while True:
        c, _ = ls.accept()
        u = socket.socket()
        u.bind((src, 0))
        u.connect(("127.0.0.1", port))
        threading.Thread(target=pipe, args=(c, u), daemon=True).start()
        threading.Thread(target=pipe, args=(u, c), daemon=True).start()


if __name__ == "__main__":
    if sys.argv[1] == "flood":
        flood(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    elif sys.argv[1] == "relay":
        relay(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit("usage: tcp-helper.py flood|relay ...")
