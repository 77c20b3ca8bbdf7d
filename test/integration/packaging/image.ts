// The operator image as the Dockerfile builds it (dockerfile.ts performs its stages without a container engine),
// built once per test run from the worktree's sources and shared by every test that needs the shipped bundle:
// the run stage's folder holds exactly what the image would (dist/ and package.json, no node_modules).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeTempDir } from '../../env/processes.ts';
import { repoRoot } from './chart.ts';
import { buildStages, dockerignore, readDockerfile, type Stage, type StageResult } from './dockerfile.ts';

export interface OperatorImage {
  stages: Stage[];
  /** The final (run) stage. */
  image: StageResult;
  /** The image's working directory on this machine: where its ENTRYPOINT runs. */
  app: string;
  /** Folder holding every stage's root; removed when the test run ends. */
  workspace: string;
}

let built: Promise<OperatorImage> | undefined;

export function operatorImage(): Promise<OperatorImage> {
  built ??= (async () => {
    const stages = readDockerfile(join(repoRoot, 'Dockerfile'));
    const workspace = makeTempDir('image');
    const results = await buildStages(stages, {
      context: repoRoot,
      workspace,
      ignored: dockerignore(readFileSync(join(repoRoot, '.dockerignore'), 'utf8')),
      env: {
        // The project's Node stands in for the base image's.
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        npm_config_prefer_offline: 'true',
        npm_config_update_notifier: 'false',
      },
    });
    const image = results.get(stages.at(-1)!.name)!;
    return { stages, image, app: join(image.root, image.workdir), workspace };
  })().catch((err: unknown) => {
    built = undefined; // a later suite tries again and reports its own failure
    throw err;
  });
  return built;
}
