//! A served node for tests: the real alerts of ../shared/data decoded, their lightcurves in a
//! SQLite lightcurve store, their cutouts in a cutout store (a tree, or SQLite), each object's features row (from
//! its latest alert, by lasair-features) in the main database; users of each API class with
//! their tokens; and the router called without a socket.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use lasair_alert::{Alert, Decoder, Survey};
use lasair_db::{Db, Value};
use lasair_service::users::{ApiClass, NewUser, User};
use lasair_store::lightcurve::SqliteLightcurves;
use lasair_store::{open_cutouts, LightcurveStore};
use serde_json::Value as Json;
use tower::ServiceExt;

pub struct Node {
    pub dir: tempfile::TempDir,
    pub survey: Survey,
    pub db_url: String,
    pub lightcurves: String,
    /// The cutout store's URL.
    pub cutouts: String,
    pub annotations: PathBuf,
    /// Each object's alerts, by object id, oldest first.
    pub objects: Vec<(String, Vec<Alert>)>,
    /// Tokens: demo, user, power, and another user.
    pub demo: String,
    pub user: String,
    pub power: String,
    pub other: String,
    pub user_id: i64,
    pub other_id: i64,
}

/// The alerts of `survey` in ../shared/data, or `None` (after saying so) when absent.
fn real_alerts(survey: Survey) -> Option<Vec<Alert>> {
    let decoder = Decoder::new(survey, None);
    let files: Vec<PathBuf> = match survey {
        Survey::Ztf => {
            let mut files = Vec::new();
            let mut dirs = vec![lasair_testdata::shared_data("ztf/alerts")?];
            while let Some(dir) = dirs.pop() {
                for entry in std::fs::read_dir(&dir).expect("listing ztf/alerts") {
                    let path = entry.expect("entry").path();
                    if path.is_dir() {
                        dirs.push(path);
                    } else if path.extension().is_some_and(|e| e == "avro") {
                        files.push(path);
                    }
                }
            }
            files
        }
        Survey::Lsst => vec![lasair_testdata::shared_data(
            "lsst/alerts/rubin_v10_0/alerts.avro",
        )?],
    };
    let mut alerts = Vec::new();
    for path in files {
        let bytes = std::fs::read(&path).expect("reading an alert file");
        for alert in decoder.decode(&bytes) {
            alerts.push(alert.unwrap_or_else(|e| panic!("{}: {e}", path.display())));
        }
    }
    alerts.sort_by(|a, b| a.mjd.total_cmp(&b.mjd).then(a.source_id.cmp(&b.source_id)));
    Some(alerts)
}

fn user(db: &mut Db, name: &str, class: ApiClass) -> (i64, String) {
    let new = NewUser {
        username: name.into(),
        email: format!("{name}@example.org"),
        first_name: name.to_uppercase(),
        last_name: "Tester".into(),
        api_class: class,
        password: Some(format!("{name}-password")),
        ..NewUser::default()
    };
    let u = User::create(db, &new).expect("user");
    (u.id, User::token(db, u.id).expect("token"))
}

impl Node {
    /// The node of `survey`, or `None` when the real data is absent.
    pub fn new(survey: Survey) -> Option<Node> {
        Node::with_cutouts(survey, "")
    }

    /// The node of `survey` with its cutouts in the store `scheme` names (`sqlite:`, or `""`
    /// for a folder tree), or `None` when the real data is absent.
    pub fn with_cutouts(survey: Survey, scheme: &str) -> Option<Node> {
        let alerts = real_alerts(survey)?;
        let dir = tempfile::tempdir().expect("temp dir");
        let db_url = format!("sqlite:{}", dir.path().join("lasair.db").display());
        let lc_path = dir.path().join("lightcurves.db");
        let cutouts = format!("{scheme}{}", dir.path().join("cutouts").display());
        let mut db = lasair_service::open(&db_url, Some(survey), false).expect("main db");
        let mut store = SqliteLightcurves::open(&lc_path).expect("lightcurve store");
        store.upsert(&alerts).expect("lightcurves");
        let store = open_cutouts(&cutouts).expect("cutout store");
        store.write_batch(&alerts).expect("cutouts");
        store.sync().expect("cutouts durable");
        let mut objects: Vec<(String, Vec<Alert>)> = Vec::new();
        for alert in alerts {
            match objects.iter_mut().find(|(id, _)| *id == alert.object_id.0) {
                Some((_, list)) => list.push(alert),
                None => objects.push((alert.object_id.0.clone(), vec![alert])),
            }
        }
        let features = lasair_features::for_survey(survey);
        let columns: Vec<&str> = features.columns().iter().map(|c| c.name).collect();
        let rows: Vec<Vec<Value>> = objects
            .iter()
            .filter_map(|(_, list)| {
                let latest = list.last().expect("an alert");
                features
                    .object_row(latest, &Default::default(), &Default::default())
                    .ok()
            })
            .collect();
        db.upsert("objects", &columns, &rows).expect("objects rows");
        let (_, demo) = user(&mut db, "dummy", ApiClass::Demo);
        let (user_id, user_token) = user(&mut db, "ada", ApiClass::User);
        let (_, power) = user(&mut db, "grace", ApiClass::Power);
        let (other_id, other) = user(&mut db, "eve", ApiClass::User);
        Some(Node {
            survey,
            db_url,
            lightcurves: format!("sqlite:{}", lc_path.display()),
            cutouts,
            annotations: dir.path().join("annotations.jsonl"),
            dir,
            objects,
            demo,
            user: user_token,
            power,
            other,
            user_id,
            other_id,
        })
    }

    pub fn db(&self) -> Db {
        lasair_service::open(&self.db_url, Some(self.survey), false).expect("db")
    }

    pub fn args(&self) -> lasair_serve::Args {
        lasair_serve::Args {
            survey: Some(self.survey),
            db: Some(self.db_url.clone()),
            lightcurves: Some(self.lightcurves.clone()),
            cutouts: Some(self.cutouts.clone()),
            annotations: Some(self.annotations.display().to_string()),
            public_url: Some("http://lasair.test".into()),
            ..lasair_serve::Args::default()
        }
    }

    pub fn app(&self) -> lasair_serve::App {
        lasair_serve::App::open(&self.args()).expect("app")
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A served router over `app`.
pub struct Client {
    pub router: axum::Router,
}

/// An answer: status, `Retry-After`, body as JSON (or `Null`), raw bytes.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub retry_after: Option<String>,
    pub json: Json,
    pub bytes: Vec<u8>,
    pub headers: axum::http::HeaderMap,
}

impl Client {
    pub fn new(app: lasair_serve::App) -> Client {
        Client {
            router: lasair_serve::app(Arc::new(app)),
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Answer {
        let res = self.router.clone().oneshot(req).await.expect("an answer");
        let status = res.status();
        let headers = res.headers().clone();
        let retry_after = headers
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap_or("").to_owned());
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .expect("body")
            .to_vec();
        let json = serde_json::from_slice(&bytes).unwrap_or(Json::Null);
        Answer {
            status,
            retry_after,
            json,
            bytes,
            headers,
        }
    }

    /// POSTs a form as the client does (`Authorization: Token KEY`).
    pub async fn post(&self, path: &str, token: Option<&str>, form: &[(&str, &str)]) -> Answer {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut req =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Token {t}"));
        }
        self.send(req.body(Body::from(body)).expect("request"))
            .await
    }

    /// POSTs JSON.
    pub async fn post_json(&self, path: &str, token: &str, body: &Json) -> Answer {
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Token {token}"))
            .body(Body::from(body.to_string()))
            .expect("request");
        self.send(req).await
    }

    /// GETs `path_and_query` with no header.
    pub async fn get(&self, path_and_query: &str) -> Answer {
        self.send(
            Request::get(path_and_query)
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }
}

/// The lasair-serve binary, started with `args` and listening on a free port of 127.0.0.1.
pub struct Served {
    pub child: std::process::Child,
    /// HOST:PORT it listens on.
    pub address: String,
    /// What it said so far on stderr, and the rest of its stderr.
    pub said: String,
    pub stderr: std::io::BufReader<std::process::ChildStderr>,
}

impl Served {
    /// Starts it and waits for its "serving ... on http://ADDRESS/api/" line.
    pub fn start(args: &[&str]) -> Served {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lasair-serve"))
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("lasair-serve starts");
        let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
        let mut said = String::new();
        let address = loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).expect("stderr") == 0 {
                panic!("lasair-serve stopped before serving: {said}");
            }
            said.push_str(&line);
            if let Some(at) = line.split("http://").nth(1) {
                break at.split('/').next().expect("an address").to_owned();
            }
        };
        Served {
            child,
            address,
            said,
            stderr,
        }
    }

    /// GET `path` with extra header lines (each `Name: value`); the status and the body.
    pub fn get(&self, path: &str, headers: &[&str]) -> (u16, String) {
        use std::io::{Read, Write};
        let mut http = std::net::TcpStream::connect(&self.address).expect("connects");
        let mut request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.address
        );
        for h in headers {
            request.push_str(h);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        http.write_all(request.as_bytes()).expect("request");
        let mut answer = String::new();
        http.read_to_string(&mut answer).expect("answer");
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"));
        (status, answer)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
