// Writes kubeconfig files for the test control plane and loads them as @kubernetes/client-node KubeConfigs.
import { readFileSync, writeFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

export type Credentials =
  | { kind: 'cert'; certFile: string; keyFile: string }
  | { kind: 'token'; token: string };

const b64 = (file: string) => readFileSync(file).toString('base64');

export function writeKubeconfig(path: string, server: string, caFile: string, user: string, creds: Credentials): KubeConfig {
  const userEntry = creds.kind === 'cert'
    ? { 'client-certificate-data': b64(creds.certFile), 'client-key-data': b64(creds.keyFile) }
    : { token: creds.token };
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'eio-test', cluster: { server, 'certificate-authority-data': b64(caFile) } }],
    users: [{ name: user, user: userEntry }],
    contexts: [{ name: user, context: { cluster: 'eio-test', user } }],
    'current-context': user,
  };
  writeFileSync(path, stringify(doc), { mode: 0o600 });
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}
