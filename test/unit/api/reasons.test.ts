// Every reason the controllers write is declared in src/api/reasons.ts and explained in the user guide.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConditionTypes } from '../../../src/api/conditions.ts';
import { EventReasons, Reasons } from '../../../src/api/reasons.ts';

const root = join(import.meta.dirname, '../../..');
const guide = readFileSync(join(root, 'docs/user-guide.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Reason literals as the controllers write them (typed calls make a new literal a compile error too). */
const WRITES = [
  /(?:StallError|WaitError)\('([A-Za-z]+)'/g,
  /\b(?:reconciling|stalled)\('([A-Za-z]+)'/g,
  /\bstep\('[A-Za-z]+', '(?:True|False|Unknown)', '([A-Za-z]+)'/g,
  /(?<!event: \{ )\breason: '([A-Za-z]+)'/g,
];
const EVENTS = [/event: \{ reason: '([A-Za-z]+)'/g, /\.(?:normal|warning)\([\w.]+, '([A-Za-z]+)'/g, /\.(?:normal|warning)\([\w.]+, [\w.]+ \? '([A-Za-z]+)' : '([A-Za-z]+)'/g];

function found(patterns: RegExp[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of sources(join(root, 'src/controllers'))) {
    const text = readFileSync(file, 'utf8');
    for (const re of patterns) for (const m of text.matchAll(re)) for (const r of m.slice(1)) if (r) out.set(r, file.slice(root.length + 1));
  }
  return out;
}

describe('reasons', () => {
  it('every condition reason a controller writes is declared in api/reasons.ts', () => {
    const declared = new Set<string>(Object.values(Reasons));
    const written = found(WRITES);
    expect(written.size).to.be.greaterThan(20);
    for (const [reason, file] of written) expect(declared.has(reason), `${reason} (written in ${file})`).to.equal(true);
  });

  it('every event reason a controller records is declared in api/reasons.ts', () => {
    const declared = new Set<string>(Object.values(EventReasons));
    const recorded = found(EVENTS);
    expect(recorded.size).to.be.greaterThan(10);
    for (const [reason, file] of recorded) expect(declared.has(reason), `${reason} (recorded in ${file})`).to.equal(true);
  });

  it('every declared reason and condition type is documented in the user guide', () => {
    const all = [...Object.values(Reasons), ...Object.values(EventReasons), ...Object.values(ConditionTypes)];
    const missing = all.filter((r) => !guide.includes(`\`${r}\``));
    expect(missing, 'add these to docs/user-guide.md').to.deep.equal([]);
  });
});
