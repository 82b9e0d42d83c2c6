//! What every benchmark target shares: the criterion group settings.

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};

/// A group named `<workload>/<backend>`, with short warm-up and measurement
/// times so that scripts/bench.sh stays within minutes on two cores. athanor
/// and the raw driver are functions `athanor` and `raw` of the same group,
/// with the row count as the parameter.
pub fn group<'c>(
    c: &'c mut Criterion,
    workload: &str,
    backend: &str,
) -> BenchmarkGroup<'c, WallTime> {
    let mut g = c.benchmark_group(format!("{workload}/{backend}"));
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    g
}
