import { any, arr, num, obj, root, str, strMap, strOrNum, strs } from './shape.js';

const cvss = arr(obj({ version: str, metrics: obj({ baseScore: num }) }));

// Grype before about 0.13 wrote cvssV2/cvssV3 objects (and, earliest, cvss-v2 with base-score).
const legacyCvss = obj({ baseScore: num, 'base-score': num });

// The fields a match's vulnerability shares with its related vulnerabilities.
const metadataFields = {
  id: str,
  namespace: str,
  dataSource: str,
  severity: str,
  description: str,
  cvss,
  cvssV2: legacyCvss,
  cvssV3: legacyCvss,
  'cvss-v2': legacyCvss,
  'cvss-v3': legacyCvss,
};

const vulnerabilityMetadata = obj(metadataFields);

const match = obj({
  vulnerability: obj({
    ...metadataFields,
    fix: obj({ versions: strs, state: str }),
    // Legacy: the one fixed version as a string.
    fixedInVersion: str,
    'fixed-in-version': str,
    urls: strs,
    links: strs,
  }),
  relatedVulnerabilities: arr(vulnerabilityMetadata),
  matchDetails: { type: ['array', 'object', 'null'] },
  artifact: obj(
    {
      name: str,
      version: str,
      type: str,
      purl: str,
      language: str,
      // Locations are objects; very old syft wrote plain path strings.
      locations: arr({ type: ['object', 'string', 'null'], properties: { path: str } }),
    },
    ['name'],
  ),
});

const imageTarget = {
  type: ['object', 'string', 'null'],
  properties: {
    userInput: str,
    imageID: str,
    manifestDigest: str,
    tags: strs,
    repoDigests: strs,
    imageSize: num,
    architecture: str,
    os: str,
    config: str,
    labels: strMap,
  },
};

export const grypeReportSchema = root(
  obj(
    {
      matches: arr(match),
      source: obj({ type: str, target: imageTarget }),
      distro: obj({ name: str, version: strOrNum, idLike: any }),
      descriptor: obj({ name: str, version: str, timestamp: str }),
    },
    ['matches'],
  ),
);
