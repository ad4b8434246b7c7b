/**
 * The attack of issue 22, case 7: a proxy that relays everything, but once armed, when the
 * client sends an email (the first frame larger than `emailBytes`: the records are encrypted,
 * the attacker sees only sizes and order), keeps the server's next frame, the delivery report,
 * from the client and cuts both connections. The server has stored the email by then; the
 * client cannot know it.
 */
import { startProxy, type ClientFrameHandler, type Proxy } from './proxy.js';

export interface ReportDropper {
  proxy: Proxy;
  /** Drops the report of the next email sent through any of the proxy's connections. */
  arm: () => void;
  /** The report kept from the client (its encrypted record). */
  dropped: Promise<Buffer>;
}

export async function reportDropper(
  upstreamPort: number,
  emailBytes: number,
): Promise<ReportDropper> {
  let armed = false;
  let settle: (frame: Buffer) => void = () => undefined;
  const dropped = new Promise<Buffer>((resolve) => {
    settle = resolve;
  });
  const handler: ClientFrameHandler = (frame, _index, relay) => {
    if (armed && frame.length > emailBytes) {
      armed = false;
      // Asked for before the email is forwarded: the report is the server's next frame.
      relay
        .takeServerFrame()
        .then((report) => {
          settle(report);
          relay.client.destroy();
          relay.server.destroy();
        })
        // The server went away first: there is no report to drop.
        .catch(() => undefined);
    }
    return Promise.resolve(frame);
  };
  return {
    proxy: await startProxy(upstreamPort, handler),
    arm: () => {
      armed = true;
    },
    dropped,
  };
}
