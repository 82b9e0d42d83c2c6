#!/usr/bin/env bash
# Runs one cargo command (test, clippy, fmt ...) on the backend crate kept
# outside the workspace, with its own lock file and target directory, e.g.
# scripts/test-external.sh clippy --all-targets -- -D warnings
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command=${1:?usage: scripts/test-external.sh test|clippy|fmt|build [CARGO ARGS...]}
shift
if [ "$command" = fmt ]; then
    exec cargo fmt --manifest-path external/wrapsqlite/Cargo.toml "$@"
fi
# --locked: the lock file pins athanor's crates to this checkout (see the
# crate's Cargo.toml); should it need a change, this fails instead of
# rewriting it.
exec cargo "$command" --locked --manifest-path external/wrapsqlite/Cargo.toml \
    --target-dir target/external "$@"
