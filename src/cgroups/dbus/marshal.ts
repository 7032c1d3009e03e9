/**
 * D-Bus wire format (little-endian only), for the few types the systemd driver sends and reads:
 * y b n q i u x t d s o g v a ( ) { }. Values in JavaScript:
 *   y n q i u d: number; x t: bigint (a number is accepted when writing); b: boolean;
 *   s o g: string; a: an array (a{kv}: an array of [k, v] pairs); ( ): an array of its fields;
 *   v: a Variant, { sig, value }.
 * Alignment is relative to the start of the message, so a Writer or Reader spans a whole one.
 */
import { TsrunError } from '../../errors.js';

export interface Variant {
  sig: string;
  value: unknown;
}

export class DBusWireError extends TsrunError {}

/** One complete type of a signature, parsed. */
export type DType =
  | { code: 'a'; elem: DType }
  | { code: '('; fields: DType[] }
  | { code: '{'; key: DType; value: DType }
  | { code: string };

const BASIC = 'ybnqiuxtdsogvh';
const ALIGN: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, s: 4, o: 4, g: 1, v: 1, h: 4, a: 4, '(': 8, '{': 8 };

/** Parses a signature into its complete types ("a(sv)s" -> two types). */
export function parseSignature(sig: string): DType[] {
  const out: DType[] = [];
  let i = 0;
  const one = (): DType => {
    const c = sig[i++];
    if (c === undefined) throw new DBusWireError(`dbus: signature ${JSON.stringify(sig)} ends early`);
    if (BASIC.includes(c)) return { code: c };
    if (c === 'a') {
      if (sig[i] === '{') {
        i++;
        const key = one();
        const value = one();
        if (sig[i++] !== '}') throw new DBusWireError(`dbus: signature ${JSON.stringify(sig)}: a dict entry holds two types`);
        return { code: 'a', elem: { code: '{', key, value } };
      }
      return { code: 'a', elem: one() };
    }
    if (c === '(') {
      const fields: DType[] = [];
      while (sig[i] !== ')') {
        if (i >= sig.length) throw new DBusWireError(`dbus: signature ${JSON.stringify(sig)}: unclosed (`);
        fields.push(one());
      }
      i++;
      return { code: '(', fields };
    }
    throw new DBusWireError(`dbus: signature ${JSON.stringify(sig)}: unknown type code ${JSON.stringify(c)}`);
  };
  while (i < sig.length) out.push(one());
  return out;
}

export class Writer {
  private buf = Buffer.alloc(256);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    this.ensure(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  setUint32(at: number, v: number): void {
    this.buf.writeUInt32LE(v, at);
  }

  private raw(n: number, put: (b: Buffer, at: number) => void): void {
    this.align(n);
    this.ensure(n);
    put(this.buf, this.length);
    this.length += n;
  }

  private string(s: string, lenBytes: 1 | 4): void {
    const b = Buffer.from(s, 'utf8');
    if (lenBytes === 1) this.raw(1, (buf, at) => buf.writeUInt8(b.length, at));
    else this.raw(4, (buf, at) => buf.writeUInt32LE(b.length, at));
    this.ensure(b.length + 1);
    b.copy(this.buf, this.length);
    this.buf[this.length + b.length] = 0;
    this.length += b.length + 1;
  }

  /** Writes values of a signature (as many values as complete types). */
  write(sig: string, values: readonly unknown[]): void {
    const types = parseSignature(sig);
    if (types.length !== values.length) throw new DBusWireError(`dbus: signature ${JSON.stringify(sig)} wants ${types.length} values, got ${values.length}`);
    types.forEach((t, i) => this.value(t, values[i]));
  }

  value(t: DType, v: unknown): void {
    switch (t.code) {
      case 'y': return this.raw(1, (b, at) => b.writeUInt8(num(v, t.code), at));
      case 'b': return this.raw(4, (b, at) => b.writeUInt32LE(v ? 1 : 0, at));
      case 'n': return this.raw(2, (b, at) => b.writeInt16LE(num(v, t.code), at));
      case 'q': return this.raw(2, (b, at) => b.writeUInt16LE(num(v, t.code), at));
      case 'i': return this.raw(4, (b, at) => b.writeInt32LE(num(v, t.code), at));
      case 'u': case 'h': return this.raw(4, (b, at) => b.writeUInt32LE(num(v, t.code), at));
      case 'x': return this.raw(8, (b, at) => b.writeBigInt64LE(big(v, t.code), at));
      case 't': return this.raw(8, (b, at) => b.writeBigUInt64LE(big(v, t.code), at));
      case 'd': return this.raw(8, (b, at) => b.writeDoubleLE(num(v, t.code), at));
      case 's': case 'o': return this.string(str(v, t.code), 4);
      case 'g': return this.string(str(v, t.code), 1);
      case 'v': {
        const va = v as Variant;
        const inner = parseSignature(va.sig);
        if (inner.length !== 1) throw new DBusWireError(`dbus: a variant holds one complete type, not ${JSON.stringify(va.sig)}`);
        this.string(va.sig, 1);
        return this.value(inner[0]!, va.value);
      }
      case 'a': return this.array((t as { elem: DType }).elem, v);
      case '(': {
        const fields = (t as { fields: DType[] }).fields;
        if (!Array.isArray(v) || v.length !== fields.length) throw new DBusWireError(`dbus: a struct of ${fields.length} fields wants an array of as many values`);
        this.align(8);
        return fields.forEach((f, i) => this.value(f, v[i]));
      }
      case '{': {
        const e = t as { key: DType; value: DType };
        const [k, x] = v as [unknown, unknown];
        this.align(8);
        this.value(e.key, k);
        return this.value(e.value, x);
      }
    }
    throw new DBusWireError(`dbus: cannot write type ${t.code}`);
  }

  private array(elem: DType, v: unknown): void {
    if (!Array.isArray(v)) throw new DBusWireError('dbus: an array value must be an array');
    this.align(4);
    this.ensure(4);
    const lenAt = this.length;
    this.length += 4;
    // The length excludes the padding before the first element (which aligns even when empty).
    this.align(ALIGN[elem.code]!);
    const start = this.length;
    for (const x of v) this.value(elem, x);
    const n = this.length - start;
    if (n > 64 << 20) throw new DBusWireError('dbus: array longer than 64 MiB');
    this.setUint32(lenAt, n);
  }
}

export class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos = 0,
  ) {}

  align(n: number): void {
    this.pos += (n - (this.pos % n)) % n;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new DBusWireError('dbus: message truncated');
  }

  private fixed<T>(n: number, get: (at: number) => T): T {
    this.align(n);
    this.need(n);
    const v = get(this.pos);
    this.pos += n;
    return v;
  }

  private string(lenBytes: 1 | 4): string {
    const n = lenBytes === 1 ? this.fixed(1, (at) => this.buf.readUInt8(at)) : this.fixed(4, (at) => this.buf.readUInt32LE(at));
    this.need(n + 1);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n + 1;
    return s;
  }

  read(sig: string): unknown[] {
    return parseSignature(sig).map((t) => this.value(t));
  }

  value(t: DType): unknown {
    const b = this.buf;
    switch (t.code) {
      case 'y': return this.fixed(1, (at) => b.readUInt8(at));
      case 'b': return this.fixed(4, (at) => b.readUInt32LE(at)) !== 0;
      case 'n': return this.fixed(2, (at) => b.readInt16LE(at));
      case 'q': return this.fixed(2, (at) => b.readUInt16LE(at));
      case 'i': return this.fixed(4, (at) => b.readInt32LE(at));
      case 'u': case 'h': return this.fixed(4, (at) => b.readUInt32LE(at));
      case 'x': return this.fixed(8, (at) => b.readBigInt64LE(at));
      case 't': return this.fixed(8, (at) => b.readBigUInt64LE(at));
      case 'd': return this.fixed(8, (at) => b.readDoubleLE(at));
      case 's': case 'o': return this.string(4);
      case 'g': return this.string(1);
      case 'v': {
        const sig = this.string(1);
        const inner = parseSignature(sig);
        if (inner.length !== 1) throw new DBusWireError(`dbus: a variant holds one complete type, not ${JSON.stringify(sig)}`);
        return { sig, value: this.value(inner[0]!) } satisfies Variant;
      }
      case 'a': {
        const elem = (t as { elem: DType }).elem;
        const n = this.fixed(4, (at) => b.readUInt32LE(at));
        this.align(ALIGN[elem.code]!);
        const end = this.pos + n;
        if (end > b.length) throw new DBusWireError('dbus: message truncated');
        const out: unknown[] = [];
        while (this.pos < end) out.push(this.value(elem));
        return out;
      }
      case '(': {
        this.align(8);
        return (t as { fields: DType[] }).fields.map((f) => this.value(f));
      }
      case '{': {
        const e = t as { key: DType; value: DType };
        this.align(8);
        return [this.value(e.key), this.value(e.value)];
      }
    }
    throw new DBusWireError(`dbus: cannot read type ${t.code}`);
  }
}

function num(v: unknown, code: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  throw new DBusWireError(`dbus: type ${code} wants a number, got ${typeof v}`);
}

function big(v: unknown, code: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new DBusWireError(`dbus: type ${code} wants an integer, got ${String(v)}`);
}

function str(v: unknown, code: string): string {
  if (typeof v === 'string') return v;
  throw new DBusWireError(`dbus: type ${code} wants a string, got ${typeof v}`);
}

// ---------------------------------------------------------------------------------------------
// Messages.

export const MessageType = { METHOD_CALL: 1, METHOD_RETURN: 2, ERROR: 3, SIGNAL: 4 } as const;
/** Header field codes and their types. */
const FIELDS = { path: [1, 'o'], interface: [2, 's'], member: [3, 's'], errorName: [4, 's'], replySerial: [5, 'u'], destination: [6, 's'], sender: [7, 's'], signature: [8, 'g'] } as const;
type FieldName = keyof typeof FIELDS;
const FLAG_NO_REPLY_EXPECTED = 1;

export interface Message {
  type: number;
  serial: number;
  flags?: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  signature?: string;
  body: unknown[];
}

/** Encodes one message: the fixed header, the header fields, padding to 8, the body. */
export function encodeMessage(m: Message): Buffer {
  const w = new Writer();
  w.write('yyyyuu', ['l'.charCodeAt(0), m.type, m.flags ?? 0, 1, 0, m.serial]);
  const fields: [number, Variant][] = [];
  for (const [name, [code, sig]] of Object.entries(FIELDS) as [FieldName, readonly [number, string]][]) {
    const v = m[name];
    if (v !== undefined && v !== '') fields.push([code, { sig, value: v }]);
  }
  w.write('a(yv)', [fields]);
  w.align(8);
  const bodyStart = w.length;
  if (m.signature) w.write(m.signature, m.body);
  w.setUint32(4, w.length - bodyStart);
  return Buffer.from(w.bytes());
}

/** The length of the message at the start of buf, or undefined until its fixed header is in. */
export function messageLength(buf: Buffer): number | undefined {
  if (buf.length < 16) return undefined;
  if (buf[0] !== 0x6c) throw new DBusWireError('dbus: only little-endian messages are read');
  const bodyLen = buf.readUInt32LE(4);
  const fieldsLen = buf.readUInt32LE(12);
  const headerEnd = 16 + fieldsLen + ((8 - ((16 + fieldsLen) % 8)) % 8);
  return headerEnd + bodyLen;
}

export function decodeMessage(buf: Buffer): Message {
  const r = new Reader(buf);
  const [endian, type, flags, version, bodyLen, serial] = r.read('yyyyuu') as number[];
  if (endian !== 0x6c) throw new DBusWireError('dbus: only little-endian messages are read');
  if (version !== 1) throw new DBusWireError(`dbus: protocol version ${version}`);
  const m: Message = { type: type!, flags: flags!, serial: serial!, body: [] };
  const byCode = new Map<number, FieldName>(Object.entries(FIELDS).map(([n, [c]]) => [c, n as FieldName]));
  for (const [code, v] of r.read('a(yv)')[0] as [number, Variant][]) {
    const name = byCode.get(code);
    if (name) (m as unknown as Record<string, unknown>)[name] = v.value;
  }
  r.align(8);
  const end = r.pos + bodyLen!;
  if (end > buf.length) throw new DBusWireError('dbus: message truncated');
  if (m.signature) m.body = new Reader(buf.subarray(0, end), r.pos).read(m.signature);
  return m;
}

export const noReply = (m: Message): boolean => ((m.flags ?? 0) & FLAG_NO_REPLY_EXPECTED) !== 0;
