//! lasair-query end to end: a main database filled through lasair-db, queried by the binary,
//! on SQLite always and on MariaDB when scripts/test provides it (LASAIR_TEST_MYSQL).

use std::process::{Command, Output};

use lasair_db::{Db, Value};

fn query(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lasair-query"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("run lasair-query")
}

/// Four objects, two of them SN-like in galaxies; expected answers below are worked out by hand.
/// Every query keeps to objects named QTEST*, because the MariaDB of scripts/test is shared with
/// the other crates' database tests.
fn fill(url: &str) {
    let mut db = Db::open(url).expect("open read/write");
    let t = |s: &str| Value::Text(s.into());
    db.upsert(
        "objects",
        &["objectId", "ncandgp", "gmag", "jdmax"],
        &[
            vec![t("QTEST1aaaaaa"), 5.into(), 18.5.into(), 2_460_000.5.into()],
            vec![t("QTEST1bbbbbb"), 1.into(), 19.0.into(), 2_460_001.5.into()],
            vec![
                t("QTEST1cccccc"),
                7.into(),
                17.25.into(),
                2_460_002.5.into(),
            ],
            vec![t("QTEST1dddddd"), 9.into(), Value::Null, 2_460_003.5.into()],
        ],
    )
    .expect("objects");
    db.upsert(
        "sherlock_classifications",
        &["objectId", "classification"],
        &[
            vec![t("QTEST1aaaaaa"), t("SN")],
            vec![t("QTEST1bbbbbb"), t("SN")],
            vec![t("QTEST1cccccc"), t("VS")],
            vec![t("QTEST1dddddd"), t("NT")],
        ],
    )
    .expect("sherlock");
    db.upsert(
        "filters",
        &[
            "mq_id",
            "user_id",
            "name",
            "selected",
            "tables",
            "conditions",
            "active",
        ],
        &[vec![
            9001.into(),
            7.into(),
            t("qtest bright"),
            t("objects.objectId, objects.gmag"),
            t("objects"),
            t("objects.gmag < 18.6 AND objects.objectId LIKE 'QTEST%' ORDER BY objects.gmag"),
            1.into(),
        ]],
    )
    .expect("filters");
}

const SN_LIKE: [&str; 8] = [
    "--select",
    "objects.objectId, objects.ncandgp, sherlock_classifications.classification AS class",
    "--tables",
    "objects, sherlock_classifications",
    "--where",
    "objects.objectId LIKE 'QTEST%' AND objects.ncandgp >= 3 AND sherlock_classifications.classification IN ('SN', 'NT') ORDER BY objects.objectId",
    "--format",
    "json",
];

fn check_everything(rw: &str, ro: &str) {
    fill(rw);
    let out = query(ro, &SN_LIKE);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(
        lines,
        vec![
            serde_json::json!({"objectId": "QTEST1aaaaaa", "ncandgp": 5, "class": "SN"}),
            serde_json::json!({"objectId": "QTEST1dddddd", "ncandgp": 9, "class": "NT"}),
        ]
    );

    let mut csv_args = SN_LIKE;
    csv_args[7] = "csv";
    let out = query(ro, &csv_args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text,
        "objectId,ncandgp,class\nQTEST1aaaaaa,5,SN\nQTEST1dddddd,9,NT\n"
    );

    let out = query(ro, &["--filter", "qtest bright", "--format", "table"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<&str> = text.lines().collect();
    assert!(
        rows[0].starts_with("objectId") && rows[0].contains("gmag"),
        "{text}"
    );
    assert!(
        rows[2].starts_with("QTEST1cccccc") && rows[3].starts_with("QTEST1aaaaaa"),
        "{text}"
    );
    assert_eq!(rows.last(), Some(&"(2 rows)"));

    let out = query(
        ro,
        &[
            "--where",
            "objects.ncandgp > 0",
            "--limit",
            "1",
            "--offset",
            "1",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn sqlite_answers_in_every_format() {
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    check_everything(&url, &url);
}

#[test]
fn mariadb_answers_the_same() {
    let (Ok(rw), Ok(ro)) = (
        std::env::var("LASAIR_TEST_MYSQL"),
        std::env::var("LASAIR_TEST_MYSQL_RO"),
    ) else {
        eprintln!("skipped: LASAIR_TEST_MYSQL not set (scripts/test starts MariaDB)");
        return;
    };
    check_everything(&rw, &ro);
}

#[test]
fn explain_shows_the_compiled_sql_with_its_row_limit() {
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    fill(&url);
    let out = query(
        &url,
        &[
            "--where",
            "objects.jdmax > jdnow() - 7",
            "--max-rows",
            "50",
            "--explain",
        ],
    );
    assert!(out.status.success());
    let sql = String::from_utf8_lossy(&out.stdout);
    assert!(
        sql.contains("julianday") && sql.contains("LIMIT 50"),
        "{sql}"
    );
}

#[test]
fn hostile_clauses_are_refused_with_exit_2_and_leave_the_data_alone() {
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    fill(&url);
    for clause in [
        "1=1; DROP TABLE objects",
        "1 UNION SELECT password FROM users",
        "SLEEP(5) = 0",
    ] {
        let out = query(&url, &["--where", clause]);
        assert_eq!(out.status.code(), Some(2), "{clause}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("lasair-query: error:"));
    }
    let out = query(&url, &["--where", "objects.objectId LIKE 'QTEST%'"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        4,
        "objects intact"
    );
}

#[test]
fn an_unreachable_database_is_a_clear_setup_error() {
    let out = query("mysql://nobody:x@127.0.0.1:1/lasair", &["--where", "1=1"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("127.0.0.1:1") && !stderr.contains(":x@"),
        "{stderr}"
    );
}

#[test]
fn the_config_section_supplies_what_flags_leave_out() {
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    fill(&url);
    let config = tmp.path().join("node.toml");
    std::fs::write(
        &config,
        format!("[query]\ndb = {url:?}\nformat = \"csv\"\nmax_rows = 2\n"),
    )
    .expect("config");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_lasair-query"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .expect("run lasair-query")
    };
    // max_rows = 2 from the file caps four matching objects; csv from the file.
    let out = run(&["--where", "objects.objectId LIKE 'QTEST%'"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        3,
        "header + 2"
    );
    // A flag wins over the file.
    let out = run(&[
        "--where",
        "objects.objectId LIKE 'QTEST%'",
        "--format",
        "json",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with('{'));
    let out = run(&["--print-config"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("[query]") && text.contains("max_rows = 2"),
        "{text}"
    );

    std::fs::write(&config, "[query]\ndatabase = \"sqlite:x\"\n").expect("config");
    let out = run(&["--where", "1=1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("database"));
}

#[test]
fn lsst_databases_are_queried_by_diaobjectid() {
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lsst.db").display());
    let mut db = Db::open_with(&url, &lasair_sql::catalog::LSST, false).expect("open");
    db.upsert(
        "objects",
        &["diaObjectId", "nDiaSources", "g_psfFlux"],
        &[
            vec![170_000_001.into(), 3.into(), 5000.0.into()],
            vec![170_000_002.into(), 8.into(), 1200.0.into()],
        ],
    )
    .expect("objects");
    drop(db);
    // 5000 nJy is magnitude 31.4 - 2.5 log10(5000) = 22.15: only that object is brighter than 23.
    let out = query(
        &url,
        &[
            "--survey",
            "lsst",
            "--select",
            "objects.diaObjectId, objects.nDiaSources",
            "--where",
            "flux2mag(objects.g_psfFlux) < 23",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"{"diaObjectId":170000001,"nDiaSources":3}"#
    );
    // The ZTF column set is not there.
    let out = query(&url, &["--survey", "lsst", "--where", "objects.gmag < 19"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gmag"));
}

#[test]
fn grants_need_mariadb_and_cover_only_user_tables() {
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    let out = query(&url, &["--print-grants", "'ro'@'%'"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mysql://"));
    let Ok(rw) = std::env::var("LASAIR_TEST_MYSQL") else {
        eprintln!(
            "skipped (MariaDB part): LASAIR_TEST_MYSQL not set (scripts/test starts MariaDB)"
        );
        return;
    };
    let out = query(&rw, &["--print-grants", "'lasair_ro'@'127.0.0.1'"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("GRANT SELECT ON `lasair`.`objects` TO 'lasair_ro'@'127.0.0.1';"),
        "{text}"
    );
    assert!(!text.contains("users"), "{text}");
}

#[test]
fn the_example_node_config_is_valid_for_query() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../systemd/node.example.toml"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_lasair-query"))
        .args(["--config", path, "--print-config"])
        .output()
        .expect("run lasair-query");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("db1:3306") && text.contains("timeout = 60"),
        "{text}"
    );
}
