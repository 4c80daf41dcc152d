//! Running the real `custodia` binary against a fresh store in a temporary directory.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A scratch directory with a store path in it.
pub struct Scratch {
    pub dir: PathBuf,
    pub db: PathBuf,
    /// Bearer tokens already created in this store, by `role:name`.
    tokens: RefCell<HashMap<String, String>>,
}

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("custodia-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("store.db");
        Self {
            dir,
            db,
            tokens: RefCell::new(HashMap::new()),
        }
    }
    /// A bearer token for `role:name` in this store (created with `custodia token create`
    /// the first time it is asked for).
    pub fn token(&self, who: &str) -> String {
        if let Some(t) = self.tokens.borrow().get(who) {
            return t.clone();
        }
        let (role, name) = who.split_once(':').expect("role:name");
        let o = Command::new(env!("CARGO_BIN_EXE_custodia"))
            .arg("--db")
            .arg(&self.db)
            .args(["token", "create", "--role", role, "--name", name])
            .env("CUSTODIA_CLOCK", "2025-06-01T12:00:00Z")
            .env_remove("CUSTODIA_DB")
            .env_remove("CUSTODIA_KEY")
            .env_remove("CUSTODIA_TOKEN")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "token create {who}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let t = String::from_utf8(o.stdout).unwrap().trim().to_string();
        self.tokens.borrow_mut().insert(who.to_string(), t.clone());
        t
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
    /// `custodia --db <store> ARGS` with a pinned clock. An `--as role:name` pair in ARGS is
    /// the test's shorthand for "as that person": it becomes `--token` with a token created
    /// for them, which is how the binary learns who acts (CONTRACT §9).
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_custodia"));
        c.arg("--db").arg(&self.db);
        let is_demo = args.first() == Some(&"demo");
        // Importing persons changes the store: unless the test names who, an officer does.
        if args.starts_with(&["import", "persons"]) && !args.contains(&"--as") {
            c.arg("--token").arg(self.token("sending_officer:importer"));
        }
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if *a == "--as" && !is_demo {
                let who = it.next().expect("--as needs role:name");
                c.arg("--token").arg(self.token(who));
            } else {
                c.arg(a);
            }
        }
        c.env("CUSTODIA_CLOCK", "2025-06-01T12:00:00Z")
            .env_remove("CUSTODIA_DB")
            .env_remove("CUSTODIA_KEY")
            .env_remove("CUSTODIA_ACTOR")
            .env_remove("CUSTODIA_TOKEN");
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
    /// Runs and asserts exit 0; returns stderr (where human messages go).
    pub fn ok_err(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "custodia {args:?} failed: {}\n{}",
            o.status,
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
    /// Registers facility `id` in `country` (one pavilion of two cells) as `admin:root`.
    pub fn facility(&self, id: &str, country: &str, adult_only: bool) {
        let f = self.write(
            &format!("facility-{id}.json"),
            &format!(
                r#"{{"id":"{id}","name":"{id} (test)","country":"{country}","kind":"prison","adult_only":{adult_only},
                "pavilions":[{{"id":"{id}-P1","cells":[
                  {{"id":"{id}-P1-C01","area_m2":20.0,"capacity":4,"windows":true,"sanitation":"in_cell"}},
                  {{"id":"{id}-P1-C02","area_m2":20.0,"capacity":4,"windows":true,"sanitation":"in_cell"}}]}}]}}"#
            ),
        );
        self.ok(&["facility", "register", "--as", "admin:root", s(&f)]);
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
