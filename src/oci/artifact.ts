import { registryError, type Step } from './errors.js';
import { digestOf } from './digest.js';
import { ANNOTATIONS, MEDIA_TYPES } from './media-types.js';
import { DIGEST } from './reference.js';

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: { readonly os?: string; readonly architecture?: string };
}

/** The blobs and manifest that carry one bundle: an empty config, the bundle bytes as the one layer, and the manifest naming both. */
export interface BundleArtifact {
  readonly config: { readonly bytes: Uint8Array; readonly descriptor: Descriptor };
  readonly layer: Descriptor;
  readonly manifest: { readonly bytes: Uint8Array; readonly digest: string; readonly mediaType: string };
}

export interface ArtifactOptions {
  /** The bundle revision, the creation time, the source URL and a title, as OCI annotations on the manifest. */
  readonly revision?: string;
  readonly created?: string;
  readonly source?: string;
  readonly title?: string;
  /** The file name `oras pull` gives the layer (its title annotation). */
  readonly fileName?: string;
}

const EMPTY_CONFIG_BYTES = new TextEncoder().encode('{}');

/** The config blob of every bundle artifact: the image config OPA's documentation pushes, `{}`. */
export const EMPTY_CONFIG: { readonly bytes: Uint8Array; readonly descriptor: Descriptor } = {
  bytes: EMPTY_CONFIG_BYTES,
  descriptor: { mediaType: MEDIA_TYPES.config, digest: digestOf(EMPTY_CONFIG_BYTES), size: EMPTY_CONFIG_BYTES.byteLength },
};

/**
 * The OCI image manifest for a bundle, exactly what OPA loads: one layer of
 * type `application/vnd.oci.image.layer.v1.tar+gzip` that is the bundle
 * archive byte for byte (so its signature stays valid), and the empty image
 * config OPA's documentation pushes. The same inputs give the same bytes.
 */
export function bundleArtifact(layer: { readonly digest: string; readonly size: number }, options: ArtifactOptions): BundleArtifact {
  const config = EMPTY_CONFIG.descriptor;
  const layerDescriptor: Descriptor = {
    mediaType: MEDIA_TYPES.bundleLayer,
    digest: layer.digest,
    size: layer.size,
    ...(options.fileName === undefined ? {} : { annotations: { [ANNOTATIONS.title]: options.fileName } }),
  };
  const annotations = sortedAnnotations({
    [ANNOTATIONS.revision]: options.revision,
    [ANNOTATIONS.created]: options.created,
    [ANNOTATIONS.source]: options.source,
    [ANNOTATIONS.title]: options.title,
  });
  const document = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config,
    layers: [layerDescriptor],
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(document));
  return {
    config: EMPTY_CONFIG,
    layer: layerDescriptor,
    manifest: { bytes, digest: digestOf(bytes), mediaType: MEDIA_TYPES.manifest },
  };
}

function sortedAnnotations(values: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(values).sort()) {
    const value = values[key];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

/** A parsed manifest or index: only the fields a bundle pull reads, each checked. */
export type ManifestDocument =
  | { readonly kind: 'manifest'; readonly layers: readonly Descriptor[]; readonly annotations: Readonly<Record<string, string>> }
  | { readonly kind: 'index'; readonly manifests: readonly Descriptor[] };

export const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.index, MEDIA_TYPES.dockerManifestList]);
export const MANIFEST_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.manifest, MEDIA_TYPES.dockerManifest]);

/** Parses a manifest or image index, telling them apart by media type (the header's, else the document's) and shape. */
export function parseManifestDocument(bytes: Uint8Array, contentType: string, at: Step): ManifestDocument {
  const invalid = (why: string) => registryError('REGISTRY_ARTIFACT_INVALID', at, `not a valid OCI manifest or index: ${why}`);
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw invalid('it is not JSON');
  }
  if (!isObject(doc)) throw invalid('it is not a JSON object');
  const mediaType = typeof doc['mediaType'] === 'string' ? doc['mediaType'] : contentType;
  const isIndex = INDEX_TYPES.has(mediaType) || (!MANIFEST_TYPES.has(mediaType) && Array.isArray(doc['manifests']));
  if (isIndex) {
    if (!Array.isArray(doc['manifests'])) throw invalid('an image index without a manifests list');
    return { kind: 'index', manifests: doc['manifests'].map((d, i) => descriptor(d, `manifests[${i}]`, invalid)) };
  }
  if (!MANIFEST_TYPES.has(mediaType) && !Array.isArray(doc['layers'])) throw invalid(`media type '${mediaType || 'none'}' is neither a manifest nor an index`);
  const layers = doc['layers'] ?? [];
  if (!Array.isArray(layers)) throw invalid('layers is not a list');
  const annotations = isObject(doc['annotations']) ? stringValues(doc['annotations']) : {};
  return { kind: 'manifest', layers: layers.map((d, i) => descriptor(d, `layers[${i}]`, invalid)), annotations };
}

function descriptor(value: unknown, where: string, invalid: (why: string) => Error): Descriptor {
  if (!isObject(value)) throw invalid(`${where} is not an object`);
  const { mediaType, digest, size, annotations, platform } = value;
  if (typeof mediaType !== 'string') throw invalid(`${where}.mediaType is not a string`);
  if (typeof digest !== 'string' || !DIGEST.test(digest)) throw invalid(`${where}.digest is not a sha256 or sha512 digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(`${where}.size is not a size`);
  const plat = isObject(platform)
    ? {
        ...(typeof platform['os'] === 'string' ? { os: platform['os'] } : {}),
        ...(typeof platform['architecture'] === 'string' ? { architecture: platform['architecture'] } : {}),
      }
    : undefined;
  return { mediaType, digest, size, ...(isObject(annotations) ? { annotations: stringValues(annotations) } : {}), ...(plat ? { platform: plat } : {}) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringValues(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** OPA's choice: the first layer whose media type is exactly the tar+gzip layer type. */
export function bundleLayerOf(manifest: Extract<ManifestDocument, { kind: 'manifest' }>): Descriptor | undefined {
  return manifest.layers.find((l) => l.mediaType === MEDIA_TYPES.bundleLayer);
}
