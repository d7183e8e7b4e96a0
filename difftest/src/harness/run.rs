//! Running a built batch: the binary prints `DT begin` before each function and `DT result`
//! per program; a crash (abort, stack overflow) or a timeout is pinned on the program that
//! had begun and not finished, and the rest are run again without it.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What running a program gave.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The class printed by the checker (`pass`, `gradient-mismatch`, ...), or
    /// `runtime-panic` for a crash.
    pub class: String,
    /// The detail.
    pub detail: String,
}

/// Runs `modules` of the binary, `timeout` per process; returns an outcome per module.
pub fn run(binary: &Path, modules: &[String], timeout: Duration) -> BTreeMap<String, Outcome> {
    let mut results = BTreeMap::new();
    let mut todo: Vec<String> = modules.to_vec();
    while !todo.is_empty() {
        let (stdout, status) = match run_once(binary, &todo, timeout) {
            Ok(r) => r,
            Err(e) => {
                for m in &todo {
                    results.insert(
                        m.clone(),
                        Outcome {
                            class: "harness-error".into(),
                            detail: format!("could not run: {e}"),
                        },
                    );
                }
                return results;
            }
        };
        let mut begun: Option<(String, String)> = None;
        for line in stdout.lines() {
            let f: Vec<&str> = line.splitn(5, '\t').collect();
            match f.as_slice() {
                ["DT", "begin", pid, fun] => begun = Some((pid.to_string(), fun.to_string())),
                ["DT", "result", pid, class, detail] => {
                    results.insert(
                        pid.to_string(),
                        Outcome {
                            class: class.to_string(),
                            detail: detail.to_string(),
                        },
                    );
                    begun = None;
                }
                _ => {}
            }
        }
        todo.retain(|m| !results.contains_key(m));
        if todo.is_empty() {
            break;
        }
        // The process ended early: blame the program that had begun, run the others again.
        let (pid, fun) = begun.unwrap_or_else(|| (todo[0].clone(), "?".into()));
        let detail = format!("{fun}: the process {status} while checking it");
        results.insert(
            pid.clone(),
            Outcome {
                class: "runtime-panic".into(),
                detail,
            },
        );
        todo.retain(|m| *m != pid);
    }
    results
}

/// One run: stdout and how the process ended.
fn run_once(
    binary: &Path,
    modules: &[String],
    timeout: Duration,
) -> std::io::Result<(String, String)> {
    let mut child = Command::new(binary)
        .args(modules)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break format!("exited ({st})");
        }
        if start.elapsed() > timeout {
            child.kill()?;
            child.wait()?;
            break format!("timed out after {}s", timeout.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok((reader.join().unwrap_or_default(), status))
}
