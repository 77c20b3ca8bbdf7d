// Shape checks of what a tenant puts in its Secrets, so a pasted file, a stray newline or a PEM that is not
// one gives a clear reason instead of a signing error the cloud reports as something else (or not at all).
import { X509Certificate } from 'node:crypto';

/** Access key ids are word characters (AWS: 16 to 128; Eucalyptus: 20); secret keys printable ASCII without spaces. */
const ACCESS_KEY_ID = /^\w{1,128}$/;
const SECRET_KEY = /^[\x21-\x7e]{1,256}$/;

export function credentialShapeProblems(accessKeyId: string, secretAccessKey: string): string[] {
  const out: string[] = [];
  if (!ACCESS_KEY_ID.test(accessKeyId)) {
    out.push(`accessKeyId is not an access key id (${accessKeyId.length} characters; expected 1 to 128 letters, digits or _)`);
  }
  // Never echo any part of the secret, only what is wrong with it.
  if (!SECRET_KEY.test(secretAccessKey)) {
    out.push(`secretAccessKey is not a secret key (${secretAccessKey.length} characters; expected 1 to 256 printable characters without spaces or line breaks)`);
  }
  return out;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Why a CA bundle cannot be used, or undefined: it must hold at least one certificate and nothing unparsable. */
export function caBundleProblem(pem: string): string | undefined {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) return 'holds no PEM certificate (-----BEGIN CERTIFICATE----- block)';
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (err) {
      return `certificate ${i + 1} of ${blocks.length} cannot be parsed (${(err as Error).message})`;
    }
  }
  return undefined;
}
