//! lasair-filter --annotations: the annotation stream (JSON lines as the web server writes
//! them, from a file or a Kafka topic) runs the filters triggered by annotations on the main
//! database, for the annotated objects only, and sends their rows as the alert stage does.
//! A main database with objects, two annotators and their annotations; a filter on
//! annotations naming one annotator (which must fire, for the annotated object only, although
//! its query matches another object annotated earlier), one naming the other annotator (whose
//! topic has no annotation in the stream: silent) and one on alerts only (silent). On SQLite,
//! on MariaDB when LASAIR_TEST_MYSQL is set, and with the stream on Kafka (librdkafka's mock
//! broker, and tansu when LASAIR_TEST_KAFKA is set).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use lasair_db::{Db, Value};
use lasair_service::annotations::{annotate, Annotation, Annotator};
use lasair_service::filter::{Delivery, Filter, NewFilter, Trigger};
use lasair_service::users::User;
use lasair_service::Record;
use rdkafka::mocking::MockCluster;

#[allow(dead_code)]
mod common;
use common::{produce, records, Running};

/// One test's names, kept apart from other tests' in a shared MariaDB.
struct Scene {
    user: i64,
    /// The annotated object, one annotated before the stream's annotation, one annotated by
    /// the other annotator.
    objects: [String; 3],
    annotator: String,
    other: String,
}

impl Scene {
    fn new(user: i64) -> Scene {
        Scene {
            user,
            objects: ["a", "b", "c"].map(|s| format!("ZTF99ann{user}{s}")),
            annotator: format!("fastclass{user}"),
            other: format!("slowclass{user}"),
        }
    }

    fn topic(&self, name: &str) -> String {
        lasair_service::filter::topic_name(self.user, name)
    }

    fn note(&self, object: &str, topic: &str, class: &str) -> Annotation {
        Annotation {
            object: object.into(),
            topic: topic.into(),
            classification: class.into(),
            version: "1".into(),
            explanation: String::new(),
            classdict: r#"{"SN": 0.9}"#.into(),
            url: String::new(),
            timestamp: String::new(),
        }
    }

    /// The main database: objects, annotators, the annotations stored before the stream's
    /// (as the web server stores them), and the three filters.
    fn setup(&self, url: &str) {
        let mut db = Db::open(url).expect("main database");
        db.upsert(
            "users",
            &["id", "username", "email"],
            &[vec![
                self.user.into(),
                format!("annotator{}", self.user).into(),
                Value::Null,
            ]],
        )
        .expect("user");
        let rows: Vec<Vec<Value>> = self
            .objects
            .iter()
            .map(|o| vec![o.as_str().into(), 10.0.into(), 20.0.into(), 17.5.into()])
            .collect();
        db.upsert("objects", &["objectId", "ramean", "decmean", "gmag"], &rows)
            .expect("objects");
        let user = User::get(&mut db, self.user).expect("user");
        for topic in [&self.annotator, &self.other] {
            Annotator::register(&mut db, topic, self.user, "test", true).expect("annotator");
        }
        let [a, b, c] = &self.objects;
        for note in [
            self.note(a, &self.annotator, "SN"),
            self.note(b, &self.annotator, "SN"),
            self.note(c, &self.other, "AGN"),
        ] {
            annotate(&mut db, &user, &note)
                .expect("stored")
                .expect("accepted");
        }
        for f in Filter::list(&mut db).expect("filters") {
            if f.user_id == self.user {
                Filter::delete(&mut db, f.id).expect("an earlier run's filter");
            }
        }
        let on = |on_alert, on_annotation| Trigger {
            on_alert,
            on_annotation,
        };
        let tables = format!("objects, annotator:{}", self.annotator);
        let other = format!("objects, annotator:{}", self.other);
        let select = "objects.objectId, annotations.classification";
        let filters = [
            ("classified", &tables, on(false, true), Delivery::KafkaLite),
            ("on alerts", &tables, on(true, false), Delivery::Kafka),
            ("other annotator", &other, on(true, true), Delivery::Kafka),
        ];
        for (name, tables, trigger, delivery) in filters {
            let new = NewFilter {
                trigger,
                ..NewFilter::new(self.user, name, select, tables, "objects.gmag < 18")
            };
            Filter::create(&mut db, &new, Some(delivery)).expect("filter");
        }
    }

    /// The stream: the new annotation of the first object (as the web server serialises it),
    /// then a hostile line whose object key is SQL.
    fn lines(&self) -> Vec<String> {
        let good = serde_json::to_string(&self.note(&self.objects[0], &self.annotator, "SN"))
            .expect("json");
        let hostile = format!(
            r#"{{"objectId": "{}' OR '1'='1", "topic": "{}", "classification": "SN"}}"#,
            self.objects[1], self.annotator
        );
        vec![good, hostile]
    }

    /// What the filters sent: exactly the annotated object's record, to the filter on
    /// annotations, plain (no alert is in hand for kafka-lite's lightcurve).
    fn check(&self, streams: &Path) {
        let fired = records(streams, &self.topic("classified"));
        assert_eq!(fired.len(), 1, "{fired:?}");
        let r = &fired[0];
        assert_eq!(r["objectId"], self.objects[0].as_str());
        assert_eq!(r["classification"], "SN");
        assert!(r["UTC"].as_str().is_some_and(|u| u.len() == 19), "{r}");
        assert!(r.get("lightcurve").is_none(), "a plain record: {r}");
        for silent in ["on alerts", "other annotator"] {
            assert!(
                records(streams, &self.topic(silent)).is_empty(),
                "{silent} must not fire"
            );
        }
    }
}

fn filter(args: &[&str], dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lasair-filter"));
    cmd.arg("--annotations")
        .args(args)
        .args(["--topics", &dir.join("streams").display().to_string()])
        .args(["--digests", &dir.join("digests").display().to_string()]);
    cmd
}

/// The scene on the database at `url`, its stream from a file.
fn from_a_file(url: &str, dir: &Path, scene: &Scene) {
    scene.setup(url);
    let input = dir.join("annotations.jsonl");
    std::fs::write(&input, scene.lines().join("\n") + "\n").expect("stream");
    let out: Output = filter(&["--db", url, &input.display().to_string()], dir)
        .output()
        .expect("lasair-filter");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "a bad line: exit 1; {stderr}");
    let bad = format!("{}:2: ", input.display());
    let reported = stderr.lines().find(|l| l.contains(&bad));
    assert!(
        reported.is_some_and(|l| l.contains("objectId") && l.contains("OR")),
        "the bad line is reported with where it is: {stderr}"
    );
    assert!(
        stderr.contains("2 annotations read, 1 objects in 1 batches, 1 filter results, 1 bad"),
        "{stderr}"
    );
    scene.check(&dir.join("streams"));
}

#[test]
fn annotations_fire_their_filters_for_the_annotated_objects_on_sqlite() {
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite:{}", tmp.path().join("lasair.db").display());
    from_a_file(&url, tmp.path(), &Scene::new(7));
}

#[test]
fn annotations_fire_their_filters_for_the_annotated_objects_on_mariadb() {
    let Ok(url) = std::env::var("LASAIR_TEST_MYSQL") else {
        eprintln!("skipped: LASAIR_TEST_MYSQL not set (scripts/test starts MariaDB)");
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    from_a_file(&url, tmp.path(), &Scene::new(7401));
}

fn wait_for(streams: &Path, topic: &str, n: usize) {
    let start = Instant::now();
    while records(streams, topic).len() < n {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{topic}: fewer than {n} records"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The stream on Kafka: the scene's lines, the tool stopped with SIGTERM after they fired,
/// then a second annotation; the restarted tool (same group) sends only that one, because
/// the first run's offsets were committed after its results were out.
fn from_kafka(boot: &str, input: &str) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let url = format!("sqlite:{}", dir.join("lasair.db").display());
    let scene = Scene::new(7);
    scene.setup(&url);
    let lines = scene.lines();
    let lines: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
    produce(boot, input, &lines);
    let spec = format!("kafka://{boot}/{input}");
    let args = [
        "--db",
        url.as_str(),
        spec.as_str(),
        "--group",
        "annotation-test",
        "--wait-ms",
        "100",
        "--quiet",
        "--kafka-option",
        "session.timeout.ms=6000",
    ];
    let spawn = || {
        let child = filter(&args, dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn lasair-filter");
        Running(child)
    };
    let streams = dir.join("streams");
    let topic = scene.topic("classified");
    let first = spawn();
    wait_for(&streams, &topic, 1);
    let first = first.drain();
    scene.check(&streams);

    let again = scene.note(&scene.objects[1], &scene.annotator, "SN");
    let again = serde_json::to_string(&again).expect("json");
    produce(boot, input, &[again.as_bytes()]);
    let second = spawn();
    wait_for(&streams, &topic, 2);
    let second = second.drain();
    // The hostile line, in the first run's batches or the second's, made one of them exit 1
    // (some bad), once: it was committed with its batch too.
    let mut codes = [first, second];
    codes.sort();
    assert_eq!(codes, [Some(0), Some(1)], "SIGTERM drains both runs");
    let sent: Vec<String> = records(&streams, &topic)
        .iter()
        .map(|r| r["objectId"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(sent, scene.objects[..2]);
}

#[test]
fn annotations_from_kafka_on_the_mock_broker() {
    let cluster = MockCluster::new(1).expect("mock cluster");
    cluster.create_topic("annotations_in", 1, 1).expect("topic");
    from_kafka(&cluster.bootstrap_servers(), "annotations_in");
}

#[test]
fn annotations_from_kafka_on_tansu() {
    let Ok(boot) = std::env::var("LASAIR_TEST_KAFKA") else {
        eprintln!("skipped: LASAIR_TEST_KAFKA not set (scripts/test starts tansu)");
        return;
    };
    from_kafka(&boot, "lasair_annotations_in");
}
