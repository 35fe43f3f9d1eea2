/** The media types of the OCI image spec (and Docker's, which registries still serve) that bundles travel in. */
export const MEDIA_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  /** The config OPA's documentation pushes with oras: an image config holding `{}`; OPA ignores it. */
  config: 'application/vnd.oci.image.config.v1+json',
  /** OPA takes the first layer of exactly this type as the bundle (v1/download/oci_download.go). */
  bundleLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** Annotation keys of the OCI image spec. */
export const ANNOTATIONS = {
  revision: 'org.opencontainers.image.revision',
  created: 'org.opencontainers.image.created',
  source: 'org.opencontainers.image.source',
  title: 'org.opencontainers.image.title',
} as const;
