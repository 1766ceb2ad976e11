#!/usr/bin/env bash
# The image, run for real: `bash .ci/containers.sh BINARY` builds the Dockerfile's final stage from
# BINARY (the static binary docker/build-static.sh makes: no image can be pulled here, so the
# build stage cannot run), then uses it as a user would, with the `docker` client talking to
# podman's Docker API (Debian's podman, as root):
#   - `docker run -p`: health, the user 65532, the HEALTHCHECK healthy (`podman healthcheck run`),
#     flags and WA_EMU_* variables passed through (a whole registration with curl), `docker stop`
#     ending it cleanly within 2 s;
#   - `-e WA_EMU_DATA_DIR=/data -v VOLUME:/data`: a registration kept across a restart;
#   - the image holds nothing but the binary and /data; its size is printed;
#   - the Testcontainers modules (Python: wa_onprem_emulator.testcontainers, with the venv
#     WA_EMU_CONTAINERS_PYTHON or target/py-venv; Node: wa-onprem-emulator/testcontainers)
#     starting that image: a registration, a seeded cluster, the control token, stop;
#   - docker/compose.yaml brought up with podman-compose (PODMAN_COMPOSE, else the CI venv's)
#     beside a client container (docker/client: busybox alone) that runs a whole registration
#     against http://emulator:9090 by service name; with a data volume, kept across down and up.
# Every container, volume and image it makes is removed at the end, even when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:?usage: bash .ci/containers.sh BINARY}")
work=$PWD/target/containers
image=localhost/wa-onprem-emulator:ci

missing=()
for package in podman runc busybox-static; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  (apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null) \
    || sudo sh -c "apt-get update -qq && apt-get install -y -qq ${missing[*]} >/dev/null"
fi

# What podman needs on these machines, in files of this run (the commands stay the ones users
# type): runc with cgroupfs (crun refuses this kernel's hybrid cgroups), vfs storage, the
# machine's own ulimits (podman's defaults exceed them), events in a file (no journald).
rm -rf "$work"
mkdir -p "$work/context/out/data"
cat >"$work/containers.conf" <<'EOF'
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
EOF
cat >"$work/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$work/run"
graphroot = "$work/storage"
EOF
export CONTAINERS_CONF=$work/containers.conf CONTAINERS_STORAGE_CONF=$work/storage.conf
podman system service --time=0 "unix://$work/podman.sock" >"$work/service.log" 2>&1 &
service=$!
export DOCKER_HOST=unix://$work/podman.sock
cleanup() {
  podman rm -af -t 0 >/dev/null 2>&1 || true
  podman volume rm -af >/dev/null 2>&1 || true
  podman rmi -af >/dev/null 2>&1 || true
  kill "$service" 2>/dev/null || true
  wait "$service" 2>/dev/null || true
  rm -rf "$work/storage" "$work/run"
}
trap cleanup EXIT
for _ in $(seq 1 100); do docker version >/dev/null 2>&1 && break; sleep 0.1; done

fail() { echo "containers: $*"; exit 1; }
# healthy URL: waits (10 s at most) for the emulator's health at URL.
healthy() {
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "$1/_emulator/health" && return 0
    sleep 0.1
  done
  fail "no health at $1 within 10 s"
}
# login URL PASSWORD: an admin token.
login() {
  curl -fs -X POST -u "admin:$2" "$1/v1/users/login" | jq -er '.users[0].token'
}
# request_code URL TOKEN: POST /v1/account for +1 6315550000; prints the status.
request_code() {
  local cert
  cert=$(curl -fs -X POST "$1/_emulator/certs" -d '{"vname": "Container Co"}' | jq -r .cert)
  curl -s -o /dev/null -w '%{http_code}' -X POST "$1/v1/account" -H "Authorization: Bearer $2" \
    -H 'Content-Type: application/json' \
    -d "{\"cc\": \"1\", \"phone_number\": \"6315550000\", \"method\": \"sms\", \"cert\": \"$cert\"}"
}

echo "== the image's final stage, built from $binary"
cp "$binary" "$work/context/out/wa-onprem-emulator"
# --format docker keeps the HEALTHCHECK (OCI images have none); the build context named `build`
# stands in for the build stage, which would pull rust:… .
podman build --quiet --isolation chroot --format docker --build-context "build=$work/context" \
  --build-arg "TARGETARCH=$(dpkg --print-architecture)" -f docker/Dockerfile -t "$image" . >/dev/null
echo "image size: $(podman image inspect --format '{{.Size}}' "$image") bytes"
podman create --name wa-files "$image" >/dev/null
files=$(podman export wa-files | tar -t | sort | tr '\n' ' ')
podman rm wa-files >/dev/null 2>&1
[[ "$files" == "data/ wa-onprem-emulator " ]] || fail "the image holds more than the binary and /data: $files"

echo "== docker run -p: health, its user, the HEALTHCHECK, flags and variables, docker stop"
docker run -d --name wa-run -p 127.0.0.1:19201:9090 -e WA_EMU_ADMIN_PASSWORD='Adm1n!pass' \
  "$image" --fixed-code 123456 >/dev/null
url=http://127.0.0.1:19201
healthy "$url"
[[ "$(docker inspect --format '{{.Config.User}}' wa-run)" == 65532:65532 ]] || fail "not user 65532"
podman healthcheck run wa-run >/dev/null || fail "the HEALTHCHECK does not report healthy"
# The variable set the admin's password, the flag the code.
token=$(login "$url" 'Adm1n!pass') || fail "WA_EMU_ADMIN_PASSWORD did not reach the emulator"
[[ "$(request_code "$url" "$token")" == 202 ]] || fail "POST /v1/account was not 202"
code=$(curl -fs "$url/_emulator/clusters/default/codes/latest?cc=1&phone_number=6315550000" | jq -r .code)
[[ "$code" == 123456 ]] || fail "--fixed-code did not reach the emulator (code $code)"
started=$(date +%s%N)
docker stop -t 10 wa-run >/dev/null
took=$((($(date +%s%N) - started) / 1000000))
((took < 2000)) || fail "docker stop took $took ms"
[[ "$(docker inspect --format '{{.State.ExitCode}}' wa-run)" == 0 ]] || fail "it did not exit 0 on docker stop"
docker logs wa-run 2>&1 | grep -q '"message":"stopped"' || fail "no clean stop in its log"
echo "docker run: healthy as 65532, HEALTHCHECK healthy, a registration with the flag's code, stopped in $took ms"

echo "== -e WA_EMU_DATA_DIR=/data -v VOLUME:/data: a registration kept across a restart"
docker volume create wa-data >/dev/null
docker run -d --name wa-data -p 127.0.0.1:19202:9090 -e WA_EMU_DATA_DIR=/data -v wa-data:/data \
  -e WA_EMU_ADMIN_PASSWORD='Adm1n!pass' -e WA_EMU_FIXED_CODE=123456 "$image" >/dev/null
url=http://127.0.0.1:19202
healthy "$url"
token=$(login "$url" 'Adm1n!pass')
[[ "$(request_code "$url" "$token")" == 202 ]] || fail "POST /v1/account was not 202"
curl -fs -o /dev/null -X POST "$url/v1/account/verify" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{"code": "123456"}'
docker restart -t 10 wa-data >/dev/null
healthy "$url"
# The token and the registration were kept: a code request for the number is 201 at once.
[[ "$(request_code "$url" "$token")" == 201 ]] || fail "the registration did not survive the restart"
echo "data volume: the number still registered, the token still valid, after docker restart"

# Testcontainers here: no reaper (its image cannot be pulled), the Docker API's host as the
# containers' address.
export TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_CONNECTION_MODE=docker_host TC_HOST=127.0.0.1
export WA_EMU_IMAGE=$image
python=${WA_EMU_CONTAINERS_PYTHON:-$PWD/target/py-venv/bin/python}
if [[ -x "$python" ]] && "$python" -c "import testcontainers, wa_onprem_emulator" 2>/dev/null; then
  echo "== the Python Testcontainers module (wa_onprem_emulator.testcontainers) against that image"
  # From target/, so that the installed package is the one imported.
  (cd target && "$python" -m pytest -p no:cacheprovider -q ../python/containers)
else
  echo "no Python with testcontainers and the package ($python): its Testcontainers module is not run"
fi

if command -v npm >/dev/null && command -v node >/dev/null; then
  echo "== the Node.js Testcontainers module (wa-onprem-emulator/testcontainers) against that image"
  # The packages as a user installs them (npm/pack.sh), beside npm's testcontainers 11 (12 needs
  # Node 22.19).
  WA_EMU_BINARY=$binary bash npm/pack.sh "$work/npm" >/dev/null
  mkdir -p "$work/node" && cp -r npm/test/containers "$work/node/"
  (
    cd "$work/node"
    npm init -y >/dev/null
    npm install --silent --no-audit --no-fund "$work"/npm/*.tgz testcontainers@11.14.0
    node --test containers/
  )
else
  echo "node and npm are missing: the Node.js Testcontainers module is not run"
fi

compose=${PODMAN_COMPOSE:-$PWD/target/ci-venv/bin/podman-compose}
if [[ ! -x "$compose" ]]; then
  echo "podman-compose is missing ($compose): the compose file is not run"
  exit 0
fi
echo "== docker/compose.yaml with podman-compose, a client container reaching it as http://emulator:9090"
# The compose file's image, as `docker compose build` would have tagged it.
podman tag "$image" wa-onprem-emulator:latest
mkdir -p "$work/client"
cp /bin/busybox docker/client/registration.sh "$work/client/"
podman build --quiet --isolation chroot --format docker -f docker/client/Dockerfile \
  -t localhost/wa-emu-client:ci "$work/client" >/dev/null
cat >"$work/client.yaml" <<'YAML'
services:
  client:
    image: localhost/wa-emu-client:ci
    depends_on:
      emulator:
        condition: service_healthy
YAML
# State that lasts, as the file's commented lines say.
cat >"$work/data.yaml" <<'YAML'
services:
  emulator:
    environment:
      WA_EMU_DATA_DIR: "/data"
    volumes:
      - emulator-data:/data
volumes:
  emulator-data:
YAML
files=(-p wa-ci -f docker/compose.yaml -f "$work/data.yaml")
"$compose" "${files[@]}" up -d --no-build emulator >"$work/compose.log" 2>&1 \
  || { cat "$work/compose.log"; fail "podman-compose up failed"; }
healthy http://127.0.0.1:9090
said=$("$compose" "${files[@]}" -f "$work/client.yaml" run -T --rm client 2>&1) \
  || { echo "$said"; fail "the client container's registration failed"; }
grep -q "registered +1 6315550000" <<<"$said" || fail "the client said: $said"
echo "client container: $(grep registered <<<"$said")"
"$compose" "${files[@]}" down >>"$work/compose.log" 2>&1
"$compose" "${files[@]}" up -d --no-build emulator >>"$work/compose.log" 2>&1
healthy http://127.0.0.1:9090
token=$(login http://127.0.0.1:9090 'Adm1n!pass')
[[ "$(request_code http://127.0.0.1:9090 "$token")" == 201 ]] \
  || fail "after down and up, the number is no longer registered"
"$compose" "${files[@]}" down -v >>"$work/compose.log" 2>&1
echo "compose: the registration kept in the data volume across down and up"

echo "== the book's compose snippet for another project (docs/src/docker.md), as pasted"
# Its emulator from the image built here instead of the repository's URL, its `my-service` the
# client container: what the snippet wires (service name, variables, health) is what runs.
awk '/^```yaml$/{c++; if (c==1) {f=1; next}} f&&/^```$/{exit} f' docs/src/docker.md >"$work/snippet.yaml"
cat >"$work/snippet-images.yaml" <<YAML
services:
  whatsapp:
    image: $image
  my-service:
    image: localhost/wa-emu-client:ci
YAML
files=(-p wa-snippet -f "$work/snippet.yaml" -f "$work/snippet-images.yaml")
"$compose" "${files[@]}" up -d --no-build whatsapp >>"$work/compose.log" 2>&1 \
  || { cat "$work/compose.log"; fail "podman-compose up of the book's snippet failed"; }
said=$("$compose" "${files[@]}" run -T --rm my-service 2>&1) \
  || { echo "$said"; fail "the book's snippet: my-service's registration failed"; }
grep -q "registered +1 6315550000" <<<"$said" || fail "the book's snippet: my-service said: $said"
"$compose" "${files[@]}" down -v >>"$work/compose.log" 2>&1
echo "book's snippet: $(grep registered <<<"$said")"
