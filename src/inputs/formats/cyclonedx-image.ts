import { parseImageRef } from '../image-ref.js';
import type { ImageDraft } from './report.js';
import { digestFor, firstImageRef } from './trivy.js';
import { property, rec, records, text, type Raw } from './values.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/i;

/**
 * The image a BOM describes: Trivy puts RepoTag/RepoDigest/ImageID properties
 * on a `container` metadata component; Grype names it and puts the digest in `version`.
 */
export function cyclonedxImage(subject: Raw, components: readonly Raw[]): ImageDraft {
  const os = components.find((c) => c['type'] === 'operating-system');
  const osFacts = os ? { osFamily: text(os['name']), osName: text(os['version']) } : {};
  if (subject['type'] !== 'container') return osFacts;
  const repoTags = propertyValues(subject, 'aquasecurity:trivy:RepoTag');
  const repoDigests = propertyValues(subject, 'aquasecurity:trivy:RepoDigest');
  const version = text(subject['version']);
  const ref = firstImageRef([text(subject['name']), ...repoTags, ...repoDigests]);
  const digest = ref ? (ref.digest ?? digestFor(ref, repoDigests) ?? (version && DIGEST.test(version) ? version : null)) : null;
  const size = Number.parseInt(property(subject, 'aquasecurity:trivy:Size') ?? '', 10);
  return {
    ...osFacts,
    ref: ref ? { ...ref, digest } : null,
    id: property(subject, 'aquasecurity:trivy:ImageID'),
    repoTags,
    repoDigests,
    sizeBytes: Number.isFinite(size) ? size : null,
  };
}

function propertyValues(component: Raw, name: string): string[] {
  return records(component['properties'])
    .filter((p) => p['name'] === name)
    .map((p) => text(rec(p)['value']))
    .filter((v): v is string => v !== null && parseImageRef(v) !== null);
}
