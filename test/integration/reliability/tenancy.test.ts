// What a careless or hostile tenant can put in a CloudProfile and its Secrets: endpoints inside the cluster's
// own network, endpoints whose answers would tell what listens there, keys of the wrong shape, a CA bundle that
// is not one, a cloud error text too long for a status. Each ends in a stable reason, and the cloud is untouched.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_VERSION } from '../../../src/api/constants.ts';
import { MAX_CONDITION_MESSAGE } from '../../../src/api/conditions.ts';
import { DEMO_KEY, startScenario, type Scenario } from '../support/scenario.ts';
import { captureManifest, seedInstance } from '../imagecapture/helpers.ts';
import { checkInvariants, cloudBaseline, ResourceTracker } from './invariants.ts';
import { condOf } from './helpers.ts';

async function applyProfile(s: Scenario, name: string, spec: Record<string, unknown>, secret?: { name: string; data: Record<string, string> }): Promise<void> {
  const items: unknown[] = [{
    apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name },
    spec: { region: 'eucalyptus', credentialsSecretRef: { name: secret?.name ?? `${s.cloudName}-credentials` }, ...spec },
  }];
  if (secret) items.unshift({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secret.name }, stringData: secret.data });
  // Server-side: a 900 KB Secret does not fit the client-side last-applied annotation.
  const r = await s.env.kubectl(['apply', '--server-side', '-n', s.namespace, '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
  if (r.code !== 0) throw new Error(r.stderr);
}

/** A loopback HTTP service that is not a cloud: answers every request with this status and body. */
async function notACloud(status: number, body: string): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((_req, res) => { hits++; res.writeHead(status, { 'content-type': 'text/html' }); res.end(body); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    hits: () => hits,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

describe('reliability: tenant input', function () {
  this.timeout(180_000);
  let s: Scenario;
  after(async () => s?.close());

  it('with the production endpoint policy, loopback and metadata endpoints are refused before any request', async () => {
    s = await startScenario({ profile: 'eucalyptus-3.4', operator: false });
    const baseline = cloudBaseline(s);
    const op = await s.startOperator({ allowedEndpoints: [] });
    try {
      await applyProfile(s, 'metadata', { ec2Endpoint: 'http://169.254.169.254/latest/meta-data/' });
      for (const name of [s.cloudName, 'metadata']) {
        const p = await s.waitForCondition('cloudprofiles', name, 'Stalled', 'True', 30_000);
        expect(condOf(p, 'Stalled')?.reason, name).to.equal('EndpointNotAllowed');
        expect(condOf(p, 'Stalled')?.message).to.match(/loopback, link-local or metadata address.*--allowed-endpoints/);
      }
      expect(s.sim.log.count(), 'no request reached the loopback cloud').to.equal(0);
    } finally {
      await op.stop();
      s.operator = undefined;
    }
    await checkInvariants(s, { resources: [], baseline });
  });

  it('endpoints that answer as no cloud does (403, 200 HTML, nothing) get one reason and one message', async () => {
    await s.startOperator();
    await s.waitForCondition('cloudprofiles', s.cloudName, 'Ready', 'True', 30_000);
    const baseline = cloudBaseline(s);
    const forbidden = await notACloud(403, '<html>Forbidden: internal admin console</html>');
    const ok = await notACloud(200, '<html>internal dashboard</html>');
    const closed = await notACloud(200, '');
    const closedUrl = closed.url;
    await closed.close();
    try {
      const endpoints = { 'probe-403': forbidden.url, 'probe-200': ok.url, 'probe-closed': closedUrl };
      for (const [name, url] of Object.entries(endpoints)) await applyProfile(s, name, { ec2Endpoint: url });
      const seen: string[] = [];
      for (const [name, url] of Object.entries(endpoints)) {
        const p = await s.waitForCondition('cloudprofiles', name, 'Reconciling', 'True', 30_000);
        const c = condOf(p, 'Reconciling')!;
        expect(c.reason, name).to.equal('CloudUnreachable');
        expect(condOf(p, 'Stalled')?.status ?? 'False', `${name} is retried, not Stalled`).to.equal('False');
        seen.push(c.message.replace(url, '<endpoint>'));
      }
      console.log(`      every non-cloud answer reads: ${seen[0]}`);
      expect(new Set(seen).size, `messages differ: ${seen.join(' | ')}`).to.equal(1);
      expect(seen[0]).to.not.match(/403|Forbidden|dashboard|admin|ECONNREFUSED|html/i);
      expect(forbidden.hits() + ok.hits(), 'the endpoints were really asked').to.be.greaterThan(0);
    } finally {
      await forbidden.close();
      await ok.close();
    }
    await checkInvariants(s, { resources: [], baseline });
  });

  it('a key of the wrong shape (900 KB, a line break) is CredentialsSecretInvalid, a garbage CA bundle CABundleInvalid', async () => {
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    await applyProfile(s, 'huge-key', { ec2Endpoint: s.sim.url }, { name: 'huge-key-creds', data: { accessKeyId: 'A'.repeat(900_000), secretAccessKey: DEMO_KEY.secretAccessKey } });
    await applyProfile(s, 'newline-key', { ec2Endpoint: s.sim.url }, { name: 'newline-creds', data: { accessKeyId: DEMO_KEY.accessKeyId, secretAccessKey: `${DEMO_KEY.secretAccessKey}\nextra` } });
    await applyProfile(s, 'bad-ca', { ec2Endpoint: s.sim.url, caBundleSecretRef: { name: 'bad-ca-bundle' } }, { name: 'bad-ca-bundle', data: { 'ca.crt': 'this is not a certificate' } });
    // The CA bundle Secret above is not the credentials one: point the profile at the working credentials.
    await applyProfile(s, 'bad-ca', { ec2Endpoint: s.sim.url, caBundleSecretRef: { name: 'bad-ca-bundle' } });
    const calls = s.sim.log.count();
    for (const [name, reason, fragment] of [
      ['huge-key', 'CredentialsSecretInvalid', /accessKeyId is not an access key id \(900000 characters/],
      ['newline-key', 'CredentialsSecretInvalid', /secretAccessKey is not a secret key/],
      ['bad-ca', 'CABundleInvalid', /holds no PEM certificate/],
    ] as const) {
      const p = await s.waitForCondition('cloudprofiles', name, 'Stalled', 'True', 30_000);
      expect(condOf(p, 'Stalled')?.reason, name).to.equal(reason);
      expect(condOf(p, 'Stalled')?.message, name).to.match(fragment);
      expect(JSON.stringify(p.status)).to.not.include(DEMO_KEY.secretAccessKey);
    }
    expect(s.sim.log.count(), 'no call signed with a broken key').to.equal(calls);
    // A capture on such a profile waits with the reason, and makes nothing.
    const m = captureManifest(s, seedInstance(s).id, {}, 'on-huge-key');
    m.spec.cloudRef = { name: 'huge-key' };
    await t.create('imagecaptures', m);
    const waiting = await s.waitForCondition('imagecaptures', m.metadata.name, 'Reconciling', 'True', 30_000);
    expect(condOf(waiting, 'Reconciling')?.message).to.include('CredentialsSecretInvalid');
    await t.remove('imagecaptures', m.metadata.name);
    await s.waitGone('imagecaptures', m.metadata.name);
    await checkInvariants(s, { resources: t.resources, baseline });
  });

  it('a cloud error of 100 KB still leaves a status: the condition message is cut to fit, the rest goes to the log', async () => {
    const baseline = cloudBaseline(s);
    const t = new ResourceTracker(s);
    // A cloud throttling with a 100 KB message: the text would come back in the CloudProfile status.
    const huge = `<?xml version="1.0"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>${'x'.repeat(100_000)}</Message></Error></Errors><RequestID>r</RequestID></Response>`;
    const server = await notACloud(503, huge);
    try {
      await applyProfile(s, 'huge-error', { ec2Endpoint: server.url });
      const p = await s.waitForCondition('cloudprofiles', 'huge-error', 'Reconciling', 'True', 30_000);
      expect(condOf(p, 'Reconciling')?.reason).to.equal('Throttled');
      expect(condOf(p, 'Reconciling')?.message).to.match(/xxxx.*truncated; the full text is in the operator log/);
      const longest = Math.max(...((p.status?.conditions ?? []) as Array<{ message: string }>).map((c) => c.message.length));
      expect(longest).to.be.at.most(MAX_CONDITION_MESSAGE);
    } finally {
      await server.close();
    }
    await checkInvariants(s, { resources: t.resources, baseline });
  });
});
