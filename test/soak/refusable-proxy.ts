// A TCP forwarder in front of the emulator's Runtime API that can refuse connections for a while:
// the load run's "Runtime API unreachable" period. While refusing it is not listening at all
// (connect() gets ECONNREFUSED, as from a sandbox whose Runtime API went away) and every
// connection it was carrying is reset. Hand-written: a few lines of node:net, no library covers
// "stop listening, reset everything, listen again on the same port".
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';

export class RefusableProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;
  #target: { host: string; port: number } | undefined;
  /** Connections reset by refuse(). */
  resets = 0;

  private constructor() {
    this.#server = createServer((client) => this.#forward(client));
  }

  /** Listens on 127.0.0.1 at a free port; `target(host:port)` must be set before the first connection. */
  static async start(): Promise<RefusableProxy> {
    const proxy = new RefusableProxy();
    await proxy.#listen(0);
    return proxy;
  }

  /** `host:port` to give the runtime as AWS_LAMBDA_RUNTIME_API. */
  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  target(hostAndPort: string): void {
    const [host, port] = hostAndPort.split(':');
    this.#target = { host: host ?? '127.0.0.1', port: Number(port) };
  }

  /** Stops listening and resets every open connection, for `ms`; resolves once listening again. */
  async refuse(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) {
        socket.resetAndDestroy();
        this.resets += 1;
      }
    });
    await new Promise((resolve) => setTimeout(resolve, ms));
    await this.#listen(this.#port);
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server.listening ? this.#server.close(() => resolve()) : resolve()));
  }

  #listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        if (address !== null && typeof address === 'object') this.#port = address.port;
        resolve();
      });
    });
  }

  #forward(client: Socket): void {
    const target = this.#target;
    if (target === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
