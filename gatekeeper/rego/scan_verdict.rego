# Asks the portcullis external-data provider for the stored scan verdict of
# every image, in one batched call. Each item's value is
# {"decision": "allow"|"deny"|"unscanned", "summary": "..."}; a per-key error
# (an image the provider cannot look up, e.g. one not pinned by digest) and a
# system error deny, so a provider failure never admits an unchecked image.
package portcullisscanverdict

import data.lib.portcullis.images

provider := object.get(input, ["parameters", "provider"], "portcullis")

refs := [c.image | some c in images.containers]

response := external_data({"provider": provider, "keys": refs}) if count(refs) > 0

violation contains {"msg": msg, "details": {"rule": "scan_verdict", "image": key}} if {
	some [key, value] in response.responses
	value.decision == "deny"
	msg := sprintf("image '%v' is denied by its scan: %v", [key, object.get(value, "summary", "")])
}

violation contains {"msg": msg, "details": {"rule": "scan_verdict", "image": key}} if {
	some [key, value] in response.responses
	value.decision == "unscanned"
	not object.get(input, ["parameters", "allowUnscanned"], false)
	msg := sprintf("image '%v' has no stored scan result", [key])
}

violation contains {"msg": msg, "details": {"rule": "scan_verdict", "image": key}} if {
	some [key, err] in response.errors
	msg := sprintf("image '%v': the scan verdict cannot be looked up: %v", [key, err])
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
