# Sourced by .ci/run and scripts/test.sh: compiles C and C++ through ccache,
# with the cache under target/, when ccache is there (.ci/run installs it).
#
# Why: cargo builds DuckDB's bundled C++ (the duckdb feature) once per set of
# host-build settings, and `cargo clippy --all-targets`, `cargo doc` and
# `cargo test` each need a different set; the cache turns each build after
# the first into cache hits (the sources are unpacked to one place,
# target/duckdb-sources, so every build compiles the same files).
if command -v ccache >/dev/null 2>&1 && [ -z "${ATHANOR_NO_CCACHE:-}" ]; then
    export CC="ccache cc" CXX="ccache c++"
    export CCACHE_DIR="${CCACHE_DIR:-$PWD/target/ccache}"
    export CCACHE_BASEDIR="$PWD"
    export CCACHE_NOHASHDIR=1
    export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-4G}"
    # The sources are unpacked just before they compile: their times say
    # nothing about their content, which ccache hashes anyway.
    export CCACHE_SLOPPINESS="include_file_mtime,include_file_ctime,time_macros"
fi
