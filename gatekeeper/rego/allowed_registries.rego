# Rule registry_not_allowed: images come only from the registries the
# settings list (images.allowed_registries, globs matched on the registry or
# on registry/repository).
package portcullisallowedregistries

import data.lib.portcullis.images

violation contains {"msg": msg, "details": {"rule": "registry_not_allowed", "image": c.image, "registry": registry}} if {
	some c in images.containers
	registry := images.registry(c.image)
	not allowed(c.image, registry)
	msg := sprintf("%v: registry '%v' of image '%v' is not allowed", [images.label(c), registry, c.image])
}

allowed(_, registry) if images.matches_any(input.parameters.registries, registry)

allowed(image, _) if images.matches_any(input.parameters.registries, images.name(image))

allowed(image, _) if images.matches_any(object.get(input, ["parameters", "exemptImages"], []), image)
