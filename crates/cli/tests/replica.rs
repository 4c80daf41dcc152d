#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `custodia serve --read-only` against a real PostgreSQL streaming replica (issue 18).
//!
//! The test starts its own two clusters on free loopback ports, so the server named by
//! `CUSTODIA_TEST_PG` is never touched (that variable only gates the test, as for every
//! PostgreSQL test): a primary made with `initdb`, and a hot standby made from it with
//! `pg_basebackup -R` (streaming replication, `wal_level = replica`, the defaults; `initdb
//! --auth=trust` writes the `replication` lines for 127.0.0.1 into `pg_hba.conf`). Then one
//! writer server on the primary and two read-only servers on the standby, all the real
//! binary. It shows that:
//!
//! - a person imported on the primary appears on both read-only servers' locators within
//!   [`LAG_DEADLINE`] (measured lag printed; in practice the replication lag, a few
//!   milliseconds, plus at most the locator's 1 s refresh);
//! - writes and personal reads sent to a read-only server are refused (503, `read_only`)
//!   and change nothing, while the writer takes the same write; the write then reaches
//!   the read-only servers' locators too (the person is withheld there).
//!
//! The PostgreSQL binaries come from `CUSTODIA_PG_BIN`, `pg_config --bindir` or
//! `/usr/lib/postgresql/*/bin`. As root (CI), clusters run as the `postgres` user through
//! `runuser`. Every process and directory is cleaned up when the test ends, passing or not.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long a write on the primary may take to show on a read-only server's locator.
const LAG_DEADLINE: Duration = Duration::from_secs(30);
/// How long a server or a cluster may take to start.
const START_DEADLINE: Duration = Duration::from_secs(60);

fn bin_dir() -> PathBuf {
    if let Ok(d) = std::env::var("CUSTODIA_PG_BIN") {
        return PathBuf::from(d);
    }
    if let Ok(o) = Command::new("pg_config").arg("--bindir").output()
        && o.status.success()
    {
        let d = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        if d.join("initdb").exists() {
            return d;
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                .filter(|b| b.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!("no PostgreSQL binaries (initdb): set CUSTODIA_PG_BIN to their directory")
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Two clusters (primary and standby) in a temporary directory; stopped and removed on drop.
struct Clusters {
    bin: PathBuf,
    root: bool,
    dir: PathBuf,
    primary_port: u16,
    replica_port: u16,
    started: Vec<PathBuf>,
}

impl Clusters {
    /// A PostgreSQL tool, as the `postgres` user when we are root.
    fn tool(&self, name: &str) -> Command {
        let exe = self.bin.join(name);
        if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&self, name: &str, args: &[&str]) {
        let out = self
            .tool(name)
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`{name} {}` failed: {}{}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.logs()
        );
    }

    fn logs(&self) -> String {
        ["primary.log", "replica.log"]
            .iter()
            .map(|f| {
                format!(
                    "--- {f}:\n{}",
                    std::fs::read_to_string(self.dir.join(f)).unwrap_or_default()
                )
            })
            .collect()
    }

    fn start(&mut self, data: &str, port: u16, log: &str) {
        let d = self.dir.join(data);
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.dir.display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                d.to_str().unwrap(),
                "-l",
                self.dir.join(log).to_str().unwrap(),
                "-o",
                &opts,
                "-w",
                "-t",
                &START_DEADLINE.as_secs().to_string(),
                "start",
            ],
        );
        self.started.push(d);
    }

    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("custodia-replica-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let root = is_root();
        if root {
            let st = Command::new("chown")
                .args(["postgres:postgres", dir.to_str().unwrap()])
                .status()
                .unwrap();
            assert!(st.success(), "chown postgres {}", dir.display());
        }
        let mut c = Self {
            bin: bin_dir(),
            root,
            dir,
            primary_port: free_port(),
            replica_port: free_port(),
            started: Vec::new(),
        };
        let primary = c.dir.join("primary");
        c.run(
            "initdb",
            &[
                "-D",
                primary.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        );
        c.start("primary", c.primary_port, "primary.log");
        let replica = c.dir.join("replica");
        c.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &c.primary_port.to_string(),
                "-U",
                "postgres",
                "-D",
                replica.to_str().unwrap(),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ],
        );
        c.start("replica", c.replica_port, "replica.log");
        c
    }

    fn url(&self, port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/custodia")
    }
}

impl Drop for Clusters {
    fn drop(&mut self) {
        // The standby first, then the primary; immediate: nothing here needs keeping.
        for d in self.started.clone().iter().rev() {
            let _ = self
                .tool("pg_ctl")
                .args(["-D", d.to_str().unwrap(), "-m", "immediate", "-w", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `custodia serve` child, killed on drop.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn custodia(db: &str, key: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_custodia"));
    c.arg("--db")
        .arg(db)
        .args(args)
        .env("CUSTODIA_KEY", key)
        .env_remove("CUSTODIA_DB")
        .env_remove("CUSTODIA_TOKEN")
        .env_remove("CUSTODIA_CLOCK");
    c
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({:?}): {}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Starts `custodia serve` on a free port and waits until it says where it listens.
fn serve(db: &str, key: &Path, extra: &[&str]) -> Server {
    let mut args = vec![
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--no-locate-limits",
        "--pool",
        "2",
    ];
    args.extend_from_slice(extra);
    let mut child = custodia(db, key, &args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(i) = line.find("on http://") {
                let _ = tx.send(line[i + "on http://".len()..].trim().to_string());
            }
        }
    });
    let mut server = Server {
        child,
        addr: String::new(),
    };
    match rx.recv_timeout(START_DEADLINE) {
        Ok(a) => server.addr = a,
        Err(_) => {
            let status = server.child.try_wait().ok().flatten();
            panic!(
                "`custodia serve {}` did not start (exit: {status:?})",
                extra.join(" ")
            );
        }
    }
    server
}

/// One HTTP/1.1 request (`Connection: close`); the status and the body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    let body = body.unwrap_or("");
    if method != "GET" {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    (
        status,
        if chunked {
            dechunk(rest)
        } else {
            rest.to_string()
        },
    )
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

const MARISOL: &str = "/api/v1/locate?family=Zelaya%20Quintanilla&given=Marisol&country=HN";

/// The person ids a locator query returns.
fn located(addr: &str, path: &str) -> Vec<String> {
    let (status, body) = http(addr, "GET", path, None, None);
    assert_eq!(status, 200, "GET {path} on {addr}: {body}");
    json(&body)
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["person_id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Polls until `pred` holds on what `addr` answers; the time it took, or a panic naming
/// what was last seen when [`LAG_DEADLINE`] passes.
fn until(addr: &str, path: &str, pred: impl Fn(&[String]) -> bool) -> Duration {
    let t = Instant::now();
    loop {
        let seen = located(addr, path);
        if pred(&seen) {
            return t.elapsed();
        }
        assert!(
            t.elapsed() < LAG_DEADLINE,
            "{addr} still answers {seen:?} to {path} after {LAG_DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn read_only_servers_on_a_streaming_replica() {
    if std::env::var("CUSTODIA_TEST_PG").map_or(true, |s| s.is_empty()) {
        eprintln!("skipping: CUSTODIA_TEST_PG not set");
        return;
    }
    let clusters = Clusters::new();
    let key = clusters.dir.join("custodia.key");
    let (primary, replica) = (
        clusters.url(clusters.primary_port),
        clusters.url(clusters.replica_port),
    );
    custodia_store::postgres::create_database(
        &format!(
            "postgres://postgres@127.0.0.1:{}/postgres",
            clusters.primary_port
        ),
        "custodia",
    )
    .unwrap();

    // The writer's store: one person, and tokens (service rows, replicated like the rest).
    let token = |role: &str, name: &str| {
        ok(
            custodia(
                &primary,
                &key,
                &["token", "create", "--role", role, "--name", name],
            )
            .output()
            .unwrap(),
            "token create",
        )
        .trim()
        .to_string()
    };
    let officer = token("sending_officer", "ofelia");
    // The facility first: persons are imported only into a registered facility.
    let admin = token("admin", "ada");
    let prison = clusters.dir.join("cecot.json");
    std::fs::write(
        &prison,
        r#"{"id":"CECOT","name":"Prison (test)","country":"SV","kind":"prison","adult_only":true,"pavilions":[]}"#,
    )
    .unwrap();
    ok(
        custodia(
            &primary,
            &key,
            &["facility", "register", prison.to_str().unwrap()],
        )
        .env("CUSTODIA_TOKEN", &admin)
        .output()
        .unwrap(),
        "facility register",
    );
    let csv = clusters.dir.join("p1.csv");
    std::fs::write(
        &csv,
        "person_id,family_names,given_names,date_of_birth,sex,country_of_birth,nationalities,facility_id,status\n\
         P-1,Menjívar Ruiz,José Luis,1990-04-12,M,SV,SV,CECOT,in_custody\n",
    )
    .unwrap();
    let import = |file: &Path| {
        ok(
            custodia(
                &primary,
                &key,
                &["import", "persons", file.to_str().unwrap()],
            )
            .env("CUSTODIA_TOKEN", &officer)
            .output()
            .unwrap(),
            "import persons",
        )
    };
    import(&csv);

    let writer = serve(&primary, &key, &[]);
    let readers = [
        serve(&replica, &key, &["--read-only"]),
        serve(&replica, &key, &["--read-only"]),
    ];
    let jose = "/api/v1/locate?family=Menjivar%20Ruiz&given=Jose%20Luis&country=SV";
    until(&writer.addr, jose, |ids| ids == ["P-1"]);
    for r in &readers {
        until(&r.addr, jose, |ids| ids == ["P-1"]);
        assert!(located(&r.addr, MARISOL).is_empty());
    }

    // A write on the primary reaches both read-only servers' locators.
    let csv2 = clusters.dir.join("p2.csv");
    std::fs::write(
        &csv2,
        "person_id,family_names,given_names,date_of_birth,sex,country_of_birth,nationalities,facility_id,status\n\
         P-2,Zelaya Quintanilla,Marisol,1985-06-21,F,HN,HN,CECOT,in_custody\n",
    )
    .unwrap();
    import(&csv2);
    // (The writer's own locator index also refreshes at most once a second.)
    until(&writer.addr, MARISOL, |ids| ids == ["P-2"]);
    for r in &readers {
        let lag = until(&r.addr, MARISOL, |ids| ids == ["P-2"]);
        eprintln!("P-2 on the read-only server {} after {lag:?}", r.addr);
    }

    // Writes and personal reads sent to a read-only server are refused and change nothing.
    let size_before =
        custodia_store::postgres::admin_query_i64(&primary, "SELECT COUNT(*) FROM ledger").unwrap();
    let withhold = r#"{"requested_by":"person","reason":"asked at intake"}"#;
    for r in &readers {
        for (method, path, body) in [
            ("POST", "/api/v1/persons/P-2/withhold", Some(withhold)),
            ("GET", "/api/v1/persons/P-2", None),
            ("GET", "/api/v1/persons?q=Zelaya", None),
        ] {
            let (status, text) = http(&r.addr, method, path, Some(&officer), body);
            assert_eq!(status, 503, "{method} {path} on a read-only server: {text}");
            let v = json(&text);
            assert_eq!(v["error"]["code"], "read_only", "{text}");
            assert!(
                v["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("read-only"),
                "{text}"
            );
        }
        // Public log routes still answer.
        let (status, text) = http(&r.addr, "GET", "/api/v1/log/checkpoint", None, None);
        assert_eq!(status, 200, "{text}");
    }
    assert_eq!(
        custodia_store::postgres::admin_query_i64(&primary, "SELECT COUNT(*) FROM ledger").unwrap(),
        size_before,
        "a refused request changed the log"
    );

    // The writer takes the same write (and logs the personal read), and the read-only
    // servers' locators follow: P-2 is withheld there too.
    let (status, text) = http(
        &writer.addr,
        "POST",
        "/api/v1/persons/P-2/withhold",
        Some(&officer),
        Some(withhold),
    );
    assert_eq!(status, 200, "withhold on the writer: {text}");
    let (status, text) = http(
        &writer.addr,
        "GET",
        "/api/v1/persons/P-2",
        Some(&officer),
        None,
    );
    assert_eq!(status, 200, "person read on the writer: {text}");
    until(&writer.addr, MARISOL, <[String]>::is_empty);
    for r in &readers {
        let lag = until(&r.addr, MARISOL, <[String]>::is_empty);
        eprintln!(
            "P-2 withheld on the read-only server {} after {lag:?}",
            r.addr
        );
    }
    drop(readers);
    drop(writer);
    drop(clusters);
}
