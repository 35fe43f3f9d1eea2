# Shared by every portcullis ConstraintTemplate (spec.targets[].code[].source.libs):
# the containers of the reviewed object and their image references, parsed the
# way container runtimes resolve them (the grammar of src/inputs/image-ref.ts).
package lib.portcullis.images

# Where each workload kind keeps its pod spec.
pod_spec := input.review.object.spec if input.review.object.kind == "Pod"

pod_spec := input.review.object.spec.template.spec if {
	input.review.object.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}
}

pod_spec := input.review.object.spec.jobTemplate.spec.template.spec if input.review.object.kind == "CronJob"

# Every container, init container and ephemeral container, with the list it came from.
containers contains {"name": c.name, "image": c.image, "field": field} if {
	some field in ["containers", "initContainers", "ephemeralContainers"]
	some c in pod_spec[field]
	is_string(c.image)
}

digest(image) := split(image, "@")[1] if contains(image, "@")

pinned(image) if regex.match(`^sha256:[a-f0-9]{64}$`, digest(image))

# The tag as written, if any: after the last ':' of the last path segment.
explicit_tag(image) := tag if {
	segments := split(split(image, "@")[0], "/")
	last := segments[count(segments) - 1]
	contains(last, ":")
	tag := split(last, ":")[1]
}

# A reference with neither tag nor digest means :latest to every runtime.
tag(image) := explicit_tag(image)

tag(image) := "latest" if {
	not explicit_tag(image)
	not contains(image, "@")
}

# The name without tag or digest.
path(image) := trim_suffix(name, concat("", [":", explicit_tag(image)])) if {
	name := split(image, "@")[0]
} else := split(image, "@")[0]

# A first component is a registry only if it has a dot, a port or is localhost.
registry(image) := lower(first) if {
	parts := split(path(image), "/")
	count(parts) > 1
	first := parts[0]
	registry_like(first)
	not lower(first) in {"index.docker.io", "registry-1.docker.io"}
} else := "docker.io"

registry_like(first) if contains(first, ".")

registry_like(first) if contains(first, ":")

registry_like("localhost")

# registry/repository as runtimes resolve it: docker.io/library/nginx for nginx.
name(image) := concat("/", [registry(image), repository(image)])

repository(image) := concat("/", ["library", rest]) if {
	rest := repository_path(image)
	registry(image) == "docker.io"
	not contains(rest, "/")
} else := repository_path(image)

repository_path(image) := concat("/", array.slice(parts, 1, count(parts))) if {
	parts := split(path(image), "/")
	count(parts) > 1
	registry_like(parts[0])
} else := path(image)

# Globs without delimiters, as the image policy matches them: `*` crosses `/` and `:`.
matches_any(patterns, value) if {
	some pattern in patterns
	glob.match(pattern, null, value)
}

# "container 'app'" or "initContainer 'setup'", for messages.
label(c) := concat("", [trim_suffix(c.field, "s"), " '", c.name, "'"])
