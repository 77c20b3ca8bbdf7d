// The Node.js flags the operator ships with: the chart's `nodeOptions` value (the Deployment passes it as
// NODE_OPTIONS). The benchmark reads it from there so it measures the operator as deployed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export function chartNodeOptions(): string {
  const values = parse(readFileSync(join(import.meta.dirname, '../charts/eucalyptus-image-operator/values.yaml'), 'utf8')) as { nodeOptions?: unknown };
  if (typeof values.nodeOptions !== 'string') throw new Error('charts/eucalyptus-image-operator/values.yaml has no nodeOptions string');
  return values.nodeOptions;
}
