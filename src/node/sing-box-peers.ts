/**
 * What a `protocol: "sing-box"` peer means to the mesh (PROTOCOL.md › sing-box peers): sing-box
 * runs one service per provider (CCM for Claude, OCM for Codex), so such a peer has one tunnel
 * per provider, keyed `<peer>/<service>`, and its status watch is the service's own path.
 */
import type { StatusWatch } from '../pool/index.ts';
import { PROVIDER_NAMES, type ProviderName } from '../providers/index.ts';
import { reversePath, SING_BOX_SERVICES, singBoxStatusPath, type SingBoxService } from '../tunnel/index.ts';
import { accessFor } from './access.ts';
import type { Config, PeerConfig } from './config-schema.ts';

export const SERVICE_OF: Readonly<Record<ProviderName, SingBoxService>> = { claude: 'ccm', codex: 'ocm' };

/** `/ccm/v1/reverse` → `ccm`: the upgrade paths a sing-box connector dials. */
export const REVERSE_SERVICES: ReadonlyMap<string, SingBoxService> = new Map(
  SING_BOX_SERVICES.map((service) => [reversePath(service), service]),
);

/** The host a sing-box receiver's requests carry (`http://reverse-proxy` + the request URI). */
export const REVERSE_PROXY_BASE_URL = 'http://reverse-proxy';

export function isSingBox(peer: PeerConfig): boolean {
  return peer.protocol === 'sing-box';
}

/** The PeerSessions key of a peer's tunnel for a provider: ours carry every provider in one. */
export function sessionKey(peer: PeerConfig, provider: ProviderName): string {
  return isSingBox(peer) ? `${peer.name}/${SERVICE_OF[provider]}` : peer.name;
}

export function peerNameOfKey(key: string): string {
  return key.split('/')[0] ?? key;
}

export function statusWatchOf(peer: PeerConfig, provider: ProviderName): StatusWatch | undefined {
  return isSingBox(peer) ? { pathAndQuery: singBoxStatusPath(SERVICE_OF[provider]), onRefusal: 'retry_slowly' } : undefined;
}

/**
 * The services we dial on a sing-box receiver: one per provider we share with it, since the
 * tunnel exists for it to use our capacity (sing-box's connector serves its whole service).
 */
export function servicesToDial(config: Config, peer: PeerConfig): SingBoxService[] {
  return PROVIDER_NAMES.filter((provider) => accessFor(config, { kind: 'peer', name: peer.name, peer }, provider) !== undefined).map(
    (provider) => SERVICE_OF[provider],
  );
}
