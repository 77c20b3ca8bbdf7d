// Operator settings from flags (`--name=value`) and environment (`EIO_NAME`), flags winning. Every setting has a
// default that suits a production install; the Helm chart sets the environment.
import { parseDuration } from './api/duration.ts';
import { checkShardName, shardSuffix } from './api/shard.ts';
import type { Clock } from './runtime/clock.ts';

export interface OperatorConfig {
  /** Path of a kubeconfig; empty = in-cluster service account, then ~/.kube/config. */
  kubeconfig?: string;
  /** Namespace the operator runs in: home of its Lease and of the default cloud's CloudProfile. */
  namespace: string;
  /** Namespaces to watch; empty = all. */
  watchNamespaces: string[];
  /** Name of the default cloud's CloudProfile in `namespace` (used when a resource has no cloudRef). */
  defaultCloud?: string;
  /**
   * The shard this process reconciles: resources labelled `imaging.eucalyptus.dev/shard=<shard>`; undefined = the
   * main shard (resources without the label). Its Lease and field manager carry the shard's name.
   */
  shard?: string;
  leaderElection: boolean;
  /** Lease name, the shard's suffix included. */
  leaseName: string;
  identity: string;
  healthPort: number;
  healthHost: string;
  concurrency: number;
  logLevel: string;
  rebootSettleMs: number;
  /** Fastest batched-poll interval while something changes, and the slowest it backs off to. */
  pollMinMs: number;
  pollMaxMs: number;
  verifyAvailableEveryMs: number;
  /** Longest a minor status change (progress, task state, messages) waits for a real one before it is written alone. */
  statusRefreshMs: number;
  /** The time ImageSchedules run by (programmatic only: tests inject a ScaledClock); default the wall clock. */
  clock?: Clock;
  /** Longest lifetime of a bundle's signed upload policy, whatever a spec asks. */
  maxUploadPolicyTtlMs: number;
  /**
   * Endpoint hosts (exact names or `*.suffix`) and CIDRs CloudProfiles may use; empty = any public address.
   * Loopback, link-local, metadata and unspecified addresses are refused unless listed here.
   */
  allowedEndpoints: string[];
  /** Deadline of one cloud call when the CloudProfile sets none, and the most a CloudProfile may set. */
  cloudCallTimeoutMs: number;
  maxCloudCallTimeoutMs: number;
  /** Most workers of one controller busy with one cloud at a time, so one slow cloud cannot hold them all. */
  workersPerCloud: number;
  /** Secret in `namespace` holding the key create checkpoints are signed with (made on the first start). */
  checkpointKeySecret: string;
}

export const DEFAULTS: OperatorConfig = {
  namespace: 'eucalyptus-image-operator',
  watchNamespaces: [],
  leaderElection: false,
  leaseName: 'eucalyptus-image-operator',
  identity: '',
  healthPort: 8080,
  healthHost: '0.0.0.0',
  concurrency: 16,
  logLevel: 'info',
  rebootSettleMs: 15_000,
  pollMinMs: 1_000,
  pollMaxMs: 15_000,
  verifyAvailableEveryMs: 60 * 60_000,
  statusRefreshMs: 2 * 60_000,
  maxUploadPolicyTtlMs: 7 * 24 * 3_600_000,
  allowedEndpoints: [],
  cloudCallTimeoutMs: 30_000,
  maxCloudCallTimeoutMs: 5 * 60_000,
  workersPerCloud: 0,
  checkpointKeySecret: 'eucalyptus-image-operator-checkpoint-key',
};

type Raw = Record<string, string | undefined>;

const KNOWN = new Set(['kubeconfig', 'namespace', 'shard', 'watch-namespaces', 'default-cloud', 'leader-elect', 'lease-name', 'identity',
  'health-port', 'health-host', 'concurrency', 'log-level', 'reboot-settle', 'poll-min', 'poll-max',
  'verify-available-every', 'status-refresh', 'max-upload-policy-ttl', 'allowed-endpoints', 'cloud-call-timeout',
  'max-cloud-call-timeout', 'workers-per-cloud', 'checkpoint-key-secret']);

function readRaw(argv: string[], env: NodeJS.ProcessEnv): Raw {
  const raw: Raw = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('EIO_')) raw[k.slice(4).toLowerCase().replace(/_/g, '-')] = v;
  }
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(argv[i]!);
    if (!m) throw new Error(`unexpected argument ${argv[i]}: flags look like --name=value`);
    if (!KNOWN.has(m[1]!)) throw new Error(`unknown flag --${m[1]}`);
    raw[m[1]!] = m[2] ?? (argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[++i] : 'true');
  }
  return raw;
}

function bool(v: string | undefined, def: boolean, name: string): boolean {
  if (v === undefined || v === '') return def;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new Error(`--${name} must be true or false, not "${v}"`);
}

function int(v: string | undefined, def: number, name: string, min = 0): number {
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number >= ${min}, not "${v}"`);
  return n;
}

function duration(v: string | undefined, def: number, name: string): number {
  if (v === undefined || v === '') return def;
  try {
    return parseDuration(v);
  } catch {
    throw new Error(`--${name} must be a duration like 500ms, 15s or 1h, not "${v}"`);
  }
}

export function loadConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const r = readRaw(argv, env);
  const cfg: OperatorConfig = {
    kubeconfig: r.kubeconfig || env.KUBECONFIG || undefined,
    namespace: r.namespace || env.POD_NAMESPACE || DEFAULTS.namespace,
    watchNamespaces: (r['watch-namespaces'] ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    defaultCloud: r['default-cloud'] || undefined,
    shard: r.shard || undefined,
    leaderElection: bool(r['leader-elect'], DEFAULTS.leaderElection, 'leader-elect'),
    leaseName: r['lease-name'] || DEFAULTS.leaseName,
    identity: r.identity || env.POD_NAME || `${(env.HOSTNAME ?? 'operator')}-${process.pid}`,
    healthPort: int(r['health-port'], DEFAULTS.healthPort, 'health-port'),
    healthHost: r['health-host'] || DEFAULTS.healthHost,
    concurrency: int(r.concurrency, DEFAULTS.concurrency, 'concurrency', 1),
    logLevel: r['log-level'] || DEFAULTS.logLevel,
    rebootSettleMs: duration(r['reboot-settle'], DEFAULTS.rebootSettleMs, 'reboot-settle'),
    pollMinMs: duration(r['poll-min'], DEFAULTS.pollMinMs, 'poll-min'),
    pollMaxMs: duration(r['poll-max'], DEFAULTS.pollMaxMs, 'poll-max'),
    verifyAvailableEveryMs: duration(r['verify-available-every'], DEFAULTS.verifyAvailableEveryMs, 'verify-available-every'),
    statusRefreshMs: duration(r['status-refresh'], DEFAULTS.statusRefreshMs, 'status-refresh'),
    maxUploadPolicyTtlMs: duration(r['max-upload-policy-ttl'], DEFAULTS.maxUploadPolicyTtlMs, 'max-upload-policy-ttl'),
    allowedEndpoints: (r['allowed-endpoints'] ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    cloudCallTimeoutMs: duration(r['cloud-call-timeout'], DEFAULTS.cloudCallTimeoutMs, 'cloud-call-timeout'),
    maxCloudCallTimeoutMs: duration(r['max-cloud-call-timeout'], DEFAULTS.maxCloudCallTimeoutMs, 'max-cloud-call-timeout'),
    workersPerCloud: 0,
    checkpointKeySecret: r['checkpoint-key-secret'] || DEFAULTS.checkpointKeySecret,
  };
  // Half the workers by default: a hung cloud holds at most half, the other clouds share the rest.
  cfg.workersPerCloud = int(r['workers-per-cloud'], Math.max(1, Math.ceil(cfg.concurrency / 2)), 'workers-per-cloud', 1);
  if (cfg.pollMinMs > cfg.pollMaxMs) throw new Error('--poll-min must not exceed --poll-max');
  if (cfg.maxUploadPolicyTtlMs < 60_000) throw new Error('--max-upload-policy-ttl must be at least 1m');
  if (cfg.cloudCallTimeoutMs < 1_000) throw new Error('--cloud-call-timeout must be at least 1s');
  if (cfg.cloudCallTimeoutMs > cfg.maxCloudCallTimeoutMs) throw new Error('--cloud-call-timeout must not exceed --max-cloud-call-timeout');
  for (const entry of cfg.allowedEndpoints) checkAllowedEntry(entry);
  if (cfg.shard) checkShardName(cfg.shard);
  // Every shard elects its own leader: one Lease name for two shards would leave one of them idle.
  cfg.leaseName += shardSuffix(cfg.shard);
  return cfg;
}

/** An allowed-endpoints entry is a host name, `*.suffix`, an IP address or a CIDR. */
function checkAllowedEntry(entry: string): void {
  if (!/^(\*\.)?[A-Za-z0-9.-]+$/.test(entry) && !/^[0-9a-fA-F:.]+(\/[0-9]{1,3})?$/.test(entry)) {
    throw new Error(`--allowed-endpoints entry "${entry}" is neither a host name, *.domain, an IP address nor a CIDR`);
  }
}
