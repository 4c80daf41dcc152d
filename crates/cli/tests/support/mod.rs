//! Running the real `custodia` binary against a fresh store in a temporary directory.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A scratch directory with a store path in it.
pub struct Scratch {
    pub dir: PathBuf,
    pub db: PathBuf,
}

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("custodia-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("store.db");
        Self { dir, db }
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
    /// `custodia --db <store> ARGS` with a pinned clock.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_custodia"));
        c.arg("--db").arg(&self.db).args(args);
        c.env("CUSTODIA_CLOCK", "2025-06-01T12:00:00Z")
            .env_remove("CUSTODIA_DB")
            .env_remove("CUSTODIA_KEY")
            .env_remove("CUSTODIA_ACTOR");
        c.stdin(Stdio::null());
        c
    }
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }
    /// Runs and asserts exit 0; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "custodia {args:?} failed: {}\n{}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }
    /// Runs and asserts the exit code; returns stderr.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let o = self.run(args);
        assert_eq!(
            o.status.code(),
            Some(code),
            "custodia {args:?}: stdout {} stderr {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stderr).unwrap()
    }
    /// Runs with the clock pinned at `clock`; asserts exit 0; returns stdout.
    pub fn ok_at(&self, clock: &str, args: &[&str]) -> String {
        let o = self
            .cmd(args)
            .env("CUSTODIA_CLOCK", clock)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "custodia {args:?} failed: {}\n{}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }
    pub fn size(&self) -> u64 {
        let cp = self.ok(&["log", "checkpoint"]);
        cp.lines().nth(1).unwrap().parse().unwrap()
    }
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
