# METADATA
# title: Dockerfile mistakes
# description: >-
#   Dockerfile instructions that put unverified or sensitive content into the
#   image or weaken it at run time, as hadolint flags them: ADD from a URL or
#   for plain files, copying keys, .ssh or .env files, downloads piped into a
#   shell, sudo, and shell-form entrypoints.
# custom:
#   practice: Keep credentials and keys out of images
#   severity: HIGH
package portcullis.scan.dockerfile

import data.portcullis.scan.config
import data.portcullis.scan.images

findings := (((add_from_url | add_instead_of_copy) | sensitive_file_copy) | pipe_to_shell) | (sudo_in_run | shell_form_entrypoint)

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

# Local tar archives are the one thing ADD does that COPY does not (it unpacks them).
archive_suffixes := [".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst"]

# Regular expressions are compiled on every evaluation under Wasm: each one
# below is only tried on texts that contain what it needs to match.
local_plain_file(source) if {
	not url(source)
	not startswith(source, "git@")
	every suffix in archive_suffixes {
		not endswith(lower(source), suffix)
	}
}

url(source) if {
	contains(source, "://")
	regex.match(`^[a-zA-Z][a-zA-Z0-9+.-]*://`, source)
}

downloads(command) if contains(command, "curl")

downloads(command) if contains(command, "wget")

# METADATA
# title: ADD for plain files
# description: >-
#   ADD copies local files that are not tar archives; COPY does the same
#   without ADD's implicit unpacking and downloading (hadolint DL3020).
# custom:
#   practice: Use COPY for local files; keep ADD for archives
#   severity: LOW
add_instead_of_copy contains config.finding("add_instead_of_copy", {
	"message": concat("", ["ADD at line ", format_int(add.line, 10), " copies ", concat(", ", plain), ": use COPY"]),
	"location": images.location(add.line),
	"image": images.built,
}) if {
	config.enabled("add_instead_of_copy")
	some add in input.dockerfile.copies
	add.instruction == "ADD"
	plain := [s | some s in add.sources; local_plain_file(s)]
	count(plain) > 0
}

# METADATA
# title: Download piped into a shell
# description: >-
#   A RUN command pipes what curl or wget downloads straight into a shell, so
#   unverified code runs at build time and shapes the image; download, verify a
#   checksum or signature, then run.
# custom:
#   practice: Fetch remote files with verified downloads, not ADD
#   severity: HIGH
pipe_to_shell contains config.finding("pipe_to_shell", {
	"message": concat("", ["RUN at line ", format_int(run.line, 10), " pipes a download into a shell without verifying it"]),
	"location": images.location(run.line),
	"image": images.built,
}) if {
	config.enabled("pipe_to_shell")
	some run in input.dockerfile.runs
	contains(run.command, "|")
	downloads(lower(run.command))
	regex.match(`(?i)\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+(-\S+\s+)*)?(\S*/)?(ba|da|z|k)?sh\b`, run.command)
}

# METADATA
# title: sudo in RUN
# description: >-
#   A RUN command uses sudo, which behaves unpredictably in builds and leaves a
#   setuid tool in the image; switch USER instead (hadolint DL3004).
# custom:
#   practice: Keep unneeded tools out of runtime images
#   severity: MEDIUM
sudo_in_run contains config.finding("sudo_in_run", {
	"message": concat("", ["RUN at line ", format_int(run.line, 10), " uses sudo"]),
	"location": images.location(run.line),
	"image": images.built,
}) if {
	config.enabled("sudo_in_run")
	some run in input.dockerfile.runs
	contains(run.command, "sudo")
	regex.match(`(^|[\s;&|(])sudo\s`, run.command)
}

# METADATA
# title: Shell-form CMD or ENTRYPOINT
# description: >-
#   The final stage's CMD or ENTRYPOINT is in shell form: the process runs
#   under /bin/sh -c, which must exist in the image and does not pass signals
#   on, so the container is killed instead of stopping cleanly (hadolint
#   DL3025). Use the JSON array form.
# custom:
#   practice: Build images that stop cleanly and need no shell
#   severity: LOW
shell_form_entrypoint contains config.finding("shell_form_entrypoint", {
	"message": concat("", [i.instruction, " at line ", format_int(i.line, 10), " is in shell form; use the JSON array form"]),
	"location": images.location(i.line),
	"image": images.built,
}) if {
	config.enabled("shell_form_entrypoint")
	some i in input.dockerfile.instructions
	i.instruction in {"CMD", "ENTRYPOINT"}
	i.stage == input.dockerfile.final_stage
	i.json == false
}
