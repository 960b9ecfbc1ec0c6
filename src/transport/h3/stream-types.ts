/** Unidirectional stream types (RFC 9114 §6.2, RFC 9204 §4.2). */
export const UNI_STREAM = {
  CONTROL: 0x00,
  PUSH: 0x01,
  QPACK_ENCODER: 0x02,
  QPACK_DECODER: 0x03,
} as const;

/** Stream ids (RFC 9000 §2.1): the low two bits are initiator and direction. */
export function isClientInitiatedBidi(streamId: number): boolean {
  return streamId % 4 === 0;
}
