# METADATA
# title: Pinned image references
# description: >-
#   Every image must be referenced by an immutable sha256 digest and must not
#   use a mutable tag: a tag can be moved to other content after the image was
#   scanned and approved, a digest cannot.
# custom:
#   practice: Pin images by digest; never deploy mutable tags
#   severity: HIGH
package portcullis.image.pinned

# Tags treated as mutable; bundle data overrides the default list.
default mutable_tags := ["latest"]

mutable_tags := data.portcullis.image.settings.mutable_tags

# METADATA
# title: Allowed
# description: True when no image breaks the rule.
# entrypoint: true
default allow := false

allow if count(deny) == 0

# METADATA
# title: Violations
# description: One object per offending image, with rule, image and msg.
# entrypoint: true
deny contains violation if {
	some ref in input.images
	not pinned(ref)
	violation := {
		"rule": "require_digest",
		"image": ref,
		"msg": concat("", ["image '", ref, "' is not pinned by a sha256 digest"]),
	}
}

deny contains violation if {
	some ref in input.images
	tag := mutable_tag(ref)
	violation := {
		"rule": "mutable_tag",
		"image": ref,
		"msg": concat("", ["image '", ref, "' uses the mutable tag '", tag, "'"]),
	}
}

pinned(ref) if regex.match(`@sha256:[a-f0-9]{64}$`, ref)

mutable_tag(ref) := tag if {
	tag := explicit_tag(ref)
	tag in mutable_tags
}

# A reference with neither tag nor digest means :latest to every container runtime.
mutable_tag(ref) := "latest" if {
	not explicit_tag(ref)
	not pinned(ref)
	"latest" in mutable_tags
}

explicit_tag(ref) := tag if {
	name := split(ref, "@")[0]
	segments := split(name, "/")
	last := segments[count(segments) - 1]
	contains(last, ":")
	tag := split(last, ":")[1]
}
