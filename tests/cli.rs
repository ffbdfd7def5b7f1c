//! The `thidua` command line, run as a program: init, apply, units, tokens,
//! admin users, rebuild — and one-line failures.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn thidua(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thidua"))
        .args(args)
        .env("THIDUA_DATABASE_URL", db)
        .env_remove("THIDUA_REDIS_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tokens(path: &Path) -> Vec<(String, String)> {
    csv::Reader::from_path(path)
        .unwrap()
        .deserialize()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn init_is_idempotent_and_issues_tokens_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.db", dir.path().display());
    let out = dir.path().join("tokens.csv");
    let args = [
        "init",
        "--competition",
        "data/lang-son-2025.toml",
        "--units",
        "data/lang-son-units.csv",
        "--tokens-out",
        out.to_str().unwrap(),
    ];
    let first = thidua(&db, &args);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("created"));
    assert!(stdout(&first).contains("79 added"));
    let issued = tokens(&out);
    assert_eq!(issued.len(), 79);
    // Codes a person can type: seven groups of four base32 symbols.
    assert!(
        issued
            .iter()
            .all(|(_, t)| t.len() == 34 && t.split('-').all(|g| g.len() == 4)),
        "{issued:?}"
    );
    // Long work shows how far it is; off a terminal, as plain lines.
    let progress = stderr(&first);
    assert!(progress.contains("units import: 0/79"), "{progress}");
    assert!(
        progress.contains("units import: 79/79 done in"),
        "{progress}"
    );
    assert!(
        progress.contains("units tokens: 79/79 done in"),
        "{progress}"
    );
    assert!(!progress.contains('\r'), "no redrawn bar off a terminal");

    let again = thidua(&db, &args);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stdout(&again).contains("unchanged"));
    assert!(stdout(&again).contains("79 unchanged"));
    assert_eq!(tokens(&out).len(), 0, "no unit lacked a token");

    // Rotating one unit's token, with its printable letter.
    let one = dir.path().join("one.csv");
    let letters = dir.path().join("letters.html");
    let rotated = thidua(
        &db,
        &[
            "units",
            "tokens",
            "--competition",
            "lang-son-2025",
            "--unit",
            "06040",
            "--out",
            one.to_str().unwrap(),
            "--letters",
            letters.to_str().unwrap(),
            "--base-url",
            "https://thidua.langson.gov.vn",
        ],
    );
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    let html = std::fs::read_to_string(&letters).unwrap();
    assert_eq!(html.matches("<article class=\"letter\">").count(), 1);
    assert!(
        html.contains(
            "https://thidua.langson.gov.vn/report?unit=06040&amp;competition=lang-son-2025"
        ) || html.contains(
            "https://thidua.langson.gov.vn/report?unit=06040&#38;competition=lang-son-2025"
        ),
        "{html}"
    );
    assert!(html.contains("<svg"));
    let one = tokens(&one);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].0, "06040");
    assert_ne!(
        one[0].1,
        issued.iter().find(|(c, _)| c == "06040").unwrap().1
    );
    assert!(html.contains(&one[0].1), "the letter carries the new code");
    let unknown = thidua(
        &db,
        &[
            "units",
            "tokens",
            "--competition",
            "lang-son-2025",
            "--unit",
            "NOPE",
            "--out",
            "/dev/null",
        ],
    );
    assert!(!unknown.status.success());

    // Importing a renamed unit updates it.
    let csv = dir.path().join("units.csv");
    std::fs::write(
        &csv,
        "\u{feff}code,name,group\n06040,Xã Thất Khê (mới),xa-phuong\n",
    )
    .unwrap();
    let import = thidua(
        &db,
        &[
            "units",
            "import",
            csv.to_str().unwrap(),
            "--competition",
            "lang-son-2025",
        ],
    );
    assert!(stdout(&import).contains("1 updated"), "{}", stderr(&import));
    let rebuild = thidua(&db, &["rebuild-ranking"]);
    assert!(rebuild.status.success(), "{}", stderr(&rebuild));
    assert!(
        stderr(&rebuild).contains("rebuild-ranking: 79/79 done in"),
        "{}",
        stderr(&rebuild)
    );
    let file = dir.path().join("ket-qua.json");
    let export = thidua(
        &db,
        &[
            "export",
            "--competition",
            "lang-son-2025",
            "--format",
            "json",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(export.status.success(), "{}", stderr(&export));
    assert!(
        stderr(&export).contains("export: started"),
        "{}",
        stderr(&export)
    );
    assert!(
        stderr(&export).contains(" bytes in "),
        "{}",
        stderr(&export)
    );
}

#[test]
fn failures_exit_non_zero_with_one_line_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.db", dir.path().display());
    let bad = dir.path().join("bad.toml");
    let text = std::fs::read_to_string("data/lang-son-2025.toml").unwrap();
    std::fs::write(&bad, text.replace("target_percent = 100\nweight = 1\nno_data = \"exclude\"\n\n[[criteria]]\nkey = \"online_payment\"", "target_percent = 0\nweight = 1\nno_data = \"exclude\"\n\n[[criteria]]\nkey = \"online_payment\"")).unwrap();
    let o = thidua(&db, &["competition", "apply", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("criteria[0].target_percent"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let o = thidua(&db, &["competition", "apply", "no-such-file.toml"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no-such-file.toml"));

    let o = thidua(
        &db,
        &[
            "units",
            "import",
            "data/lang-son-units.csv",
            "--competition",
            "nope",
        ],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("nope"));

    let o = thidua("mysql://x", &["rebuild-ranking"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("THIDUA_DATABASE_URL"));
}

#[test]
fn changing_scoring_after_reports_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let db = format!("sqlite://{}", path.display());
    let o = thidua(
        &db,
        &[
            "init",
            "--competition",
            "data/lang-son-2025.toml",
            "--units",
            "data/lang-son-units.csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // One report, written straight to the database.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = thidua::store::Store::open(&db).await.unwrap();
        let record = store.competition("lang-son-2025").await.unwrap().unwrap();
        let unit = store.unit(record.id, "06040").await.unwrap().unwrap();
        let counters = [
            ("received", 1u64),
            ("received_online", 1),
            ("fee_required", 0),
            ("paid_online", 0),
            ("results_issued", 0),
            ("results_signed", 0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        store
            .save_report(&thidua::store::NewReport {
                competition_id: record.id,
                unit_id: unit.id,
                unit_code: unit.code.clone(),
                day: chrono::NaiveDate::from_ymd_opt(2025, 10, 6).unwrap(),
                counters,
                note: None,
                writer: thidua::report::Writer::unit("06040", None),
                late: false,
                now: chrono::Utc::now(),
                idempotency: None,
            })
            .await
            .unwrap();
    });
    let changed = dir.path().join("changed.toml");
    let text = std::fs::read_to_string("data/lang-son-2025.toml").unwrap();
    std::fs::write(&changed, text.replacen("weight = 1", "weight = 2", 1)).unwrap();
    let o = thidua(&db, &["competition", "apply", changed.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    let o = thidua(
        &db,
        &["competition", "apply", changed.to_str().unwrap(), "--force"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("re-scored"));
    // Renaming is not a scoring change.
    std::fs::write(
        &changed,
        text.replacen("weight = 1", "weight = 2", 1)
            .replace("Sở Nội vụ tỉnh Lạng Sơn", "Sở Nội vụ Lạng Sơn"),
    )
    .unwrap();
    let o = thidua(&db, &["competition", "apply", changed.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("updated"));
}

#[test]
fn organiser_passwords_come_from_stdin() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.db", dir.path().display());
    let run = |password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_thidua"))
            .args(["admin", "add-user", "nguyen.van.a", "--password-stdin"])
            .env("THIDUA_DATABASE_URL", &db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(password.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    assert!(!run("short\n").status.success());
    let o = run("một mật khẩu đủ dài\n");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = thidua(&db, &["admin", "token", "nguyen.van.a"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o).trim().len(), 64);
}

#[test]
fn integration_tokens_are_issued_listed_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.db", dir.path().display());
    let init = thidua(
        &db,
        &[
            "init",
            "--competition",
            "data/lang-son-2025.toml",
            "--units",
            "data/lang-son-units.csv",
        ],
    );
    assert!(init.status.success(), "{}", stderr(&init));
    let slug = "lang-son-2025";
    let o = thidua(
        &db,
        &[
            "integration",
            "token",
            "--competition",
            slug,
            "Một cửa tỉnh",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // The token alone on standard output, for scripts.
    let token = stdout(&o).trim().to_string();
    assert_eq!(token.len(), 64, "{token}");
    let listed = thidua(&db, &["integration", "list", "--competition", slug]);
    let line = stdout(&listed);
    assert!(
        line.contains("#1\tMột cửa tỉnh") && line.contains("live"),
        "{line}"
    );
    let o = thidua(&db, &["integration", "revoke", "--competition", slug, "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let listed = thidua(&db, &["integration", "list", "--competition", slug]);
    assert!(stdout(&listed).contains("revoked"));
    // Nothing left to revoke: a one-line failure.
    let o = thidua(&db, &["integration", "revoke", "--competition", slug, "1"]);
    assert!(!o.status.success());
    assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
    let o = thidua(&db, &["integration", "token", "--competition", "none", "x"]);
    assert!(!o.status.success());
}
