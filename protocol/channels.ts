/**
 * One registry of channel kinds: each kind's facts (channel-kinds.ts) with its login on each
 * side. A new kind is a new entry here and its own folder beside classic/ and enhanced/.
 */
import { channelKinds, type ChannelKind, type ChannelKindFacts } from './channel-kinds.js';
import { clientClassicLogin, serverClassicLogin } from './classic/login.js';
import { clientEnhancedLogin, serverEnhancedLogin } from './enhanced/login.js';
import { enhancedServerLines } from './enhanced/lines.js';
import type { ClientLogin, ServerLogin } from './login.js';

export interface ChannelDefinition extends ChannelKindFacts {
  clientLogin: ClientLogin;
  serverLogin: ServerLogin;
  /** On kinds where the server proves its key: the line its server prints at start, with the key's fingerprint. */
  serverIdentityLine?: (fingerprint: string) => string;
}

export const channels: Readonly<Record<ChannelKind, ChannelDefinition>> = {
  classic: {
    ...channelKinds.classic,
    clientLogin: clientClassicLogin,
    serverLogin: serverClassicLogin,
  },
  enhanced: {
    ...channelKinds.enhanced,
    clientLogin: clientEnhancedLogin,
    serverLogin: serverEnhancedLogin,
    serverIdentityLine: enhancedServerLines.identity,
  },
};

export { CHANNEL_KINDS, defaultPortOf, isChannelKind, type ChannelKind } from './channel-kinds.js';
