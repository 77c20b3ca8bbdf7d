// Structured JSON logs (pino). Secrets never reach the log: fields with these names are redacted at any depth
// we expect them (top level, one or two levels down, and in headers).
import { pino, type Logger, type LoggerOptions } from 'pino';

export const REDACTED_FIELDS = ['secretAccessKey', 'accessKeyId', 'authorization', 'token', 'uploadPolicySignature'];

/** pino redact paths for every redacted field at depth 0..3, with either capitalisation of the first letter. */
export function redactPaths(fields: readonly string[] = REDACTED_FIELDS): string[] {
  const names = new Set<string>();
  for (const f of fields) {
    names.add(f);
    names.add(f.charAt(0).toUpperCase() + f.slice(1));
  }
  const paths: string[] = [];
  for (const n of names) {
    paths.push(n, `*.${n}`, `*.*.${n}`, `*.*.*.${n}`);
  }
  return paths;
}

export interface LoggerConfig {
  level?: string;
  /** Where to write (defaults to stdout); tests pass a stream to read the output. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(config: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: config.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { component: 'eucalyptus-image-operator' },
    redact: { paths: redactPaths(), censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return config.destination ? pino(options, config.destination) : pino(options);
}

let root: Logger = createLogger();

/** The process-wide logger. */
export function logger(): Logger {
  return root;
}

/** Replace the process-wide logger (main.ts applies flags; tests silence it). */
export function setLogger(l: Logger): void {
  root = l;
}

/** Child logger for one resource, keyed by `namespace/name` (or `name` for cluster-scoped keys). */
export function logFor(resourceKey: string, extra: Record<string, unknown> = {}): Logger {
  const slash = resourceKey.indexOf('/');
  const ids = slash >= 0
    ? { namespace: resourceKey.slice(0, slash), name: resourceKey.slice(slash + 1) }
    : { name: resourceKey };
  return root.child({ resource: resourceKey, ...ids, ...extra });
}
