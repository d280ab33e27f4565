#!/usr/bin/python3
# tests/rtc-stun.py: one STUN binding request to live-rtc's UDP port, made
# here with Python's own HMAC-SHA1 and CRC-32 (an implementation apart
# from lib/rtc/stun.c), as a browser's connectivity check would be.
#   rtc-stun.py PORT SERVER-UFRAG CLIENT-UFRAG SERVER-PWD [--wrong-key] [--garbage]
# Prints "response" (a binding success that verifies under the password),
# "bad-response" or "none" (nothing within 1.5 s).
import hashlib, hmac, os, socket, struct, sys, zlib

port, sufrag, cufrag, pwd = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
wrong = "--wrong-key" in sys.argv
garbage = "--garbage" in sys.argv

def attr(t, v):
    return struct.pack(">HH", t, len(v)) + v + b"\0" * (-len(v) % 4)

txid = os.urandom(12)
user = (sufrag + ":" + cufrag).encode()
body = attr(0x0006, user) + attr(0x0024, struct.pack(">I", 1853824767)) + \
    attr(0x802A, os.urandom(8)) + attr(0x0025, b"")
key = (b"x" * len(pwd)) if wrong else pwd.encode()
hdr = struct.pack(">HHI", 0x0001, len(body) + 24, 0x2112A442) + txid
mac = hmac.new(key, hdr + body, hashlib.sha1).digest()
body += attr(0x0008, mac)
hdr = struct.pack(">HHI", 0x0001, len(body) + 8, 0x2112A442) + txid
crc = (zlib.crc32(hdr + body) ^ 0x5354554E) & 0xffffffff
msg = hdr + body + attr(0x8028, struct.pack(">I", crc))
if garbage:
    msg = os.urandom(200)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.5)
s.sendto(msg, ("127.0.0.1", port))
try:
    data, _ = s.recvfrom(2048)
except socket.timeout:
    print("none")
    sys.exit(0)
ok = len(data) >= 20 and data[0:2] == b"\x01\x01" and data[8:20] == txid
# verify MESSAGE-INTEGRITY of the response with the password
i = data.find(b"\x00\x08\x00\x14", 20)
if ok and i > 0:
    h = bytearray(data[:i])
    h[2:4] = struct.pack(">H", i + 24 - 20)
    ok = hmac.new(pwd.encode(), bytes(h), hashlib.sha1).digest() == data[i + 4:i + 24]
print("response" if ok else "bad-response")
