#!/usr/bin/env python3
"""A seccomp notify agent, for security.test.ts: listens on a unix socket, receives the container
state (JSON) and the notify fd by SCM_RIGHTS (runtime-spec's seccomp listener protocol), prints the
state, then answers every notified syscall with success (0) without running it, printing its number;
with a second argument `continue`, lets every notified syscall run instead (SECCOMP_USER_NOTIF_FLAG_CONTINUE)."""
import array, ctypes, errno, fcntl, json, os, socket, struct, sys

path = sys.argv[1]
FLAGS = 1 if sys.argv[2:] == ['continue'] else 0
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
print('listening', flush=True)
conn, _ = srv.accept()
fds = array.array('i')
msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(fds.itemsize))
assert len(anc) == 1 and anc[0][0] == socket.SOL_SOCKET and anc[0][1] == socket.SCM_RIGHTS
fds.frombytes(anc[0][2][: fds.itemsize])
fd = fds[0]
state = json.loads(msg)
print('state', json.dumps(state), flush=True)

# struct seccomp_notif: u64 id, u32 pid, u32 flags, seccomp_data{int nr, u32 arch, u64 ip, u64 args[6]}
NOTIF_SIZE = 8 + 4 + 4 + 4 + 4 + 8 + 48
RESP_SIZE = 8 + 8 + 4 + 4
IOWR = lambda nr, size: (3 << 30) | (size << 16) | (ord('!') << 8) | nr
RECV, SEND = IOWR(0, NOTIF_SIZE), IOWR(1, RESP_SIZE)
while True:
    buf = bytearray(NOTIF_SIZE)
    try:
        fcntl.ioctl(fd, RECV, buf)
    except OSError as e:
        if e.errno == errno.ENOENT:
            continue  # the caller was interrupted (a Go runtime's preemption signal): its call is gone
        break  # the filter is gone: the container exited
    nid, pid, _flags, nr = struct.unpack_from('<QIIi', buf)
    print('syscall', nr, flush=True)
    resp = bytearray(struct.pack('<QqiI', nid, 0, 0, FLAGS))
    try:
        fcntl.ioctl(fd, SEND, resp)
    except OSError:
        pass
