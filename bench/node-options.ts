// The process settings the operator ships with, from the chart's values: `nodeOptions` (the Deployment passes it as
// NODE_OPTIONS) and `glibcTunables` (GLIBC_TUNABLES). The benchmark reads them from there so it measures the
// operator as deployed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

function chartValue(name: 'nodeOptions' | 'glibcTunables'): string {
  const values = parse(readFileSync(join(import.meta.dirname, '../charts/eucalyptus-image-operator/values.yaml'), 'utf8')) as Record<string, unknown>;
  const value = values[name];
  if (typeof value !== 'string') throw new Error(`charts/eucalyptus-image-operator/values.yaml has no ${name} string`);
  return value;
}

export function chartNodeOptions(): string {
  return chartValue('nodeOptions');
}

/** NODE_OPTIONS and GLIBC_TUNABLES as the chart's Deployment sets them (an empty value is not set). */
export function chartProcessEnv(): Record<string, string> {
  const env: Record<string, string> = { NODE_OPTIONS: chartNodeOptions() };
  const tunables = chartValue('glibcTunables');
  if (tunables) env.GLIBC_TUNABLES = tunables;
  return env;
}
