#!/bin/sh
# Starts one Redis Sentinel of the StatefulSet `sentinel`. On its first start
# it writes its config to its own volume (Sentinel rewrites that file with
# what it learns, so it must survive restarts): it monitors every shard in
# SHARDS by its pod-0 master, with QUORUM sentinels to agree on a failure.
set -eu
conf="${SENTINEL_CONF:-/data/sentinel.conf}"   # another path only for the tests of this script
if [ ! -f "$conf" ]; then
  for shard in $SHARDS; do
    until nslookup "${shard}-0.${shard}" >/dev/null 2>&1; do
      echo "sentinel-start: waiting for ${shard}-0.${shard} in DNS"
      sleep 2
    done
  done
  {
    echo "port 26379"
    echo "protected-mode no"
    echo "sentinel resolve-hostnames yes"
    echo "sentinel announce-hostnames yes"
    echo "sentinel announce-ip ${HOSTNAME}.sentinel"
    for shard in $SHARDS; do
      echo "sentinel monitor ${shard} ${shard}-0.${shard} 6379 ${QUORUM}"
      echo "sentinel down-after-milliseconds ${shard} 5000"
      echo "sentinel failover-timeout ${shard} 60000"
      echo "sentinel parallel-syncs ${shard} 1"
    done
  } > "$conf.tmp"
  mv "$conf.tmp" "$conf"
fi
exec redis-sentinel "$conf"
