// Throughput of eucasim: signed DescribeSnapshots with 50 ids, concurrency 16, for 5 s, against a cloud of
// 10,000 snapshots (2,500 EBS instances with 3 data volumes each). Client and server share this process.
// Usage: node sim/bench.ts [--seconds 5] [--concurrency 16] [--ids 50] [--snapshots 10000] [--client raw|sdk]
// `raw` signs each request with the SDK's SigV4 signer and sends it with a keep-alive agent, without parsing
// the answer, so the figure is the simulator's; `sdk` goes through @aws-sdk/client-ec2 end to end.
import { Sha256 } from '@aws-crypto/sha256-js';
import { DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { startEucasim } from './server.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '16' },
    ids: { type: 'string', default: '50' },
    snapshots: { type: 'string', default: '10000' },
    client: { type: 'string', default: 'raw' },
  },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const idsPerCall = Number(values.ids);
const snapshotCount = Number(values.snapshots);

const credentials = { accessKeyId: 'AKIABENCHEUCASIM0001', secretAccessKey: 'bench-secret' };
const sim = await startEucasim({
  profile: 'eucalyptus-3.4',
  fixtures: { accounts: [{ accountId: '999999999999', name: 'bench', ...credentials }] },
  logCapacity: 1_000,
});
const seedStart = performance.now();
const instances = sim.state.seedInstances({ count: Math.ceil(snapshotCount / 4), rootDeviceType: 'ebs', attachedVolumes: 3 });
const snapshotIds: string[] = [];
for (const inst of instances) {
  for (const a of inst.attachments) {
    if (snapshotIds.length >= snapshotCount) break;
    snapshotIds.push(sim.state.createSnapshot(sim.state.volumes.get(a.volumeId)!, inst.ownerId, 'bench').id);
  }
}
sim.advance();
const seedMs = performance.now() - seedStart;

const ec2 = new EC2Client({ endpoint: sim.url, region: 'eucalyptus', credentials, maxAttempts: 1 });
const latencies: number[] = [];
let errors = 0;
const deadline = performance.now() + seconds * 1000;
const pick = () => Array.from({ length: idsPerCall }, () => snapshotIds[Math.floor(Math.random() * snapshotIds.length)]!);

const signer = new SignatureV4({ service: 'ec2', region: 'eucalyptus', sha256: Sha256, credentials });
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const endpoint = new URL(sim.url);

async function rawCall(ids: string[]): Promise<boolean> {
  const body = new URLSearchParams([['Action', 'DescribeSnapshots'], ['Version', '2013-08-15'],
    ...ids.map((id, i): [string, string] => [`SnapshotId.${i + 1}`, id])]).toString();
  const signed = await signer.sign(new HttpRequest({
    method: 'POST', hostname: endpoint.hostname, port: Number(endpoint.port), path: '/', body,
    headers: { host: endpoint.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  }));
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: endpoint.hostname, port: endpoint.port, method: 'POST', path: '/', headers: signed.headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function worker(): Promise<void> {
  while (performance.now() < deadline) {
    const t0 = performance.now();
    const ids = [...new Set(pick())];
    try {
      if (values.client === 'sdk') {
        const out = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: ids }));
        if (!out.Snapshots?.length) errors++;
      } else if (!(await rawCall(ids))) {
        errors++;
      }
    } catch {
      errors++;
    }
    latencies.push(performance.now() - t0);
  }
}
const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(1);

console.log(`eucasim bench: ${snapshotIds.length} snapshots, ${sim.state.volumes.size} volumes, ${sim.state.instances.size} instances (seeded in ${seedMs.toFixed(0)} ms)`);
console.log(`DescribeSnapshots x${idsPerCall} ids, signed, ${values.client} client, concurrency ${concurrency}, ${elapsed.toFixed(1)} s`);
console.log(`  requests: ${latencies.length}  errors: ${errors}  throughput: ${(latencies.length / elapsed).toFixed(0)} req/s`);
console.log(`  latency ms: p50 ${pct(0.5)}  p90 ${pct(0.9)}  p99 ${pct(0.99)}`);
console.log(`  peak requests/s seen by the log: ${sim.log.peakPerSecond}  rss: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB`);
ec2.destroy();
agent.destroy();
await sim.close();
