#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""One TCP connection of the emulated board, relayed to a host port.

QEMU runs this for every connection the board opens to a guestfwd address
(-nic user,restrict=on,guestfwd=tcp:ADDR:PORT-cmd:python3 guestfwd_relay.py
HOST HOSTPORT), with the connection on stdin and stdout. It connects to
HOST:HOSTPORT and copies bytes both ways until either side closes. Unlike a
guestfwd to a tcp: character device, which QEMU opens once per run, every
board connection gets a connection of its own, so the board can disconnect
and connect again.
"""
import os
import select
import socket
import sys


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: guestfwd_relay.py HOST PORT\n")
        return 2
    try:
        peer = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
    except OSError as e:
        sys.stderr.write("guestfwd_relay: %s\n" % e)
        return 1
    peer.settimeout(None)
    peer.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    board = 0
    to_board = 1
    inputs = [board, peer.fileno()]
    while inputs:
        ready, _, _ = select.select(inputs, [], [])
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if fd == board:
                if not data:
                    # The board closed its side: pass the end on, keep reading replies.
                    inputs.remove(board)
                    try:
                        peer.shutdown(socket.SHUT_WR)
                    except OSError:
                        return 0
                    continue
                peer.sendall(data)
            else:
                if not data:
                    return 0  # the host side closed: the board's connection ends
                while data:
                    n = os.write(to_board, data)
                    data = data[n:]
    return 0


if __name__ == "__main__":
    sys.exit(main())
