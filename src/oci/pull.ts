import { bundleLayerOf, INDEX_TYPES, MANIFEST_TYPES, parseManifestDocument, type Descriptor, type ManifestDocument } from './artifact.js';
import type { FetchedManifest, RegistryClient } from './client.js';
import { short } from './client.js';
import { registryError, type Step } from './errors.js';
import { MEDIA_TYPES } from './media-types.js';
import { formatReference, type Reference } from './reference.js';

/** OPA follows image indexes this many levels deep (v1/download/oci_download.go, maxIndexDepth). */
export const MAX_INDEX_DEPTH = 4;
/** Manifests and indexes are small documents; anything larger is refused before it is read. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface PullOptions {
  /** Largest bundle accepted (the serve limits' max_bundle_bytes). */
  readonly maxBytes: number;
  /** The layer digest already held: when the artifact still has it, the layer is not fetched again. */
  readonly knownLayer?: string;
}

/** What a reference leads to, before the layer is fetched. */
export interface ResolvedBundle {
  /** Digest of what the reference named: the manifest, or the image index that led to it. */
  readonly digest: string;
  /** Digest of the image manifest holding the bundle layer. */
  readonly manifestDigest: string;
  readonly layer: Descriptor;
  /** The bundle manifest's annotations (revision, created, source, title). */
  readonly annotations: Readonly<Record<string, string>>;
}

export interface PulledBundle extends ResolvedBundle {
  /** The bundle archive, its digest and size checked; absent when the layer is `knownLayer`. */
  readonly bytes?: Buffer;
}

type BundleManifest = Extract<ManifestDocument, { kind: 'manifest' }>;

/**
 * Pulls a bundle the way an OPA agent does: the manifest by tag or digest,
 * image indexes followed (unknown/unknown attestation entries skipped, at most
 * four levels), the first `tar+gzip` layer taken as the bundle. Every digest
 * on the way is checked against the bytes.
 */
export async function pullBundle(client: RegistryClient, ref: Reference, options: PullOptions): Promise<PulledBundle> {
  const resolved = await resolveBundle(client, ref);
  if (options.knownLayer === resolved.layer.digest) return resolved;
  return { ...resolved, bytes: await fetchBundleLayer(client, ref, resolved.layer, { maxBytes: options.maxBytes }) };
}

/** Follows a reference to the bundle layer's descriptor, fetching manifests and indexes only. */
export async function resolveBundle(client: RegistryClient, ref: Reference): Promise<ResolvedBundle> {
  const top = await client.fetchManifest(ref.repository, ref.digest ?? ref.tag ?? 'latest', MAX_MANIFEST_BYTES);
  const found = await findBundleManifest(client, ref.repository, top, stepOf(client, ref));
  const layer = bundleLayerOf(found.manifest) as Descriptor;
  return { digest: top.digest, manifestDigest: found.digest, layer, annotations: found.manifest.annotations };
}

/**
 * Fetches the bundle layer, its size, digest and gzip header checked: into
 * memory, or streamed into `toFile`, which appears only once every check passed.
 */
export async function fetchBundleLayer(
  client: RegistryClient,
  ref: Reference,
  layer: Descriptor,
  options: { maxBytes: number; toFile: string },
): Promise<undefined>;
export async function fetchBundleLayer(client: RegistryClient, ref: Reference, layer: Descriptor, options: { maxBytes: number }): Promise<Buffer>;
export async function fetchBundleLayer(
  client: RegistryClient,
  ref: Reference,
  layer: Descriptor,
  options: { maxBytes: number; toFile?: string },
): Promise<Buffer | undefined> {
  const at = stepOf(client, ref);
  const checkHead = (head: Buffer) => {
    if (head[0] !== 0x1f || head[1] !== 0x8b)
      throw registryError('REGISTRY_ARTIFACT_INVALID', at, `the layer ${short(layer.digest)} is not a gzip archive, so not an OPA bundle`);
  };
  if (options.toFile !== undefined) {
    await client.fetchBlobToFile(ref.repository, layer.digest, layer.size, options.maxBytes, options.toFile, checkHead);
    return undefined;
  }
  const bytes = await client.fetchBlob(ref.repository, layer.digest, layer.size, options.maxBytes);
  checkHead(bytes);
  return bytes;
}

function stepOf(client: RegistryClient, ref: Reference): Step {
  return { registry: client.registry, step: `reading ${formatReference(ref)}` };
}

async function findBundleManifest(
  client: RegistryClient,
  repository: string,
  top: FetchedManifest,
  at: Step,
): Promise<{ manifest: BundleManifest; digest: string }> {
  const doc = parseManifestDocument(top.bytes, top.mediaType, at);
  if (doc.kind === 'manifest') return { manifest: checkBundleManifest(doc, at), digest: top.digest };
  const seen = new Map<string, ManifestDocument>();
  const fetch = async (d: Descriptor): Promise<ManifestDocument> => {
    const known = seen.get(d.digest);
    if (known) return known;
    const fetched = await client.fetchManifest(repository, d.digest, Math.min(d.size, MAX_MANIFEST_BYTES));
    if (fetched.bytes.byteLength !== d.size)
      throw registryError('REGISTRY_DIGEST_MISMATCH', at, `manifest ${short(d.digest)} is ${fetched.bytes.byteLength} bytes, its descriptor says ${d.size}`);
    const parsed = parseManifestDocument(fetched.bytes, d.mediaType, at);
    seen.set(d.digest, parsed);
    return parsed;
  };
  const walk = async (
    index: Extract<ManifestDocument, { kind: 'index' }>,
    depth: number,
  ): Promise<{ manifest: BundleManifest; digest: string } | undefined> => {
    for (const entry of index.manifests) {
      // Attestations `docker buildx` attaches to an index, as OPA skips them.
      if (entry.platform?.os === 'unknown' && entry.platform.architecture === 'unknown') continue;
      if (INDEX_TYPES.has(entry.mediaType)) {
        if (depth >= MAX_INDEX_DEPTH) throw registryError('REGISTRY_ARTIFACT_INVALID', at, `image indexes are nested more than ${MAX_INDEX_DEPTH} levels deep`);
        const nested = await fetch(entry);
        const hit = nested.kind === 'index' ? await walk(nested, depth + 1) : undefined;
        if (hit) return hit;
      } else if (MANIFEST_TYPES.has(entry.mediaType)) {
        const manifest = await fetch(entry);
        if (manifest.kind === 'manifest' && bundleLayerOf(manifest)) return { manifest, digest: entry.digest };
      }
    }
    return undefined;
  };
  if (doc.manifests.length === 0) throw registryError('REGISTRY_ARTIFACT_INVALID', at, 'the image index lists no manifests (no layers in manifest)');
  const hit = await walk(doc, 1);
  if (!hit)
    throw registryError('REGISTRY_ARTIFACT_INVALID', at, `no manifest in the image index holds a ${MEDIA_TYPES.bundleLayer} layer, so it holds no OPA bundle`);
  return hit;
}

function checkBundleManifest(doc: BundleManifest, at: Step): BundleManifest {
  if (doc.layers.length === 0) throw registryError('REGISTRY_ARTIFACT_INVALID', at, 'the manifest has no layers (no layers in manifest)');
  if (!bundleLayerOf(doc)) {
    const types = [...new Set(doc.layers.map((l) => l.mediaType))].join(', ');
    throw registryError('REGISTRY_ARTIFACT_INVALID', at, `no layer has the media type ${MEDIA_TYPES.bundleLayer} OPA loads as a bundle (layers: ${types})`);
  }
  return doc;
}
