import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FleetConfig } from '../../src/config/index.js';
import { discoveryParts } from '../../src/fleet/index.js';

const fleet = (groups: FleetConfig['groups']): FleetConfig => ({ discovery: { bundle: 'discovery', service: 'portcullis' }, groups });
const configs = (parts: ReturnType<typeof discoveryParts>) =>
  (parts.data as unknown as { portcullis: { discovery: { groups: { name: string; config: Record<string, any> }[] } } }).portcullis.discovery.groups;
const KEY = { k1: { algorithm: 'ES256', key: '-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----\n' } };

describe('discoveryParts', () => {
  it('gives each group its bundles with long polling, status and decision logs to the boot service', () => {
    const [prod] = configs(discoveryParts(fleet([{ name: 'prod', labels: { env: 'prod' }, bundles: ['a', 'b'] }]), {}, 1 << 20));
    assert.deepEqual(Object.keys(prod!.config['bundles']), ['a', 'b']);
    assert.deepEqual(prod!.config['bundles'].a, {
      service: 'portcullis',
      resource: 'bundles/a',
      persist: false,
      polling: { min_delay_seconds: 60, max_delay_seconds: 120, long_polling_timeout_seconds: 30 },
    });
    assert.deepEqual(prod!.config['status'], { service: 'portcullis' });
    assert.equal(prod!.config['decision_logs'].service, 'portcullis');
    assert.deepEqual(prod!.config['labels'], { portcullis_group: 'prod' });
  });

  it('requires signatures on every bundle once keys are trusted, pinning the key id only when asked', () => {
    const [pinned, any] = configs(
      discoveryParts(
        fleet([
          { name: 'pinned', bundles: ['a'], keyid: 'k1', scope: 's' },
          { name: 'any', bundles: ['a'] },
        ]),
        KEY,
        1 << 20,
      ),
    );
    assert.deepEqual(pinned!.config['bundles'].a.signing, { keyid: 'k1', scope: 's' });
    assert.deepEqual(any!.config['bundles'].a.signing, {}, 'an empty signing block still makes OPA refuse unsigned bundles');
    assert.deepEqual(any!.config['keys'], KEY);
  });

  it('sends persisting agents to the snapshot-only resource, since OPA refuses deltas for them', () => {
    const [g] = configs(discoveryParts(fleet([{ name: 'p', bundles: ['a'], persist: true }]), {}, 1 << 20));
    assert.equal(g!.config['bundles'].a.resource, 'bundles/a?mode=snapshot');
    assert.equal(g!.config['bundles'].a.persist, true);
  });

  it('has a revision that changes with the configuration only', () => {
    const a = discoveryParts(fleet([{ name: 'g', bundles: ['a'] }]), {}, 1 << 20).manifest.revision;
    const b = discoveryParts(fleet([{ name: 'g', bundles: ['a'] }]), {}, 1 << 20).manifest.revision;
    const c = discoveryParts(fleet([{ name: 'g', bundles: ['b'] }]), {}, 1 << 20).manifest.revision;
    assert.equal(a, b);
    assert.notEqual(a, c);
  });
});
