//! The test servers' processes, read from /proc and signalled with `kill`:
//! shared by tests/faults.rs (which freezes a server) and tests/restarts.rs
//! (which kills and restarts one); each uses a part.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The fields of `/proc/PID/stat` after the command's closing parenthesis
/// (state, ppid, ...).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// The parent of `pid`.
pub fn parent(pid: u32) -> Option<u32> {
    stat_fields(pid)?.get(1)?.parse().ok()
}

/// Whether `pid` runs (a zombie does not).
pub fn alive(pid: u32) -> bool {
    stat_fields(pid)
        .and_then(|f| f.first().cloned())
        .is_some_and(|state| state != "Z" && state != "X")
}

/// The process ids of `pid` and all its descendants.
pub fn process_tree(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let of = all[i];
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Some(child) = entry
                    .file_name()
                    .to_str()
                    .and_then(|n| n.parse::<u32>().ok())
                else {
                    continue;
                };
                if parent(child) == Some(of) && !all.contains(&child) {
                    all.push(child);
                }
            }
        }
        i += 1;
    }
    all
}

/// Sends `sig` to `pids`; the first (the server) must take it, the others
/// (children that may have exited meanwhile) where they still exist. After
/// `STOP`, waits until every one of them is stopped: `kill` returns once the
/// signal is queued, and a busy machine may let a process of the server
/// answer one more query before it stops.
pub fn signal(pids: &[u32], sig: &str) {
    for (n, pid) in pids.iter().enumerate() {
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid.to_string())
            .stderr(Stdio::null())
            .status()
            .expect("run kill");
        assert!(
            status.success() || n > 0,
            "kill -{sig} {pid} (the server) failed"
        );
    }
    if sig == "STOP" {
        for &pid in pids {
            wait_stopped(pid);
        }
    }
}

/// Waits until every thread of `pid` is stopped (or `pid` is gone).
fn wait_stopped(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let running = std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|tasks| {
                tasks.flatten().any(|task| {
                    let stat =
                        std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
                    let state = stat
                        .rsplit_once(')')
                        .and_then(|(_, rest)| rest.split_whitespace().next());
                    !matches!(state, Some("T" | "t" | "Z" | "X") | None)
                })
            })
            .unwrap_or(false);
        if !running {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "pid {pid} did not stop within 5 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The pid on the first line of `file`.
pub fn read_pidfile(file: &Path) -> Option<u32> {
    std::fs::read_to_string(file)
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}
