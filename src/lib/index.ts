export { systemClock, ManualClock, toUnixSeconds, type Clock } from './clock.ts';
export { QuotaMeshError, ConfigError, errorMessage, type ErrorKind } from './errors.ts';
export { exponentialDelayMs } from './backoff.ts';
export { onceClose, sleep } from './lifecycle.ts';
export { LineSplitter } from './line-splitter.ts';
export { newOauthState, newPkce, s256Challenge, type Pkce } from './pkce.ts';
export { KeyedSlots, type KeyedSlotsOptions, type SlotRefusal } from './keyed-slots.ts';
