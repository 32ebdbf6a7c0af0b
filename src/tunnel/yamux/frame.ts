/**
 * Wire constants of hashicorp yamux (spec.md in github.com/hashicorp/yamux). Every frame starts
 * with a 12-byte big-endian header: version u8, type u8, flags u16, stream id u32, length u32.
 * For Data the length is the payload size; for WindowUpdate the window delta; for Ping an opaque
 * value echoed back; for GoAway the reason code. Only Data frames carry a payload.
 */
export const YAMUX_VERSION = 0;
export const HEADER_LENGTH = 12;

export const FrameType = {
  Data: 0,
  WindowUpdate: 1,
  Ping: 2,
  GoAway: 3,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Flags are a bitmask: SYN|FIN on one frame opens and half-closes a stream at once. */
export const Flag = {
  SYN: 0x1,
  ACK: 0x2,
  FIN: 0x4,
  RST: 0x8,
} as const;

export const GoAwayCode = {
  Normal: 0,
  ProtocolError: 1,
  InternalError: 2,
} as const;
export type GoAwayCode = (typeof GoAwayCode)[keyof typeof GoAwayCode];

/** The window every stream starts with; the spec fixes it, a larger one is granted by update. */
export const INITIAL_STREAM_WINDOW = 256 * 1024;

/** Stream ids and lengths are u32 on the wire. */
export const MAX_UINT32 = 0xffff_ffff;

export interface FrameHeader {
  type: FrameType;
  flags: number;
  streamId: number;
  length: number;
}

export interface Frame extends FrameHeader {
  /** Data frames only; an empty buffer for every other type. */
  payload: Buffer;
}

export function hasFlag(flags: number, flag: number): boolean {
  return (flags & flag) !== 0;
}
