/**
 * The channel kinds a session can run over, with what every program needs to know of each:
 * its default port and what it protects. Browser-safe (no Node imports): the logins of each
 * kind are in protocol/channels.ts.
 *
 * Each kind has a port of its own: there is no negotiation between kinds on one port, which is
 * what a downgrade attack would need.
 */
export interface ChannelKindFacts {
  defaultPort: number;
  title: string;
  /** Whether the client verifies the server's key before it sends anything secret. */
  verifiesServer: boolean;
  /** What a person is told it protects, and what not (the sign-in form shows both). */
  protects: string;
  doesNot: string;
}

export const channelKinds = {
  classic: {
    defaultPort: 13000,
    title: 'Classic',
    verifiesServer: false,
    protects:
      'your password and emails from someone who only listens (RSA sign-in, AES-256 in ECB mode).',
    doesNot: 'against an impostor server (never verified), nor replayed or altered messages.',
  },
  enhanced: {
    defaultPort: 13001,
    title: 'Enhanced',
    verifiesServer: true,
    protects:
      'against an impostor server (it signs the handshake), replayed or altered messages; fresh keys each session; emails sealed and signed for their readers.',
    doesNot:
      'against a compromised computer at either end; the server still sees who writes to whom, when, and the titles (contents are sealed end to end).',
  },
} as const satisfies Record<string, ChannelKindFacts>;

export type ChannelKind = keyof typeof channelKinds;

/** Every kind, in the order programs offer them. */
export const CHANNEL_KINDS = Object.keys(channelKinds) as [ChannelKind, ...ChannelKind[]];

export function isChannelKind(value: unknown): value is ChannelKind {
  return typeof value === 'string' && Object.hasOwn(channelKinds, value);
}

export const defaultPortOf = (kind: ChannelKind): number => channelKinds[kind].defaultPort;
