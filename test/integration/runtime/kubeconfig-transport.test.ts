// The operator's API-server connection pool honours the kubeconfig's tls-server-name and proxy-url, as the
// client library does (real API server; a CONNECT proxy and a SOCKS5 proxy on loopback).
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { KubeConfig, type Cluster } from '@kubernetes/client-node';
import { getEnv, type TestEnv } from '../../env/index.ts';
import { kubeRequest } from '../../../src/runtime/rest.ts';
import { IDLE_CONNECTION_MS, readBody, sendKubeRequest } from '../../../src/runtime/kube-transport.ts';

function withCluster(base: KubeConfig, change: Partial<Cluster>): KubeConfig {
  const kc = new KubeConfig();
  const cluster = { ...base.getCurrentCluster()!, ...change };
  kc.loadFromOptions({ clusters: [cluster], users: base.getUsers(), contexts: base.getContexts(), currentContext: base.getCurrentContext() });
  return kc;
}

/** A proxy's tunnel: connects to host:port, answers `reply` to the client, then bytes flow both ways. */
function tunnel(client: Duplex, host: string, port: number, reply: string | Buffer, head?: Buffer): Socket {
  const upstream = connect(port, host, () => {
    client.write(reply);
    if (head?.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  return upstream;
}

describe('API-server transport from the kubeconfig (real API server)', function () {
  this.timeout(60_000);
  let env: TestEnv;
  before(async () => {
    env = await getEnv();
  });

  it('verifies the server certificate against tls-server-name', async () => {
    const good = withCluster(env.kubeConfig, { tlsServerName: 'kubernetes.default.svc' });
    const version = await kubeRequest<{ major?: string }>(good, 'GET', '/version');
    expect(version.major).to.be.a('string');
    const wrong = withCluster(env.kubeConfig, { tlsServerName: 'not-in-the-certificate.example' });
    let failure: unknown;
    try {
      await kubeRequest(wrong, 'GET', '/version');
    } catch (err) {
      failure = err;
    }
    expect(String((failure as { cause?: unknown })?.cause ?? failure)).to.match(/not-in-the-certificate|altname|Hostname/i);
  });

  describe('through proxy-url', () => {
    let proxy: Server;
    const tunnels: string[] = [];
    // Tunnels leave the HTTP server once established (the pool keeps them alive): closed by hand at the end.
    const tunnelSockets: Array<{ destroy(): void }> = [];
    before(async () => {
      proxy = createServer((_req, res) => res.writeHead(405).end());
      proxy.on('connect', (req, client, head) => {
        tunnels.push(req.url ?? '');
        tunnelSockets.push(client);
        const [host, port] = (req.url ?? '').split(':');
        tunnel(client, host!, Number(port), 'HTTP/1.1 200 Connection Established\r\n\r\n', head);
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      proxy.closeAllConnections();
      for (const socket of tunnelSockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    });

    it('tunnels every request through the proxy with the cluster TLS settings', async () => {
      const { port } = proxy.address() as AddressInfo;
      const kc = withCluster(env.kubeConfig, { proxyUrl: `http://127.0.0.1:${port}` });
      const version = await kubeRequest<{ major?: string }>(kc, 'GET', '/version');
      expect(version.major).to.be.a('string');
      const target = new URL(env.kubeConfig.getCurrentCluster()!.server).host;
      expect(tunnels).to.include(target);
    });
  });

  describe('through a SOCKS5 proxy-url', () => {
    let proxy: NetServer;
    const targets: string[] = [];
    const sockets: Socket[] = [];
    before(async () => {
      // The smallest SOCKS5 server: no authentication, CONNECT to an IPv4 address.
      proxy = createNetServer((client) => {
        sockets.push(client);
        client.once('data', () => {
          client.write(Buffer.from([5, 0]));
          client.once('data', (req) => {
            const host = [...req.subarray(4, 8)].join('.');
            const port = req.readUInt16BE(8);
            targets.push(`${host}:${port}`);
            sockets.push(tunnel(client, host, port, Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0])));
          });
        });
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    });

    it('connects through the SOCKS proxy and verifies the API server on the far side', async () => {
      const { port } = proxy.address() as AddressInfo;
      const kc = withCluster(env.kubeConfig, { proxyUrl: `socks5://127.0.0.1:${port}` });
      const version = await kubeRequest<{ major?: string }>(kc, 'GET', '/version');
      expect(version.major).to.be.a('string');
      expect(targets).to.include(new URL(env.kubeConfig.getCurrentCluster()!.server).host);
    });
  });

  it('fails a request that gets no answer instead of waiting for ever', async () => {
    const silent = createNetServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const kc = withCluster(env.kubeConfig, { server: `http://127.0.0.1:${port}`, skipTLSVerify: true });
    const started = Date.now();
    let failure: unknown;
    try {
      await sendKubeRequest(kc, { method: 'GET', url: new URL(`http://127.0.0.1:${port}/version`), headers: {}, idleTimeoutMs: 300 });
    } catch (err) {
      failure = err;
    } finally {
      silent.close();
    }
    expect(String(failure)).to.match(/no answer for 0.3 s/);
    expect(Date.now() - started).to.be.below(5_000);
  });

  it('closes a pooled connection left unused, and keeps a quiet watch open past that limit', async function () {
    this.timeout(60_000);
    const closedAt = new Map<number, number>();
    let connections = 0;
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/quiet')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{}\n');
        setTimeout(() => res.end('{}\n'), IDLE_CONNECTION_MS + 2_000);
      } else {
        res.end('{"major":"1"}');
      }
    });
    // The server keeps idle connections open longer than the operator does (Node's own default is 5 s).
    server.keepAliveTimeout = 60_000;
    server.on('connection', (socket) => {
      const id = ++connections;
      socket.on('close', () => closedAt.set(id, Date.now()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const kc = withCluster(env.kubeConfig, { server: `http://127.0.0.1:${port}`, skipTLSVerify: true });
    try {
      // Connection 1 carries the quiet stream; connection 2 the short request, then sits unused in the pool.
      const quiet = await sendKubeRequest(kc, { method: 'GET', url: new URL(`http://127.0.0.1:${port}/quiet`), headers: {}, idleTimeoutMs: 0 });
      const usedAt = Date.now();
      await kubeRequest(kc, 'GET', '/version');
      expect(await readBody(quiet)).to.equal('{}\n{}\n');
      expect(closedAt.get(2), 'the unused pooled connection was closed').to.be.a('number');
      expect(closedAt.get(2)! - usedAt).to.be.within(IDLE_CONNECTION_MS - 1_000, IDLE_CONNECTION_MS + 1_500);
      expect(closedAt.has(1), 'the quiet stream stayed open').to.equal(false);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('sends a read again when the pooled connection it went out on was closed under it, and not a write', async () => {
    // Each connection serves one request; the second on the same connection is dropped without an answer.
    const served = new WeakMap<object, number>();
    const server = createServer((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n > 1) {
        req.socket.destroy();
        return;
      }
      res.end('{"major":"1"}');
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const kc = withCluster(env.kubeConfig, { server: `http://127.0.0.1:${port}`, skipTLSVerify: true });
    try {
      expect(await kubeRequest<{ major: string }>(kc, 'GET', '/version')).to.deep.equal({ major: '1' });
      expect(await kubeRequest<{ major: string }>(kc, 'GET', '/version')).to.deep.equal({ major: '1' });
      let failure: unknown;
      try {
        await kubeRequest(kc, 'POST', '/api/v1/namespaces/default/events', { body: {} });
      } catch (err) {
        failure = err;
      }
      expect((failure as NodeJS.ErrnoException | undefined)?.code).to.equal('ECONNRESET');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
