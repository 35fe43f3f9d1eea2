# METADATA
# title: Pinned images
# description: >-
#   Images must be referenced immutably: no mutable tags, a sha256 digest on
#   every deployed reference, and the deployed digest must be the one that was
#   scanned.
# custom:
#   practice: Pin images by digest; never deploy mutable tags
#   severity: HIGH
package portcullis.scan.pinned

import data.portcullis.scan.config
import data.portcullis.scan.images

findings := (mutable_tag | require_digest) | digest_mismatch

mutable_tags := {tag | some tag in config.settings.images.mutable_tags}

# A reference with a digest is immutable whatever its tag says: the runtime
# pulls by digest. A reference with neither (`nginx`) means :latest, which the
# normalized image reference already spells out.
mutable(ref) if {
	is_null(ref.digest)
	ref.tag in mutable_tags
}

# METADATA
# scope: rule
# title: Mutable image tag
# description: >-
#   The scanned image, a deployed container or a Dockerfile base uses a tag
#   from images.mutable_tags (default latest) without a digest; the tag can
#   move to other content after the scan.
# custom:
#   practice: Pin images by digest; never deploy mutable tags
#   severity: HIGH
mutable_tag contains config.finding("mutable_tag", {
	"message": concat("", ["scanned image '", ref.ref, "' uses the mutable tag '", ref.tag, "'"]),
	"image": ref.ref,
}) if {
	config.enabled("mutable_tag")
	ref := images.scanned

	# The scanned image's digest comes from the registry metadata, not from the
	# reference: what counts is whether the reference itself is pinned.
	ref.tag in mutable_tags
	not contains(ref.ref, "@sha256:")
}

mutable_tag contains config.finding("mutable_tag", {
	"message": concat("", [subject.label, " uses the mutable tag '", subject.ref.tag, "' (", subject.ref.ref, ")"]),
	"image": subject.ref.ref,
}) if {
	config.enabled("mutable_tag")
	some subject in images.deployed
	mutable(subject.ref)
}

mutable_tag contains config.finding("mutable_tag", {
	"message": concat("", ["FROM ", base.ref.ref, " at line ", config.integer_text(base.line), " uses the mutable tag '", base.ref.tag, "'"]),
	"image": base.ref.ref,
	"location": images.location(base.line),
}) if {
	config.enabled("mutable_tag")
	some base in images.dockerfile_bases
	mutable(base.ref)
}

# METADATA
# scope: rule
# title: Image not pinned by digest
# description: >-
#   A deployed container references its image without @sha256:; with
#   images.require_base_image_digest, Dockerfile bases must be pinned too.
# custom:
#   practice: Pin images by digest; never deploy mutable tags
#   severity: MEDIUM
require_digest contains config.finding("require_digest", {
	"message": concat("", [subject.label, " references '", subject.ref.ref, "' without a sha256 digest"]),
	"image": subject.ref.ref,
}) if {
	config.enabled("require_digest")
	some subject in images.deployed
	not digest_pinned(subject.ref)
}

require_digest contains config.finding("require_digest", {
	"message": concat("", ["FROM ", base.ref.ref, " at line ", config.integer_text(base.line), " is not pinned by a sha256 digest"]),
	"image": base.ref.ref,
	"location": images.location(base.line),
}) if {
	config.enabled("require_digest")
	config.settings.images.require_base_image_digest == true
	some base in images.dockerfile_bases
	not digest_pinned(base.ref)
}

digest_pinned(ref) if startswith(ref.digest, "sha256:")

# METADATA
# title: Deployed digest differs from the scanned digest
# description: >-
#   A deployed container runs the scanned repository at a digest the scan did
#   not cover, so the report says nothing about what actually runs.
# custom:
#   practice: Deploy exactly the image that was scanned
#   severity: CRITICAL
digest_mismatch contains config.finding("digest_mismatch", {
	"message": concat("", [
		subject.label, " runs ", subject.ref.ref, " but the scanned digest is ",
		concat(", ", sort(images.scanned_digests)),
	]),
	"image": subject.ref.ref,
}) if {
	config.enabled("digest_mismatch")

	# Not redundant: with no scanned digest, `not ... in` below would hold for
	# every pinned container. regal ignore:redundant-loop-count
	count(images.scanned_digests) > 0
	some subject in images.deployed
	subject.ref.name == images.scanned.name
	digest_pinned(subject.ref)
	not subject.ref.digest in images.scanned_digests
}
