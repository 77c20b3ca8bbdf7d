// The operator's API-server connection pool honours the kubeconfig's tls-server-name and proxy-url, as the
// client library does (real API server; a CONNECT proxy on loopback).
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { KubeConfig, type Cluster } from '@kubernetes/client-node';
import { getEnv, type TestEnv } from '../../env/index.ts';
import { kubeRequest } from '../../../src/runtime/rest.ts';

function withCluster(base: KubeConfig, change: Partial<Cluster>): KubeConfig {
  const kc = new KubeConfig();
  const cluster = { ...base.getCurrentCluster()!, ...change };
  kc.loadFromOptions({ clusters: [cluster], users: base.getUsers(), contexts: base.getContexts(), currentContext: base.getCurrentContext() });
  return kc;
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
    before(async () => {
      proxy = createServer((_req, res) => res.writeHead(405).end());
      proxy.on('connect', (req, client, head) => {
        tunnels.push(req.url ?? '');
        const [host, port] = (req.url ?? '').split(':');
        const upstream = connect(Number(port), host, () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          if (head.length) upstream.write(head);
          upstream.pipe(client);
          client.pipe(upstream);
        });
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      proxy.closeAllConnections();
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
});
