// Starts eucasim for one profile and builds gateways against it over real HTTP with real SigV4.
import { DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { startEucasim } from '../../../sim/server.ts';
import { CloudGateway, type GatewayOptions } from '../../../src/cloud/gateway.ts';
import type { CloudSettings } from '../../../src/cloud/settings.ts';
import { EndpointPolicy } from '../../../src/cloud/endpoint-policy.ts';

export type SimProfile = 'eucalyptus-3.3' | 'eucalyptus-3.4' | 'eucalyptus-4.0' | 'eucalyptus-4.4' | 'aws';
export type Sim = Awaited<ReturnType<typeof startEucasim>>;

export const ACCESS_KEY = 'AKIDEMOEUCALYPTUS000';
export const SECRET_KEY = 'demo-secret-key-please-change';

/** The cloud layer's own seed: one account and the instance kinds its tests need. */
export const FIXTURE = {
  zones: ['zone-a'],
  accounts: [{ accountId: '000000000001', name: 'demo', accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }],
  instances: [
    { rootDeviceType: 'ebs' as const, platform: 'linux' as const, volumes: [{ device: '/dev/sdf', size: 5 }] },
    { rootDeviceType: 'instance-store' as const, platform: 'linux' as const },
    { rootDeviceType: 'instance-store' as const, platform: 'windows' as const },
  ],
};

export async function startSim(profile: SimProfile): Promise<Sim> {
  return startEucasim({ host: '127.0.0.1', port: 0, profile, fixtures: FIXTURE, latency: 'zero' });
}

export function settingsFor(sim: Sim, overrides: Partial<CloudSettings> = {}): CloudSettings {
  return {
    id: 'test/sim',
    ec2Endpoint: sim.url,
    s3Endpoint: sim.s3Url,
    region: 'eucalyptus',
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    rateLimit: { qps: 500, burst: 500 },
    ...overrides,
  };
}

/** eucasim listens on loopback, which the gateway refuses unless the endpoint policy allows it. */
export const LOOPBACK_ALLOWED = new EndpointPolicy(['127.0.0.0/8']);

export function gatewayFor(sim: Sim, overrides: Partial<CloudSettings> = {}, options: GatewayOptions = {}): CloudGateway {
  return new CloudGateway(settingsFor(sim, overrides), { endpointPolicy: LOOPBACK_ALLOWED, ...options });
}

/** Every instance the demo account sees (read straight through the client, not through code under test). */
export async function allInstances(gw: CloudGateway): Promise<Instance[]> {
  const out = await gw.ec2.send(new DescribeInstancesCommand({}));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
