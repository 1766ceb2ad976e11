#!/usr/bin/env bash
# The image, run for real, on either engine:
#   bash .ci/containers.sh BINARY         podman (Debian's, as root) behind its Docker API, as
#                                         .ci/run does: no image can be pulled there, so the
#                                         Dockerfile's final stage is built from BINARY (the
#                                         static binary docker/build-static.sh makes)
#   bash .ci/containers.sh --image IMAGE  the Docker engine the `docker` client reaches (GitHub's
#                                         runners: the release workflow), IMAGE built by the whole
#                                         Dockerfile; the npm packages take WA_EMU_BINARY, else
#                                         the binary copied out of IMAGE
# then uses it as a user would, with the `docker` client:
#   - `docker run -p`: health, the user 65532, the HEALTHCHECK healthy (`podman healthcheck run`;
#     on Docker, the container's health status), flags and WA_EMU_* variables passed through (a
#     whole registration with curl), `docker stop` ending it cleanly within 2 s;
#   - `-e WA_EMU_DATA_DIR=/data -v VOLUME:/data`: a registration kept across a restart;
#   - the image holds nothing but the binary and /data (its layers, as saved); its size is printed;
#   - the Testcontainers modules (Python: wa_onprem_emulator.testcontainers, with the venv
#     WA_EMU_CONTAINERS_PYTHON or target/py-venv; Node: wa-onprem-emulator/testcontainers)
#     starting that image: a registration, a seeded cluster, the control token, stop;
#   - docker/compose.yaml brought up (podman-compose: PODMAN_COMPOSE, else the CI venv's; on
#     Docker, `docker compose`) beside a client container (docker/client: busybox alone) that runs
#     a whole registration against http://emulator:9090 by service name; with a data volume, kept
#     across down and up; the book's compose snippet for another project, as pasted.
# Every container, volume and image it makes is removed at the end, even when a step fails (on
# Docker, those it named; Testcontainers' reaper removes its own).
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: bash .ci/containers.sh BINARY | --image IMAGE"
work=$PWD/target/containers
if [[ "${1:-}" == --image ]]; then
  engine=docker
  image=${2:?$usage}
else
  engine=podman
  binary=$(realpath "${1:?$usage}")
  image=localhost/wa-onprem-emulator:ci
fi
client_image=localhost/wa-emu-client:ci

missing=()
packages=(busybox-static)
[[ $engine == podman ]] && packages+=(podman runc)
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  (apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null) \
    || sudo sh -c "apt-get update -qq && apt-get install -y -qq ${missing[*]} >/dev/null"
fi
rm -rf "$work"
mkdir -p "$work"

if [[ $engine == podman ]]; then
  # What podman needs on these machines, in files of this run (the commands stay the ones users
  # type): runc with cgroupfs (crun refuses this kernel's hybrid cgroups), vfs storage, the
  # machine's own ulimits (podman's defaults exceed them), events in a file (no journald).
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
  # Everything in this run's own storage is this run's.
  cleanup() {
    podman rm -af -t 0 >/dev/null 2>&1 || true
    podman volume rm -af >/dev/null 2>&1 || true
    podman rmi -af >/dev/null 2>&1 || true
    kill "$service" 2>/dev/null || true
    wait "$service" 2>/dev/null || true
    rm -rf "$work/storage" "$work/run"
  }
else
  # A shared engine: only what this run named goes.
  cleanup() {
    local project
    docker rm -fv wa-run wa-data wa-files >/dev/null 2>&1 || true
    for project in wa-ci wa-snippet; do
      docker ps -aq --filter "label=com.docker.compose.project=$project" | xargs -r docker rm -fv >/dev/null 2>&1 || true
      docker volume ls -q --filter "label=com.docker.compose.project=$project" | xargs -r docker volume rm -f >/dev/null 2>&1 || true
      docker network ls -q --filter "label=com.docker.compose.project=$project" | xargs -r docker network rm >/dev/null 2>&1 || true
    done
    docker volume rm -f wa-data >/dev/null 2>&1 || true
    docker rmi "$client_image" >/dev/null 2>&1 || true
  }
fi
trap cleanup EXIT
for _ in $(seq 1 100); do docker version >/dev/null 2>&1 && break; sleep 0.1; done
# The engine behind the Docker API: podman runs no HEALTHCHECK by itself without systemd.
server=$(docker version --format '{{range .Server.Components}}{{.Name}}, {{end}}')
echo "engine: ${server%%,*} $(docker version --format '{{.Server.Version}}, docker client {{.Client.Version}}')"

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

# image_files IMAGE: the paths IMAGE's layers hold, as `save` writes them (each layer a tar).
image_files() {
  local saved=$work/saved
  rm -rf "$saved" && mkdir -p "$saved"
  "$engine" save -o "$saved.tar" "$1" >"$work/save.log" 2>&1 || { cat "$work/save.log"; fail "could not save $1"; }
  tar -xf "$saved.tar" -C "$saved"
  find "$saved" -type f -print0 | while IFS= read -r -d '' file; do
    tar -tf "$file" 2>/dev/null || true
  done | sed -e 's|^\./||' -e '/^$/d' | sort -u | tr '\n' ' '
  rm -rf "$saved" "$saved.tar"
}

if [[ $engine == podman ]]; then
  echo "== the image's final stage, built from $binary"
  mkdir -p "$work/context/out/data"
  cp "$binary" "$work/context/out/wa-onprem-emulator"
  # --format docker keeps the HEALTHCHECK (OCI images have none); the build context named `build`
  # stands in for the build stage, which would pull rust:… .
  podman build --quiet --isolation chroot --format docker --build-context "build=$work/context" \
    --build-arg "TARGETARCH=$(dpkg --print-architecture)" -f docker/Dockerfile -t "$image" . >/dev/null
else
  echo "== the image $image, as the whole Dockerfile built it"
  docker image inspect "$image" >/dev/null || fail "no image $image in this engine"
  binary=${WA_EMU_BINARY:-$work/wa-onprem-emulator}
  if [[ -z "${WA_EMU_BINARY:-}" ]]; then
    # The npm packages below ship the image's own binary.
    docker create --name wa-files "$image" >/dev/null
    docker cp wa-files:/wa-onprem-emulator "$binary"
    docker rm -v wa-files >/dev/null
  fi
fi
echo "image size: $("$engine" image inspect --format '{{.Size}}' "$image") bytes"
files=$(image_files "$image")
[[ "$files" == "data/ wa-onprem-emulator " ]] || fail "the image holds more than the binary and /data: $files"

echo "== docker run -p: health, its user, the HEALTHCHECK, flags and variables, docker stop"
docker run -d --name wa-run -p 127.0.0.1:19201:9090 -e WA_EMU_ADMIN_PASSWORD='Adm1n!pass' \
  "$image" --fixed-code 123456 >/dev/null
url=http://127.0.0.1:19201
healthy "$url"
[[ "$(docker inspect --format '{{.Config.User}}' wa-run)" == 65532:65532 ]] || fail "not user 65532"
if [[ $engine == podman || $server == *Podman* ]]; then
  # Podman runs a HEALTHCHECK from systemd timers, which these machines lack: run it once.
  podman healthcheck run wa-run >/dev/null || fail "the HEALTHCHECK does not report healthy"
else
  # Docker runs it every 5 s: its status turns healthy.
  for _ in $(seq 1 60); do
    [[ "$(docker inspect --format '{{.State.Health.Status}}' wa-run)" == healthy ]] && break
    sleep 0.5
  done
  [[ "$(docker inspect --format '{{.State.Health.Status}}' wa-run)" == healthy ]] \
    || fail "the HEALTHCHECK does not report healthy: $(docker inspect --format '{{json .State.Health}}' wa-run)"
fi
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

if [[ $engine == podman ]]; then
  # Testcontainers on podman here: no reaper (its image cannot be pulled), the Docker API's host
  # as the containers' address.
  export TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_CONNECTION_MODE=docker_host TC_HOST=127.0.0.1
fi
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

if [[ $engine == podman ]]; then
  compose=("${PODMAN_COMPOSE:-$PWD/target/ci-venv/bin/podman-compose}")
  if [[ ! -x "${compose[0]}" ]]; then
    echo "podman-compose is missing (${compose[0]}): the compose file is not run"
    exit 0
  fi
else
  compose=(docker compose)
  docker compose version >/dev/null || fail "docker compose is missing"
fi
echo "== docker/compose.yaml with ${compose[*]##*/}, a client container reaching it as http://emulator:9090"
mkdir -p "$work/client"
cp /bin/busybox docker/client/registration.sh "$work/client/"
if [[ $engine == podman ]]; then
  podman build --quiet --isolation chroot --format docker -f docker/client/Dockerfile \
    -t "$client_image" "$work/client" >/dev/null
else
  docker build --quiet -f docker/client/Dockerfile -t "$client_image" "$work/client" >/dev/null
fi
# The compose file's emulator from the image under test (`up --no-build`: nothing is built).
cat >"$work/image.yaml" <<YAML
services:
  emulator:
    image: $image
YAML
cat >"$work/client.yaml" <<YAML
services:
  client:
    image: $client_image
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
files=(-p wa-ci -f docker/compose.yaml -f "$work/image.yaml" -f "$work/data.yaml")
"${compose[@]}" "${files[@]}" up -d --no-build emulator >"$work/compose.log" 2>&1 \
  || { cat "$work/compose.log"; fail "${compose[*]} up failed"; }
healthy http://127.0.0.1:9090
said=$("${compose[@]}" "${files[@]}" -f "$work/client.yaml" run -T --rm client 2>&1) \
  || { echo "$said"; fail "the client container's registration failed"; }
grep -q "registered +1 6315550000" <<<"$said" || fail "the client said: $said"
echo "client container: $(grep registered <<<"$said")"
"${compose[@]}" "${files[@]}" down >>"$work/compose.log" 2>&1
"${compose[@]}" "${files[@]}" up -d --no-build emulator >>"$work/compose.log" 2>&1
healthy http://127.0.0.1:9090
token=$(login http://127.0.0.1:9090 'Adm1n!pass')
[[ "$(request_code http://127.0.0.1:9090 "$token")" == 201 ]] \
  || fail "after down and up, the number is no longer registered"
"${compose[@]}" "${files[@]}" down -v >>"$work/compose.log" 2>&1
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
    image: $client_image
YAML
files=(-p wa-snippet -f "$work/snippet.yaml" -f "$work/snippet-images.yaml")
"${compose[@]}" "${files[@]}" up -d --no-build whatsapp >>"$work/compose.log" 2>&1 \
  || { cat "$work/compose.log"; fail "${compose[*]} up of the book's snippet failed"; }
said=$("${compose[@]}" "${files[@]}" run -T --rm my-service 2>&1) \
  || { echo "$said"; fail "the book's snippet: my-service's registration failed"; }
grep -q "registered +1 6315550000" <<<"$said" || fail "the book's snippet: my-service said: $said"
"${compose[@]}" "${files[@]}" down -v >>"$work/compose.log" 2>&1
echo "book's snippet: $(grep registered <<<"$said")"
