import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * `user_pass.json` holds, per user, either the plain password (as the specification has it)
 * or an scrypt hash: `scrypt$N$r$p$<salt base64>$<hash base64>`.
 */
export type PasswordRecord =
  | { kind: 'plain'; digest: Buffer }
  | { kind: 'scrypt'; N: number; r: number; p: number; salt: Buffer; hash: Buffer };

/** The largest scrypt record a server accepts: far above what hashPassword writes (N=2^14, r=8, p=1, 16 MiB). */
const MAX_SCRYPT = {
  N: 2 ** 20,
  r: 32,
  p: 16,
  bytes: 256 * 1024 * 1024,
  saltBytes: 1024,
  hashBytes: 64,
} as const;

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export function parsePasswordRecord(stored: string): PasswordRecord {
  if (!stored.startsWith('scrypt$')) return { kind: 'plain', digest: sha256(stored) };
  const [, n, r, p, salt, hash] = stored.split('$');
  const record = {
    kind: 'scrypt' as const,
    N: Number(n),
    r: Number(r),
    p: Number(p),
    salt: Buffer.from(salt ?? '', 'base64'),
    hash: Buffer.from(hash ?? '', 'base64'),
  };
  const powerOfTwo =
    Number.isInteger(record.N) && record.N > 1 && (record.N & (record.N - 1)) === 0;
  if (
    !powerOfTwo ||
    !(Number.isInteger(record.r) && record.r > 0) ||
    !(Number.isInteger(record.p) && record.p > 0) ||
    record.salt.length < 8 ||
    record.hash.length < 16
  ) {
    throw new Error('malformed scrypt hash (expected scrypt$N$r$p$salt$hash)');
  }
  // Every login of this user (and every unknown name, which costs what the slowest record
  // does) runs this scrypt: a record that asks for minutes or gigabytes is refused at load.
  if (
    record.N > MAX_SCRYPT.N ||
    record.r > MAX_SCRYPT.r ||
    record.p > MAX_SCRYPT.p ||
    128 * record.N * record.r * record.p > MAX_SCRYPT.bytes ||
    record.salt.length > MAX_SCRYPT.saltBytes ||
    record.hash.length > MAX_SCRYPT.hashBytes
  ) {
    throw new Error(
      `scrypt hash parameters too large (at most N=${MAX_SCRYPT.N}, r=${MAX_SCRYPT.r}, p=${MAX_SCRYPT.p}, ${MAX_SCRYPT.bytes / 1024 / 1024} MiB, a ${MAX_SCRYPT.saltBytes}-byte salt, a ${MAX_SCRYPT.hashBytes}-byte hash): make a new one with npm run admin -- passwd`,
    );
  }
  return record;
}

export function hashPassword(password: string, N = 16384, r = 8, p = 1): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N, r, p, maxmem: 256 * N * r });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/**
 * A record that stands in for an unknown user, so that an unknown name costs what a known one
 * does: an scrypt record with the parameters of the home's (slowest) scrypt record when it has
 * any, a plain one otherwise. It matches no password.
 */
export function standInRecord(records: Iterable<PasswordRecord>): PasswordRecord {
  let slowest: Extract<PasswordRecord, { kind: 'scrypt' }> | undefined;
  for (const record of records) {
    if (
      record.kind === 'scrypt' &&
      (!slowest || record.N * record.r * record.p > slowest.N * slowest.r * slowest.p)
    )
      slowest = record;
  }
  if (!slowest) return { kind: 'plain', digest: sha256(randomBytes(16).toString('hex')) };
  return {
    ...slowest,
    salt: randomBytes(slowest.salt.length),
    hash: randomBytes(slowest.hash.length),
  };
}

/** Constant-time check of a candidate password against a record. */
export function verifyPassword(target: PasswordRecord, candidate: string): boolean {
  let matches: boolean;
  if (target.kind === 'plain') {
    matches = timingSafeEqual(sha256(candidate), target.digest);
  } else {
    const derived = scryptSync(candidate, target.salt, target.hash.length, {
      N: target.N,
      r: target.r,
      p: target.p,
      maxmem: 256 * target.N * target.r,
    });
    matches = timingSafeEqual(derived, target.hash);
  }
  return matches;
}
