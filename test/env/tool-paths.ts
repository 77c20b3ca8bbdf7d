// Where the pinned tools live. scripts/ensure-tools.sh exports EIO_BIN_DIR and EIO_MOTO_SERVER; without them
// the same cache paths are derived from scripts/versions.env so a bare `npx mocha` finds tools already built.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const repoRoot = new URL('../../', import.meta.url).pathname;

function versions(): Record<string, string> {
  const text = readFileSync(join(repoRoot, 'scripts/versions.env'), 'utf8');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(\S+)/.exec(line.trim());
    if (m?.[1] && m[2]) out[m[1]] = m[2];
  }
  return out;
}

function cacheDir(): string {
  return process.env.EIO_CACHE ?? join(homedir(), '.cache', 'eucalyptus-image-operator');
}

function mustExist(path: string, what: string): string {
  if (!existsSync(path)) throw new Error(`${what} not found at ${path}: run scripts/ensure-tools.sh first`);
  return path;
}

/** Folder holding kube-apiserver, kubectl, etcd and helm. */
export function k8sBinDir(): string {
  if (process.env.EIO_BIN_DIR) return mustExist(process.env.EIO_BIN_DIR, 'EIO_BIN_DIR');
  const v = versions();
  const dir = join(cacheDir(), `k8s-${v.KUBERNETES_VERSION}-etcd-${v.ETCD_VERSION}-helm-${v.HELM_VERSION}`, 'bin');
  return mustExist(dir, 'Kubernetes tools');
}

/** Path of the moto_server executable in the cached venv. */
export function motoServerPath(): string {
  if (process.env.EIO_MOTO_SERVER) return mustExist(process.env.EIO_MOTO_SERVER, 'EIO_MOTO_SERVER');
  const v = versions();
  return mustExist(join(cacheDir(), `moto-${v.MOTO_VERSION}`, 'venv', 'bin', 'moto_server'), 'moto_server');
}

let goToolsDir: string | undefined;

/**
 * Path of one of the Go judges (kstatus-judge, argocd-health, promtool). ensure-tools exports their folder;
 * without it scripts/build-go-tools.sh is asked, which answers at once when they are cached (and builds them
 * on a fresh machine).
 */
export function goTool(name: 'kstatus-judge' | 'argocd-health' | 'promtool'): string {
  goToolsDir ??= process.env.EIO_GO_TOOLS_DIR
    ?? execFileSync('bash', [join(repoRoot, 'scripts/build-go-tools.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1)!;
  return mustExist(join(goToolsDir, name), name);
}
