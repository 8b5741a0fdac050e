//! `scripts/bench brokers`'s helper. `bench_brokers setup DB` makes an LSST main database with
//! Fink's annotator and its owner. `bench_brokers produce BOOT TOPIC N small|real` sends N Fink
//! LSST messages to TOPIC: `small`, lasair-testdata's few-field alerts of N objects (the
//! job's own cost); `real`, Fink's real LSST alerts from ../shared/data/brokers/fink (whole
//! alerts with cutouts, about 230 KB each) given new diaObjectIds, as the livestream sends
//! them. Prints the bytes sent.

use lasair_alert::Survey;
use lasair_service::annotations::Annotator;
use lasair_service::users::{NewUser, User};
use lasair_stream::{open_sink, KafkaOptions};
use lasair_testdata::brokers as msg;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.as_slice() {
        [_, cmd, db] if cmd == "setup" => setup(db),
        [_, cmd, boot, topic, n, form] if cmd == "produce" => produce(boot, topic, n, form),
        _ => {
            eprintln!("usage: bench_brokers setup DB | produce BOOT TOPIC N small|real");
            std::process::exit(2);
        }
    }
}

fn setup(url: &str) {
    let mut db = lasair_service::open(url, Some(Survey::Lsst), false).expect("the database");
    let new = NewUser {
        username: "fink".into(),
        ..NewUser::default()
    };
    let fink = User::create(&mut db, &new).expect("Fink's user");
    Annotator::register(&mut db, "fink", fink.id, "Fink", true).expect("Fink's annotator");
}

fn produce(boot: &str, topic: &str, n: &str, form: &str) {
    let n: i64 = n.parse().expect("N, a number");
    let real = match form {
        "small" => Vec::new(),
        "real" => {
            let dir = lasair_testdata::shared_data("brokers/fink").expect("Fink's real alerts");
            msg::fink_real(&dir.join("lsst_part-2-918301.avro"))
        }
        other => panic!("{other}: small or real"),
    };
    let mut sink =
        open_sink(&format!("kafka://{boot}/{topic}"), &KafkaOptions::default()).expect("the topic");
    let mut bytes = 0;
    for i in 0..n {
        let m = match real.len() {
            0 => msg::fink_lsst(
                313_853_259_557_000_000 + i,
                0,
                [11, 12, 13, 21, 22][i as usize % 5],
            ),
            k => real[i as usize % k].clone(),
        };
        bytes += m.value.len();
        sink.send(m.key.as_deref(), &m.value).expect("sent");
    }
    sink.flush().expect("delivered");
    println!("{bytes}");
}
