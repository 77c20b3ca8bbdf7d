// A small Dockerfile reader and step runner, so the image's build can be performed without a container engine:
// each stage gets a folder standing for its root file system; COPY, WORKDIR, ENV and RUN act on it.
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { runCommand, type CommandResult } from '../../env/index.ts';

export type Instruction =
  | { op: 'FROM'; image: string; stage: string }
  | { op: 'WORKDIR'; path: string }
  | { op: 'COPY'; from?: string; sources: string[]; dest: string }
  | { op: 'RUN'; command: string }
  | { op: 'ENV'; name: string; value: string }
  | { op: 'USER'; user: string }
  | { op: 'ENTRYPOINT'; argv: string[] }
  | { op: 'OTHER'; keyword: string; args: string };

export interface Stage {
  name: string;
  image: string;
  steps: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (comments dropped, `\` continuations joined). */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push((pending + line).trim());
    pending = '';
  }
  if (pending) logical.push(pending.trim());

  const stages: Stage[] = [];
  // ARGs before the first FROM are the only ones a FROM line may use.
  const globalArgs = new Map<string, string>();
  for (const line of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!;
    if (keyword === 'ARG' && stages.length === 0) {
      const a = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(args);
      if (!a) throw new Error(`cannot read ARG ${args}`);
      globalArgs.set(a[1]!, a[2] ?? '');
      continue;
    }
    if (keyword === 'FROM') {
      const f = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`cannot read FROM ${args}`);
      const image = f[1]!.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => {
        const value = globalArgs.get(name);
        if (value === undefined) throw new Error(`FROM uses ${name}, which no ARG before the first FROM declares`);
        return value;
      });
      stages.push({ name: f[2] ?? String(stages.length), image, steps: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${keyword} before the first FROM`);
    stage.steps.push(readInstruction(keyword, args));
  }
  return stages;
}

function readInstruction(keyword: string, args: string): Instruction {
  switch (keyword) {
    case 'WORKDIR':
      return { op: 'WORKDIR', path: args };
    case 'COPY': {
      const words = args.split(/\s+/);
      let from: string | undefined;
      while (words[0]?.startsWith('--')) {
        const flag = words.shift()!;
        if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
      }
      const dest = words.pop();
      if (!dest || words.length === 0) throw new Error(`COPY needs sources and a destination: ${args}`);
      return from === undefined ? { op: 'COPY', sources: words, dest } : { op: 'COPY', from, sources: words, dest };
    }
    case 'RUN': {
      // Build-time flags such as --mount=type=cache only change caching, not what the command does.
      return { op: 'RUN', command: args.replace(/^(--\S+\s+)+/, '') };
    }
    case 'ENV': {
      const e = /^(\S+?)(?:=|\s+)(.*)$/.exec(args);
      if (!e) throw new Error(`cannot read ENV ${args}`);
      return { op: 'ENV', name: e[1]!, value: e[2]!.replace(/^"(.*)"$/, '$1') };
    }
    case 'USER':
      return { op: 'USER', user: args };
    case 'ENTRYPOINT': {
      if (!args.startsWith('[')) throw new Error('ENTRYPOINT must use the exec form (JSON array) so signals reach node');
      return { op: 'ENTRYPOINT', argv: JSON.parse(args) as string[] };
    }
    default:
      return { op: 'OTHER', keyword, args };
  }
}

/** .dockerignore patterns as a predicate over context-relative paths (no `!` exceptions). */
export function dockerignore(text: string): (path: string) => boolean {
  const patterns = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (patterns.some((p) => p.startsWith('!'))) throw new Error('.dockerignore exceptions (!) are not supported by this reader');
  const regexes = patterns.map((p) => {
    const body = p.replace(/^\/+|\/+$/g, '').split('**').map((part) =>
      part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')).join('.*');
    return new RegExp(`^${body}(/.*)?$`);
  });
  return (path) => regexes.some((r) => r.test(path));
}

export interface StageResult {
  root: string;
  workdir: string;
  env: Record<string, string>;
  user?: string;
  entrypoint?: string[];
  runs: Array<{ command: string; result: CommandResult }>;
}

export interface BuildOptions {
  context: string;
  /** Folder in which each stage gets its own root folder. */
  workspace: string;
  /** Environment for RUN steps (PATH with the project's Node, npm settings). */
  env: NodeJS.ProcessEnv;
  ignored: (path: string) => boolean;
  timeoutMs?: number;
}

/** Performs every stage in order; throws at the first failing RUN with its output. */
export async function buildStages(stages: Stage[], opts: BuildOptions): Promise<Map<string, StageResult>> {
  const done = new Map<string, StageResult>();
  for (const stage of stages) {
    const root = join(opts.workspace, stage.name);
    mkdirSync(root, { recursive: true });
    const st: StageResult = { root, workdir: '/', env: {}, runs: [] };
    const inRoot = (p: string) => join(root, p.startsWith('/') ? p : join(st.workdir, p));
    for (const step of stage.steps) {
      switch (step.op) {
        case 'WORKDIR':
          st.workdir = step.path.startsWith('/') ? step.path : join(st.workdir, step.path);
          mkdirSync(inRoot(st.workdir), { recursive: true });
          break;
        case 'ENV':
          st.env[step.name] = step.value;
          break;
        case 'USER':
          st.user = step.user;
          break;
        case 'ENTRYPOINT':
          st.entrypoint = step.argv;
          break;
        case 'COPY': {
          const source = step.from === undefined ? undefined : done.get(step.from);
          if (step.from !== undefined && !source) throw new Error(`COPY --from=${step.from}: no such earlier stage`);
          const intoDir = step.dest.endsWith('/') || step.sources.length > 1;
          for (const src of step.sources) {
            let from: string;
            if (source) {
              from = join(source.root, src.startsWith('/') ? src : join(source.workdir, src));
            } else {
              if (opts.ignored(src)) throw new Error(`COPY ${src}: excluded by .dockerignore`);
              from = join(opts.context, src);
            }
            if (!existsSync(from)) throw new Error(`COPY ${src}: not found`);
            const dest = inRoot(step.dest);
            const target = intoDir && !statSync(from).isDirectory() ? join(dest, basename(from)) : dest;
            cpSync(from, target, {
              recursive: true,
              filter: (p) => source !== undefined || !opts.ignored(relative(opts.context, p)),
            });
          }
          break;
        }
        case 'RUN': {
          const result = await runCommand('bash', ['-euo', 'pipefail', '-c', step.command], {
            cwd: inRoot(st.workdir), env: { ...opts.env, ...st.env }, timeoutMs: opts.timeoutMs ?? 300_000,
          });
          st.runs.push({ command: step.command, result });
          if (result.code !== 0) throw new Error(`stage ${stage.name}: RUN ${step.command} failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
          break;
        }
        case 'OTHER':
          break;
      }
    }
    done.set(stage.name, st);
  }
  return done;
}

export function readDockerfile(path: string): Stage[] {
  return parseDockerfile(readFileSync(path, 'utf8'));
}
