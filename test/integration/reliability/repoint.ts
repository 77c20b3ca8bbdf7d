// Moving a CloudProfile between clouds in the repointing tests: the profile and its Secret applied with kubectl,
// a wait until the profile has checked its new cloud, and the requests a cloud got that name our objects.
import { expect } from 'chai';
import { API_VERSION } from '../../../src/api/constants.ts';
import type { Eucasim } from '../../../sim/server.ts';
import { waitFor } from '../../env/index.ts';
import type { Scenario } from '../support/scenario.ts';

/** The CloudProfile the repointing tests move between clouds. */
export const PROFILE = 'movable';

/** Points PROFILE at `sim` with the credentials of Secret `secret`. */
export async function applyProfile(s: Scenario, sim: Eucasim, secret: string): Promise<void> {
  const r = await s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], {
    input: JSON.stringify({
      apiVersion: API_VERSION, kind: 'CloudProfile', metadata: { name: PROFILE },
      spec: { ec2Endpoint: sim.url, s3Endpoint: sim.s3Url, region: 'eucalyptus', credentialsSecretRef: { name: secret }, rateLimit: { qps: 200, burst: 200 } },
    }),
  });
  expect(r.code, r.stderr).to.equal(0);
}

export async function applySecret(s: Scenario, name: string, key: { accessKeyId: string; secretAccessKey: string }): Promise<void> {
  const r = await s.env.kubectl(['apply', '-n', s.namespace, '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: key }) });
  expect(r.code, r.stderr).to.equal(0);
}

/** Waits until PROFILE has checked its current spec and is Ready. */
export async function profileGeneration(s: Scenario): Promise<void> {
  await waitFor(async () => {
    const p = await s.get<{ metadata: { generation?: number }; status?: { observedGeneration?: number; conditions?: Array<{ type: string; status: string }> } }>('cloudprofiles', PROFILE);
    return p?.status?.observedGeneration === p?.metadata.generation && p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
  }, { timeoutMs: 30_000, message: 'profile Ready at its generation' });
}

/** Every request `sim` got since `since` with a parameter naming one of `needles` (ids, an owner, a bucket). */
export function touching(sim: Eucasim, since: number, needles: string[]): string[] {
  return sim.log.entries().filter((e) => e.time.getTime() >= since && Object.values(e.params).some((v) => needles.some((n) => v.includes(n)))).map((e) => `${e.action} ${JSON.stringify(e.params)}`);
}
