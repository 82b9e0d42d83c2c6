#!/usr/bin/env bash
# Runs one cargo command (test, clippy, fmt ...) on the backend crate kept
# outside the workspace, with its own lock file and target directory, e.g.
# scripts/test-external.sh clippy --all-targets -- -D warnings
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command=$1
shift
if [ "$command" = fmt ]; then
    exec cargo fmt --manifest-path external/wrapsqlite/Cargo.toml "$@"
fi
exec cargo "$command" --manifest-path external/wrapsqlite/Cargo.toml \
    --target-dir target/external "$@"
