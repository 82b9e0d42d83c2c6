//! Peak memory when loading 100 000 users, athanor against the raw driver.
//!
//! Each measurement runs in a process of its own and reads its peak resident
//! set (`VmHWM` in /proc/self/status) at the end. Every process opens both an
//! athanor connection and a raw driver connection, so the `baseline` run
//! (connections only, nothing loaded) gives the fixed cost to subtract.
//!
//! ```text
//! bench_memory                          all selected backends; prints a table
//! bench_memory seed <backend> <sqlite>  fills `users` with the rows
//! bench_memory load <backend> <sqlite> <baseline|athanor|raw>
//! ```
//!
//! `ATHANOR_BENCH_MEMORY_ROWS` changes the row count (default 100 000);
//! `ATHANOR_BENCH_BACKENDS` the backends.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;

use athanor::Model;
use athanor_benches::{
    new_users, raw_load_users, remove_sqlite_files, seed, Backend, Fixture, User,
};

const MODES: [&str; 3] = ["baseline", "athanor", "raw"];

fn rows() -> usize {
    std::env::var("ATHANOR_BENCH_MEMORY_ROWS")
        .ok()
        .map(|v| v.parse().expect("ATHANOR_BENCH_MEMORY_ROWS is a number"))
        .unwrap_or(100_000)
}

/// The peak resident set of this process so far, in KiB.
fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

fn backend(name: &str) -> Backend {
    Backend::from_name(name).unwrap_or_else(|| panic!("unknown backend `{name}`"))
}

fn seed_rows(b: Backend, sqlite: &Path) {
    if b == Backend::Sqlite {
        remove_sqlite_files(sqlite);
    }
    let fx = Fixture::open_existing(b, sqlite);
    fx.reset_tables();
    let mut conn = fx.connect();
    seed::clear(&mut conn);
    let mut users = new_users(rows(), |i| (i % 2 == 0).then_some("black"));
    User::insert_many(&mut conn, &mut users).expect("seed users");
}

fn load(b: Backend, sqlite: &Path, mode: &str) {
    let fx = Fixture::open_existing(b, sqlite);
    let mut conn = fx.connect();
    let mut raw = fx.raw();
    let n = match mode {
        "baseline" => 0,
        "athanor" => black_box(User::query().all(&mut conn).expect("athanor load")).len(),
        "raw" => black_box(raw_load_users(&mut raw)).len(),
        other => panic!("unknown mode `{other}` (baseline, athanor, raw)"),
    };
    println!("rows={n} vmhwm_kib={}", vm_hwm_kib());
}

/// Runs this binary with `args`; returns its `vmhwm_kib` and `rows`.
fn child(args: &[&str]) -> (u64, usize) {
    let exe = std::env::current_exe().expect("current exe");
    let out = Command::new(exe).args(args).output().expect("run child");
    if !out.status.success() {
        panic!(
            "bench_memory {}: {}\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> Option<String> {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .map(str::to_owned)
    };
    let hwm = field("vmhwm_kib=").and_then(|v| v.parse().ok());
    let n = field("rows=").and_then(|v| v.parse().ok());
    (hwm.unwrap_or(0), n.unwrap_or(0))
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn all() {
    let n = rows();
    println!(
        "Peak memory (VmHWM) loading {n} users into Vec<User> (size_of::<User>() = {} bytes):",
        std::mem::size_of::<User>()
    );
    println!(
        "{:<9} {:>13} {:>13} {:>13} {:>15} {:>15} {:>7}",
        "backend", "baseline MiB", "athanor MiB", "raw MiB", "athanor +MiB", "raw +MiB", "ratio"
    );
    for b in Backend::selected() {
        let sqlite: PathBuf =
            std::env::temp_dir().join(format!("athanor-bench-memory-{}.db", std::process::id()));
        let path = sqlite.to_str().expect("UTF-8 temp path");
        child(&["seed", b.name(), path]);
        let mut peaks = [0u64; 3];
        for (peak, mode) in peaks.iter_mut().zip(MODES) {
            let (hwm, got) = child(&["load", b.name(), path, mode]);
            if mode != "baseline" {
                assert_eq!(got, n, "{} {mode} loaded {got} rows", b.name());
            }
            *peak = hwm;
        }
        remove_sqlite_files(&sqlite);
        let [base, orm, raw] = peaks;
        let (orm_inc, raw_inc) = (orm.saturating_sub(base), raw.saturating_sub(base));
        println!(
            "{:<9} {:>13} {:>13} {:>13} {:>15} {:>15} {:>7.2}",
            b.name(),
            mib(base),
            mib(orm),
            mib(raw),
            mib(orm_inc),
            mib(raw_inc),
            orm_inc as f64 / raw_inc.max(1) as f64
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] => all(),
        ["seed", b, sqlite] => seed_rows(backend(b), Path::new(sqlite)),
        ["load", b, sqlite, mode] => load(backend(b), Path::new(sqlite), mode),
        _ => {
            eprintln!(
                "usage: bench_memory | bench_memory seed <backend> <sqlite-path> | \
                 bench_memory load <backend> <sqlite-path> <baseline|athanor|raw>"
            );
            std::process::exit(2);
        }
    }
}
