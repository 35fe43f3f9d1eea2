# METADATA
# title: Image subjects
# description: >-
#   The images one evaluation is about, in one shape: the scanned image (from
#   the report), the images of the deployed containers (manifest or admission
#   review) and the external base images of the Dockerfile stages.
# custom:
#   practice: Check every image reference that reaches a cluster
package portcullis.scan.images

import data.portcullis.scan.globs

# The scanned image, when the report names one.
scanned := input.image if is_string(input.image.ref)

# Digests the scanner saw for the image: its own digest and the repo digests.
scanned_digests contains input.image.digest if is_string(input.image.digest)

scanned_digests contains digest if {
	some repo_digest in input.image.repo_digests
	digest := split(repo_digest, "@")[1]
}

# Every container of every workload with a parsable image reference.
deployed contains {
	"ref": c.image_ref,
	"label": concat("", ["container '", c.name, "' of ", workload_label(w)]),
} if {
	some w in input.workloads
	some c in w.containers
	is_object(c.image_ref)
}

workload_label(w) := concat("", [w.kind, " ", w.namespace, "/", w.name]) if {
	is_string(w.namespace)
	is_string(w.name)
} else := concat("", [w.kind, " ", w.file])

# Stages built FROM an external image (not FROM scratch, not FROM another stage).
dockerfile_bases contains {"ref": stage.base, "line": stage.line} if {
	some stage in input.dockerfile.stages
	is_object(stage.base)
	is_null(stage.base_stage)
}

# The runtime base: the Dockerfile's final stage when there is a Dockerfile,
# else the base image the report or its labels name.
runtime_base := {"ref": input.dockerfile.base_image, "line": final_stage.line} if {
	is_object(input.dockerfile.base_image)
} else := {"ref": input.image.base_image} if {
	is_null(input.dockerfile)
	is_object(input.image.base_image)
}

final_stage := input.dockerfile.stages[input.dockerfile.final_stage]

runtime_base_is_scratch if lower(final_stage.from) == "scratch"

# The spellings an image can be matched by: as written, normalized name,
# name:tag and name@digest, so a glob can use whichever form its author knows.
forms(ref) := {f |
	some f in [
		object.get(ref, "ref", null),
		object.get(ref, "name", null),
		joined(ref, "tag", ":"),
		joined(ref, "digest", "@"),
	]
	is_string(f)
}

joined(ref, key, separator) := concat(separator, [ref.name, ref[key]]) if {
	is_string(ref.name)
	is_string(ref[key])
} else := null

# Globs are matched without delimiters, like Kyverno image patterns: `*`
# matches any characters, `/` and `:` included.
matches_any(patterns, values) if globs.matches_any(patterns, values)

# The image a Dockerfile builds, when a report names it: findings about the
# Dockerfile carry it, so image-scoped exceptions apply to them too.
default built := null

built := input.image.ref if is_string(input.image.ref)

# Where a finding about a Dockerfile line points.
location(line) := {"file": input.dockerfile.path, "line": line}
