/** The slice of a pino logger the tunnel uses; the node passes a pino child. */
export interface TunnelLogger {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

const ignore = (): void => {};
export const silentLogger: TunnelLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
