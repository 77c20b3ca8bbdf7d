// Resource ids per profile: Eucalyptus uses prefix + 8 upper-case hex digits, AWS prefix + 17 lower-case hex.
import { randomBytes } from 'node:crypto';
import type { Profile } from './profiles.ts';

export function hexId(style: 'euca' | 'aws'): string {
  if (style === 'euca') return randomBytes(4).toString('hex').toUpperCase();
  return randomBytes(9).toString('hex').slice(0, 17);
}

export class IdGenerator {
  private readonly style: 'euca' | 'aws';
  private readonly taken: (id: string) => boolean;

  constructor(profile: Profile, taken: (id: string) => boolean) {
    this.style = profile.idStyle;
    this.taken = taken;
  }

  next(prefix: string): string {
    for (;;) {
      const id = `${prefix}${hexId(this.style)}`;
      if (!this.taken(id)) return id;
    }
  }
}

/** The hex part of an id (`i-0123ABCD` → `0123ABCD`). */
export function idHex(id: string): string {
  return id.slice(id.lastIndexOf('-') + 1);
}

const RESOURCE_TYPES: Record<string, string> = {
  'i-': 'instance', 'vol-': 'volume', 'snap-': 'snapshot', 'emi-': 'image', 'ami-': 'image', 'eki-': 'image',
  'eri-': 'image', 'aki-': 'image', 'ari-': 'image',
};

/** The DescribeTags resource-type for an id, or undefined for prefixes tags do not apply to. */
export function resourceTypeOf(id: string): string | undefined {
  const dash = id.indexOf('-');
  return dash > 0 ? RESOURCE_TYPES[id.slice(0, dash + 1)] : undefined;
}
