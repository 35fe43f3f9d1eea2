# Rule require_digest: every image is pinned by an immutable sha256 digest,
# since a tag can be moved to other content after the image was scanned.
package portcullisimagedigests

import data.lib.portcullis.images

violation contains {"msg": msg, "details": {"rule": "require_digest", "image": c.image}} if {
	some c in images.containers
	not images.pinned(c.image)
	not images.matches_any(object.get(input, ["parameters", "exemptImages"], []), c.image)
	msg := sprintf("%v: image '%v' is not pinned by a sha256 digest", [images.label(c), c.image])
}
