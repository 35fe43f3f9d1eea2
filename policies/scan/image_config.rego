# METADATA
# title: Image configuration
# description: >-
#   The image's runtime configuration, from the scanner's image config, the
#   Dockerfile and the deployed containers: user, exposed ports and size.
# custom:
#   practice: Run containers as a non-root user
#   severity: HIGH
package portcullis.scan.image_config

import data.portcullis.scan.config
import data.portcullis.scan.images

findings := (run_as_root | forbidden_port) | image_size

# METADATA
# scope: rule
# title: Container runs as root
# description: >-
#   The image's configured user is root (no USER, USER root, UID 0), the
#   Dockerfile's final stage sets no non-root USER, or a deployed container
#   sets runAsUser 0.
# custom:
#   practice: Run containers as a non-root user
#   severity: HIGH
run_as_root contains config.finding("run_as_root", {
	"message": concat("", ["image '", input.image.ref, "' runs as root (", user_text(input.image.user), ")"]),
	"image": input.image.ref,
}) if {
	config.enabled("run_as_root")
	input.image.runs_as_root == true
}

run_as_root contains config.finding("run_as_root", {
	"message": dockerfile_root_message,
	"location": images.location(dockerfile_root_line),
	"image": images.built,
}) if {
	config.enabled("run_as_root")
	input.dockerfile.runs_as_root == true
}

run_as_root contains config.finding("run_as_root", {
	"message": concat("", [subject.label, " sets runAsUser 0"]),
	"image": container.image,
}) if {
	config.enabled("run_as_root")
	some w in input.workloads
	some container in w.containers
	container.security_context.run_as_user == 0
	subject := {"label": concat("", ["container '", container.name, "' of ", images.workload_label(w)])}
}

user_text(user) := concat("", ["user '", user, "'"]) if {
	is_string(user)
	user != ""
} else := "no user set"

final_users := [u | some u in input.dockerfile.users; u.stage == input.dockerfile.final_stage]

dockerfile_root_line := final_users[count(final_users) - 1].line if {
	count(final_users) > 0
} else := images.final_stage.line

dockerfile_root_message := concat("", ["USER ", final_users[count(final_users) - 1].user, " at line ", config.integer_text(dockerfile_root_line), " runs the container as root"]) if {
	count(final_users) > 0
} else := concat("", ["the final stage (FROM at line ", config.integer_text(dockerfile_root_line), ") sets no USER, so the container runs as root"])

forbidden_ports := {p | some p in config.settings.image_config.forbidden_ports}

# METADATA
# scope: rule
# title: Forbidden port exposed
# description: >-
#   The image or the Dockerfile exposes a port in
#   image_config.forbidden_ports (22, SSH, by default); EXPOSE ranges count.
# custom:
#   practice: Do not expose remote-administration ports
#   severity: MEDIUM
forbidden_port contains config.finding("forbidden_port", {
	"message": concat("", ["image '", input.image.ref, "' exposes forbidden port ", config.integer_text(port)]),
	"image": input.image.ref,
}) if {
	config.enabled("forbidden_port")
	some port in input.image.exposed_ports
	port in forbidden_ports
}

forbidden_port contains config.finding("forbidden_port", {
	"message": concat("", ["EXPOSE ", exposed.text, " at line ", config.integer_text(exposed.line), " exposes forbidden port ", config.integer_text(port)]),
	"location": images.location(exposed.line),
	"image": images.built,
}) if {
	config.enabled("forbidden_port")
	some exposed in input.dockerfile.exposed_ports
	is_number(exposed.port)
	some port in forbidden_ports
	port >= exposed.port
	port <= exposed.end_port
}

# METADATA
# title: Image larger than allowed
# description: >-
#   The image is larger than image_config.max_size_bytes (0, the default,
#   disables the check). Needs a report that records the image size.
# custom:
#   practice: Keep images small to reduce attack surface
#   severity: LOW
image_size contains config.finding("image_size", {
	"message": concat("", ["image '", input.image.ref, "' is ", config.integer_text(input.image.size_bytes), " bytes, more than the ", config.integer_text(limit), " allowed"]),
	"image": input.image.ref,
}) if {
	config.enabled("image_size")
	limit := config.settings.image_config.max_size_bytes
	limit > 0
	input.image.size_bytes > limit
}
