#!/usr/bin/env bash
# The project's test command: the whole workspace, all features, against
# throwaway PostgreSQL and MariaDB servers (see scripts/with-servers.sh),
# then the backend crate kept outside the workspace (external/wrapsqlite),
# which depends on athanor as a crate published elsewhere would.
# Extra arguments go to the workspace's cargo test only, e.g.
# scripts/test.sh -p athanor -- --nocapture (the outside crate is then not run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/cxx-cache.sh
scripts/with-servers.sh cargo test --workspace --all-features "$@"
if [ $# -eq 0 ]; then
    scripts/test-external.sh test
fi
