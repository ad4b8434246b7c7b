import type { ChannelKind } from '../../../gateway/messages.js';

/**
 * Never switch protocol silently. The gateway, not this browser, remembers each enhanced server
 * that answered it (in its data folder: a new browser profile or cleared storage forgets
 * nothing); when one of them stops answering, its hello names it (`enhancedMissing`), and the
 * form preselects no protocol, warns, and asks for an explicit "sign in without server
 * verification" before a classic sign-in (someone may be blocking the enhanced port to push
 * this browser onto a protocol whose server is never verified). The gateway refuses a classic
 * sign-in there without it, too.
 */
export interface HelloProtocols {
  protocols: readonly ChannelKind[];
  defaultProtocol?: ChannelKind;
  enhancedMissing?: string;
}

export interface ProtocolAdvice {
  /** The protocol to select in the form, or none when the person must choose. */
  preselect: ChannelKind | undefined;
  /** The enhanced server that answered before and does not now. */
  missingEnhanced?: string;
}

export function adviseProtocol(hello: HelloProtocols): ProtocolAdvice {
  if (hello.enhancedMissing !== undefined)
    return { preselect: undefined, missingEnhanced: hello.enhancedMissing };
  const recommended = hello.defaultProtocol ?? hello.protocols[0] ?? 'classic';
  return { preselect: hello.protocols.includes(recommended) ? recommended : 'classic' };
}

/** A sign-in the gateway refused as a downgrade: the form warns about `server` from now on. */
export const adviseAfterRefusal = (server: string): ProtocolAdvice => ({
  preselect: undefined,
  missingEnhanced: server,
});

/**
 * Whether the sign-in form keeps the protocol the person chose after a hello: not when nothing
 * was tried yet on this page, the gateway no longer offers it, or an enhanced server is missing
 * (the form then shows the advice's, which may be none).
 */
export function keepsChosenProtocol(
  chosen: ChannelKind | undefined,
  attempted: boolean,
  hello: HelloProtocols,
  advice: ProtocolAdvice,
): boolean {
  return (
    attempted && chosen !== undefined && hello.protocols.includes(chosen) && !advice.missingEnhanced
  );
}
