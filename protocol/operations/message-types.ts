/**
 * The binary messages of the operations added from session version 2 on (protocol/enhanced/
 * suite.ts SessionVersion): each is one record whose first byte is its type, then its
 * fields (protocol/binary.ts). Text messages (the menu, the email, fixed texts) have no type
 * byte: every message comes where the exchange says it does, so there is nothing to confuse.
 */
export const MessageType = {
  deliveryReport: 0x31,
  inboxListing: 0x32,
  deleteRequest: 0x33,
  deleteResult: 0x34,
  waitRequest: 0x35,
  wakeUp: 0x36,
  waitDone: 0x37,
  waitEnded: 0x38,
  sealedEmail: 0x39,
  keyRequest: 0x3a,
  keyAnswer: 0x3b,
  changesRequest: 0x3c,
  inboxChanges: 0x3d,
  sendId: 0x3e,
  emailBatch: 0x3f,
} as const;

export type MessageTypeName = keyof typeof MessageType;
