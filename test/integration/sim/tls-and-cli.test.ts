// eucasim over HTTPS (per-run CA from the harness) and the CLI as a child process that stops on SIGTERM.
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { makeTempDir, removeTempDir, spawnTracked } from '../../env/processes.ts';
import { generateTls } from '../../env/tls.ts';
import { waitFor } from '../../env/wait-for.ts';
import { type Eucasim, startEucasim } from '../../../sim/server.ts';

const KEY = { accessKeyId: 'AKIDEMOEUCALYPTUS000', secretAccessKey: 'demo-secret-key-please-change' };

describe('eucasim over TLS and as a CLI', function () {
  this.timeout(60_000);
  let dir = '';
  let sim: Eucasim | undefined;

  before(() => { dir = makeTempDir('eucasim-tls'); });
  after(async () => {
    await sim?.close();
    removeTempDir(dir);
  });

  it('answers signed EC2 requests over HTTPS', async () => {
    const tls = await generateTls(dir);
    const file = (p: string) => readFileSync(p.includes('/') ? p : join(dir, p), 'utf8');
    sim = await startEucasim({
      profile: 'eucalyptus-3.4', fixtures: join(process.cwd(), 'sim/fixtures/demo.yaml'),
      tls: { cert: file(tls.servingCert), key: file(tls.servingKey) },
    });
    expect(sim.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    const url = new URL(sim.url);
    const body = 'Action=DescribeAvailabilityZones&Version=2013-08-15';
    const signer = new SignatureV4({ service: 'ec2', region: 'eucalyptus', sha256: Sha256, credentials: KEY });
    const signed = await signer.sign(new HttpRequest({
      method: 'POST', protocol: 'https:', hostname: url.hostname, port: Number(url.port), path: '/', body,
      headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' },
    }));
    const text = await new Promise<string>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers: signed.headers, ca: file(tls.caCert) }, (res) => {
        let data = '';
        res.on('data', (c: Buffer) => { data += c.toString(); });
        res.on('end', () => resolve(`${res.statusCode} ${data}`));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(text).to.match(/^200 /).and.to.contain('<zoneName>euca-zone-1</zoneName>');
  });

  it('the CLI prints endpoints and keys and exits on SIGTERM', async () => {
    const proc = spawnTracked('eucasim-cli', process.execPath, ['sim/main.ts', '--profile', 'eucalyptus-4.0', '--port', '0'], {
      logPath: join(dir, 'cli.log'), cwd: process.cwd(),
    });
    const endpoint = await waitFor(() => /EC2 endpoint: (http:\/\/\S+)/.exec(readFileSync(join(dir, 'cli.log'), 'utf8'))?.[1],
      { timeoutMs: 20_000, message: 'the CLI banner' });
    const log = readFileSync(join(dir, 'cli.log'), 'utf8');
    expect(log).to.contain('AWS_ACCESS_KEY_ID=AKIDEMOEUCALYPTUS000');
    const state = await (await fetch(`${endpoint}/_eucasim/state`)).json() as { profile: string };
    expect(state.profile).to.equal('eucalyptus-4.0');
    await proc.stop();
    expect(await proc.exited).to.equal(0);
    expect(readFileSync(join(dir, 'cli.log'), 'utf8')).to.contain('SIGTERM, shutting down');
  });
});
