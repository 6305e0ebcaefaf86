"""A Python SSH client (paramiko, compression on as it offers by default when asked) that
opens a direct-tcpip channel through the gateway, reads from it until the stream is
flowing, then vanishes without a word: SIGKILL to itself, so the gateway is left holding
a compressed connection whose peer is gone mid-stream.

usage: paramiko-vanish.py GATE_PORT USER KEY_FILE DEST_HOST DEST_PORT MIN_BYTES
"""
import os
import signal
import socket
import sys

import paramiko

gate_port, user, key_file, dest_host, dest_port, min_bytes = sys.argv[1:7]

sock = socket.create_connection(("127.0.0.1", int(gate_port)), timeout=20)
transport = paramiko.Transport(sock)
transport.use_compression(True)
transport.start_client(timeout=20)
transport.auth_publickey(user, paramiko.Ed25519Key.from_private_key_file(key_file))
channel = transport.open_channel("direct-tcpip", (dest_host, int(dest_port)), ("127.0.0.1", 0), timeout=20)
received = 0
while received < int(min_bytes):
    data = channel.recv(65536)
    if not data:
        sys.exit("the stream ended after %d bytes" % received)
    received += len(data)
print("streaming %d bytes, compression %s" % (received, transport.remote_compression), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
