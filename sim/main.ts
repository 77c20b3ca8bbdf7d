// CLI: npm run eucasim -- --port P --profile eucalyptus-3.4 --fixtures FILE [--latency realistic] [--host H]
//   [--rate-limit RPS] [--tls-cert F --tls-key F]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PROFILES, type ProfileName } from './profiles.ts';
import { startEucasim } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    profile: { type: 'string', default: 'eucalyptus-3.4' },
    fixtures: { type: 'string', default: fileURLToPath(new URL('./fixtures/demo.yaml', import.meta.url)) },
    latency: { type: 'string', default: 'zero' },
    'rate-limit': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
});

if (!(values.profile in PROFILES)) {
  console.error(`unknown profile ${values.profile}; expected one of ${Object.keys(PROFILES).join(', ')}`);
  process.exit(2);
}
if (values.latency !== 'zero' && values.latency !== 'realistic') {
  console.error('--latency must be zero or realistic');
  process.exit(2);
}

const sim = await startEucasim({
  host: values.host,
  port: Number(values.port),
  profile: values.profile as ProfileName,
  fixtures: values.fixtures,
  latency: values.latency,
  ...(values['rate-limit'] ? { rateLimit: { requestsPerSecond: Number(values['rate-limit']) } } : {}),
  ...(values['tls-cert'] && values['tls-key']
    ? { tls: { cert: readFileSync(values['tls-cert'], 'utf8'), key: readFileSync(values['tls-key'], 'utf8') } } : {}),
});

console.log(`eucasim ${sim.state.profile.name} (latency ${values.latency})`);
console.log(`  EC2 endpoint: ${sim.url}`);
console.log(`  S3 endpoint:  ${sim.s3Url} (path-style)`);
console.log(`  control API:  ${sim.url}/_eucasim/state`);
console.log(`  region:       ${sim.state.region}`);
for (const a of sim.state.accountsById.values()) {
  console.log(`  account ${a.name} (${a.accountId}): AWS_ACCESS_KEY_ID=${a.accessKeyId} AWS_SECRET_ACCESS_KEY=${a.secretAccessKey}`);
}

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`eucasim: ${signal}, shutting down`);
  sim.close().then(() => process.exit(0), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
