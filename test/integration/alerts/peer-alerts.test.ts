import { afterEach, describe, expect, it } from 'vitest';
import { startMesh, tunnelUp, type Mesh } from '../../helpers/mesh-harness.ts';
import { startAlertReceiver, type AlertReceiverServer } from '../../helpers/alert-receiver.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let mesh: Mesh | undefined;
let receiver: AlertReceiverServer | undefined;
afterEach(async () => {
  await mesh?.close();
  await receiver?.close();
  mesh = undefined;
  receiver = undefined;
});

describe('peer alerts', () => {
  it('posts peer_down when a peer is gone past the grace, and peer_up when it is back', async () => {
    receiver = await startAlertReceiver();
    mesh = await startMesh({
      // No grace: the hub's restart is the outage (the grace itself is tested with a manual clock).
      laptopExtra: { alerts: [{ url: receiver.url, events: ['peer_down', 'peer_up'], peer_down_grace_ms: 0 }] },
    });
    await tunnelUp(mesh.laptop, 'hub');
    expect(receiver.received).toEqual([]);
    await mesh.restartHub();
    await tunnelUp(mesh.laptop, 'hub');
    await waitFor(() => receiver?.received.length === 2, 'peer_down and peer_up');
    expect(receiver.received.map((alert) => [alert.body.event, alert.body.peer, alert.body.node])).toEqual([
      ['peer_down', 'hub', 'laptop'],
      ['peer_up', 'hub', 'laptop'],
    ]);
    expect(receiver.received[0]?.body.provider).toBeNull();
    expect(String(receiver.received[1]?.body.text)).toMatch(/^quotamesh laptop: peer hub is back up: tunnel up again after \d+ s$/);
  });
});
