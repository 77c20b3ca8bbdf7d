import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger, REDACTED_FIELDS } from '../../../src/runtime/logger.ts';

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logger redaction', () => {
  it('redacts every secret field at the top level and nested', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream });
    const secrets = Object.fromEntries(REDACTED_FIELDS.map((f) => [f, `secret-${f}`]));
    log.info({ ...secrets, creds: { ...secrets }, req: { headers: { authorization: 'AWS4-HMAC-SHA256 x', Authorization: 'Bearer y' } } }, 'msg');
    const text = JSON.stringify(out.lines());
    expect(text).to.not.include('secret-');
    expect(text).to.not.include('AWS4-HMAC');
    expect(text).to.not.include('Bearer');
    const line = out.lines()[0] as Record<string, Record<string, unknown>>;
    expect(line.creds?.secretAccessKey).to.equal('[REDACTED]');
    expect((line as Record<string, unknown>).token).to.equal('[REDACTED]');
  });

  it('keeps other fields and child-logger context', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream }).child({ resource: 'ns/x' });
    log.info({ imageId: 'emi-12345678', accessKeyId: 'AKIA' }, 'registered');
    const line = out.lines()[0] as Record<string, unknown>;
    expect(line.imageId).to.equal('emi-12345678');
    expect(line.resource).to.equal('ns/x');
    expect(line.accessKeyId).to.equal('[REDACTED]');
  });
});
