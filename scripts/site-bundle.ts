/**
 * What a user's machine needs, in one place for keygen, `admin users add` and `admin keys`:
 * `<user>_private.pem` (encrypted under their password unless the site asked for plain keys),
 * `<user>_public.pem`, `server_public.pem`, and `keyring/<name>_public.pem` for every user of
 * the site, theirs included.
 */
import { join } from 'node:path';

export const PRIVATE_MODE = 0o600;
export const PUBLIC_MODE = 0o644;

export interface BundleContents {
  user: string;
  /** The user's private key as it is kept at rest (normally encrypted). */
  privatePem: string;
  publicPem: string;
  serverPublicPem: string;
  /** Every user's public key by name; the user's own is added when missing. */
  keyring: ReadonlyMap<string, string>;
}

export interface BundleFile {
  /** Relative to the bundle's folder. */
  path: string;
  content: string;
  mode: number;
}

/** The keyring's own folder, inside the bundle. */
export const KEYRING_FOLDER = 'keyring';

/** The files of a bundle, the keyring's entries sorted by name. */
export function bundleFiles(contents: BundleContents): BundleFile[] {
  const { user } = contents;
  const keyring = new Map(contents.keyring);
  keyring.set(user, contents.publicPem);
  return [
    { path: `${user}_private.pem`, content: contents.privatePem, mode: PRIVATE_MODE },
    { path: `${user}_public.pem`, content: contents.publicPem, mode: PUBLIC_MODE },
    { path: 'server_public.pem', content: contents.serverPublicPem, mode: PUBLIC_MODE },
    ...keyringFiles(keyring).map((file) => ({ ...file, path: join(KEYRING_FOLDER, file.path) })),
  ];
}

/** A keyring folder's files: `<name>_public.pem` for each user. */
export function keyringFiles(keyring: ReadonlyMap<string, string>): BundleFile[] {
  return [...keyring]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, pem]) => ({ path: `${name}_public.pem`, content: pem, mode: PUBLIC_MODE }));
}
