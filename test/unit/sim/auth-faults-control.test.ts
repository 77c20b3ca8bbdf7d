// SigV4 rejection over raw HTTP, unknown parameters per profile, injected faults, the per-account rate
// limit, and the control API.
import { Sha256 } from '@aws-crypto/sha256-js';
import { CreateSnapshotCommand, DescribeInstancesCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { expect } from 'chai';
import { rejection, startTestSim, stopTestSim, TEST_KEY, type TestSim, until } from './helpers.ts';

async function signedPost(t: TestSim, body: string, credentials = TEST_KEY): Promise<Response> {
  const url = new URL(t.sim.url);
  const request = new HttpRequest({
    method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/',
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body,
  });
  const signer = new SignatureV4({ service: 'ec2', region: 'eucalyptus', sha256: Sha256, credentials });
  const signed = await signer.sign(request);
  return fetch(t.sim.url, { method: 'POST', headers: signed.headers, body });
}

describe('eucasim auth, faults and control API', () => {
  let t: TestSim;
  let t33: TestSim;
  before(async () => {
    t = await startTestSim('eucalyptus-3.4');
    t33 = await startTestSim('eucalyptus-3.3');
  });
  after(async () => { await stopTestSim(t); await stopTestSim(t33); });
  afterEach(() => { t.sim.faults.clear(); });

  it('accepts a raw signed request and rejects unsigned, malformed, unknown-key and bad-signature ones with "403 Forbidden"', async () => {
    const ok = await signedPost(t, 'Action=DescribeRegions&Version=2013-08-15');
    expect(ok.status).to.equal(200);
    expect(await ok.text()).to.contain('<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2013-08-15/">');
    const unsigned = await fetch(t.sim.url, { method: 'POST', body: 'Action=DescribeRegions&Version=2013-08-15', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    // Eucalyptus fails authentication while reading the request: the status line is the code (NioServerHandler).
    expect(unsigned.status).to.equal(403);
    expect(await unsigned.text()).to.match(/<Response><Errors><Error><Code>403 Forbidden<\/Code>.*<RequestID>/);
    const garbage = await fetch(`${t.sim.url}/?Action=DescribeRegions&Version=2013-08-15`, { headers: { authorization: 'AWS4-HMAC-SHA256 nonsense' } });
    expect(await garbage.text()).to.contain('<Code>403 Forbidden</Code>');
    const unknown = await signedPost(t, 'Action=DescribeRegions&Version=2013-08-15', { accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' });
    expect([unknown.status, await unknown.text()]).to.satisfy(([s, b]: [number, string]) => s === 403 && b.includes('403 Forbidden'));
    const wrong = new EC2Client({ endpoint: t.sim.url, region: 'eucalyptus', maxAttempts: 1, credentials: { ...TEST_KEY, secretAccessKey: 'wrong' } });
    expect((await rejection(wrong.send(new DescribeInstancesCommand({})))).name).to.equal('403 Forbidden');
    wrong.destroy();
    // A body changed after signing no longer matches.
    const tampered = await (async () => {
      const url = new URL(t.sim.url);
      const signer = new SignatureV4({ service: 'ec2', region: 'eucalyptus', sha256: Sha256, credentials: TEST_KEY });
      const signed = await signer.sign(new HttpRequest({ method: 'POST', hostname: url.hostname, path: '/', headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=DescribeRegions&Version=2013-08-15' }));
      return fetch(t.sim.url, { method: 'POST', headers: signed.headers, body: 'Action=DescribeInstances&Version=2013-08-15' });
    })();
    expect(await tampered.text()).to.contain('403 Forbidden');
  });

  it('rejects unknown parameters on 3.4 ("400 Bad Request"), ignores them on 3.3, and rejects unknown actions and undated versions', async () => {
    const strict = await signedPost(t, 'Action=DescribeRegions&Version=2013-08-15&Bogus=1');
    expect([strict.status, await strict.text()]).to.satisfy(([s, b]: [number, string]) => s === 400 && b.includes('<Code>400 Bad Request</Code>') && b.includes('Bogus'));
    const lenient = await signedPost(t33, 'Action=DescribeRegions&Version=2013-06-15&Bogus=1');
    expect(lenient.status).to.equal(200);
    expect(await (await signedPost(t, 'Action=LaunchRockets&Version=2013-08-15')).text()).to.contain('InvalidAction');
    // Any dated version is answered (in its namespace); one that is not a date fails to bind.
    expect(await (await signedPost(t, 'Action=DescribeRegions&Version=1999-01-01')).text()).to.contain('xmlns="http://ec2.amazonaws.com/doc/1999-01-01/"');
    expect(await (await signedPost(t, 'Action=DescribeRegions&Version=latest')).text()).to.contain('400 Bad Request');
  });

  it('throttles N calls with RequestLimitExceeded 503, scoped by action', async () => {
    t.sim.faults.set({ throttle: { count: 2, actions: ['DescribeInstances'] } });
    await t.ec2.send(new DescribeVolumesCommand({}));
    const e1 = await rejection(t.ec2.send(new DescribeInstancesCommand({})));
    expect([e1.name, e1.$metadata?.httpStatusCode]).to.deep.equal(['RequestLimitExceeded', 503]);
    await rejection(t.ec2.send(new DescribeInstancesCommand({})));
    await t.ec2.send(new DescribeInstancesCommand({}));
    expect(t.sim.faults.fired['throttle']).to.equal(2);
  });

  it('answers injected 500 InternalError and 503 Unavailable', async () => {
    t.sim.faults.set({ serverError: { count: 1, status: 500 } });
    const e500 = await rejection(t.ec2.send(new DescribeInstancesCommand({})));
    expect([e500.name, e500.$metadata?.httpStatusCode]).to.deep.equal(['InternalError', 500]);
    t.sim.faults.set({ serverError: { count: 1, status: 503 } });
    const e503 = await rejection(t.ec2.send(new DescribeInstancesCommand({})));
    expect([e503.name, e503.$metadata?.httpStatusCode]).to.deep.equal(['Unavailable', 503]);
  });

  it('delays and drops connections', async () => {
    t.sim.faults.set({ delay: { count: 1, ms: 150 } });
    const started = Date.now();
    await t.ec2.send(new DescribeInstancesCommand({}));
    expect(Date.now() - started).to.be.at.least(140);
    t.sim.faults.set({ drop: { count: 1 } });
    const dropped = await rejection(t.ec2.send(new DescribeInstancesCommand({})));
    expect(dropped.$metadata?.httpStatusCode).to.equal(undefined);
    await t.ec2.send(new DescribeInstancesCommand({}));
  });

  it('fails snapshots: `failed` on Eucalyptus, `error` on aws', async () => {
    const aws = await startTestSim('aws');
    try {
      for (const [sim, expected] of [[t, 'failed'], [aws, 'error']] as const) {
        sim.sim.faults.set({ failSnapshot: { count: 1 } });
        const vol = (await sim.ec2.send(new DescribeVolumesCommand({}))).Volumes![0]!.VolumeId!;
        const snap = await sim.ec2.send(new CreateSnapshotCommand({ VolumeId: vol }));
        const state = await until(async () => {
          const s = (await sim.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.SnapshotId!] }))).Snapshots![0]!.State;
          return s !== 'pending' ? s : undefined;
        });
        expect(state).to.equal(expected);
      }
    } finally {
      await stopTestSim(aws);
    }
  });

  it('limits each account to its request rate and records the peak', async () => {
    const limited = await startTestSim('eucalyptus-3.4', { rateLimit: { requestsPerSecond: 1, burst: 2 } });
    try {
      await limited.ec2.send(new DescribeInstancesCommand({}));
      await limited.ec2.send(new DescribeInstancesCommand({}));
      const err = await rejection(limited.ec2.send(new DescribeInstancesCommand({})));
      expect(err.name).to.equal('RequestLimitExceeded');
      await limited.otherEc2.send(new DescribeInstancesCommand({}));
      expect(limited.sim.log.peakPerSecond).to.be.at.least(2);
    } finally {
      await stopTestSim(limited);
    }
  });

  it('control API: faults, log, state, advance', async () => {
    const ctl = (path: string, init?: RequestInit) => fetch(`${t.sim.url}/_eucasim/${path}`, init).then((r) => r.json() as Promise<Record<string, unknown>>);
    await ctl('log', { method: 'DELETE' });
    await ctl('faults', { method: 'POST', body: JSON.stringify({ throttle: { count: 1 } }) });
    await rejection(t.ec2.send(new DescribeInstancesCommand({})));
    await t.ec2.send(new DescribeInstancesCommand({}));
    const log = await ctl('log?action=DescribeInstances');
    expect(log['counts']).to.deep.equal({ DescribeInstances: 2 });
    expect((log['entries'] as { status: number; code?: string }[]).map((e) => [e.status, e.code ?? null])).to.deep.equal([[503, 'RequestLimitExceeded'], [200, null]]);
    await ctl('faults', { method: 'POST', body: JSON.stringify({ clear: true, failBundle: { rate: 1 } }) });
    expect((await ctl('faults'))['faults']).to.deep.equal({ failBundle: { rate: 1 } });
    t.sim.state.latency = { ...t.sim.state.latency, snapshotMs: 3_600_000 };
    const vol = (await t.ec2.send(new DescribeVolumesCommand({}))).Volumes![0]!.VolumeId!;
    const snap = await t.ec2.send(new CreateSnapshotCommand({ VolumeId: vol }));
    expect(((await ctl('advance', { method: 'POST' }))['ran'] as number)).to.be.at.least(1);
    const state = await ctl('state');
    const dumped = (state['snapshots'] as { id: string; status: string }[]).find((s) => s.id === snap.SnapshotId);
    expect(dumped!.status).to.equal('completed');
    expect((state['counts'] as Record<string, number>)['instances']).to.equal(4);
  });
});
