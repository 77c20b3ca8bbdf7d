// The Dockerfile reader the image test relies on: if it misread the Dockerfile, the image test would test
// something other than the image.
import { expect } from 'chai';
import { dockerignore, parseDockerfile } from '../../integration/packaging/dockerfile.ts';

describe('Dockerfile reader', function () {
  it('reads stages, flags, continuations and the exec-form entrypoint', function () {
    const stages = parseDockerfile([
      '# syntax=docker/dockerfile:1',
      'FROM node:24-bookworm-slim AS build',
      'WORKDIR /app',
      'COPY package.json package-lock.json ./',
      'RUN --mount=type=cache,target=/root/.npm npm ci \\',
      '    --no-audit',
      '',
      'FROM node:24-bookworm-slim AS run',
      'ENV NODE_ENV=production',
      'COPY --from=build /app/dist ./dist',
      'USER 65532:65532',
      'ENTRYPOINT ["node", "dist/main.js"]',
    ].join('\n'));
    expect(stages.map((s) => [s.name, s.image])).to.deep.equal([['build', 'node:24-bookworm-slim'], ['run', 'node:24-bookworm-slim']]);
    expect(stages[0]!.steps).to.deep.equal([
      { op: 'WORKDIR', path: '/app' },
      { op: 'COPY', sources: ['package.json', 'package-lock.json'], dest: './' },
      { op: 'RUN', command: 'npm ci --no-audit' },
    ]);
    expect(stages[1]!.steps).to.deep.equal([
      { op: 'ENV', name: 'NODE_ENV', value: 'production' },
      { op: 'COPY', from: 'build', sources: ['/app/dist'], dest: './dist' },
      { op: 'USER', user: '65532:65532' },
      { op: 'ENTRYPOINT', argv: ['node', 'dist/main.js'] },
    ]);
  });

  it('substitutes ARGs declared before the first FROM into FROM lines', function () {
    const stages = parseDockerfile('ARG BASE=node:24-bookworm-slim@sha256:' + 'a'.repeat(64) + '\nFROM ${BASE} AS build\nFROM $BASE AS run\n');
    expect(stages.map((s) => s.image)).to.deep.equal(Array(2).fill('node:24-bookworm-slim@sha256:' + 'a'.repeat(64)));
    expect(() => parseDockerfile('FROM ${MISSING}')).to.throw(/no ARG/);
  });

  it('refuses a shell-form ENTRYPOINT, which would keep SIGTERM from node', function () {
    expect(() => parseDockerfile('FROM node:24\nENTRYPOINT node dist/main.js')).to.throw(/exec form/);
  });

  it('matches .dockerignore patterns against context paths', function () {
    const ignored = dockerignore('# comment\nnode_modules\n/dist/\n*.log\n**/fixtures\n');
    expect(['node_modules', 'node_modules/yaml/index.js', 'dist', 'dist/main.js', 'a.log', 'test/x/fixtures/y.yaml'].filter(ignored))
      .to.have.length(6);
    expect(['src', 'src/main.ts', 'package.json', 'distribution', 'logs/a.txt'].filter(ignored)).to.deep.equal([]);
  });
});
