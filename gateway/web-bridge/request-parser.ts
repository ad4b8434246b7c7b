import { MAX_WS_MESSAGE_BYTES, RequestSchema, type Request } from '../messages.js';
import { GatewayError } from './errors.js';

export type ParsedRequest =
  { ok: true; request: Request } | { ok: false; id: number | null; error: GatewayError };

/** The request id of a message that failed validation, when it has a usable one. */
function idOf(value: unknown): number | null {
  if (typeof value !== 'object' || value === null || !('id' in value)) return null;
  const { id } = value;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null;
}

const EMAIL_FIELDS = new Set<PropertyKey>(['title', 'content']);

/**
 * One WebSocket message to a typed request. Size, JSON and schema are checked here, before
 * anything else sees the message, so a bad one changes nothing.
 */
export function parseRequest(data: Buffer, isBinary: boolean): ParsedRequest {
  if (data.length > MAX_WS_MESSAGE_BYTES) {
    return {
      ok: false,
      id: null,
      error: new GatewayError(
        'TOO_LARGE',
        `a message may have at most ${MAX_WS_MESSAGE_BYTES} bytes`,
      ),
    };
  }
  if (isBinary)
    return {
      ok: false,
      id: null,
      error: new GatewayError('BAD_REQUEST', 'messages are JSON text, not binary'),
    };
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    return {
      ok: false,
      id: null,
      error: new GatewayError('BAD_REQUEST', 'the message is not JSON'),
    };
  }
  const result = RequestSchema.safeParse(value);
  if (result.success) return { ok: true, request: result.data };
  const issue = result.error.issues[0];
  const field = issue?.path[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  const message = `${where}${issue?.message ?? 'invalid message'}`;
  const isSend =
    typeof value === 'object' && value !== null && 'type' in value && value.type === 'send';
  const code =
    isSend && field !== undefined && EMAIL_FIELDS.has(field) ? 'INVALID_EMAIL' : 'BAD_REQUEST';
  return { ok: false, id: idOf(value), error: new GatewayError(code, message) };
}
