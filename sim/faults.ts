// Fault injection: each rule fires for a fraction of matching calls (`rate`), or for the next `count` of
// them, optionally only for some actions. Request faults are checked per request; work faults (snapshot,
// image, bundle, conversion failures) when the work is created.
export interface FaultRule {
  /** Probability 0..1 per matching call (default 1 when count is not given). */
  rate?: number;
  /** Fire for the next N matching calls only. */
  count?: number;
  /** Only these EC2 actions / S3 operations (default all). */
  actions?: string[];
}

export interface FaultConfig {
  /** RequestLimitExceeded, HTTP 503. */
  throttle?: FaultRule;
  /** InternalError 500 or Unavailable 503. */
  serverError?: FaultRule & { status?: 500 | 503 };
  /** Answer after a delay. */
  delay?: FaultRule & { ms: number };
  /** Destroy the socket without answering. */
  drop?: FaultRule;
  failSnapshot?: FaultRule;
  failImage?: FaultRule;
  failBundle?: FaultRule;
  failConversion?: FaultRule;
  /** The call succeeds but its TagSpecifications are not applied (a cloud that ignores them on create). */
  ignoreTagSpecifications?: FaultRule;
  /** CreateImage maps and snapshots only the root device, dropping attached volumes and user mappings. */
  rootOnlyCreateImage?: FaultRule;
  /** RunInstances: the instances stay pending forever and print no console output (an image that never boots). */
  neverRunning?: FaultRule;
}

export type FaultKind = keyof FaultConfig;
export const FAULT_KINDS: FaultKind[] = ['throttle', 'serverError', 'delay', 'drop', 'failSnapshot', 'failImage',
  'failBundle', 'failConversion', 'ignoreTagSpecifications', 'rootOnlyCreateImage', 'neverRunning'];

export class Faults {
  private config: FaultConfig = {};
  private readonly random: () => number;
  /** How often each kind fired, for tests and the state dump. */
  readonly fired: Record<string, number> = {};

  constructor(initial: FaultConfig = {}, random: () => number = Math.random) {
    this.random = random;
    this.set(initial);
  }

  /** Sets (replaces) the given kinds; kinds not mentioned keep their rules. */
  set(config: FaultConfig): void {
    for (const kind of FAULT_KINDS) {
      if (config[kind] !== undefined) (this.config as Record<string, unknown>)[kind] = { ...config[kind] };
    }
  }

  clear(kinds?: FaultKind[]): void {
    if (!kinds) this.config = {};
    else for (const kind of kinds) delete this.config[kind];
  }

  current(): FaultConfig {
    return structuredClone(this.config);
  }

  /** Returns the rule if it fires for this call, consuming one of its `count`. */
  take<K extends FaultKind>(kind: K, action: string): FaultConfig[K] | undefined {
    const rule = this.config[kind];
    if (!rule) return undefined;
    if (rule.actions && rule.actions.length > 0 && !rule.actions.includes(action)) return undefined;
    if (rule.count !== undefined) {
      if (rule.count <= 0) return undefined;
      if (rule.rate !== undefined && this.random() >= rule.rate) return undefined;
      rule.count--;
      if (rule.count <= 0) delete this.config[kind];
    } else if (this.random() >= (rule.rate ?? 1)) {
      return undefined;
    }
    this.fired[kind] = (this.fired[kind] ?? 0) + 1;
    return rule;
  }
}
