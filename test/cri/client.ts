/**
 * A CRI v1 client over gRPC (npm @grpc/grpc-js, the messages of test/cri/cri-api.proto), for the
 * CRI tests and the pods bench. Fields keep the proto's snake_case names, enums travel as their
 * names, int64s as numbers. A failed call rejects with an error naming the call, containerd's
 * answer, and whatever `diagnose` adds (the runtime's last log.json error).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

/** The source's .proto, from dist/test/cri/ (the tests and the bench import this module). */
const PROTO = fileURLToPath(new URL('../../../test/cri/cri-api.proto', import.meta.url));

type Callback = (err: grpc.ServiceError | null, res: any) => void;
type Method = (req: object, options: grpc.CallOptions, cb: Callback) => void;

export class CriClient {
  private readonly service: grpc.Client & Record<string, Method>;

  constructor(socket: string, private readonly diagnose: () => string = () => '') {
    const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true });
    const pkg = grpc.loadPackageDefinition(definition) as any;
    this.service = new pkg.runtime.v1.RuntimeService(`unix://${socket}`, grpc.credentials.createInsecure());
  }

  /** Calls RuntimeService.<call>; resolves to the response object. */
  call<T = any>(call: string, request: object, timeoutMs = 120_000): Promise<T> {
    return new Promise((resolve, reject) => {
      this.service[call].call(this.service, request, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (!err) return resolve(res as T);
        const extra = this.diagnose();
        reject(new Error(`CRI ${call} failed: ${err.details || err.message}${extra ? `\n${extra}` : ''}`));
      });
    });
  }

  close(): void {
    this.service.close();
  }
}
