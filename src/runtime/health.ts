// Probe and metrics endpoints. /healthz fails when the event loop has been blocked for too long (a stuck
// process should be restarted); /readyz reflects the caller's readiness (informers synced; a standby that is
// not leading is still ready); /metrics renders the Prometheus registry.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from './metrics.ts';

export interface HealthServerOptions {
  port?: number;
  host?: string;
  readiness: () => boolean;
  /**
   * Problems worth reporting on /readyz that a restart would not fix (a cloud that stopped answering): listed
   * in the body, without failing the probe, so Kubernetes neither restarts nor unroutes the operator for them.
   */
  notices?: () => string[];
  /** Event-loop lag beyond which /healthz fails (ms). */
  maxEventLoopLagMs?: number;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const maxLag = options.maxEventLoopLagMs ?? 10_000;
  // A heartbeat timer measures how late it fires: the event-loop lag.
  const tickMs = 1000;
  let lastTick = Date.now();
  let lag = 0;
  const heartbeat = setInterval(() => {
    const now = Date.now();
    lag = Math.max(0, now - lastTick - tickMs);
    lastTick = now;
  }, tickMs);
  heartbeat.unref();

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(code, { 'Content-Type': type });
      res.end(body);
    };
    if (path === '/healthz' || path === '/livez') {
      // Lag is also measured at request time: a loop stuck right now would not have updated `lag`.
      const current = Math.max(lag, Date.now() - lastTick - tickMs);
      return current > maxLag ? reply(503, `event loop blocked for ${current} ms\n`) : reply(200, 'ok\n');
    }
    if (path === '/readyz') {
      let ready: boolean;
      try {
        ready = options.readiness();
      } catch {
        ready = false;
      }
      let notices: string[];
      try {
        notices = options.notices?.() ?? [];
      } catch {
        notices = [];
      }
      const body = notices.map((n) => `[!] ${n}\n`).join('');
      return ready ? reply(200, `${body}ok\n`) : reply(503, `${body}not ready\n`);
    }
    if (path === '/metrics') {
      registry
        .metrics()
        .then((text) => reply(200, text, registry.contentType))
        .catch((err: unknown) => reply(500, `${String(err)}\n`));
      return;
    }
    reply(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
