# Rule mutable_tag: no image uses a tag the settings call mutable
# (images.mutable_tags). An image without tag or digest means :latest.
package portcullismutabletags

import data.lib.portcullis.images

violation contains {"msg": msg, "details": {"rule": "mutable_tag", "image": c.image, "tag": tag}} if {
	some c in images.containers
	tag := images.tag(c.image)
	tag in input.parameters.tags
	not images.matches_any(object.get(input, ["parameters", "exemptImages"], []), c.image)
	msg := sprintf("%v: image '%v' uses the mutable tag '%v'", [images.label(c), c.image, tag])
}
