#!/bin/sh
# A client container's whole registration against a compose file's emulator, by service name,
# with nothing but busybox: .ci/containers.sh runs it beside `docker/compose.yaml`
# (http://emulator:9090) and beside the book's compose snippet for another project
# (WHATSAPP_API_URL=http://whatsapp:9090); admin password Adm1n!pass, as both set. The code is
# read from the outbox, whatever it is.
set -eu
B=${WHATSAPP_API_URL:-${WA_EMU_URL:-http://emulator:9090}}
for _ in $(seq 1 100); do
  wget -q -O /dev/null "$B/_emulator/health" && break
  sleep 0.1
done
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
J='Content-Type: application/json'
AUTH=$(printf '%s' 'admin:Adm1n!pass' | base64)
TOKEN=$(wget -q -O - --header "Authorization: Basic $AUTH" --header "$J" --post-data '{}' \
  "$B/v1/users/login" | field token)
CERT=$(wget -q -O - --post-data '{"vname": "Compose Co"}' "$B/_emulator/certs" | field cert)
wget -q -O /dev/null --header "Authorization: Bearer $TOKEN" --header "$J" \
  --post-data "{\"cc\": \"1\", \"phone_number\": \"6315550000\", \"method\": \"sms\", \"cert\": \"$CERT\"}" \
  "$B/v1/account"
CODE=$(wget -q -O - "$B/_emulator/clusters/default/codes/latest?cc=1&phone_number=6315550000" | field code)
wget -q -O /dev/null --header "Authorization: Bearer $TOKEN" --header "$J" \
  --post-data "{\"code\": \"$CODE\"}" "$B/v1/account/verify"
HEALTH=$(wget -q -O - --header "Authorization: Bearer $TOKEN" "$B/v1/health")
case "$HEALTH" in
  *'"gateway_status":"connected"'*) echo "registered +1 6315550000 with code $CODE at $B" ;;
  *) echo "not registered: $HEALTH"; exit 1 ;;
esac
