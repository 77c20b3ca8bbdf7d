// What each cloud dialect accepts in the fields the operator sends with a creating call or right after it (image
// name and description, tags). Checked before the first creating call, so a refusal never comes after snapshots
// or an image already exist (an Orchestrated capture snapshots before RegisterImage reads the name; a tag refused
// after CreateImage leaves an untagged image). The CRDs hold the strictest limits where one rule can say it; the
// name alphabet differs by dialect, so only the operator can check it.
import type { Dialect } from './capabilities.ts';

export interface DialectLimits {
  imageName: RegExp;
  /** The alphabet in words, for the message. */
  imageNameRule: string;
  descriptionMax: number;
  tagKeyMax: number;
  tagValueMax: number;
}

const LIMITS: Record<Dialect, DialectLimits> = {
  // Eucalyptus 3.4.2 Images.java:555-565: [A-Za-z0-9(),/_-]+, 3-128 (no '.' or space, whatever its error text
  // says); descriptions up to 255 (ImageManager "must be less than 256 characters long"); tag keys up to 127 and
  // values up to 255 characters.
  eucalyptus: {
    imageName: /^[A-Za-z0-9(),/_-]{3,128}$/,
    imageNameRule: "3 to 128 characters of letters, digits and ( ) , / _ - (Eucalyptus accepts no '.', space, [ ] ' or @)",
    descriptionMax: 255,
    tagKeyMax: 127,
    tagValueMax: 255,
  },
  // EC2 API reference (CreateImage/RegisterImage Name; CreateTags): names of 3-128 characters from letters,
  // digits and ( ) [ ] space . / - ' @ _; descriptions up to 255; tag keys up to 128, values up to 256.
  aws: {
    imageName: /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/,
    imageNameRule: "3 to 128 characters of letters, digits and ( ) [ ] space . / - ' @ _",
    descriptionMax: 255,
    tagKeyMax: 128,
    tagValueMax: 256,
  },
};

export function limitsOf(dialect: Dialect): DialectLimits {
  return LIMITS[dialect];
}

/** Why `name` cannot be an image name in this dialect, or undefined. */
export function imageNameProblem(name: string, dialect: Dialect): string | undefined {
  const l = limitsOf(dialect);
  return l.imageName.test(name) ? undefined : `image name "${name}" is not accepted by a ${dialect} cloud: it must be ${l.imageNameRule}`;
}

/** What a creating call's description and tags (the user's and the operator's owner tags) exceed in this dialect. */
export function limitProblems(input: { description?: string; tags: Record<string, string> }, dialect: Dialect): string[] {
  const l = limitsOf(dialect);
  const out: string[] = [];
  if (input.description !== undefined && input.description.length > l.descriptionMax) {
    out.push(`the description has ${input.description.length} characters, over the ${l.descriptionMax} a ${dialect} cloud accepts`);
  }
  for (const [key, value] of Object.entries(input.tags)) {
    if (key.length === 0 || key.length > l.tagKeyMax) out.push(`tag key "${key.slice(0, 40)}${key.length > 40 ? '…' : ''}" has ${key.length} characters (${dialect}: 1 to ${l.tagKeyMax})`);
    if (value.length > l.tagValueMax) out.push(`the value of tag "${key.slice(0, 40)}" has ${value.length} characters (${dialect}: at most ${l.tagValueMax})`);
  }
  return out;
}
