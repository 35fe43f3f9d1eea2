# Asks the portcullis external-data provider for the current verdict of every
# image in the namespace it is deployed to, in one batched call. Keys are
# "<namespace>|<image>" (the namespace picks the policy's environment); each
# item's value is {"decision": "allow"|"deny"|"unscanned", "summary": "..."}.
# A per-key error (an image the provider cannot look up, e.g. one not pinned
# by digest) and a system error deny, so a provider failure never admits an
# unchecked image.
package portcullisscanverdict

import data.lib.portcullis.images

provider := object.get(input, ["parameters", "provider"], "portcullis")

namespace := object.get(input.review.object, ["metadata", "namespace"], object.get(input.review, "namespace", ""))

keys := [concat("|", [namespace, c.image]) | some c in images.containers]

response := external_data({"provider": provider, "keys": keys}) if count(keys) > 0

# The image a key names, without its namespace.
image_of(key) := substring(key, count(namespace) + 1, -1) if startswith(key, concat("", [namespace, "|"]))

image_of(key) := key if not startswith(key, concat("", [namespace, "|"]))

violation contains {"msg": msg, "details": {"rule": "scan_verdict", "image": image_of(key)}} if {
	some [key, value] in response.responses
	value.decision == "deny"
	msg := sprintf("image '%v' is denied by its scan: %v", [image_of(key), object.get(value, "summary", "")])
}

violation contains {"msg": msg, "details": {"rule": "scan_verdict", "image": image_of(key)}} if {
	some [key, value] in response.responses
	value.decision == "unscanned"
	not object.get(input, ["parameters", "allowUnscanned"], false)
	msg := sprintf("image '%v' has no stored scan result", [image_of(key)])
}

violation contains {"msg": msg, "details": {"rule": "scan_verdict", "image": image_of(key)}} if {
	some [key, err] in response.errors
	msg := sprintf("image '%v': the scan verdict cannot be looked up: %v", [image_of(key), err])
}

violation contains {"msg": msg, "details": {"rule": "scan_verdict"}} if {
	response.system_error != ""
	msg := sprintf("the portcullis provider failed: %v", [response.system_error])
}

violation contains {"msg": msg, "details": {"rule": "scan_verdict"}} if {
	response.system_error == ""
	response.status_code != 200
	msg := sprintf("the portcullis provider answered HTTP %v", [response.status_code])
}
