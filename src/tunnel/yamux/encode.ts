/** Pure frame encoding. Hot paths call writeHeader into a buffer they already own. */
import { FrameType, HEADER_LENGTH, YAMUX_VERSION, type FrameHeader } from './frame.ts';

export function writeHeader(target: Buffer, offset: number, type: FrameType, flags: number, streamId: number, length: number): void {
  target[offset] = YAMUX_VERSION;
  target[offset + 1] = type;
  target.writeUInt16BE(flags, offset + 2);
  target.writeUInt32BE(streamId, offset + 4);
  target.writeUInt32BE(length, offset + 8);
}

/** Header and payload in one buffer. For Data frames `length` is taken from the payload. */
export function encodeFrame(header: FrameHeader, payload?: Buffer): Buffer {
  const payloadLength = payload?.length ?? 0;
  const length = header.type === FrameType.Data ? payloadLength : header.length;
  const frame = Buffer.allocUnsafe(HEADER_LENGTH + payloadLength);
  writeHeader(frame, 0, header.type, header.flags, header.streamId, length);
  if (payload !== undefined) payload.copy(frame, HEADER_LENGTH);
  return frame;
}
