//! Every route of the API, its answers, status codes and errors, through the router without a
//! socket, over a node filled with the real alerts of ../shared/data (skipped when absent).

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::{Client, Node};
use lasair_alert::{PointKind, Survey};
use lasair_context::catalogue::{CatalogueKind, Source};
use lasair_context::memory::{point_source, MemoryCatalogues};
use lasair_context::{Classifier, SearchConfig};
use lasair_db::{Select, Value};
use lasair_service::annotations::Annotator;
use lasair_service::watch::{NewEntry, Watchlist};
use lasair_service::Record;
use lasair_sky::cones::Cone;
use serde_json::{json, Value as Json};

/// The latest position of an object: its last alert's.
fn position(node: &Node, i: usize) -> (String, f64, f64) {
    let (id, alerts) = &node.objects[i];
    let last = alerts.last().expect("an alert");
    (id.clone(), last.ra, last.dec)
}

#[tokio::test]
async fn ztf_cone_query_and_auth() {
    let Some(node) = Node::new(Survey::Ztf) else {
        return;
    };
    let client = Client::new(node.app());
    let (id, ra, dec) = position(&node, 0);
    let (ra_s, dec_s) = (ra.to_string(), dec.to_string());

    // Cone: all, nearest, count; the object is found at its own position.
    let cone = |kind: &'static str, radius: &'static str| {
        let form = [
            ("ra", ra_s.clone()),
            ("dec", dec_s.clone()),
            ("radius", radius.into()),
            ("requestType", kind.into()),
        ];
        let (client, token) = (&client, node.user.clone());
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            client.post("/api/cone/", Some(&token), &pairs).await
        }
    };
    let all = cone("all", "5").await;
    assert_eq!(all.status, StatusCode::OK, "{:?}", all.json);
    assert_eq!(all.json["nearest"]["object"], json!(id));
    assert!(
        all.json["nearest"]["separation"]
            .as_f64()
            .expect("separation")
            < 2.0
    );
    let n = all.json["count"].as_u64().expect("count");
    assert_eq!(
        all.json["objects"].as_array().expect("objects").len() as u64,
        n
    );
    let count = cone("count", "5").await;
    assert_eq!(count.json, json!({"count": n}));
    let nearest = cone("nearest", "5").await;
    assert_eq!(nearest.json["nearest"], all.json["nearest"]);
    let far = cone("nearest", "0").await;
    assert!(
        far.json == json!({}) || far.json["nearest"]["object"] == json!(id),
        "{:?}",
        far.json
    );
    let wide = cone("all", "1001").await;
    assert_eq!(wide.status, StatusCode::BAD_REQUEST);
    assert_eq!(wide.json, json!({"error": "Max radius is 1000 arcsec."}));
    let bad = client
        .post(
            "/api/cone/",
            Some(&node.user),
            &[("ra", "400"), ("radius", "x"), ("requestType", "some")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.json["ra"][0],
        "Ensure this value is less than or equal to 360."
    );
    assert_eq!(bad.json["dec"][0], "This field is required.");
    assert_eq!(bad.json["radius"][0], "A valid number is required.");
    assert_eq!(
        bad.json["requestType"][0],
        "\"some\" is not a valid choice."
    );

    // GET with ?token= and &format=json, as Lasair's documentation shows.
    let got = client
        .get(&format!(
            "/api/cone/?ra={ra}&dec={dec}&radius=5&requestType=count&token={}&format=json",
            node.user
        ))
        .await;
    assert_eq!(got.json, json!({"count": n}));

    // Tokens: none, wrong, malformed.
    let none = client.post("/api/cone/", None, &[]).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.headers["www-authenticate"], "Token");
    let wrong = client.post("/api/cone/", Some(&"0".repeat(40)), &[]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let hostile = client.get("/api/cone/?token=x'%20OR%20'1'='1").await;
    assert_eq!(hostile.status, StatusCode::UNAUTHORIZED);

    // Query: rows keyed by column alias, as many as asked.
    let key = "objects.objectId";
    let q = client
        .post(
            "/api/query/",
            Some(&node.user),
            &[
                ("selected", "objects.objectId AS id, objects.ncand"),
                ("tables", "objects"),
                ("conditions", "objects.ncand > 0 ORDER BY objects.objectId"),
                ("limit", "3"),
                ("offset", "1"),
            ],
        )
        .await;
    assert_eq!(q.status, StatusCode::OK, "{:?}", q.json);
    let rows = q.json.as_array().expect("a list");
    let mut ids: Vec<&str> = node.objects.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort_unstable();
    let got: Vec<&str> = rows.iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(got, ids[1..4]);
    assert!(rows[0]["ncand"].as_i64().is_some(), "{:?}", rows[0]);
    for hostile in [
        "1; DROP TABLE objects",
        "objects.ncand > 0 UNION SELECT password FROM users",
        "sleep(10)",
    ] {
        let r = client
            .post(
                "/api/query/",
                Some(&node.user),
                &[
                    ("selected", key),
                    ("tables", "objects"),
                    ("conditions", hostile),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{hostile}: {:?}", r.json);
        assert!(r.json["error"].is_string(), "{:?}", r.json);
    }
    let r = client
        .post(
            "/api/query/",
            Some(&node.user),
            &[
                ("selected", "password"),
                ("tables", "users"),
                ("conditions", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = client
        .post(
            "/api/query/",
            Some(&node.user),
            &[
                ("selected", key),
                ("tables", "objects"),
                ("conditions", ""),
                ("limit", "1000001"),
            ],
        )
        .await;
    assert_eq!(
        r.json["limit"][0],
        "Ensure this value is less than or equal to 1000000."
    );
    let r = client
        .post("/api/query/", Some(&node.user), &[("selected", key)])
        .await;
    assert_eq!(r.json["tables"][0], "This field is required.");

    // Private watchlists are their owner's: others get Lasair's refusal.
    let mut db = node.db();
    let cones = vec![Cone {
        ra,
        dec,
        name: "mine".into(),
        radius_arcsec: None,
    }];
    let entry = NewEntry {
        user_id: node.user_id,
        name: "private".into(),
        description: String::new(),
        public: false,
    };
    let private = Watchlist::create(&mut db, &entry, 3.0, &cones).expect("watchlist");
    let tables = format!("objects, watchlist:{}", private.id);
    let form = [
        ("selected", key),
        ("tables", tables.as_str()),
        ("conditions", ""),
    ];
    let mine = client.post("/api/query/", Some(&node.user), &form).await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.json);
    let theirs = client.post("/api/query/", Some(&node.other), &form).await;
    assert_eq!(theirs.status, StatusCode::BAD_REQUEST);
    let message = format!(
        "you do not have permission to access watchlist {}",
        private.id
    );
    assert!(
        theirs.json["error"]
            .as_str()
            .expect("error")
            .contains(&message),
        "{:?}",
        theirs.json
    );
    Watchlist::update(&mut db, private.id, &[("public", Value::Int(1))]).expect("made public");
    let now_public = client.post("/api/query/", Some(&node.other), &form).await;
    assert_eq!(now_public.status, StatusCode::OK, "{:?}", now_public.json);

    // auth-token: the token for a username and password, DRF's refusal otherwise.
    let t = client
        .post(
            "/api/auth-token/",
            None,
            &[("username", "ada"), ("password", "ada-password")],
        )
        .await;
    assert_eq!(t.json, json!({"token": node.user}));
    let t = client
        .post(
            "/api/auth-token/",
            None,
            &[("username", "ada"), ("password", "nope")],
        )
        .await;
    assert_eq!(t.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        t.json,
        json!({"non_field_errors": ["Unable to log in with provided credentials."]})
    );
}

#[tokio::test]
async fn the_demo_user_gets_ten_calls_an_hour_and_a_thousand_rows() {
    let Some(node) = Node::new(Survey::Ztf) else {
        return;
    };
    // Enough objects to see the cap.
    let mut db = node.db();
    let before = db
        .select(&Select::from("objects").count())
        .expect("count")
        .rows[0][0]
        .as_i64()
        .expect("a count") as usize;
    let rows: Vec<Vec<Value>> = (0..1500)
        .map(|i| {
            vec![
                Value::from(format!("ZTF99cap{i:05}")),
                (i as f64 / 10.0).into(),
                1.0.into(),
                1.into(),
            ]
        })
        .collect();
    db.upsert(
        "objects",
        &["objectId", "ramean", "decmean", "ncand"],
        &rows,
    )
    .expect("objects");
    let client = Client::new(node.app());
    let form = [
        ("selected", "objects.objectId"),
        ("tables", "objects"),
        ("conditions", ""),
        ("limit", "5000"),
    ];
    let demo = client.post("/api/query/", Some(&node.demo), &form).await;
    assert_eq!(demo.json.as_array().expect("rows").len(), 1000);
    let user = client.post("/api/query/", Some(&node.user), &form).await;
    assert_eq!(user.json.as_array().expect("rows").len(), 1500 + before);
    for _ in 1..10 {
        let ok = client.post("/api/query/", Some(&node.demo), &form).await;
        assert_eq!(ok.status, StatusCode::OK);
    }
    let eleventh = client.post("/api/query/", Some(&node.demo), &form).await;
    assert_eq!(eleventh.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        eleventh.json["message"],
        "Request limit exceeded. Either wait an hour, or see API documentation to increase your limits."
    );
    let wait: u64 = eleventh
        .retry_after
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((3500..=3600).contains(&wait), "{wait}");
    // Another user is not held back by the demo user's calls.
    assert_eq!(
        client
            .post("/api/query/", Some(&node.user), &form)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn cutouts_are_served_from_a_sqlite_cutout_store() {
    let Some(node) = Node::with_cutouts(Survey::Ztf, "sqlite:") else {
        return;
    };
    let client = Client::new(node.app());
    let (id, alerts) = &node.objects[0];
    let full = client
        .post("/api/object/", Some(&node.user), &[("objectId", id)])
        .await;
    assert_eq!(full.status, StatusCode::OK, "{:?}", full.json);
    let urls = full.json["objectData"]["image_urls"]
        .as_array()
        .expect("image urls");
    // Every alert of the object with cutouts is linked, newest first.
    let with: Vec<&lasair_alert::Alert> = alerts
        .iter()
        .rev()
        .filter(|a| !a.cutouts.is_empty())
        .collect();
    assert_eq!(urls.len(), with.len());
    let latest = with[0];
    assert_eq!(urls[0]["candid"], json!(latest.source_id));
    for cutout in &latest.cutouts {
        let name = match cutout.kind {
            lasair_alert::CutoutKind::Science => "Science",
            lasair_alert::CutoutKind::Template => "Template",
            lasair_alert::CutoutKind::Difference => "Difference",
        };
        let link = urls[0][name].as_str().expect("link");
        let path = link.strip_prefix("http://lasair.test").expect("our link");
        let fits = client.get(path).await;
        assert_eq!(fits.status, StatusCode::OK, "{path}");
        assert_eq!(fits.bytes, cutout.data, "{path}");
        let png = client
            .get(&format!(
                "/objects/{id}/cutouts/{}/{name}/",
                latest.source_id
            ))
            .await;
        assert_eq!(png.status, StatusCode::OK, "{name}");
        let expected = lasair_store::render_png(&cutout.data, name).expect("render");
        assert_eq!(png.bytes, expected, "{name}");
    }
    for absent in [
        format!("/fits/{id}/1_cutoutScience"),
        format!("/objects/{id}/cutouts/1/Science/"),
        format!("/objects/{id}/cutouts/{}/Secret/", latest.source_id),
    ] {
        assert_eq!(
            client.get(&absent).await.status,
            StatusCode::NOT_FOUND,
            "{absent}"
        );
    }
}

#[tokio::test]
async fn ztf_objects_lightcurves_and_cutouts() {
    let Some(node) = Node::new(Survey::Ztf) else {
        return;
    };
    let client = Client::new(node.app());
    let (id, alerts) = &node.objects[0];
    let mut store = lasair_store::open_lightcurves(&node.lightcurves).expect("store");
    let points = store
        .lightcurve(Survey::Ztf, &lasair_alert::ObjectId(id.clone()))
        .expect("points");
    let candidates = points
        .iter()
        .filter(|p| p.kind != PointKind::Forced)
        .count();

    let full = client
        .post(
            "/api/object/",
            Some(&node.user),
            &[("objectId", id), ("lite", "False")],
        )
        .await;
    assert_eq!(full.status, StatusCode::OK, "{:?}", full.json);
    assert_eq!(full.json["objectId"], json!(id));
    assert_eq!(
        full.json["candidates"]
            .as_array()
            .expect("candidates")
            .len(),
        candidates
    );
    let data = &full.json["objectData"];
    let mut db = node.db();
    let row = db
        .select(
            &Select::from("objects")
                .columns(&["ncand", "ramean"])
                .eq("objectId", id.as_str()),
        )
        .expect("row");
    assert_eq!(data["ncand"], json!(row.rows[0][0].as_i64()));
    assert_eq!(data["ramean"], json!(row.rows[0][1].as_f64()));
    assert!(data["rasex"].as_str().expect("rasex").contains(':'));
    let latest = alerts.last().expect("alert");
    assert_eq!(
        data["latestMjd"].as_f64(),
        Some(
            points
                .iter()
                .filter(|p| p.kind == PointKind::Detection)
                .map(|p| p.mjd)
                .fold(f64::MIN, f64::max)
        )
    );
    let urls = data["image_urls"].as_array().expect("image urls");
    assert!(!urls.is_empty());
    let newest = &urls[0];
    assert_eq!(newest["candid"], json!(latest.source_id));

    // The cutout links lead to the files the ingest wrote.
    let link = newest["Science"].as_str().expect("link");
    let path = link.strip_prefix("http://lasair.test").expect("our link");
    let fits = client.get(path).await;
    assert_eq!(fits.status, StatusCode::OK, "{path}");
    let stored = lasair_store::open_cutouts(&node.cutouts)
        .expect("cutout store")
        .read(lasair_store::CutoutKey {
            survey: Survey::Ztf,
            object_id: id,
            source_id: latest.source_id,
            kind: lasair_alert::CutoutKind::Science,
        })
        .expect("read")
        .expect("stored");
    assert_eq!(fits.bytes, stored);
    for hostile in [
        format!("/fits/{id}/..%2F..%2F..%2Fetc%2Fpasswd"),
        format!("/fits/..%2F{id}/{}_cutoutScience", latest.source_id),
        format!("/fits/{id}/{}_cutoutSecret", latest.source_id),
        format!("/fits/{id}/1_cutoutScience"),
        format!("/fits/{}_cutoutScience", latest.source_id),
    ] {
        assert_eq!(
            client.get(&hostile).await.status,
            StatusCode::NOT_FOUND,
            "{hostile}"
        );
    }

    // Lite and without Lasair's additions.
    let lite = client
        .post(
            "/api/object/",
            Some(&node.user),
            &[("objectId", id), ("lite", "True")],
        )
        .await;
    let first = lite.json["candidates"][0].as_object().expect("a candidate");
    assert!(
        first.contains_key("magpsf") && !first.contains_key("pid"),
        "{first:?}"
    );
    let bare = client
        .post(
            "/api/object/",
            Some(&node.user),
            &[("objectId", id), ("lasair_added", "False")],
        )
        .await;
    let keys: Vec<&String> = bare.json.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["candidates", "forcedphot", "objectId"]);

    let unknown = client
        .post(
            "/api/object/",
            Some(&node.user),
            &[("objectId", "ZTF00aaaaaaa")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json, json!({"detail": "Not found."}));
    let hostile = client
        .post(
            "/api/object/",
            Some(&node.user),
            &[("objectId", "x' OR 1=1 --")],
        )
        .await;
    assert_eq!(hostile.status, StatusCode::BAD_REQUEST);

    // Lasair-ZTF's older routes.
    let ids = [node.objects[0].0.as_str(), node.objects[1].0.as_str()];
    let many = client
        .post(
            "/api/objects/",
            Some(&node.user),
            &[("objectIds", ids[0]), ("objectIds", ids[1])],
        )
        .await;
    assert_eq!(many.json.as_array().expect("list").len(), 2);
    let joined = ids.join(",");
    let lcs = client
        .post(
            "/api/lightcurves/",
            Some(&node.user),
            &[("objectIds", joined.as_str())],
        )
        .await;
    assert_eq!(
        lcs.json[0].as_array().expect("candidates").len(),
        candidates
    );
}

#[tokio::test]
async fn sherlock_answers_from_the_catalogues_in_process() {
    let Some(node) = Node::new(Survey::Ztf) else {
        return;
    };
    let (id, ra, dec) = position(&node, 0);
    let without = Client::new(node.app());
    let r = without
        .post(
            "/api/sherlock/position/",
            Some(&node.user),
            &[("ra", "10"), ("dec", "10")],
        )
        .await;
    assert_eq!(
        r.json,
        json!({"error": "This Lasair cluster does not have a Sherlock service"})
    );

    let mut catalogues = MemoryCatalogues::new();
    let star = |i: u32| Source {
        kind: CatalogueKind::Variable,
        object_type: Some("RRAB".into()),
        ..point_source(format!("V{i}"), ra + f64::from(i) * 0.2 / 3600.0, dec)
    };
    catalogues.add("gcvs", CatalogueKind::Variable, vec![star(1), star(3)]);
    let mut app = node.app();
    app.sherlock = Some(Arc::new(Classifier::new(
        SearchConfig::default_config(),
        Arc::new(catalogues),
    )));
    let client = Client::new(app);
    let full = client
        .post(
            "/api/sherlock/object/",
            Some(&node.user),
            &[("objectId", &id), ("lite", "False")],
        )
        .await;
    assert_eq!(full.status, StatusCode::OK, "{:?}", full.json);
    assert_eq!(full.json["classifications"][&id][0], "VS");
    assert!(
        full.json["classifications"][&id][1]
            .as_str()
            .expect("description")
            .len()
            > 10
    );
    let lite = client
        .post(
            "/api/sherlock/object/",
            Some(&node.user),
            &[("objectId", &id), ("lite", "True")],
        )
        .await;
    assert_eq!(lite.json["crossmatches"].as_array().expect("list").len(), 1);
    assert_eq!(lite.json["crossmatches"][0]["catalogue_object_id"], "V1");
    let (ra_s, dec_s) = (ra.to_string(), dec.to_string());
    let pos = client
        .post(
            "/api/sherlock/position/",
            Some(&node.user),
            &[("ra", &ra_s), ("dec", &dec_s)],
        )
        .await;
    assert_eq!(pos.json["classifications"]["query0"][0], "VS");
    assert_eq!(pos.json["crossmatches"], full.json["crossmatches"]);
    let unknown = client
        .post(
            "/api/sherlock/object/",
            Some(&node.user),
            &[("objectId", "ZTF00aaaaaaa")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.json,
        json!({"message": "Object ZTF00aaaaaaa not found"})
    );
    let ids = client
        .post(
            "/api/sherlock/objects/",
            Some(&node.user),
            &[("objectIds", &id)],
        )
        .await;
    assert_eq!(ids.json["classifications"][&id][0], "VS");
}

#[tokio::test]
async fn annotations_are_checked_stored_and_streamed() {
    let Some(node) = Node::new(Survey::Ztf) else {
        return;
    };
    let mut db = node.db();
    Annotator::register(&mut db, "fastfinder", node.user_id, "fast risers", true)
        .expect("annotator");
    let client = Client::new(node.app());
    let id = node.objects[0].0.clone();
    let form = |topic: &'static str, class: &'static str| {
        vec![
            ("topic", topic),
            ("objectId", id.as_str()),
            ("classification", class),
            ("version", "0.1"),
            ("explanation", "rises fast"),
            ("classdict", r#"{"p": 0.9}"#),
            ("url", ""),
        ]
    };
    let theirs = client
        .post(
            "/api/annotate/",
            Some(&node.other),
            &form("fastfinder", "SN"),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        theirs.json["error"],
        "Annotator error: EVE Tester is not allowed to submit to topic fastfinder"
    );
    let nowhere = client
        .post("/api/annotate/", Some(&node.user), &form("nosuch", "SN"))
        .await;
    assert_eq!(
        nowhere.json["error"],
        "Annotator error: topic nosuch does not exist"
    );
    let ok = client
        .post(
            "/api/annotate/",
            Some(&node.user),
            &form("fastfinder", "SN"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.json);
    assert_eq!(ok.json["status"], "success");
    assert_eq!(ok.json["annotation_topic"], "fastfinder");
    let sent: Json =
        serde_json::from_str(ok.json["message"].as_str().expect("message")).expect("json");
    assert_eq!(sent["objectId"], json!(id));
    let blank = client
        .post("/api/annotate/", Some(&node.user), &form("fastfinder", ""))
        .await;
    assert_eq!(
        blank.json["classification"][0],
        "This field may not be blank."
    );
    let get = client
        .get(&format!("/api/annotate/?token={}", node.user))
        .await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);

    // A list, as JSON; the stream file holds every accepted one.
    let list = json!({"annotations": [
        {"objectId": id, "topic": "fastfinder", "classification": "AGN", "version": "0.2", "explanation": "", "classdict": "{}", "url": ""},
        {"objectId": node.objects[1].0, "topic": "fastfinder", "classification": "SN"},
    ]});
    let r = client
        .post_json("/api/annotatelist/", &node.user, &list)
        .await;
    assert_eq!(r.json, json!({"status": "success", "n": 2}), "{:?}", r.json);
    let bad = json!({"annotations": [{"objectId": id, "topic": "fastfinder"}]});
    let r = client
        .post_json("/api/annotatelist/", &node.user, &bad)
        .await;
    assert_eq!(r.json["classification"][0], "This field is required.");
    let stream = std::fs::read_to_string(&node.annotations).expect("the stream");
    let lines: Vec<Json> = stream
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["classification"], "AGN");

    // One per object and topic, the newest; read back in the object's answer.
    let rows = db
        .select(
            &Select::from("annotations")
                .columns(&["classification"])
                .eq("objectId", id.as_str()),
        )
        .expect("rows");
    assert_eq!(rows.rows, [vec![Value::from("AGN")]]);
    let object = client
        .post("/api/object/", Some(&node.user), &[("objectId", &id)])
        .await;
    assert_eq!(
        object.json["objectData"]["annotations"][0]["classification"],
        "AGN"
    );
    let q = client
        .post(
            "/api/query/",
            Some(&node.other),
            &[
                ("selected", "objects.objectId, annotations.classification"),
                ("tables", "objects, annotator:fastfinder"),
                ("conditions", ""),
            ],
        )
        .await;
    assert_eq!(q.json.as_array().map(Vec::len), Some(2), "{:?}", q.json);
}

#[tokio::test]
async fn lsst_objects_answer_in_lasair_lsst_shape() {
    let Some(node) = Node::new(Survey::Lsst) else {
        return;
    };
    let client = Client::new(node.app());
    let (id, ra, dec) = position(&node, 0);
    let cone = client
        .post(
            "/api/cone/",
            Some(&node.user),
            &[
                ("ra", &ra.to_string()),
                ("dec", &dec.to_string()),
                ("radius", "2"),
                ("requestType", "nearest"),
            ],
        )
        .await;
    let as_int: i64 = id.parse().expect("diaObjectId");
    assert_eq!(cone.json["nearest"]["object"], json!(as_int));
    let r = client
        .post(
            "/api/object/",
            Some(&node.user),
            &[("objectId", &id), ("lite", "True")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    let keys: Vec<&String> = r.json.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "diaForcedSourcesList",
            "diaObject",
            "diaObjectId",
            "diaSourcesList",
            "lasairData"
        ]
    );
    assert_eq!(r.json["diaObjectId"], json!(as_int));
    let data = r.json["lasairData"].as_object().expect("lasairData");
    for k in [
        "nDiaSources",
        "glat",
        "ebv",
        "rasex",
        "decsex",
        "ec_lon",
        "g_lat",
        "discMjd",
        "discMag",
        "latestUtc",
        "peakFilter",
        "sherlock",
        "TNS",
        "annotations",
        "imageUrls",
    ] {
        assert!(data.contains_key(k), "lasairData.{k}: {data:?}");
    }
    assert!(
        !data.contains_key("ra") && !data.contains_key("BBBRiseRate"),
        "lite"
    );
    assert!(data["discMag"].as_str().expect("flux±err").contains('±'));
    // Not lite: the whole objects row, htm16 and the diaObject's own fields among them, and
    // the diaObject's fields again as `diaObject`.
    let full = client
        .post(
            "/api/object/",
            Some(&node.user),
            &[("objectId", &id), ("lite", "False")],
        )
        .await;
    assert_eq!(full.status, StatusCode::OK, "{:?}", full.json);
    let data = &full.json["lasairData"];
    let object = &full.json["diaObject"];
    let (ra, dec) = (object["ra"].as_f64(), object["decl"].as_f64());
    let (ra, dec) = ra.zip(dec).expect("the diaObject's position");
    assert_eq!(data["htm16"], json!(lasair_sky::htm_id(16, ra, dec)));
    for k in [
        "decErr",
        "g_psfFluxErrMean",
        "i_psfFluxNdata",
        "validityStartMjdTai",
    ] {
        assert!(data.get(k).is_some(), "lasairData.{k}");
        assert!(object.get(k).is_some(), "diaObject.{k}");
    }
    assert!(data["decErr"].as_f64().is_some_and(|e| e > 0.0), "{data}");
    assert_eq!(object["decErr"], data["decErr"]);
    assert!(object.get("htm16").is_none());
    assert!(r.json["diaObject"].get("decErr").is_none(), "lite");
    let source = r.json["diaSourcesList"][0]
        .as_object()
        .expect("a diaSource");
    let mut fields: Vec<&String> = source.keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "band",
            "diaSourceId",
            "midpointMjdTai",
            "psfFlux",
            "psfFluxErr",
            "reliability"
        ]
    );
    let sherlock = client
        .post(
            "/api/sherlock/object/",
            Some(&node.user),
            &[("objectId", "ZTF18abc")],
        )
        .await;
    assert_eq!(
        sherlock.status,
        StatusCode::BAD_REQUEST,
        "an LSST id is an integer"
    );
    let older = client
        .post("/api/objects/", Some(&node.user), &[("objectIds", &id)])
        .await;
    assert_eq!(
        older.status,
        StatusCode::NOT_FOUND,
        "Lasair-LSST has no older routes"
    );
}
