// API-server requests counted by kube-apiserver itself (apiserver_request_total on /metrics, read with the
// admin kubeconfig), so every request of the operator is seen, whichever client made it.
import type { World } from './world.ts';

export type RequestCounts = Map<string, number>;

/** Requests by `VERB resource[/subresource]`. */
export async function requestCounts(world: World): Promise<RequestCounts> {
  const text = await world.kubectl(['get', '--raw', '/metrics']);
  const out: RequestCounts = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const key = `${labels.verb} ${labels.resource || '-'}${labels.subresource ? `/${labels.subresource}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

export function diffCounts(after: RequestCounts, before: RequestCounts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

const WRITE_VERBS = /^(POST|CREATE|PATCH|APPLY|UPDATE|PUT|DELETE)\b/;

export function totals(diff: Record<string, number>): { all: number; writes: number } {
  let all = 0;
  let writes = 0;
  for (const [k, v] of Object.entries(diff)) {
    all += v;
    if (WRITE_VERBS.test(k)) writes += v;
  }
  return { all, writes };
}
