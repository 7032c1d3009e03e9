#!/usr/bin/env python3
"""Runs a command with a pseudo-terminal as its stdin, stdout and stderr (what `ctr run -t` and
`podman run -it` need), copies everything it prints to our stdout, and exits with its status.

usage: pty_run.py MARKER INPUT -- CMD [ARG...]
  When the output first contains MARKER (if not empty), INPUT is written to the terminal
  (`\\r` in it is a carriage return, i.e. Enter). The terminal is 24x80.
"""
import errno
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time


def main() -> int:
    marker = sys.argv[1].encode()
    text = sys.argv[2].encode().replace(b'\\r', b'\r')
    if sys.argv[3] != '--':
        print('usage: pty_run.py MARKER INPUT -- CMD [ARG...]', file=sys.stderr)
        return 2
    cmd = sys.argv[4:]
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
    out = bytearray()
    sent = not marker
    status = None
    exited_at = None
    while True:
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status, exited_at = st, time.monotonic()
        # Once the command has exited, drain what is left for a moment (a child of it may
        # still hold the terminal open), then stop.
        if exited_at is not None and time.monotonic() - exited_at > 0.5:
            break
        try:
            ready, _, _ = select.select([fd], [], [], 0.05)
        except InterruptedError:
            continue
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError as e:
            if e.errno == errno.EIO:  # every holder of the peer closed it
                break
            raise
        if not chunk:
            break
        out += chunk
        os.write(1, chunk)
        if not sent and marker in out:
            os.write(fd, text)
            sent = True
    if status is None:
        _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    return 128 + os.WTERMSIG(status)


if __name__ == '__main__':
    sys.exit(main())
