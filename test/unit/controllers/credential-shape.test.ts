import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTls } from '../../env/tls.ts';
import { caBundleProblem, credentialShapeProblems } from '../../../src/controllers/shared/credential-shape.ts';

describe('controllers/shared/credential-shape', () => {
  it('accepts keys as clouds issue them', () => {
    expect(credentialShapeProblems('AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).to.deep.equal([]);
  });

  it('refuses a 900 KB key, a key with a newline or a space, and never echoes the secret', () => {
    const big = credentialShapeProblems('A'.repeat(900_000), 'secret');
    expect(big[0]).to.match(/accessKeyId is not an access key id \(900000 characters/);
    const nl = credentialShapeProblems('AKIA\nEXAMPLE', 'has space');
    expect(nl).to.have.length(2);
    expect(nl.join(' ')).to.not.include('has space');
  });

  it('refuses a CA bundle without certificates or with a broken one', () => {
    expect(caBundleProblem('garbage')).to.match(/no PEM certificate/);
    expect(caBundleProblem('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n')).to.match(/certificate 1 of 1 cannot be parsed/);
  });

  it('accepts a real CA certificate, alone or with another', async function () {
    this.timeout(30_000);
    const dir = mkdtempSync(join(tmpdir(), 'eio-ca-shape-'));
    try {
      const files = await generateTls(dir);
      const ca = readFileSync(files.caCert, 'utf8');
      expect(caBundleProblem(ca)).to.equal(undefined);
      expect(caBundleProblem(`${ca}\n${readFileSync(files.servingCert, 'utf8')}`)).to.equal(undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
