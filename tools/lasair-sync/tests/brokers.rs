//! `lasair-sync brokers` on Kafka: other brokers' messages in their real formats (made by
//! lasair-testdata from the brokers' schemas) produced to a topic, taken into annotations under
//! each broker's annotator and sent on to the annotation stream; a filter run on annotations
//! (`annotator:fink`) finds what the stream's lines name; a malformed message and an object
//! that is not the survey's are reported with their place and skipped; a second run takes
//! nothing again (the offsets were committed), and a run that cannot store (no annotator)
//! commits nothing. On librdkafka's in-process mock broker and on tansu (LASAIR_TEST_KAFKA),
//! with SQLite and, with LASAIR_TEST_MYSQL, MariaDB.

use std::path::Path;
use std::process::Command;

use lasair_alert::Survey;
use lasair_db::Db;
use lasair_service::annotations::{Annotation, Annotator};
use lasair_service::filter::{Delivery, Filter, NewFilter, Trigger};
use lasair_service::query::{self, QueryLimits};
use lasair_service::users::{NewUser, User};
use lasair_sql::{ObjectKey, UserQuery};
use lasair_stream::{open_sink, KafkaOptions};
use lasair_testdata::brokers::{self as msg, Message};
use rdkafka::mocking::MockCluster;

/// Sends each message, key and value, flushed one at a time so each is a record batch of its
/// own (both test brokers resume a group whose committed offset falls inside a record batch
/// at the next batch).
fn produce(boot: &str, topic: &str, messages: &[Message]) {
    let spec = format!("kafka://{boot}/{topic}");
    let mut sink = open_sink(&spec, &KafkaOptions::default()).expect("sink");
    for m in messages {
        sink.send(m.key.as_deref(), &m.value).expect("send");
        sink.flush().expect("delivered");
    }
}

/// One run of the job: exit code, its JSON line, stderr.
fn brokers(db: &str, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lasair-sync"))
        .args(["brokers", "--db", db, "--wait-ms", "300"])
        .args(["--kafka-option", "session.timeout.ms=6000"])
        .args(args)
        .env_remove("LASAIR_CONFIG")
        .output()
        .expect("run lasair-sync");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null);
    (
        out.status.code(),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The annotation stream's lines.
fn stream(path: &Path) -> Vec<Annotation> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("an annotation line"))
        .collect()
}

/// What lasair-filter --annotations does with the stream's lines: each active filter run on
/// annotations, for the objects annotated under the annotators it names; the first column of
/// what it finds.
fn triggered(db: &mut Db, lines: &[Annotation]) -> Vec<String> {
    let limits = QueryLimits::default();
    let mut found = Vec::new();
    for active in Filter::active_on_annotation(db).expect("filters") {
        let compiled = query::compile_for(db, &active.filter.query, &limits).expect("compiles");
        let objects: Vec<ObjectKey> = lines
            .iter()
            .filter(|a| compiled.annotators.contains(&a.topic))
            .map(|a| {
                let key = lasair_service::objects::key(db.catalog(), &a.object).expect("key");
                ObjectKey::try_from(key).expect("an object key")
            })
            .collect();
        let q = UserQuery {
            objects: Some(objects),
            ..active.filter.query.clone()
        };
        let rows = query::run(db, &q, &limits).expect("runs");
        found.extend(rows.rows.iter().map(|r| r[0].to_string()));
    }
    found.sort();
    found
}

/// One survey's case: its Fink topic and messages.
struct Case {
    survey: Survey,
    fink_topic: &'static str,
    /// Two objects and the Fink messages of each: the first SN-like, the second not.
    objects: [&'static str; 2],
    messages: Vec<Message>,
    /// Classified SN-like by Fink in each survey's terms.
    sn: &'static str,
    /// A message whose object is not the survey's, and how many are skipped.
    skipped: u64,
    /// The filter: select, tables, conditions.
    filter: [&'static str; 3],
}

fn lsst() -> Case {
    let (a, b) = (313_853_259_557_322_802, 313_853_259_557_322_803);
    let mut malformed = msg::fink_lsst(a, 0, 11);
    malformed.value = b"not an alert".to_vec();
    Case {
        survey: Survey::Lsst,
        fink_topic: "fink_extragalactic_lt20mag_candidate_lsst",
        objects: ["313853259557322802", "313853259557322803"],
        messages: vec![
            msg::fink_lsst(a, 0, 11),
            msg::fink_lsst(0, 21_163_624_394_469_969, -1),
            malformed,
            msg::fink_lsst(b, 0, 22),
            msg::fink_ztf("ZTF26aaklfaa", Some("SN candidate")),
        ],
        sn: "SN-like",
        skipped: 1,
        filter: [
            "objects.diaObjectId, fink.classification",
            "objects, annotator:fink",
            "fink.classification = 'SN-like'",
        ],
    }
}

fn ztf() -> Case {
    let mut malformed = msg::fink_ztf("ZTF26aaklfaa", None);
    malformed.key = None;
    Case {
        survey: Survey::Ztf,
        fink_topic: "fink_sn_candidates_ztf",
        objects: ["ZTF26aaklfaa", "ZTF26aamgikr"],
        messages: vec![
            msg::fink_ztf("ZTF26aaklfaa", Some("SN candidate")),
            malformed,
            msg::fink_ztf("ZTF26aamgikr", None),
            msg::fink_ztf("ZTF1' OR '1'='1", Some("SN candidate")),
        ],
        sn: "SN candidate",
        skipped: 0,
        filter: [
            "objects.objectId, fink.classification",
            "objects, annotator:fink",
            "fink.classification = 'SN candidate'",
        ],
    }
}

/// The main database with the objects, Fink's annotator owned by a user of its own, and a
/// user's filter run on Fink's annotations.
fn setup(url: &str, case: &Case) -> i64 {
    let mut db = lasair_service::open(url, Some(case.survey), false).expect("db");
    for t in ["annotations", "annotators", "filters", "objects"] {
        db.clear(t).expect("clear");
    }
    let catalog = db.catalog();
    let (ra, dec) = catalog.position;
    let rows: Vec<Vec<lasair_db::Value>> = case
        .objects
        .iter()
        .map(|o| {
            let key = lasair_service::objects::key(catalog, o).expect("key");
            vec![key, 150.0.into(), 2.0.into()]
        })
        .collect();
    db.upsert("objects", &[catalog.key, ra, dec], &rows)
        .expect("objects");
    let user = |db: &mut Db, name: &str| {
        let name = format!("{name}-{}", std::process::id());
        let new = NewUser {
            username: name,
            ..NewUser::default()
        };
        User::create(db, &new).expect("user")
    };
    let fink = user(&mut db, "fink");
    Annotator::register(&mut db, "fink", fink.id, "Fink's classifications", true)
        .expect("annotator");
    let astronomer = user(&mut db, "ada");
    let [select, tables, conditions] = case.filter;
    let mut new = NewFilter::new(astronomer.id, "fink sn", select, tables, conditions);
    new.trigger = Trigger {
        on_alert: false,
        on_annotation: true,
    };
    Filter::create(&mut db, &new, Some(Delivery::Kafka)).expect("filter");
    fink.id
}

fn scenario(boot: &str, url: &str, case: &Case, tmp: &Path) {
    setup(url, case);
    let from = format!("kafka://{boot}/{}", case.fink_topic);
    let notes = tmp.join("annotations.jsonl");
    let notes_arg = notes.display().to_string();
    let group = format!("brokers-test-{}-{:?}", std::process::id(), case.survey);
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = ["--from", &from, "--broker", "fink", "--group", &group]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        a.extend(["--annotations".to_owned(), notes_arg.clone()]);
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        brokers(url, &a)
    };
    produce(boot, case.fink_topic, &case.messages);

    // No such annotator: the batch is not stored, so it is not committed either.
    let (code, _, err) = run(&["--annotator", "nobody"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("annotator nobody does not exist"), "{err}");
    assert!(stream(&notes).is_empty());

    let (code, report, err) = run(&[]);
    let n = case.messages.len() as u64;
    assert_eq!(code, Some(1), "some bad: {err}");
    assert_eq!(report["messages"], n, "{report}");
    assert_eq!(report["annotated"], 2, "{report}");
    assert_eq!(report["skipped"], case.skipped, "{report}");
    assert_eq!(report["bad"], n - 2 - case.skipped, "{report}");
    assert_eq!(report["annotators"]["fink"], 2, "{report}");
    let reported: Vec<&str> = err.lines().filter(|l| l.contains("kafka ")).collect();
    assert_eq!(reported.len() as u64, n - 2 - case.skipped, "{err}");
    for line in reported {
        assert!(
            line.contains(&format!("kafka {}[", case.fink_topic)) && line.contains("]@"),
            "names topic, partition and offset: {line}"
        );
    }

    let mut db = lasair_service::open(url, Some(case.survey), false).expect("db");
    let first = Annotation::of_object(&mut db, case.objects[0].into()).expect("read");
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].topic.as_str(), first[0].classification.as_str()),
        ("fink", case.sn)
    );
    let lines = stream(&notes);
    let mut annotated: Vec<&str> = lines.iter().map(|a| a.object.as_str()).collect();
    annotated.sort();
    assert_eq!(annotated, case.objects);
    assert!(lines
        .iter()
        .all(|a| a.topic == "fink" && !a.timestamp.is_empty()));
    assert_eq!(triggered(&mut db, &lines), [case.objects[0]]);

    // Committed: a second run takes nothing.
    let (code, report, err) = run(&[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        (report["messages"].as_u64(), report["annotated"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(stream(&notes).len(), 2);

    // The second object is classified SN-like later: only that is new, and the filter finds it.
    let later = match case.survey {
        Survey::Lsst => msg::fink_lsst(313_853_259_557_322_803, 0, 11),
        Survey::Ztf => msg::fink_ztf(case.objects[1], Some("SN candidate")),
    };
    produce(boot, case.fink_topic, &[later]);
    let (code, report, err) = run(&["--max-messages", "5"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(report["annotated"], 1, "{report}");
    let lines = stream(&notes);
    assert_eq!(lines.len(), 3);
    assert_eq!(triggered(&mut db, &lines[2..]), [case.objects[1]]);
}

/// ALeRCE's stamps and AMPEL's reports of LSST objects, each under its own annotator.
fn alerce_and_ampel(boot: &str, url: &str, tmp: &Path) {
    let owner = setup(url, &lsst());
    let mut db = lasair_service::open(url, Some(Survey::Lsst), false).expect("db");
    for topic in ["alerce_stamp", "ampel"] {
        Annotator::register(&mut db, topic, owner, "", true).expect("annotator");
    }
    let notes = tmp.join("others.jsonl");
    let (a, b) = (313_853_259_557_322_802, 313_853_259_557_322_803);
    produce(
        boot,
        "stamp_classifier_20260105",
        &[
            msg::alerce_rubin_stamp(a, 0, &[("SN", 0.8), ("AGN", 0.1), ("bogus", 0.1)]),
            msg::alerce_rubin_stamp(b, 0, &[("SN", 0.1), ("bogus", 0.9)]),
        ],
    );
    let report = msg::ampel_report(b, &[("SNIa", 0.6), ("SNII", 0.4)], &[]);
    produce(
        boot,
        "ampel.lsst.extragalactic-transients",
        &[msg::ampel_avro(&report), msg::ampel_json(&report)],
    );
    for (broker, topic, annotated, skipped) in [
        ("alerce", "stamp_classifier_20260105", 1, 1),
        ("ampel", "ampel.lsst.extragalactic-transients", 2, 0),
    ] {
        let from = format!("kafka://{boot}/{topic}");
        let group = format!("brokers-test-{}-{broker}", std::process::id());
        let notes = notes.display().to_string();
        let args = [
            "--from",
            &from,
            "--broker",
            broker,
            "--group",
            &group,
            "--annotations",
            &notes,
        ];
        let (code, report, err) = brokers(url, &args);
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(report["annotated"], annotated, "{report}");
        assert_eq!(report["skipped"], skipped, "{report}");
    }
    let of = |db: &mut Db, id: i64| -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = Annotation::of_object(db, id.into())
            .expect("read")
            .into_iter()
            .map(|n| (n.topic, n.classification))
            .collect();
        all.sort();
        all
    };
    assert_eq!(of(&mut db, a), [("alerce_stamp".into(), "SN".into())]);
    assert_eq!(of(&mut db, b), [("ampel".into(), "SNIa".into())]);
    let sent: Vec<String> = stream(&notes).iter().map(|n| n.topic.clone()).collect();
    assert_eq!(sent, ["alerce_stamp", "ampel", "ampel"]);
}

const TOPICS: [(&str, i32); 4] = [
    ("fink_extragalactic_lt20mag_candidate_lsst", 2),
    ("fink_sn_candidates_ztf", 2),
    ("stamp_classifier_20260105", 1),
    ("ampel.lsst.extragalactic-transients", 1),
];

fn sqlite(tmp: &Path, name: &str) -> String {
    format!("sqlite:{}", tmp.join(name).display())
}

#[test]
fn brokers_messages_become_annotations_on_the_mock_broker() {
    let cluster = MockCluster::new(1).expect("mock cluster");
    for (topic, partitions) in TOPICS {
        cluster.create_topic(topic, partitions, 1).expect("topic");
    }
    let boot = cluster.bootstrap_servers();
    let tmp = tempfile::tempdir().expect("tmp");
    scenario(&boot, &sqlite(tmp.path(), "lsst.db"), &lsst(), tmp.path());
    let tmp = tempfile::tempdir().expect("tmp");
    scenario(&boot, &sqlite(tmp.path(), "ztf.db"), &ztf(), tmp.path());
    let tmp = tempfile::tempdir().expect("tmp");
    alerce_and_ampel(&boot, &sqlite(tmp.path(), "lsst.db"), tmp.path());
}

#[test]
fn brokers_messages_become_annotations_on_tansu_and_mariadb() {
    let Ok(boot) = std::env::var("LASAIR_TEST_KAFKA") else {
        eprintln!("skipped: LASAIR_TEST_KAFKA not set (scripts/test starts tansu)");
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    scenario(&boot, &sqlite(tmp.path(), "lsst.db"), &lsst(), tmp.path());
    let tmp = tempfile::tempdir().expect("tmp");
    alerce_and_ampel(&boot, &sqlite(tmp.path(), "lsst.db"), tmp.path());
    // MariaDB holds the ZTF tables the other tests use.
    let Ok(url) = std::env::var("LASAIR_TEST_MYSQL") else {
        eprintln!("skipped: LASAIR_TEST_MYSQL not set (scripts/test starts MariaDB)");
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    scenario(&boot, &url, &ztf(), tmp.path());
}
