# Tests of the scan-verdict template's Rego. gator cannot run them: it has no
# external-data provider and does not even declare the external_data builtin
# (Gatekeeper registers it only when a provider cache exists). So they run
# with `opa test` under capabilities that declare external_data, and each test
# replaces it with `with external_data as ...`, answering in the shape of
# Gatekeeper's RegoResponse (responses, errors, status_code, system_error).
package portcullisscanverdict_test

import data.portcullisscanverdict

digest := "sha256:0000000000000000000000000000000000000000000000000000000000000001"

pod(images) := {"review": {"object": {
	"kind": "Pod",
	"metadata": {"name": "app", "namespace": "shop"},
	"spec": {"containers": [{"name": sprintf("c%d", [i]), "image": image} | some i, image in images]},
}}}

answer(responses, errors) := {"responses": responses, "errors": errors, "status_code": 200, "system_error": ""}

verdicts(request) := answer([[key, {"decision": "allow", "summary": "no findings"}] | some key in request.keys], [])

denied(request) := answer([[key, {"decision": "deny", "summary": "CVE-2024-1 (CRITICAL) in openssl"}] | some key in request.keys], [])

unscanned(request) := answer([[key, {"decision": "unscanned"}] | some key in request.keys], [])

lookup_error(request) := answer([], [[key, "not pinned by a digest"] | some key in request.keys])

provider_down(_) := {"responses": [], "errors": [], "status_code": 0, "system_error": "dial tcp: connection refused"}

http_error(_) := {"responses": [], "errors": [], "status_code": 500, "system_error": ""}

# Records the request so a test can check the provider name and the batched keys.
echo(request) := answer([[request.provider, {"decision": "deny", "summary": concat(",", request.keys)}]], [])

test_allowed_images_admitted if {
	count(portcullisscanverdict.violation) == 0 with input as pod([concat("@", ["registry.example.com/app", digest])])
		with external_data as verdicts
}

test_denied_image_violates if {
	some v in portcullisscanverdict.violation with input as pod([concat("@", ["registry.example.com/app", digest])])
		with external_data as denied
	contains(v.msg, "denied by its scan: CVE-2024-1")
}

test_unscanned_denied_by_default if {
	count(portcullisscanverdict.violation) == 1 with input as pod(["registry.example.com/app:1.0"])
		with external_data as unscanned
}

test_unscanned_allowed_when_configured if {
	count(portcullisscanverdict.violation) == 0 with input as object.union(pod(["registry.example.com/app:1.0"]), {"parameters": {"allowUnscanned": true}})
		with external_data as unscanned
}

test_key_errors_deny if {
	some v in portcullisscanverdict.violation with input as pod(["a:1", "b:2"])
		with external_data as lookup_error
	contains(v.msg, "cannot be looked up: not pinned")
}

test_system_error_denies if {
	[v] := [v | some v in portcullisscanverdict.violation] with input as pod(["a:1"])
		with external_data as provider_down
	contains(v.msg, "connection refused")
}

test_http_error_denies if {
	[v] := [v | some v in portcullisscanverdict.violation] with input as pod(["a:1"])
		with external_data as http_error
	contains(v.msg, "HTTP 500")
}

test_one_batched_call_with_every_image if {
	[v] := [v | some v in portcullisscanverdict.violation] with input as pod(["a:1", "b:2", "c:3"])
		with external_data as echo
	v.details.image == "portcullis"
	v.msg == "image 'portcullis' is denied by its scan: shop|a:1,shop|b:2,shop|c:3"
}

test_keys_name_the_namespace_and_messages_the_image if {
	[v] := [v | some v in portcullisscanverdict.violation] with input as pod(["registry.example.com/app:1.0"])
		with external_data as denied
	v.details.image == "registry.example.com/app:1.0"
	v.msg == "image 'registry.example.com/app:1.0' is denied by its scan: CVE-2024-1 (CRITICAL) in openssl"
}

test_namespace_from_the_request_when_the_object_has_none if {
	[v] := [v | some v in portcullisscanverdict.violation] with input as {"review": {
		"namespace": "payments",
		"object": {"kind": "Pod", "metadata": {"name": "x"}, "spec": {"containers": [{"name": "c", "image": "a:1"}]}},
	}}
		with external_data as echo
	v.msg == "image 'portcullis' is denied by its scan: payments|a:1"
}

test_provider_name_parameter if {
	some v in portcullisscanverdict.violation with input as object.union(pod(["a:1"]), {"parameters": {"provider": "other"}})
		with external_data as echo
	v.details.image == "other"
}

test_no_containers_no_call if {
	count(portcullisscanverdict.violation) == 0 with input as {"review": {"object": {"kind": "ConfigMap"}}}
		with external_data as provider_down
}
