/**
 * The channel kinds a session can run over, with what every program needs to know of each:
 * its default port and what it protects. Browser-safe (no Node imports): the logins of each
 * kind are in protocol/channels.ts.
 *
 * Each kind has a port of its own: there is no negotiation between kinds on one port, which is
 * what a downgrade attack would need.
 */
export const channelKinds = {
  classic: {
    defaultPort: 13000,
    title: 'Classic',
    description:
      'The specification’s protocol: RSA-OAEP login, one AES-256-ECB session key, no server authentication.',
  },
  enhanced: {
    defaultPort: 13001,
    title: 'Enhanced',
    description:
      'Signed X25519 handshake (the server proves its key), AES-256-GCM records with sequence numbers, throttled logins.',
  },
} as const;

export type ChannelKind = keyof typeof channelKinds;

/** Every kind, in the order programs offer them. */
export const CHANNEL_KINDS = Object.keys(channelKinds) as [ChannelKind, ...ChannelKind[]];

export function isChannelKind(value: unknown): value is ChannelKind {
  return typeof value === 'string' && Object.hasOwn(channelKinds, value);
}

export const defaultPortOf = (kind: ChannelKind): number => channelKinds[kind].defaultPort;
