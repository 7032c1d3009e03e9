/**
 * A minimal D-Bus client over a unix socket: EXTERNAL authentication, method calls with their
 * replies and errors, and signals handed to listeners. Enough for the systemd driver, which
 * makes a handful of calls per container (runc uses go-systemd over godbus the same way).
 * Two kinds of peer: a message bus (the system bus, a user's session bus: Hello first, AddMatch
 * for signals) or systemd's private socket, where systemd itself answers (no bus, no Hello).
 */
import { createConnection, type Socket } from 'node:net';
import { TsrunError } from '../../errors.js';
import { decodeMessage, encodeMessage, messageLength, MessageType, noReply, type Message } from './marshal.js';

export interface BusAddress {
  /** The socket's path ("\0name" for an abstract one). */
  path: string;
  /** A message bus (Hello, AddMatch), or a peer such as systemd's private socket. */
  bus: boolean;
}

/** An error reply: its D-Bus name (org.freedesktop.systemd1.NoSuchUnit, ...) and message. */
export class DBusError extends TsrunError {
  constructor(
    readonly dbusName: string,
    message: string,
  ) {
    super(message);
  }
}

export interface CallRequest {
  destination?: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** "unix:path=/run/user/1000/bus,guid=..." (or abstract=) -> the socket path; others undefined. */
export function parseBusAddress(address: string): string | undefined {
  for (const one of address.split(';')) {
    const [transport, params = ''] = one.split(/:(.*)/s) as [string, string?];
    if (transport !== 'unix') continue;
    const kv = new Map(params.split(',').map((p) => p.split(/=(.*)/s) as [string, string]));
    const unescape = (s: string) => s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    if (kv.has('path')) return unescape(kv.get('path')!);
    if (kv.has('abstract')) return `\0${unescape(kv.get('abstract')!)}`;
  }
  return undefined;
}

/** The AUTH line: EXTERNAL with our uid in hex of its decimal digits, as every client sends it. */
export function authExternalLine(uid: number): string {
  return `AUTH EXTERNAL ${Buffer.from(String(uid)).toString('hex')}\r\n`;
}

export class DBusConnection {
  private serial = 0;
  private inbox: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(m: Message) => void>();
  private closedError: Error | undefined;

  private constructor(
    private readonly sock: Socket,
    readonly address: BusAddress,
  ) {}

  /** Connects, authenticates, and on a bus says Hello. */
  static async open(address: BusAddress, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<DBusConnection> {
    const sock = await connectSocket(address.path, timeoutMs);
    try {
      await authenticate(sock, process.getuid?.() ?? 0, timeoutMs);
    } catch (e) {
      sock.destroy();
      throw e;
    }
    // The socket alone keeps no process alive: a call waiting for its reply does (its timer).
    sock.unref();
    const c = new DBusConnection(sock, address);
    sock.on('data', (d: Buffer) => c.receive(d));
    sock.on('error', (e) => c.fail(e));
    sock.on('close', () => c.fail(new TsrunError(`dbus: ${showAddress(address)}: connection closed`)));
    if (address.bus) {
      await c.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello' });
    }
    return c;
  }

  /** Calls a method; resolves with the reply's body, rejects with a DBusError for an error reply. */
  call(req: CallRequest, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<unknown[]> {
    if (this.closedError) return Promise.reject(this.closedError);
    const serial = ++this.serial;
    const msg: Message = { type: MessageType.METHOD_CALL, serial, ...req, body: req.body ?? [] };
    const bytes = encodeMessage(msg);
    return new Promise<unknown[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(serial);
        reject(new TsrunError(`dbus: ${req.interface}.${req.member}: no reply in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(serial, {
        resolve: (m) => {
          clearTimeout(timer);
          if (m.type === MessageType.ERROR) {
            const text = typeof m.body[0] === 'string' ? m.body[0] : m.errorName ?? 'error';
            reject(new DBusError(m.errorName ?? 'unknown', `${req.interface}.${req.member}: ${text} (${m.errorName})`));
          } else resolve(m.body);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.sock.write(bytes);
    });
  }

  /** Listens to every signal that arrives; returns the function that stops listening. */
  onSignal(fn: (m: Message) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    this.closedError ??= new TsrunError(`dbus: ${showAddress(this.address)}: connection closed`);
    this.sock.destroy();
  }

  private receive(d: Buffer): void {
    this.inbox = this.inbox.length ? Buffer.concat([this.inbox, d]) : d;
    for (;;) {
      let n: number | undefined;
      let m: Message;
      try {
        n = messageLength(this.inbox);
        if (n === undefined || this.inbox.length < n) return;
        m = decodeMessage(this.inbox.subarray(0, n));
      } catch (e) {
        this.fail(e as Error);
        this.sock.destroy();
        return;
      }
      this.inbox = this.inbox.subarray(n);
      this.dispatch(m);
    }
  }

  private dispatch(m: Message): void {
    if (m.type === MessageType.METHOD_RETURN || m.type === MessageType.ERROR) {
      const p = m.replySerial === undefined ? undefined : this.pending.get(m.replySerial);
      if (p) {
        this.pending.delete(m.replySerial!);
        p.resolve(m);
      }
    } else if (m.type === MessageType.SIGNAL) {
      for (const fn of this.listeners) fn(m);
    } else if (m.type === MessageType.METHOD_CALL && !noReply(m)) {
      // Nobody calls a client; a bus may ping it. Answer so that no caller waits.
      const reply: Message = { type: MessageType.ERROR, serial: ++this.serial, replySerial: m.serial, errorName: 'org.freedesktop.DBus.Error.UnknownMethod', signature: 's', body: ['tsrun answers no calls'], ...(m.sender ? { destination: m.sender } : {}) };
      this.sock.write(encodeMessage(reply));
    }
  }

  private fail(e: Error): void {
    this.closedError ??= e;
    for (const p of this.pending.values()) p.reject(this.closedError);
    this.pending.clear();
  }
}

const showAddress = (a: BusAddress) => a.path.replace('\0', '@');

function connectSocket(path: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ path });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new TsrunError(`dbus: connect to ${path}: timed out`));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new TsrunError(`dbus: connect to ${path.replace('\0', '@')}: ${e.code ?? e.message}`));
    });
  });
}

/** The SASL exchange: NUL, AUTH EXTERNAL, wait for OK, BEGIN. */
function authenticate(sock: Socket, uid: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = '';
    const done = (e?: Error) => {
      clearTimeout(timer);
      sock.removeListener('data', onData);
      sock.removeListener('error', done);
      sock.removeListener('close', onClose);
      if (e) reject(e);
      else resolve();
    };
    const onClose = () => done(new TsrunError('dbus: authentication: the peer closed the connection'));
    const onData = (d: Buffer) => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n');
      if (end < 0) return;
      const line = got.slice(0, end);
      if (!line.startsWith('OK ')) return done(new TsrunError(`dbus: authentication EXTERNAL as uid ${uid} refused: ${line}`));
      sock.write('BEGIN\r\n');
      done();
    };
    const timer = setTimeout(() => done(new TsrunError('dbus: authentication: no answer')), timeoutMs);
    sock.on('data', onData);
    sock.on('error', done);
    sock.on('close', onClose);
    sock.write(`\0${authExternalLine(uid)}`);
  });
}
