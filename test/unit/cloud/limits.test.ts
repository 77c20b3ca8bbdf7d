// Per-dialect limits of image names, descriptions and tags (Eucalyptus 3.4 Images.java / ImageManager; EC2 API).
import { expect } from 'chai';
import { imageNameProblem, limitProblems, limitsOf } from '../../../src/cloud/limits.ts';

describe('cloud limits per dialect', () => {
  it('image names: Eucalyptus allows [A-Za-z0-9(),/_-]{3,128}; EC2 has space . [ ] \' @ but no comma', () => {
    for (const ok of ['web', 'web-server_(v1)/x', 'a'.repeat(128)]) {
      expect(imageNameProblem(ok, 'eucalyptus'), ok).to.equal(undefined);
      expect(imageNameProblem(ok, 'aws'), ok).to.equal(undefined);
    }
    for (const ecOnly of ['web v1', 'web.v1', 'web[1]', "team's", 'a@b']) {
      expect(imageNameProblem(ecOnly, 'eucalyptus'), ecOnly).to.match(/not accepted by a eucalyptus cloud.*no '\.', space/);
      expect(imageNameProblem(ecOnly, 'aws'), ecOnly).to.equal(undefined);
    }
    // A comma is in Eucalyptus's alphabet, not EC2's.
    expect(imageNameProblem('web,v1', 'eucalyptus')).to.equal(undefined);
    expect(imageNameProblem('web,v1', 'aws')).to.be.a('string');
    for (const bad of ['ab', 'a'.repeat(129), 'semi;colon', 'tab\tname', 'ünicode']) {
      expect(imageNameProblem(bad, 'eucalyptus'), bad).to.be.a('string');
      expect(imageNameProblem(bad, 'aws'), bad).to.be.a('string');
    }
  });

  it('tags: keys up to 127 on Eucalyptus and 128 on EC2, values up to 255 and 256', () => {
    expect(limitsOf('eucalyptus')).to.include({ tagKeyMax: 127, tagValueMax: 255, descriptionMax: 255 });
    expect(limitsOf('aws')).to.include({ tagKeyMax: 128, tagValueMax: 256, descriptionMax: 255 });
    const key128 = { ['k'.repeat(128)]: 'v' };
    expect(limitProblems({ tags: key128 }, 'eucalyptus')).to.deep.equal([`tag key "${'k'.repeat(40)}…" has 128 characters (eucalyptus: 1 to 127)`]);
    expect(limitProblems({ tags: key128 }, 'aws')).to.deep.equal([]);
    const value256 = { owner: 'v'.repeat(256) };
    expect(limitProblems({ tags: value256 }, 'eucalyptus')).to.deep.equal(['the value of tag "owner" has 256 characters (eucalyptus: at most 255)']);
    expect(limitProblems({ tags: value256 }, 'aws')).to.deep.equal([]);
    expect(limitProblems({ tags: { '': 'x' } }, 'aws')).to.have.length(1);
  });

  it('descriptions up to 255 characters everywhere; every problem is listed', () => {
    expect(limitProblems({ description: 'd'.repeat(255), tags: {} }, 'eucalyptus')).to.deep.equal([]);
    const all = limitProblems({ description: 'd'.repeat(256), tags: { ['k'.repeat(130)]: 'v'.repeat(300) } }, 'eucalyptus');
    expect(all).to.have.length(3);
    expect(all[0]).to.equal('the description has 256 characters, over the 255 a eucalyptus cloud accepts');
  });
});
