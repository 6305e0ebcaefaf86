#!/usr/bin/env python3
"""Runs a command under a pseudo-terminal, as a person at a terminal would.

usage: pty-run.py COMMAND [ARG...]

Everything the command writes to its terminal is copied to stdout as it comes; each
line read from stdin is typed into the terminal (a newline becomes Enter). Exits with
the command's exit status. OpenSSH's keyboard-interactive prompts need a terminal.
"""
import os
import pty
import select
import sys

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])

inputs = [fd, sys.stdin.fileno()]
while True:
    ready, _, _ = select.select(inputs, [], [])
    if fd in ready:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    if sys.stdin.fileno() in ready:
        line = os.read(sys.stdin.fileno(), 4096)
        if not line:
            inputs = [fd]
        else:
            os.write(fd, line.replace(b'\n', b'\r'))

_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
