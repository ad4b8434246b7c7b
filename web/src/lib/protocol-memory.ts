import type { ChannelKind } from '../../../gateway/messages.js';

/**
 * Never switch protocol silently. This device remembers each enhanced server that answered;
 * when the gateway later says it cannot reach one of them, the sign-in does not fall back to
 * the classic protocol by itself (someone may be blocking the enhanced port to push this
 * browser onto a protocol whose server is never verified): it warns and asks.
 */
export interface HelloProtocols {
  enhancedServer?: string;
  protocols: readonly ChannelKind[];
  defaultProtocol?: ChannelKind;
}

export interface ProtocolAdvice {
  /** The protocol to select in the form, or none when the person must choose. */
  preselect: ChannelKind | undefined;
  /** The enhanced server that answered before and does not now. */
  missingEnhanced?: string;
}

/** The remembered servers after a hello: its enhanced server is added when it answered. */
export function rememberEnhanced(seen: readonly string[], hello: HelloProtocols): string[] {
  const server = hello.enhancedServer;
  if (hello.defaultProtocol !== 'enhanced' || server === undefined || seen.includes(server))
    return [...seen];
  return [...seen, server];
}

export function adviseProtocol(seen: readonly string[], hello: HelloProtocols): ProtocolAdvice {
  const recommended = hello.defaultProtocol ?? hello.protocols[0] ?? 'classic';
  const server = hello.enhancedServer;
  if (
    recommended === 'classic' &&
    server !== undefined &&
    seen.includes(server) &&
    hello.protocols.includes('enhanced')
  ) {
    return { preselect: undefined, missingEnhanced: server };
  }
  return { preselect: hello.protocols.includes(recommended) ? recommended : 'classic' };
}
