use lasair_testdata::brokers::{self as msg, Message};
use serde_json::json;

use super::*;

fn read(broker: Broker, topic: &str, m: &Message) -> Result<Reading, BrokerError> {
    Reader::new()
        .expect("reader")
        .read(broker, topic, m.key.as_deref(), &m.value)
}

fn classified(broker: Broker, topic: &str, m: &Message) -> Classified {
    match read(broker, topic, m) {
        Ok(Reading::Classified(c)) => c,
        other => panic!("{topic}: not classified: {other:?}"),
    }
}

const FINK_LSST: &str = "fink_extragalactic_lt20mag_candidate_lsst";

#[test]
fn fink_lsst_alerts_carry_their_cats_class_and_scores() {
    let c = classified(
        Broker::Fink,
        FINK_LSST,
        &msg::fink_lsst(313_853_259_557_322_802, 0, 11),
    );
    assert_eq!(c.object, "313853259557322802");
    assert_eq!(c.classification, "SN-like");
    assert_eq!(c.annotator, "fink");
    assert_eq!(c.version, "8.39.0");
    assert_eq!(c.classdict["cats_class"], 11);
    assert_eq!(c.classdict["cats_score"], 0.875);
    assert_eq!(c.classdict["earlySNIa_score"], -1.0);
    for (cats, name) in [
        (12, "Fast"),
        (13, "Long"),
        (21, "Periodic"),
        (22, "NonPeriodic"),
    ] {
        let c = classified(Broker::Fink, FINK_LSST, &msg::fink_lsst(5, 0, cats));
        assert_eq!(c.classification, name);
    }
    let c = classified(Broker::Fink, FINK_LSST, &msg::fink_lsst(5, 0, -1));
    assert_eq!(c.classification, "Unknown", "not processed");
    let a = c.annotation("fink");
    assert!(a.check().is_empty(), "{:?}", a.check());
    let classdict: serde_json::Value = serde_json::from_str(&a.classdict).expect("JSON");
    assert_eq!(classdict["cats_class"], -1);
}

#[test]
fn a_solar_system_source_is_skipped_not_bad() {
    let m = msg::fink_lsst(0, 21_163_624_394_469_969, -1);
    assert!(matches!(
        read(Broker::Fink, FINK_LSST, &m),
        Ok(Reading::Skipped(_))
    ));
    let m = msg::alerce_rubin_stamp(0, 99, &[("SN", 0.9), ("asteroid", 0.1)]);
    assert!(matches!(
        read(Broker::Alerce, "stamp_classifier_20260105", &m),
        Ok(Reading::Skipped(_))
    ));
}

#[test]
fn fink_messages_without_their_schema_are_refused_naming_the_key() {
    let mut m = msg::fink_lsst(5, 0, 11);
    m.key = None;
    let err = read(Broker::Fink, FINK_LSST, &m).expect_err("no key");
    assert!(err.to_string().contains("message key"), "{err}");
    m.key = Some(b"1.4_0.5.2".to_vec());
    let err = read(Broker::Fink, FINK_LSST, &m).expect_err("a version as the key");
    assert!(
        err.to_string().contains("\"1.4_0.5.2\" is not a schema"),
        "{err}"
    );
    m.key = Some(msg::FINK_ZTF_SCHEMA.as_bytes().to_vec());
    let err = read(Broker::Fink, FINK_LSST, &m).expect_err("the wrong schema");
    assert!(matches!(err, BrokerError::Avro { .. }), "{err}");
    let mut m = msg::fink_lsst(5, 0, 11);
    m.value.truncate(m.value.len() / 2);
    assert!(read(Broker::Fink, FINK_LSST, &m).is_err());
}

#[test]
fn fink_ztf_alerts_carry_finks_class_or_the_topics_filter() {
    let topic = "fink_early_sn_candidates_ztf";
    let c = classified(
        Broker::Fink,
        topic,
        &msg::fink_ztf("ZTF26aaklfaa", Some("SN candidate")),
    );
    assert_eq!(
        (c.object.as_str(), c.classification.as_str()),
        ("ZTF26aaklfaa", "SN candidate")
    );
    assert_eq!(c.classdict["topic"], topic);
    assert_eq!(c.classdict["rf_snia_vs_nonia"], 0.5);
    assert!(
        !c.classdict.contains_key("snn_sn_vs_all"),
        "null scores are left out"
    );
    let c = classified(Broker::Fink, topic, &msg::fink_ztf("ZTF26aaklfaa", None));
    assert_eq!(c.classification, "early_sn_candidates");
}

#[test]
fn real_fink_alerts_from_both_surveys() {
    let Some(dir) = lasair_testdata::shared_data("brokers/fink") else {
        return;
    };
    let lsst = msg::fink_real(&dir.join("lsst_part-2-918301.avro"));
    let readings: Vec<Reading> = lsst
        .iter()
        .map(|m| read(Broker::Fink, FINK_LSST, m).expect("a real alert"))
        .collect();
    let classes: Vec<&str> = readings
        .iter()
        .map(|r| match r {
            Reading::Classified(c) => c.classification.as_str(),
            Reading::Skipped(_) => "-",
        })
        .collect();
    // Their clf.cats_class, read with fastavro: 11, 13, 11, 21, (SSO), 11, (SSO).
    assert_eq!(
        classes,
        ["SN-like", "Long", "SN-like", "Periodic", "-", "SN-like", "-"]
    );
    let Reading::Classified(first) = &readings[0] else {
        panic!("classified")
    };
    assert_eq!(first.object, "170028485706776685");
    let ztf = msg::fink_real(&dir.join("ztf_part-3-305711.avro"));
    assert_eq!(ztf.len(), 31);
    for m in &ztf {
        let c = classified(Broker::Fink, "fink_sn_candidates_ztf", m);
        assert!(c.object.starts_with("ZTF"), "{}", c.object);
        assert_eq!(c.classification, "SN candidate");
    }
}

#[test]
fn alerce_stamps_of_both_surveys_and_lightcurves() {
    let topic = "stamp_classifier_20260105";
    let rubin =
        msg::alerce_rubin_stamp(42, 0, &[("SN", 0.61234), ("AGN", 0.2), ("bogus", 0.18766)]);
    let c = classified(Broker::Alerce, topic, &rubin);
    assert_eq!((c.object.as_str(), c.classification.as_str()), ("42", "SN"));
    assert_eq!(
        c.classdict["SN"], 0.612,
        "to 3 decimals, as Lasair keeps them"
    );
    assert_eq!(c.classdict.len(), 3);
    assert_eq!(c.annotator, "alerce_stamp");
    let bogus = msg::alerce_rubin_stamp(42, 0, &[("SN", 0.1), ("bogus", 0.9)]);
    assert!(matches!(
        read(Broker::Alerce, topic, &bogus),
        Ok(Reading::Skipped(_))
    ));

    let ztf = msg::alerce_ztf_stamp("ZTF21abiuvdk", [0.2, 0.05, 0.6, 0.05, 0.05, 0.05]);
    assert!(
        matches!(read(Broker::Alerce, topic, &ztf), Ok(Reading::Skipped(_))),
        "VS"
    );
    let ztf = msg::alerce_ztf_stamp("ZTF21abiuvdk", [0.7, 0.05, 0.1, 0.05, 0.05, 0.05]);
    let c = classified(Broker::Alerce, topic, &ztf);
    assert_eq!(
        (c.object.as_str(), c.classification.as_str()),
        ("ZTF21abiuvdk", "SN")
    );
    assert_eq!(c.classdict.len(), 6);

    let lc_topic = "lc_classifier_20260105";
    let lc = msg::alerce_ztf_lc(
        "ZTF21abiuvdk",
        "SNIa",
        &[("SNIa", 0.8), ("SNII", 0.15), ("AGN", 0.01)],
    );
    let c = classified(Broker::Alerce, lc_topic, &lc);
    assert_eq!(
        (c.classification.as_str(), c.annotator),
        ("SNIa", "alerce_lc")
    );
    let kept: Vec<&String> = c.classdict.keys().collect();
    assert_eq!(kept, ["SNII", "SNIa"], "above 0.02 only");
    assert_eq!(c.classdict["SNII"], 0.15);
    let periodic = msg::alerce_ztf_lc("ZTF1", "Periodic-Other", &[("Periodic-Other", 0.9)]);
    assert!(matches!(
        read(Broker::Alerce, lc_topic, &periodic),
        Ok(Reading::Skipped(_))
    ));
    // A lightcurve record on a stamp topic is read with the stamp schema: an error, not a guess.
    assert!(read(Broker::Alerce, topic, &lc).is_err());
}

#[test]
fn ampel_reports_as_avro_or_json() {
    let report = msg::ampel_report(
        313_853_259_557_322_802,
        &[("SNIa", 0.7), ("SNII", 0.25), ("TDE", 0.005), ("KN", 0.045)],
        &[("t_lc", 12.5)],
    );
    let topic = "ampel.lsst.extragalactic-transients";
    for m in [msg::ampel_avro(&report), msg::ampel_json(&report)] {
        let c = classified(Broker::Ampel, topic, &m);
        assert_eq!(c.object, "313853259557322802");
        assert_eq!(c.classification, "SNIa");
        assert_eq!(
            c.classdict,
            json!({"SNIa": 0.7, "SNII": 0.25, "KN": 0.045})
                .as_object()
                .cloned()
                .expect("map")
        );
        assert_eq!((c.annotator, c.version.as_str()), ("ampel", "1"));
    }
    let c = classified(
        Broker::Ampel,
        "ampel.lsst.extragalactic-infants",
        &msg::ampel_avro(&report),
    );
    assert_eq!(
        (c.classification.as_str(), c.annotator),
        ("infant", "ampel_infant")
    );
    assert_eq!(c.classdict["t_lc"], 12.5);
    let none = msg::ampel_report(7, &[("SNIa", 0.01)], &[]);
    assert!(matches!(
        read(Broker::Ampel, topic, &msg::ampel_json(&none)),
        Ok(Reading::Skipped(_))
    ));
    let enveloped = json!({"format": "blob", "content": report});
    let c = classified(Broker::Ampel, topic, &msg::ampel_json(&enveloped));
    assert_eq!(c.classification, "SNIa");
    let err = read(
        Broker::Ampel,
        topic,
        &msg::ampel_json(&json!({"object": {}})),
    )
    .expect_err("no id");
    assert!(err.to_string().contains("object.id"), "{err}");
}

#[test]
fn broker_names_parse() {
    assert_eq!("ALeRCE".parse::<Broker>(), Ok(Broker::Alerce));
    let err = "lasair".parse::<Broker>().expect_err("unknown");
    assert!(err.contains("fink, alerce or ampel"), "{err}");
}
