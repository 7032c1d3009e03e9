#!/usr/bin/env python3
"""A console-socket peer like go-runc's and conmon's: listen, accept one connection, receive
exactly one fd by SCM_RIGHTS, check it is a tty, then (optionally) type a line into it and print
what comes back. Used by terminal.test.ts; Node cannot receive SCM_RIGHTS on its own."""
import array, os, select, socket, sys, termios, time

path, script = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else '')
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
print('listening', flush=True)
conn, _ = srv.accept()
fds = array.array('i')
msg, anc, flags, _ = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
assert len(anc) == 1, f'{len(anc)} cmsgs'
level, typ, data = anc[0]
assert level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS, (level, typ)
fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
assert len(fds) == 1, f'{len(fds)} fds'
master = fds[0]
termios.tcgetattr(master)  # what containerd and conmon check: a real tty
print('name', msg.decode(), flush=True)
print('isatty', os.isatty(master), flush=True)
if script:
    os.write(master, script.encode() + b'\n')
out = b''
# Generous: the line is typed at create, and a loaded machine may take long to start the shell.
deadline = time.time() + 30
while time.time() < deadline:
    r, _, _ = select.select([master], [], [], 0.5)
    if not r:
        if b'END-MARK' in out:
            break
        continue
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode(errors='replace'))
