#!/usr/bin/env bash
# Makes sure the peers bench:peers measures wwatp against are installed: Debian's etcd
# (etcd-server) and ZooKeeper (zookeeper, run from its jars with java). Quiet and quick
# when both are there; installs the missing ones from apt otherwise. Safe to run any
# number of times. The packages' own services are stopped and never used: the benchmark
# starts throwaway servers in temporary directories.
set -euo pipefail

have_etcd() {
  command -v etcd >/dev/null 2>&1 || [ -x /usr/bin/etcd ]
}

have_zookeeper() {
  command -v java >/dev/null 2>&1 && compgen -G '/usr/share/java/zookeeper*.jar' >/dev/null
}

missing=()
have_etcd || missing+=(etcd-server)
have_zookeeper || missing+=(zookeeper)
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi

echo "ensure-peers: installing ${missing[*]} from apt" >&2
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null

# The packages may start system services of their own; the benchmark never uses them,
# and they would hold ports and fsync in the background while it measures.
for service in etcd zookeeper; do
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl stop "$service" >/dev/null 2>&1 || true; fi
  if command -v service >/dev/null 2>&1; then $SUDO service "$service" stop >/dev/null 2>&1 || true; fi
done

if ! have_etcd; then
  echo "ensure-peers: etcd-server was installed but the etcd binary is still missing" >&2
  exit 1
fi
if ! have_zookeeper; then
  echo "ensure-peers: zookeeper was installed but its jars (or java) are still missing" >&2
  exit 1
fi
