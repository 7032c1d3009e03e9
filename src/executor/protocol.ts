/**
 * The wire protocol between tsrun (TypeScript) and tsrun-executor (C).
 *
 * One bidirectional AF_UNIX stream socket (libuv's stdio "pipe") links them; its fd number in the
 * executor is given by the environment variable `_TSRUN_SYNCFD`. Every message is a frame:
 *
 *   u32 magic (FRAME_MAGIC) | u16 protocol version | u16 frame type | u32 payload length | payload
 *
 * All integers are little endian. The payload of a PLAN frame is a sequence of ops, each
 *
 *   u16 opcode | u16 reserved (0) | u32 body length | body, padded with zeros to 4 bytes
 *
 * and an op body is its fields in the order OP_FIELDS lists them: u32, u64, str (u32 length
 * including a trailing NUL, then the bytes and the NUL), strs (u32 count, then that many str),
 * u32s (u32 count, then that many u32), bytes (u32 length, then the bytes).
 *
 * Sync table (who sends what, and what answers it):
 *
 *   executor -> tsrun            tsrun -> executor            when
 *   ----------------------------------------------------------------------------------------------
 *   HELLO{version,build}         PLAN{ops}                    at start; tsrun checks the version
 *   NEED_IDMAP{pid}              IDMAP_DONE                   after unshare(CLONE_NEWUSER)
 *   SYNC{tag}                    SYNC_ACK{state?} | ABORT     at an OP_SYNC (hook points; with tag
 *                                                             SYNC_SECCOMP_STATE, SYNC_ACK carries
 *                                                             the state JSON for a seccomp listener)
 *   CHILD_PID{pid}               (none)                       from the intermediate process after
 *                                                             OP_FORK, just before it exits
 *   READY                        GO{state?} | ABORT           every op before OP_READY succeeded;
 *                                                             GO may carry the state JSON for a
 *                                                             seccomp listener
 *   ERROR{errno,op,message}      (none)                       any op failed; the sender exits 1
 *
 * If the socket closes while the executor waits for an answer, the executor exits at once: a
 * tsrun that died half-way never leaves a container waiting forever.
 *
 * native/executor/proto.h is generated from this file (`make proto`): the constants, and a C struct
 * per op whose members are OP_FIELDS' names, which the executor decodes a plan into. A unit test
 * fails when the committed header differs from what this file generates, or when the C decoding of
 * an encoded plan reads other values than were encoded.
 */

export const FRAME_MAGIC = 0x4e525354; // "TSRN" read as little endian bytes
export const PROTOCOL_VERSION = 10;
export const FRAME_HEADER_SIZE = 12;
export const OP_HEADER_SIZE = 8;
/** Upper bound on any frame, to refuse garbage early on both sides. */
export const MAX_FRAME = 16 * 1024 * 1024;

/**
 * The OP_SYNC tag that asks tsrun for the seccomp listener's state (in SYNC_ACK) before a filter
 * loaded early, so OP_SECCOMP_NOTIFY_SEND can follow OP_SECCOMP at once.
 */
export const SYNC_SECCOMP_STATE = 2;

export enum FrameType {
  HELLO = 1,
  PLAN = 2,
  NEED_IDMAP = 3,
  IDMAP_DONE = 4,
  SYNC = 5,
  SYNC_ACK = 6,
  CHILD_PID = 7,
  READY = 8,
  GO = 9,
  ABORT = 10,
  ERROR = 11,
}

/** Flags of OP_MOUNT, OP_MKNOD, OP_SYMLINK, OP_WRITE_FILE, OP_MKDIR, OP_ATTACH_TREE, OP_MOUNT_SETATTR (the `how` field). */
export enum PathFlag {
  /** Resolve the target beneath the root fd (OP_SET_ROOT) with RESOLVE_IN_ROOT. */
  IN_ROOT = 1 << 0,
  /** Create the target (and missing parents) as a directory when absent. */
  CREATE_DIR = 1 << 1,
  /** Create the target as an empty regular file (parents as directories) when absent. */
  CREATE_FILE = 1 << 2,
  /** A missing target is not an error: the op does nothing. */
  IGNORE_ENOENT = 1 << 3,
  /** OP_MOUNT: resolve the source beneath the root fd too (binds of paths inside the rootfs). */
  SOURCE_IN_ROOT = 1 << 4,
  /** OP_MOUNT: the source is a directory, so CREATE_DIR/CREATE_FILE choose by stat(source). */
  CREATE_LIKE_SOURCE = 1 << 5,
  /**
   * OP_MOUNT of propagation flags on a host path (not IN_ROOT): when the target is not a mount
   * point (EINVAL), the flags go to the mount holding it, found by walking up the path.
   */
  ENCLOSING_MOUNT = 1 << 6,
}

/** Flags of OP_IDMAP_TREE and OP_CLONE_TREE (their `how` field). */
export enum TreeFlag {
  /** Clone the source with its submounts (rbind), open_tree AT_RECURSIVE. */
  RECURSIVE = 1 << 0,
  /** Id-map the submounts too (`ridmap`), mount_setattr AT_RECURSIVE. */
  IDMAP_RECURSIVE = 1 << 1,
  /** OP_CLONE_TREE: the plan's last one; the source helper is let go after it. */
  LAST_CLONE = 1 << 2,
}

export enum Op {
  /** Mark every fd >= from close-on-exec (close_range CLOSE_RANGE_CLOEXEC). */
  CLOEXEC_FROM = 1,
  /** Clear close-on-exec on fd (a --preserve-fds or LISTEN_FDS fd). */
  INHERIT_FD = 2,
  /** Create the exec fifo at path (mode) and keep an O_PATH fd to it for OP_WAIT_FIFO. */
  OPEN_FIFO = 3,
  /** Connect to the console socket at path and keep the fd for OP_CONSOLE. */
  CONSOLE_CONNECT = 4,
  /** setns(open(path), nstype). */
  SETNS = 5,
  /** unshare(flags). */
  UNSHARE = 6,
  /** Send NEED_IDMAP{getpid()} and wait for IDMAP_DONE (tsrun plans SETRESGID/SETRESUID 0 next). */
  IDMAP_SYNC = 7,
  /** Write data to /proc/self/timens_offsets. */
  TIMENS_OFFSETS = 8,
  /**
   * fork(); the intermediate sends CHILD_PID and exits 0, the child goes on. With `wait` set the
   * intermediate instead waits for the child and exits with its status (128 + signal), and the
   * child dies with it (PDEATHSIG): how tsrun runs a hook inside the container's pid namespace.
   */
  FORK = 9,
  /** setsid(). */
  SETSID = 10,
  /** mount(source, target, fstype, flags, data) with target (and source) resolution per `how`. */
  MOUNT = 11,
  /** Open path as the root fd that IN_ROOT resolves beneath. */
  SET_ROOT = 12,
  /** mknod(path, mode, makedev(major, minor)), then chmod(mode) past the umask, chown(uid, gid). */
  MKNOD = 13,
  /** symlink(target, path). */
  SYMLINK = 14,
  /** pivot_root into the root fd, detach the old root, chdir("/"); root fd becomes "/". */
  PIVOT_ROOT = 15,
  /** No pivot: detach (or cover) the full proc and sysfs mounts outside the root, move-mount the root fd onto "/", chroot("."), chdir("/"). */
  MOVE_ROOT = 16,
  /** Mask path: a read-only empty tmpfs over a directory, /dev/null over anything else. */
  MASK_PATH = 17,
  /** write(open(path, O_WRONLY|O_TRUNC), data). */
  WRITE_FILE = 18,
  SETHOSTNAME = 19,
  SETDOMAINNAME = 20,
  /** setrlimit(resource, {soft, hard}). */
  RLIMIT = 21,
  /** Open the container's /dev/pts/ptmx, size it, send the master over the console socket,
   *  bind the peer over /dev/console (bindConsole: the init's only; an exec's pty would outlive
   *  its process there, as runc does not), make it stdio and the controlling terminal. */
  CONSOLE = 22,
  CHDIR = 23,
  UMASK = 24,
  SETGROUPS = 25,
  SETRESGID = 26,
  /** setresuid(uid); capabilities survive it (PR_SET_KEEPCAPS) so OP_CAPSET can set them. */
  SETRESUID = 27,
  /** Drop from the bounding set every capability whose bit is not in mask. */
  CAPS_BOUNDING = 28,
  /** capset(effective, permitted, inheritable). */
  CAPSET = 29,
  /** Clear the ambient set, then raise every capability in mask. */
  CAPS_AMBIENT = 30,
  NO_NEW_PRIVS = 31,
  /** seccomp(SECCOMP_SET_MODE_FILTER, flags, bpf program). */
  SECCOMP = 32,
  /** Find argv0 as execvp would with the given PATH; remember the result for OP_EXECVE. */
  RESOLVE_EXEC = 33,
  /** Send READY; wait for GO (go on) or ABORT/EOF (exit 1). */
  READY = 34,
  /** Open the fifo kept by OP_OPEN_FIFO for writing (blocks until `start`), write "0". */
  WAIT_FIFO = 35,
  /** execve(resolved path, argv, envp). */
  EXECVE = 36,
  /** Send SYNC{tag}; wait for SYNC_ACK (go on) or ABORT/EOF (exit 1). */
  SYNC = 37,
  /** mkdir -p path (resolution per `how`). */
  MKDIR = 38,
  /** Close the sync socket (after READY/GO, so a blocked init holds nothing of tsrun's). */
  CLOSE_SYNC = 39,
  /**
   * An id-mapped mount, made while the executor is still privileged in the host user namespace
   * (before any namespace op): open_tree(source, OPEN_TREE_CLONE), mount_setattr(MOUNT_ATTR_IDMAP)
   * with the user namespace at `usernsPath`, or else a new one with uidMap/gidMap (the executor
   * forks a child that unshares it and writes its maps), propagation slave; the detached tree is
   * kept in `slot` for OP_ATTACH_TREE. `how` takes TreeFlag bits.
   */
  IDMAP_TREE = 40,
  /** move_mount the tree kept in `slot` onto target (resolution and creation per `how`, as OP_MOUNT). */
  ATTACH_TREE = 41,
  /**
   * Join a new session keyring named `name` (runc's default; --no-new-keyring skips it), so the
   * container does not share tsrun's keys. A kernel without keyrings (ENOSYS) is not an error.
   */
  JOIN_KEYRING = 42,
  /** Connect to linux.seccomp.listenerPath (before any namespace change) for SECCOMP_NOTIFY_SEND. */
  SECCOMP_LISTENER_CONNECT = 43,
  /**
   * Send the container state (from SYNC_ACK at SYNC_SECCOMP_STATE, or GO's payload) and the seccomp
   * notify fd to the listener, then close both.
   */
  SECCOMP_NOTIFY_SEND = 44,
  /**
   * Join the container's cgroups, first of all, without the kernel's cgroup-wide lock that a
   * pid written to cgroup.procs takes (and its RCU grace period: cgroups/warmup.ts): write
   * "0" (this thread, the executor's only one) to each v1 hierarchy's `tasks`, and open `unified`
   * (a cgroup2 directory; "" for none) for the next FORK, which puts the child there with
   * clone3(CLONE_INTO_CGROUP) (fork() and a cgroup.procs write where clone3 cannot).
   */
  JOIN_CGROUP = 45,
  /**
   * mount_setattr(target, AT_RECURSIVE, {attrSet, attrClr}): the recursive attribute options
   * (rro, rnosuid ...), named in `options` for the error message, on a mount and its submounts.
   */
  MOUNT_SETATTR = 46,
  /**
   * Give stdio (fds 0-2) to uid, before the user switch, so the process can reopen its own
   * terminal or pipes: fchown(fd, uid, -1) for each not already uid's and not /dev/null; EINVAL
   * and EPERM (an id the user namespace does not map) leave that fd as it is.
   */
  STDIO_OWNER = 47,
  /**
   * chdir(path) while still privileged, so a cwd only root can enter works for any user (runc).
   * A permission error (EACCES, EPERM) is left to the OP_CHDIR after the user switch, which does
   * nothing when this one entered the same path; any other error fails here.
   */
  CHDIR_PRIVILEGED = 48,
  /**
   * Fork a helper that stays in the host user namespace (planned before any namespace op) for
   * OP_CLONE_TREE: it reaches bind sources the container's root cannot (runc opens them from its
   * privileged parent, in the container's mount namespace, the same way).
   */
  SOURCE_HELPER = 49,
  /**
   * The helper joins this process's mount namespace and clones `source` there
   * (open_tree(OPEN_TREE_CLONE), with its submounts for TreeFlag.RECURSIVE: the clone keeps the
   * locks the namespace put on it), sends the tree back, and it waits in `slot` for
   * OP_ATTACH_TREE. After the one with TreeFlag.LAST_CLONE the helper is let go.
   */
  CLONE_TREE = 50,
  /**
   * Find uid's home in the container's /etc/passwd (read as root, from the container's root: after
   * pivot or setns) for OP_EXECVE to add HOME=<dir> to envp; "/" when the file or the entry is missing (runc).
   */
  PASSWD_HOME = 51,
  /**
   * A config without a mount namespace: chroot into the root fd (the rootfs bound in tsrun's own
   * mount namespace, or an exec's /proc/<init>/root), chdir("/"); the root fd becomes "/".
   */
  CHROOT = 52,
  /** umount2(path, flags); a path that is no mount point (EINVAL) or is gone (ENOENT) is left as is. */
  UMOUNT = 53,
}

export type FieldKind = 'u32' | 'u64' | 'str' | 'strs' | 'u32s' | 'bytes';

/**
 * The body layout of every op, field by field, in wire order. The names are the C struct members
 * too (camelCase becomes snake_case): change a line, then `make proto`.
 */
export const OP_FIELDS: Record<Op, ReadonlyArray<readonly [string, FieldKind]>> = {
  [Op.CLOEXEC_FROM]: [['fd', 'u32']],
  [Op.INHERIT_FD]: [['fd', 'u32']],
  [Op.OPEN_FIFO]: [['mode', 'u32'], ['path', 'str']],
  [Op.CONSOLE_CONNECT]: [['path', 'str']],
  [Op.SETNS]: [['nstype', 'u32'], ['path', 'str']],
  [Op.UNSHARE]: [['flags', 'u32']],
  [Op.IDMAP_SYNC]: [],
  [Op.TIMENS_OFFSETS]: [['data', 'str']],
  [Op.FORK]: [['wait', 'u32']],
  [Op.SETSID]: [],
  [Op.MOUNT]: [
    ['how', 'u32'],
    ['flags', 'u64'],
    ['source', 'str'],
    ['target', 'str'],
    ['fstype', 'str'],
    ['data', 'str'],
  ],
  [Op.SET_ROOT]: [['path', 'str']],
  [Op.MKNOD]: [
    ['how', 'u32'],
    ['mode', 'u32'],
    ['major', 'u32'],
    ['minor', 'u32'],
    ['uid', 'u32'],
    ['gid', 'u32'],
    ['path', 'str'],
  ],
  [Op.SYMLINK]: [['how', 'u32'], ['target', 'str'], ['path', 'str']],
  [Op.PIVOT_ROOT]: [],
  [Op.MOVE_ROOT]: [],
  [Op.MASK_PATH]: [['path', 'str']],
  [Op.WRITE_FILE]: [['how', 'u32'], ['path', 'str'], ['data', 'str']],
  [Op.SETHOSTNAME]: [['name', 'str']],
  [Op.SETDOMAINNAME]: [['name', 'str']],
  [Op.RLIMIT]: [['resource', 'u32'], ['soft', 'u64'], ['hard', 'u64']],
  [Op.CONSOLE]: [['rows', 'u32'], ['cols', 'u32'], ['bindConsole', 'u32']],
  [Op.CHDIR]: [['path', 'str']],
  [Op.UMASK]: [['mask', 'u32']],
  [Op.SETGROUPS]: [['gids', 'u32s']],
  [Op.SETRESGID]: [['gid', 'u32']],
  [Op.SETRESUID]: [['uid', 'u32']],
  [Op.CAPS_BOUNDING]: [['mask', 'u64']],
  [Op.CAPSET]: [['effective', 'u64'], ['permitted', 'u64'], ['inheritable', 'u64']],
  [Op.CAPS_AMBIENT]: [['mask', 'u64']],
  [Op.NO_NEW_PRIVS]: [],
  [Op.SECCOMP]: [['flags', 'u32'], ['program', 'bytes']],
  [Op.RESOLVE_EXEC]: [['arg0', 'str'], ['path', 'str']],
  [Op.READY]: [],
  [Op.WAIT_FIFO]: [],
  [Op.EXECVE]: [['argv', 'strs'], ['envp', 'strs']],
  [Op.SYNC]: [['tag', 'u32']],
  [Op.MKDIR]: [['how', 'u32'], ['mode', 'u32'], ['path', 'str']],
  [Op.CLOSE_SYNC]: [],
  [Op.IDMAP_TREE]: [
    ['how', 'u32'],
    ['slot', 'u32'],
    ['source', 'str'],
    ['usernsPath', 'str'],
    ['uidMap', 'str'],
    ['gidMap', 'str'],
  ],
  [Op.ATTACH_TREE]: [['how', 'u32'], ['slot', 'u32'], ['target', 'str']],
  [Op.JOIN_KEYRING]: [['name', 'str']],
  [Op.SECCOMP_LISTENER_CONNECT]: [['path', 'str']],
  [Op.SECCOMP_NOTIFY_SEND]: [],
  [Op.JOIN_CGROUP]: [['tasks', 'strs'], ['unified', 'str']],
  [Op.MOUNT_SETATTR]: [['how', 'u32'], ['attrSet', 'u64'], ['attrClr', 'u64'], ['target', 'str'], ['options', 'str']],
  [Op.STDIO_OWNER]: [['uid', 'u32']],
  [Op.PASSWD_HOME]: [['uid', 'u32']],
  [Op.CHROOT]: [],
  [Op.UMOUNT]: [['flags', 'u32'], ['path', 'str']],
  [Op.CHDIR_PRIVILEGED]: [['path', 'str']],
  [Op.SOURCE_HELPER]: [],
  [Op.CLONE_TREE]: [['how', 'u32'], ['slot', 'u32'], ['source', 'str']],
};

/** A field value: numbers (u32), bigints (u64), strings (str), string lists (strs), bytes. */
export type FieldValue = number | bigint | string | readonly string[] | readonly number[] | Uint8Array;

/** One planned operation: its opcode and its named fields (see OP_FIELDS). */
export interface PlanOp {
  op: Op;
  args: Record<string, FieldValue>;
  /** Why this op is in the plan, for `tsrun plan` and for error messages. */
  note?: string;
}

/** Encodes a frame header followed by payload. */
export function encodeFrame(type: FrameType, payload: Uint8Array = new Uint8Array()): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_SIZE + payload.length);
  writeFrameHeader(frame, type, payload.length);
  frame.set(payload, FRAME_HEADER_SIZE);
  return frame;
}

function writeFrameHeader(into: Buffer, type: FrameType, payloadLength: number): void {
  into.writeUInt32LE(FRAME_MAGIC, 0);
  into.writeUInt16LE(PROTOCOL_VERSION, 4);
  into.writeUInt16LE(type, 6);
  into.writeUInt32LE(payloadLength, 8);
}

/**
 * Little-endian fields appended to one buffer that doubles as it fills, through a DataView and
 * Buffer.write: a plan is encoded once per create, cold, in the interpreter, so every call and
 * allocation per field counts (a Buffer per field joined with Buffer.concat, or
 * TextEncoder.encodeInto with a subarray and a result object per string, were measurably slower).
 */
class Writer {
  private buf = Buffer.alloc(4096);
  private data = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
    this.data = new DataView(bigger.buffer, bigger.byteOffset, bigger.length);
  }
  /** n zero bytes, filled in later (a header): their offset. */
  reserve(n: number): number {
    this.room(n);
    const at = this.length;
    this.buf.fill(0, at, at + n);
    this.length += n;
    return at;
  }
  u32(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32 out of range: ${v}`);
    this.room(4);
    this.data.setUint32(this.length, v, true);
    this.length += 4;
  }
  u64(v: bigint | number): void {
    this.room(8);
    if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
      // Flags and sizes: two u32 halves, no BigInt conversions.
      this.data.setUint32(this.length, v % 0x1_0000_0000, true);
      this.data.setUint32(this.length + 4, Math.floor(v / 0x1_0000_0000), true);
    } else {
      this.data.setBigUint64(this.length, BigInt.asUintN(64, BigInt(v)), true);
    }
    this.length += 8;
  }
  str(s: string): void {
    if (s.includes('\0')) throw new RangeError(`string contains a NUL byte: ${JSON.stringify(s)}`);
    // Room for the worst case (3 bytes per UTF-16 unit), the length written once known.
    this.room(4 + s.length * 3 + 1);
    const at = this.length + 4;
    const written = this.buf.write(s, at);
    this.data.setUint32(this.length, written + 1, true);
    this.buf[at + written] = 0;
    this.length = at + written + 1;
  }
  bytes(v: Uint8Array): void {
    this.u32(v.length);
    this.room(v.length);
    this.buf.set(v, this.length);
    this.length += v.length;
  }
  setU16(at: number, v: number): void {
    this.data.setUint16(at, v, true);
  }
  setU32(at: number, v: number): void {
    this.data.setUint32(at, v, true);
  }
  pad4(): void {
    if (this.length % 4) this.reserve(4 - (this.length % 4));
  }
  /** The bytes written, as a Buffer over the same memory (valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/** Where a bad field is, for the error message (built only then). */
function fieldName(op: Op, name: string): string {
  return `${Op[op]}.${name}`;
}

function encodeField(w: Writer, kind: FieldKind, value: FieldValue | undefined, op: Op, name: string): void {
  switch (kind) {
    case 'u32':
      if (typeof value !== 'number') throw new TypeError(`${fieldName(op, name)}: expected a number`);
      return w.u32(value);
    case 'u64':
      if (typeof value !== 'bigint' && typeof value !== 'number') throw new TypeError(`${fieldName(op, name)}: expected a bigint`);
      return w.u64(value);
    case 'str':
      if (typeof value !== 'string') throw new TypeError(`${fieldName(op, name)}: expected a string`);
      return w.str(value);
    case 'strs':
      if (!Array.isArray(value)) throw new TypeError(`${fieldName(op, name)}: expected a string list`);
      w.u32(value.length);
      for (const s of value as string[]) w.str(s);
      return;
    case 'u32s':
      if (!Array.isArray(value)) throw new TypeError(`${fieldName(op, name)}: expected a number list`);
      w.u32(value.length);
      for (const n of value as number[]) w.u32(n);
      return;
    case 'bytes':
      if (!(value instanceof Uint8Array)) throw new TypeError(`${fieldName(op, name)}: expected bytes`);
      return w.bytes(value);
  }
}

/** Encodes one op: header, body in OP_FIELDS order, zero padding to 4 bytes. */
export function encodeOp(op: PlanOp): Buffer {
  const w = new Writer();
  writeOp(w, op);
  return Buffer.from(w.view());
}

function writeOp(w: Writer, op: PlanOp): void {
  const head = w.reserve(OP_HEADER_SIZE);
  // Indexed loops, no destructuring: this runs once per create, cold, in the interpreter, where
  // destructuring goes through the iterator protocol.
  const fields = OP_FIELDS[op.op];
  for (let i = 0; i < fields.length; i++) encodeField(w, fields[i]![1], op.args[fields[i]![0]], op.op, fields[i]![0]);
  w.pad4();
  w.setU16(head, op.op);
  w.setU32(head + 4, w.length - head - OP_HEADER_SIZE);
}

/** The most plan bytes (ops, headers included) one PLAN frame carries. */
export const MAX_PLAN_BYTES = MAX_FRAME - FRAME_HEADER_SIZE;

/** UTF-8 bytes of a string, or (bound) at most that: 3 per UTF-16 unit, with nothing encoded. */
type StrBytes = (s: string) => number;
const exactBytes: StrBytes = (s) => Buffer.byteLength(s);
const boundBytes: StrBytes = (s) => s.length * 3;

function fieldSize(kind: FieldKind, value: FieldValue | undefined, bytes: StrBytes): number {
  switch (kind) {
    case 'u32':
      return 4;
    case 'u64':
      return 8;
    case 'str':
      return 4 + bytes(String(value)) + 1;
    case 'strs':
      return 4 + (Array.isArray(value) ? (value as string[]).reduce((n, s) => n + 4 + bytes(String(s)) + 1, 0) : 0);
    case 'u32s':
      return 4 + 4 * (Array.isArray(value) ? value.length : 0);
    case 'bytes':
      return 4 + (value instanceof Uint8Array ? value.length : 0);
  }
}

/**
 * The encoded size of a plan's ops (what encodePlan puts after the frame header), without
 * encoding it; with `bound`, a cheaper upper bound of it (strings counted 3 bytes per unit).
 */
export function planSize(ops: readonly PlanOp[], bound = false): number {
  const bytes = bound ? boundBytes : exactBytes;
  let n = 0;
  for (const op of ops) {
    let body = 0;
    const fields = OP_FIELDS[op.op];
    for (let i = 0; i < fields.length; i++) body += fieldSize(fields[i]![1], op.args[fields[i]![0]], bytes);
    n += OP_HEADER_SIZE + body + ((4 - (body % 4)) % 4);
  }
  return n;
}

/** Encodes a whole plan as one PLAN frame. */
export function encodePlan(ops: readonly PlanOp[]): Buffer {
  const w = new Writer();
  w.reserve(FRAME_HEADER_SIZE);
  for (const op of ops) writeOp(w, op);
  if (w.length > MAX_FRAME) throw new RangeError(`plan too large: ${w.length - FRAME_HEADER_SIZE} bytes`);
  const frame = w.view();
  writeFrameHeader(frame, FrameType.PLAN, w.length - FRAME_HEADER_SIZE);
  return frame;
}

/** A frame received from the executor. */
export type ExecutorMessage =
  | { type: FrameType.HELLO; version: number; build: string }
  | { type: FrameType.NEED_IDMAP; pid: number }
  | { type: FrameType.SYNC; tag: number }
  | { type: FrameType.CHILD_PID; pid: number }
  | { type: FrameType.READY }
  | { type: FrameType.ERROR; errno: number; opIndex: number; message: string };

export class ProtocolError extends Error {}

/**
 * Splits `buf` into complete frames. Returns the decoded messages and the bytes left over
 * (an incomplete frame), so a stream reader can call it on every chunk.
 */
export function decodeFrames(buf: Buffer): { messages: ExecutorMessage[]; rest: Buffer } {
  const messages: ExecutorMessage[] = [];
  let off = 0;
  while (buf.length - off >= FRAME_HEADER_SIZE) {
    const magic = buf.readUInt32LE(off);
    const version = buf.readUInt16LE(off + 4);
    const type = buf.readUInt16LE(off + 6);
    const len = buf.readUInt32LE(off + 8);
    if (magic !== FRAME_MAGIC) throw new ProtocolError(`bad frame magic 0x${magic.toString(16)}`);
    if (len > MAX_FRAME) throw new ProtocolError(`frame too large: ${len}`);
    if (buf.length - off - FRAME_HEADER_SIZE < len) break;
    const body = buf.subarray(off + FRAME_HEADER_SIZE, off + FRAME_HEADER_SIZE + len);
    messages.push(decodeMessage(type, version, body));
    off += FRAME_HEADER_SIZE + len;
  }
  return { messages, rest: buf.subarray(off) };
}

function readStr(body: Buffer, off: number): [string, number] {
  const n = body.readUInt32LE(off);
  const s = body.subarray(off + 4, off + 4 + n).toString('utf8').replace(/\0$/, '');
  return [s, off + 4 + n];
}

function decodeMessage(type: number, version: number, body: Buffer): ExecutorMessage {
  switch (type) {
    case FrameType.HELLO: {
      const v = body.readUInt32LE(0);
      const [build] = readStr(body, 4);
      return { type, version: v, build };
    }
    case FrameType.NEED_IDMAP:
    case FrameType.CHILD_PID:
      return { type, pid: body.readUInt32LE(0) };
    case FrameType.SYNC:
      return { type, tag: body.readUInt32LE(0) };
    case FrameType.READY:
      return { type };
    case FrameType.ERROR: {
      const errno = body.readInt32LE(0);
      const opIndex = body.readUInt32LE(4);
      const [message] = readStr(body, 8);
      return { type, errno, opIndex, message };
    }
    default:
      throw new ProtocolError(`unexpected frame type ${type} (protocol version ${version})`);
  }
}
