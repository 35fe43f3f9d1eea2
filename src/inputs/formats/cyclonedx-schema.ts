import { any, arr, num, obj, root, str, strs } from './shape.js';

const properties = arr(obj({ name: str, value: str }));

const component = obj({
  'bom-ref': str,
  type: str,
  name: str,
  version: str,
  purl: str,
  properties,
  components: { type: ['array', 'null'] },
  licenses: arr(obj({ license: obj({ id: str, name: str }), expression: str })),
});

const vulnerability = obj({
  'bom-ref': str,
  id: str,
  source: obj({ name: str, url: str }),
  references: arr(obj({ id: str })),
  ratings: arr(obj({ source: obj({ name: str }), score: num, severity: str, method: str })),
  description: str,
  recommendation: str,
  published: str,
  advisories: arr(obj({ url: str })),
  affects: arr(obj({ ref: str, versions: arr(obj({ version: str, range: str, status: str })) }, ['ref'])),
  analysis: obj({ state: str, response: strs }),
});

export const cyclonedxSchema = root(
  obj(
    {
      bomFormat: str,
      specVersion: str,
      metadata: obj({
        timestamp: str,
        // 1.4 lists tools as an array; 1.5 and later as {components, services}.
        tools: { type: ['array', 'object', 'null'] },
        component,
      }),
      components: arr(component),
      vulnerabilities: arr(vulnerability),
      dependencies: any,
    },
    ['bomFormat'],
  ),
);
