# METADATA
# title: Dockerfile mistakes
# description: >-
#   Dockerfile instructions that put unverified or sensitive content into the
#   image: ADD from a URL, and copying keys, .ssh or .env files.
# custom:
#   practice: Keep credentials and keys out of images
#   severity: HIGH
package portcullis.scan.dockerfile

import data.portcullis.scan.config
import data.portcullis.scan.images

findings := add_from_url | sensitive_file_copy

# METADATA
# title: ADD from a URL
# description: >-
#   ADD downloads a URL at build time without checksum verification (unless
#   --checksum is given); fetch with a verified download instead.
# custom:
#   practice: Fetch remote files with verified downloads, not ADD
#   severity: MEDIUM
add_from_url contains config.finding("add_from_url", {
	"message": concat("", ["ADD at line ", config.integer_text(add.line), " downloads ", add.url, " without verifying it"]),
	"location": images.location(add.line),
	"image": images.built,
}) if {
	config.enabled("add_from_url")
	some add in input.dockerfile.adds_from_url
	not checksummed(add.line)
}

checksummed(line) if {
	some instruction in input.dockerfile.instructions
	instruction.line == line
	is_string(instruction.flags.checksum)
}

# Sources flagged by the input (keys, .ssh, .env, credentials) plus those
# matching the globs of dockerfile.sensitive_files, by path or base name.
sensitive_sources(copy) := {s | some s in copy.sensitive_sources} | {s |
	some s in copy.sources
	images.matches_any(config.settings.dockerfile.sensitive_files, {s, base_name(s)})
}

base_name(path) := parts[count(parts) - 1] if {
	parts := split(trim_right(path, "/"), "/")
}

# METADATA
# title: Sensitive file copied into the image
# description: >-
#   COPY or ADD takes a private key, .ssh, .env, credentials file or a source
#   matching dockerfile.sensitive_files into the image, where anyone who can
#   pull the image can read it.
# custom:
#   practice: Keep credentials and keys out of images
#   severity: HIGH
sensitive_file_copy contains config.finding("sensitive_file_copy", {
	"message": concat("", [copy.instruction, " at line ", config.integer_text(copy.line), " copies sensitive files into the image: ", concat(", ", sort(sources))]),
	"location": images.location(copy.line),
	"image": images.built,
}) if {
	config.enabled("sensitive_file_copy")
	some copy in input.dockerfile.copies
	sources := sensitive_sources(copy)
	count(sources) > 0
}
