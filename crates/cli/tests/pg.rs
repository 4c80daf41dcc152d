#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The real binary on PostgreSQL (`--db postgres://…`): the same demo gives the same leaves
//! and root as on SQLite, backups move stores both ways, and a writer killed mid-batch
//! leaves a log that verifies. Each test creates its own database on the server named by
//! `CUSTODIA_TEST_PG` and drops it; without that variable the tests print a notice and pass.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

struct Pg {
    admin: String,
    name: String,
    url: String,
    dir: PathBuf,
}

impl Pg {
    fn new(tag: &str) -> Option<Self> {
        let Some(admin) = std::env::var("CUSTODIA_TEST_PG")
            .ok()
            .filter(|s| !s.is_empty())
        else {
            eprintln!("skipping: CUSTODIA_TEST_PG not set");
            return None;
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("custodia_t_{tag}_{}_{nanos}", std::process::id());
        let url = custodia_store::postgres::create_database(&admin, &name).unwrap();
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).unwrap();
        Some(Self {
            admin,
            name,
            url,
            dir,
        })
    }
    fn key(&self) -> String {
        self.file("pg.key")
    }
    fn file(&self, n: &str) -> String {
        self.dir.join(n).to_str().unwrap().to_string()
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let _ = custodia_store::postgres::drop_database(&self.admin, &self.name);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn cmd(db: &str, key: Option<&str>, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_custodia"));
    c.arg("--db").arg(db).args(args).env_remove("CUSTODIA_DB");
    c.env_remove("CUSTODIA_TOKEN");
    if args.starts_with(&["import"]) {
        // Changing the store needs a token (CONTRACT §9): an officer's, made for this call.
        let t = ok(&run(
            db,
            key,
            &[
                "token",
                "create",
                "--role",
                "sending_officer",
                "--name",
                "importer",
            ],
        ));
        c.env("CUSTODIA_TOKEN", t.trim());
    }
    match key {
        Some(k) => c.env("CUSTODIA_KEY", k),
        None => c.env_remove("CUSTODIA_KEY"),
    };
    c
}

fn run(db: &str, key: Option<&str>, args: &[&str]) -> Output {
    cmd(db, key, args).output().unwrap()
}

fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn the_same_demo_gives_the_same_leaves_and_root_on_both_backends() {
    let Some(pg) = Pg::new("demo") else { return };
    let lite = pg.file("demo.db");
    let key = pg.key();
    ok(&run(
        &lite,
        None,
        &["demo", "--seed", "5", "--scale", "small"],
    ));
    ok(&run(
        &pg.url,
        Some(&key),
        &["demo", "--seed", "5", "--scale", "small"],
    ));
    let a = ok(&run(&lite, None, &["log", "export"]));
    let b = ok(&run(&pg.url, Some(&key), &["log", "export"]));
    assert!(
        a.lines().count() > 1000,
        "small demo: {} entries",
        a.lines().count()
    );
    assert!(a == b, "log export differs between SQLite and PostgreSQL");
    let va = ok(&run(&lite, None, &["verify"]));
    let vb = ok(&run(&pg.url, Some(&key), &["verify"]));
    assert!(va.starts_with("ok: "), "{va}");
    assert_eq!(va, vb);
    // The signing key is the file's, never the database's.
    assert_eq!(
        ok(&run(&pg.url, Some(&key), &["log", "key"])),
        ok(&run(&pg.url, Some(&key), &["log", "key"]))
    );
    let o = run(&pg.url, None, &["log", "key"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("CUSTODIA_KEY"));
    let other = pg.file("other.key");
    let o = run(&pg.url, Some(&other), &["verify"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "another key is refused: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn backups_move_stores_between_backends_both_ways() {
    let Some(pg) = Pg::new("move") else { return };
    let Some(pg2) = Pg::new("move2") else { return };
    let (lite, back, key) = (pg.file("src.db"), pg.file("back.db"), pg.key());
    ok(&run(
        &lite,
        None,
        &["demo", "--seed", "9", "--scale", "tiny"],
    ));
    let export = ok(&run(&lite, None, &["log", "export"]));
    let root = ok(&run(&lite, None, &["verify"]));
    // SQLite -> PostgreSQL.
    let f1 = pg.file("lite.backup");
    ok(&run(&lite, None, &["backup", "--out", &f1]));
    ok(&run(&pg.url, Some(&key), &["restore", &f1]));
    assert!(ok(&run(&pg.url, Some(&key), &["log", "export"])) == export);
    assert_eq!(ok(&run(&pg.url, Some(&key), &["verify"])), root);
    // Restoring into a PostgreSQL store that is not empty is refused.
    let o = run(&pg.url, Some(&key), &["restore", &f1]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // PostgreSQL -> SQLite, and PostgreSQL -> another PostgreSQL database.
    let f2 = pg.file("pg.backup");
    ok(&run(&pg.url, Some(&key), &["backup", "--out", &f2]));
    assert_eq!(std::fs::read(&f1).unwrap(), std::fs::read(&f2).unwrap());
    ok(&run(&back, None, &["restore", &f2]));
    assert!(ok(&run(&back, None, &["log", "export"])) == export);
    assert_eq!(ok(&run(&back, None, &["verify"])), root);
    let key2 = pg2.key();
    ok(&run(&pg2.url, Some(&key2), &["restore", &f2]));
    assert_eq!(ok(&run(&pg2.url, Some(&key2), &["verify"])), root);
}

fn persons_csv(n: usize, prefix: &str) -> String {
    let mut s = String::from(
        "person_id,family_names,given_names,date_of_birth,sex,country_of_birth,nationalities\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "{prefix}-{i:07},Apellido{},Nombre{},1990-01-{:02},M,VE,VE\n",
            i % 997,
            i % 89,
            1 + i % 28
        ));
    }
    s
}

/// Starts `args`, waits until `ready` holds (or the process ends), then kills it with
/// SIGKILL; returns whether it was still running when killed.
fn kill_when(mut c: Command, ready: &mut dyn FnMut() -> bool) -> bool {
    let mut child = c
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Generous: on a loaded machine the debug binary is slow to reach the point to kill at.
    let deadline = Instant::now() + Duration::from_secs(900);
    while !ready() && Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap(); // SIGKILL on Unix: no chance to roll back itself.
    child.wait().unwrap();
    running
}

fn scalar(url: &str, sql: &str) -> i64 {
    // Before the store has migrated its tables, there is nothing to count yet.
    custodia_store::postgres::admin_query_i64(url, sql)
        .ok()
        .flatten()
        .unwrap_or(0)
}

/// Whether a store's write transaction is open right now: it holds the advisory lock.
fn writing(url: &str) -> bool {
    scalar(
        url,
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted",
    ) > 0
}

#[test]
fn a_writer_killed_mid_batch_leaves_a_log_that_verifies() {
    let Some(pg) = Pg::new("kill") else { return };
    let key = pg.key();
    let small = pg.file("small.csv");
    std::fs::write(&small, persons_csv(500, "A")).unwrap();
    ok(&run(&pg.url, Some(&key), &["import", "persons", &small]));
    let before = ok(&run(&pg.url, Some(&key), &["log", "export"]));
    // One 200,000-row import is one transaction: killed half-way, none of it may remain.
    let big = pg.file("big.csv");
    std::fs::write(&big, persons_csv(200_000, "B")).unwrap();
    let url = pg.url.clone();
    // Killed once it has been inside its transaction for two seconds.
    let mut since: Option<Instant> = None;
    let mut ready = || {
        if since.is_none() && writing(&url) {
            since = Some(Instant::now());
        }
        since.is_some_and(|t| t.elapsed() > Duration::from_secs(2))
    };
    let was_running = kill_when(
        cmd(&pg.url, Some(&key), &["import", "persons", &big]),
        &mut ready,
    );
    assert!(was_running, "the import ended before it could be killed");
    let v = run(&pg.url, Some(&key), &["verify"]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stderr)
    );
    assert!(String::from_utf8_lossy(&v.stdout).starts_with("ok: 500 entries"));
    assert!(ok(&run(&pg.url, Some(&key), &["log", "export"])) == before);
    // The store takes writes again at once (the killed session's lock died with it).
    let again = pg.file("again.csv");
    std::fs::write(&again, persons_csv(10, "C")).unwrap();
    ok(&run(&pg.url, Some(&key), &["import", "persons", &again]));
    assert!(ok(&run(&pg.url, Some(&key), &["verify"])).starts_with("ok: 510 entries"));
}

#[test]
fn a_demo_killed_between_and_within_batches_keeps_only_whole_batches() {
    let Some(pg) = Pg::new("killdemo") else {
        return;
    };
    let key = pg.key();
    let url = pg.url.clone();
    // Killed inside a write transaction once some batches have committed.
    let mut seen = 0;
    let mut ready = || {
        seen = scalar(&url, "SELECT count(*) FROM ledger");
        seen > 5_000 && writing(&url)
    };
    let was_running = kill_when(
        cmd(
            &pg.url,
            Some(&key),
            &["demo", "--seed", "3", "--scale", "cecot"],
        ),
        &mut ready,
    );
    assert!(was_running, "the demo ended before it could be killed");
    let v = run(&pg.url, Some(&key), &["verify"]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stderr)
    );
    let out = String::from_utf8_lossy(&v.stdout).into_owned();
    let n: u64 = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    // Whatever had committed before the kill is still there.
    assert!(
        n >= u64::try_from(seen).unwrap() && n > 5_000,
        "{out} (saw {seen})"
    );
    // Every entry is under a signed checkpoint: the last batch is whole or absent.
    let cp = ok(&run(&pg.url, Some(&key), &["log", "checkpoint"]));
    assert_eq!(
        cp.lines().nth(1).unwrap().parse::<u64>().unwrap(),
        n,
        "{cp}"
    );
}

/// Issue 18: `restore` is one transaction. A backup that PostgreSQL refuses late in the
/// file (a NUL character, which SQLite stores and PostgreSQL text cannot) leaves nothing
/// at all behind, and the good backup is then restored into the same store.
#[test]
fn a_restore_that_fails_half_way_leaves_nothing_and_can_be_retried() {
    let Some(pg) = Pg::new("restore_atomic") else {
        return;
    };
    let (lite, key) = (pg.file("src.db"), pg.key());
    ok(&run(
        &lite,
        None,
        &["demo", "--seed", "9", "--scale", "tiny"],
    ));
    let root = ok(&run(&lite, None, &["verify"]));
    let good = pg.file("good.backup");
    ok(&run(&lite, None, &["backup", "--out", &good]));
    // The same leaves with a NUL in a name near the end; the header's root made
    // to match, so the file passes every check that runs before the store is touched.
    let text = std::fs::read_to_string(&good).unwrap();
    let mut leaves: Vec<String> = text.lines().skip(1).map(str::to_string).collect();
    // The last leaf that carries a name, which its projection writes into a text column.
    let late = leaves
        .iter()
        .rposition(|l| l.contains("\"family_names\":\""))
        .unwrap();
    let first_at = &leaves[0][..leaves[0].find("\"kind\"").unwrap()];
    assert!(
        !leaves[late].contains(&first_at[first_at.find("\"recorded_at\"").unwrap()..]),
        "the bad leaf must come after the first batch"
    );
    let at = leaves[late].find("\"family_names\":\"").unwrap() + 16;
    leaves[late].insert_str(at, "\\u0000");
    let mut f = custodia_ledger::Frontier::default();
    let mut scratch = Vec::new();
    for l in &leaves {
        f.push(custodia_ledger::leaf_hash(l.as_bytes()), &mut scratch)
            .unwrap();
    }
    let bad = pg.file("bad.backup");
    std::fs::write(
        &bad,
        format!(
            "{{\"format\":\"custodia-backup/1\",\"entries\":{},\"root\":\"{}\"}}\n{}\n",
            leaves.len(),
            hex::encode(f.root().0),
            leaves.join("\n")
        ),
    )
    .unwrap();
    let o = run(&pg.url, Some(&key), &["restore", &bad]);
    assert!(
        !o.status.success(),
        "PostgreSQL took a NUL: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("rolled back"), "{err}");
    assert!(err.contains(&format!("leaf {late}")), "{err}");
    // Nothing of it is left: no leaf, no checkpoint but the empty tree's, no projection row.
    assert_eq!(scalar(&pg.url, "SELECT count(*) FROM ledger"), 0);
    assert_eq!(
        scalar(&pg.url, "SELECT count(*) FROM checkpoints WHERE size > 0"),
        0
    );
    assert_eq!(scalar(&pg.url, "SELECT count(*) FROM persons"), 0);
    assert_eq!(scalar(&pg.url, "SELECT count(*) FROM facilities"), 0);
    // And the retry of the good backup succeeds, giving the source's log.
    ok(&run(&pg.url, Some(&key), &["restore", &good]));
    assert_eq!(ok(&run(&pg.url, Some(&key), &["verify"])), root);
    assert_eq!(
        ok(&run(&pg.url, Some(&key), &["log", "export"])),
        ok(&run(&lite, None, &["log", "export"]))
    );
}

/// Issue 18: `verify` never creates a PostgreSQL store either. A database that does not
/// exist, or one with no custodia schema, is exit 1 and stays as it was; an auditor with no
/// key file verifies a real one against a trail, and a rollback is named.
#[test]
fn verify_on_postgres_creates_nothing_and_keeps_a_trail() {
    let Some(pg) = Pg::new("verify_ro") else {
        return;
    };
    let missing = custodia_store::postgres::with_database(&pg.url, "custodia_t_no_such_db");
    let o = run(&missing, None, &["verify"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("no store"));
    // The database exists but holds nothing: no schema is made.
    let o = run(&pg.url, None, &["verify"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("no custodia store"));
    assert_eq!(
        scalar(
            &pg.url,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ),
        0,
        "verify created tables"
    );
    // A real store, verified by an auditor (no CUSTODIA_KEY) against a trail.
    let key = pg.key();
    ok(&run(
        &pg.url,
        Some(&key),
        &["demo", "--seed", "9", "--scale", "tiny"],
    ));
    let trail = pg.file("trail");
    ok(&run(&pg.url, None, &["verify", "--trail", &trail]));
    let size = scalar(&pg.url, "SELECT max(size) FROM checkpoints");
    // Cut back the last batch (ledger rows and the checkpoint that signs them).
    let before = scalar(
        &pg.url,
        "SELECT max(size) FROM checkpoints WHERE size < (SELECT max(size) FROM checkpoints)",
    );
    custodia_store::postgres::admin_execute(
        &pg.url,
        &format!("DELETE FROM ledger WHERE seq >= {before}; DELETE FROM checkpoints WHERE size > {before}"),
    )
    .unwrap();
    let o = run(&pg.url, None, &["verify", "--trail", &trail]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("rolled back") && err.contains(&format!("size {size}")),
        "{err}"
    );
}
