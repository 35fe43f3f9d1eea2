import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerKeys, type VerdictKey } from '../../src/gatekeeper/index.js';

const D = `sha256:${'c'.repeat(64)}`;

describe('provider keys', () => {
  it('reads <namespace>|<image> and bare references, and answers per key in order', async () => {
    const asked: VerdictKey[] = [];
    const response = await answerKeys(
      [`shop|registry.example.com/app@${D}`, `registry.example.com/app@${D}`, 'shop|registry.example.com/app:1.0', `Not_A_Namespace|app@${D}`],
      async (keys) => {
        asked.push(...keys);
        return keys.map((k) => ({ decision: 'allow' as const, summary: `in ${k.namespace ?? 'no namespace'}`, digest: k.digest }));
      },
    );
    assert.deepEqual(asked, [
      { digest: D, namespace: 'shop' },
      { digest: D, namespace: null },
    ]);
    const items = response.response.items;
    assert.deepEqual(
      items.map((i) => i.key),
      [`shop|registry.example.com/app@${D}`, `registry.example.com/app@${D}`, 'shop|registry.example.com/app:1.0', `Not_A_Namespace|app@${D}`],
    );
    assert.equal(items[0]?.value?.summary, 'in shop');
    assert.equal(items[1]?.value?.summary, 'in no namespace');
    assert.match(items[2]?.error ?? '', /not pinned by a sha256 digest/);
    assert.match(items[3]?.error ?? '', /is not a namespace name/);
  });
});
