// The shard rule the operator applies itself (which shard writes a CloudProfile's status) is the rule the API
// server applies to its label selector: a named shard takes its label value, the main shard the label's absence.
import { expect } from 'chai';
import { checkShardName, inShard, SHARD_LABEL, shardSelector } from '../../../src/api/shard.ts';

const obj = (labels?: Record<string, string>) => ({ metadata: labels ? { labels } : {} });

describe('shards', () => {
  it('selects a named shard by its label value and the main shard by the absence of the label', () => {
    expect(shardSelector('a')).to.equal(`${SHARD_LABEL}=a`);
    expect(shardSelector(undefined)).to.equal(`!${SHARD_LABEL}`);
  });

  it('places every object in exactly one shard, as the selectors do', () => {
    const cases: [Record<string, string> | undefined, string | undefined][] = [
      [undefined, undefined], [{}, undefined], [{ other: 'x' }, undefined], [{ [SHARD_LABEL]: 'a' }, 'a'], [{ [SHARD_LABEL]: 'b' }, 'b'],
    ];
    for (const [labels, home] of cases) {
      for (const shard of [undefined, 'a', 'b']) expect(inShard(obj(labels), shard), `${JSON.stringify(labels)} in ${shard ?? 'main'}`).to.equal(shard === home);
    }
  });

  it('refuses a named shard called "main", the name metrics give the main shard', () => {
    expect(() => checkShardName('main')).to.throw(/--shard "main" is how metrics name the main shard .*run without --shard/);
    expect(() => checkShardName('main-2')).to.not.throw();
  });

  it('leaves an empty label value to no shard (as the selectors do): the label must name a shard', () => {
    for (const shard of [undefined, 'a']) expect(inShard(obj({ [SHARD_LABEL]: '' }), shard)).to.equal(false);
  });
});
