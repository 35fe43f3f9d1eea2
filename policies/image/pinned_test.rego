package portcullis.image.pinned_test

import data.portcullis.image.pinned

digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

settings := {"mutable_tags": ["latest", "staging"]}

test_digest_pinned_image_is_allowed if {
	pinned.allow with input.images as [concat("", ["registry.example.com/app@", digest])]
		with data.portcullis.image.settings as settings
}

test_tag_and_digest_is_allowed if {
	pinned.allow with input.images as [concat("", ["ghcr.io/acme/api:1.4.2@", digest])]
		with data.portcullis.image.settings as settings
}

test_plain_tag_needs_digest if {
	violations := pinned.deny with input.images as ["nginx:1.27"] with data.portcullis.image.settings as settings
	{v.rule | some v in violations} == {"require_digest"}
}

test_latest_is_mutable if {
	violations := pinned.deny with input.images as ["nginx:latest"] with data.portcullis.image.settings as settings
	{v.rule | some v in violations} == {"require_digest", "mutable_tag"}
}

test_no_tag_means_latest if {
	violations := pinned.deny with input.images as ["nginx"] with data.portcullis.image.settings as settings
	some v in violations
	v.rule == "mutable_tag"
	contains(v.msg, "'latest'")
}

test_configured_tag_is_mutable if {
	violations := pinned.deny with input.images as [concat("", ["app:staging@", digest])]
		with data.portcullis.image.settings as settings
	[v.rule | some v in violations] == ["mutable_tag"]
}

test_registry_port_is_not_a_tag if {
	pinned.allow with input.images as [concat("", ["localhost:5000/app@", digest])]
		with data.portcullis.image.settings as settings
}

test_default_list_without_data if {
	violations := pinned.deny with input.images as [concat("", ["app:staging@", digest])]
	count(violations) == 0
	not pinned.allow with input.images as ["app:latest"]
}

test_short_digest_is_not_pinned if {
	not pinned.allow with input.images as ["app@sha256:abc"] with data.portcullis.image.settings as settings
}

test_no_images_is_allowed if {
	pinned.allow with input as {}
}
