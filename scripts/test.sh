#!/usr/bin/env bash
# The project's test command: the whole workspace, all features, against
# throwaway PostgreSQL and MariaDB servers (see scripts/with-servers.sh).
# Extra arguments go to cargo test, e.g. scripts/test.sh -p athanor -- --nocapture
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec scripts/with-servers.sh cargo test --workspace --all-features "$@"
