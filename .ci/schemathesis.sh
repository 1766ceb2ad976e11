#!/usr/bin/env bash
# Runs schemathesis against a running emulator's vendor API, Graph surface and control API, from the OpenAPI
# document it serves, with an admin token. Two runs: every vendor operation but user creation,
# then user creation without the server-error check (the vendor's documented 500 / 1014 for a
# duplicate user). The book's Compatibility chapter (docs/src/compatibility.md) explains what is
# left out and why.
#   bash .ci/schemathesis.sh BASE_URL ADMIN_PASSWORD ST_BINARY
set -euo pipefail
base=$1
password=$2
st=$3
token=$(curl -s -X POST -u "admin:$password" "$base/v1/users/login" | jq -r '.users[0].token')
[[ -n "$token" && "$token" != null ]] || { echo "no admin token from $base"; exit 1; }
schema="$base/_emulator/openapi.json"
common=(--url "$base" -H "Authorization: Bearer $token" --checks all
  --max-examples 30 --suppress-health-check all --request-timeout 10)
# Logging out would revoke the token every other call uses.
no_logout=(--exclude-operation-id post_v1_users_logout
  --exclude-operation-id post_clusters__cluster__v1_users_logout)
timeout 600 "$st" run "$schema" "${common[@]}" --include-tag vendor "${no_logout[@]}" \
  --exclude-operation-id post_v1_users --exclude-operation-id post_clusters__cluster__v1_users \
  --exclude-checks positive_data_acceptance
timeout 300 "$st" run "$schema" "${common[@]}" \
  --include-operation-id post_v1_users --include-operation-id post_clusters__cluster__v1_users \
  --exclude-checks positive_data_acceptance,not_a_server_error
# The Graph surface (the Cloud API), with a Graph token (any non-empty one is taken). Random ids
# name no number, so most answers are the documented 400 / 100; the walk-through, the API tests
# and pywa cover the successful paths. A method an object does not take is Graph's 400 / 100 /
# subcode 33 "Unsupported delete request", as Meta answers it, not the 405 schemathesis's
# unsupported_method check expects (docs/src/cloud.md, "Errors").
timeout 300 "$st" run "$schema" --url "$base" -H "Authorization: Bearer any-graph-token" \
  --checks all --max-examples 30 --suppress-health-check all --request-timeout 10 \
  --include-tag graph --exclude-checks positive_data_acceptance,unsupported_method
# The control API, last (it resets and deletes clusters, the admin token's among them): every
# answer against the schema the document gives it. Left out: the event stream, which never ends.
# Its bodies are taken as leniently as `curl -d` sends them, so the checks of what a schema would
# refuse (negative_data_rejection, positive_data_acceptance) are not its contract.
timeout 300 "$st" run "$schema" --url "$base" --max-examples 30 --suppress-health-check all \
  --request-timeout 10 --include-tag control --exclude-operation-id get__emulator_events \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
