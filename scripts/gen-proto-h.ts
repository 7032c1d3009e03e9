// Writes native/executor/proto.h from src/executor/protocol.ts, so the C side never drifts.
import { writeFileSync } from 'node:fs';
import { renderProtoHeader } from '../src/executor/protocol.js';

const out = process.argv[2] ?? 'native/executor/proto.h';
writeFileSync(out, renderProtoHeader());
