# METADATA
# title: Registries and base images
# description: >-
#   Images come only from allowed registries, are built on allowed base
#   images, and preferably on a distroless or minimal base.
# custom:
#   practice: Pull images only from trusted registries
#   severity: HIGH
package portcullis.scan.registries

import data.portcullis.scan.config
import data.portcullis.scan.images

findings := (registry_not_allowed | base_image_not_allowed) | non_minimal_base_image

allowed_registries := config.settings.images.allowed_registries

allowed_base_images := config.settings.images.allowed_base_images

# Every image reference with what to call it and where it is written.
references contains {"ref": ref, "label": "scanned image"} if ref := images.scanned

references contains subject if some subject in images.deployed

references contains {"ref": base.ref, "label": concat("", ["FROM at line ", config.integer_text(base.line)]), "line": base.line} if {
	some base in images.dockerfile_bases
}

# An entry matches the registry host or the repository name, so both
# `docker.io` and `ghcr.io/acme/*` work.
registry_allowed(ref) if images.matches_any(allowed_registries, {ref.registry, ref.name})

# METADATA
# title: Registry not allowed
# description: >-
#   An image (scanned, deployed or a Dockerfile base) comes from a registry
#   that matches no glob in images.allowed_registries. An empty list allows
#   every registry.
# custom:
#   practice: Pull images only from trusted registries
#   severity: HIGH
registry_not_allowed contains config.finding("registry_not_allowed", {
	"message": concat("", [subject.label, " '", subject.ref.ref, "' comes from registry '", subject.ref.registry, "', which is not in images.allowed_registries"]),
	"image": subject.ref.ref,
	"location": location_of(subject),
}) if {
	config.enabled("registry_not_allowed")
	count(allowed_registries) > 0
	some subject in references
	not registry_allowed(subject.ref)
}

location_of(subject) := images.location(subject.line) if is_number(subject.line)

else := null

# Base images to check: each external FROM of the Dockerfile, or without a
# Dockerfile the base image the report names.
bases contains {"ref": base.ref, "label": concat("", ["FROM at line ", config.integer_text(base.line)]), "line": base.line} if {
	some base in images.dockerfile_bases
}

bases contains {"ref": input.image.base_image, "label": "base image"} if {
	is_null(input.dockerfile)
	is_object(input.image.base_image)
}

# METADATA
# title: Base image not allowed
# description: >-
#   A base image matches no glob in images.allowed_base_images (matched
#   against the reference as written, the normalized name, name:tag and
#   name@digest). An empty list allows every base image.
# custom:
#   practice: Build on approved base images
#   severity: HIGH
base_image_not_allowed contains config.finding("base_image_not_allowed", {
	"message": concat("", [base.label, ": base image '", base.ref.ref, "' is not in images.allowed_base_images"]),
	"image": base.ref.ref,
	"location": location_of(base),
}) if {
	config.enabled("base_image_not_allowed")
	count(allowed_base_images) > 0
	some base in bases
	not images.matches_any(allowed_base_images, images.forms(base.ref))
}

# METADATA
# title: Base image is not minimal
# description: >-
#   The runtime base image (the final stage's FROM) matches no glob in
#   images.minimal_base_images (distroless, Chainguard, scratch by default):
#   every extra package in a base is attack surface and scanner noise.
# custom:
#   practice: Prefer distroless or minimal base images
#   severity: LOW
non_minimal_base_image contains config.finding("non_minimal_base_image", {
	"message": concat("", ["runtime base image '", base.ref.ref, "' is not a distroless or minimal image (images.minimal_base_images)"]),
	"image": base.ref.ref,
	"location": location_of(base),
}) if {
	config.enabled("non_minimal_base_image")
	not images.runtime_base_is_scratch
	base := images.runtime_base
	not images.matches_any(config.settings.images.minimal_base_images, images.forms(base.ref))
}
