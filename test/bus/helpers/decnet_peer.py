#!/usr/bin/env python3
"""An independent DECNET-bus peer written from the protocol description alone (DESIGN section 5):
a frame is an ASCII header line `VERB[ args]\n`, a 4-byte big-endian body length, then a JSON
object body or nothing. Standard library only. Used by the interop tests.

  decnet_peer.py sub SOCKET PATTERN   print each EVT as a JSON line {"topic", "event"} until an
                                      event whose payload has "last": true, then send BYE
  decnet_peer.py pub SOCKET TOPIC TYPE N
                                      publish N envelopes {"v","id","topic","type","ts","payload"}
                                      with payload {"i": k, "from": "python"}, then BYE
"""
import json
import socket
import struct
import sys
import time
import uuid


def frame(verb, args="", body=None):
    header = (verb + (" " + args if args else "") + "\n").encode("ascii")
    data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode("utf-8")
    return header + struct.pack(">I", len(data)) + data


def read_exact(sock, n, buf):
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        buf.extend(chunk)
    out = bytes(buf[:n])
    del buf[:n]
    return out


def read_frame(sock, buf):
    while b"\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        buf.extend(chunk)
    i = buf.index(b"\n")
    line = bytes(buf[:i]).decode("ascii").rstrip("\r")
    del buf[: i + 1]
    (length,) = struct.unpack(">I", read_exact(sock, 4, buf))
    body = read_exact(sock, length, buf) if length else b""
    verb, _, args = line.partition(" ")
    return verb, args.strip(), body


def main():
    mode, path = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(frame("HELLO", "python-peer"))
    if mode == "sub":
        s.sendall(frame("SUB", sys.argv[3]))
        buf = bytearray()
        while True:
            verb, args, body = read_frame(s, buf)
            if verb != "EVT":
                continue
            event = json.loads(body.decode("utf-8"))
            print(json.dumps({"topic": args, "event": event}), flush=True)
            if event.get("payload", {}).get("last"):
                break
    elif mode == "pub":
        topic, etype, n = sys.argv[3], sys.argv[4], int(sys.argv[5])
        for k in range(n):
            env = {"v": 1, "id": uuid.uuid4().hex, "topic": topic, "type": etype, "ts": time.time(),
                   "payload": {"i": k, "from": "python"}}
            s.sendall(frame("PUB", topic, env))
    s.sendall(frame("BYE"))
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()


if __name__ == "__main__":
    main()
