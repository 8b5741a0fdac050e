//! Email digests (Lasair's `active = 1` filters): each filter's results gather in a state file
//! per topic (on storage the filter nodes share), and at most once a day its owner is mailed
//! the objects gathered since the last email, with links. A filter whose query fails mails
//! its owner the error, once per distinct error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use lasair_alert::time::{mjd_now, utc_string};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{SmtpTransport, Transport};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::filters::ActiveFilter;

/// Records a digest keeps at most (the newest).
const KEEP: usize = 10_000;
/// Days between two emails of one filter, at least.
const EMAIL_EVERY_DAYS: f64 = 1.0;

/// What a digest file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// MJD of the last email sent (0: never).
    last_email_mjd: f64,
    /// The error last mailed to the owner, so it is mailed once.
    last_error: Option<String>,
    /// The records gathered, oldest first.
    digest: Vec<Map<String, Value>>,
}

/// The SMTP side: where mail goes and what it says.
#[derive(Debug, Clone)]
pub struct Mailer {
    pub host: String,
    pub port: u16,
    pub from: String,
    pub lasair_url: String,
    pub key: &'static str,
}

/// The digests of this batch, written out by [`Digests::flush`].
pub struct Digests {
    dir: PathBuf,
    mailer: Option<Mailer>,
    pending: BTreeMap<i64, (ActiveFilter, Vec<Map<String, Value>>)>,
    errors: Vec<(ActiveFilter, String)>,
    /// Emails sent by this run (results and errors).
    pub sent: u64,
}

impl Digests {
    pub fn new(dir: &Path, mailer: Option<Mailer>) -> anyhow::Result<Digests> {
        std::fs::create_dir_all(dir).with_context(|| format!("digest folder {}", dir.display()))?;
        Ok(Digests {
            dir: dir.to_owned(),
            mailer,
            pending: BTreeMap::new(),
            errors: Vec::new(),
            sent: 0,
        })
    }

    /// Adds one result record of an email filter.
    pub fn add(&mut self, filter: &ActiveFilter, record: Map<String, Value>) {
        self.pending
            .entry(filter.mq_id)
            .or_insert_with(|| (filter.clone(), Vec::new()))
            .1
            .push(record);
    }

    /// Notes a filter's failure, to be mailed to its owner once.
    pub fn failed(&mut self, filter: &ActiveFilter, error: &str) {
        self.errors.push((filter.clone(), error.to_owned()));
    }

    /// Appends the batch's records to each digest file, mails those due, and writes the files
    /// (temp file + rename, so a crash leaves the old or the new state, never half of one).
    pub fn flush(&mut self) -> anyhow::Result<()> {
        let now = mjd_now();
        for (filter, records) in std::mem::take(&mut self.pending).into_values() {
            let mut state = self.read(&filter.topic)?;
            state.digest.extend(records);
            let excess = state.digest.len().saturating_sub(KEEP);
            state.digest.drain(..excess);
            if now - state.last_email_mjd >= EMAIL_EVERY_DAYS {
                if let Some(mailer) = &self.mailer {
                    match self.mail_results(mailer, &filter, &state) {
                        Ok(true) => {
                            state.last_email_mjd = now;
                            self.sent += 1;
                        }
                        Ok(false) => {}
                        Err(e) => eprintln!("lasair-filter: email for {}: {e:#}", filter.topic),
                    }
                }
            }
            self.write(&filter.topic, &state)?;
        }
        for (filter, error) in std::mem::take(&mut self.errors) {
            let mut state = self.read(&filter.topic)?;
            if state.last_error.as_deref() == Some(error.as_str()) {
                continue;
            }
            if let Some(mailer) = &self.mailer {
                let body = format!(
                    "Your Lasair filter {} ({}) did not run on the stream: {error}\n\
                     Please check it; it will run again on every batch.\n",
                    filter.name, filter.topic
                );
                match send(
                    mailer,
                    &filter,
                    &format!("Lasair filter {} failed", filter.topic),
                    &body,
                    None,
                ) {
                    Ok(true) => self.sent += 1,
                    Ok(false) => {}
                    Err(e) => eprintln!("lasair-filter: email for {}: {e:#}", filter.topic),
                }
            }
            state.last_error = Some(error);
            self.write(&filter.topic, &state)?;
        }
        Ok(())
    }

    fn mail_results(
        &self,
        mailer: &Mailer,
        filter: &ActiveFilter,
        state: &State,
    ) -> anyhow::Result<bool> {
        let since = state.last_email_mjd;
        let fresh: Vec<&Map<String, Value>> = state
            .digest
            .iter()
            .filter(|r| {
                r.get("UTC")
                    .and_then(Value::as_str)
                    .is_some_and(|u| u > utc_string(since).as_str())
            })
            .collect();
        if fresh.is_empty() {
            return Ok(false);
        }
        let mut text = format!("Your active query with Lasair on topic {}\n", filter.topic);
        let mut html = format!(
            "Your active query with Lasair on topic {}<br/>\n",
            escape(&filter.topic)
        );
        for r in fresh {
            match r.get(mailer.key) {
                Some(id) => {
                    let id = id.as_str().map_or_else(|| id.to_string(), str::to_owned);
                    text.push_str(&format!("{id}\n"));
                    let link = format!("{}/objects/{id}/", mailer.lasair_url.trim_end_matches('/'));
                    html.push_str(&format!(
                        "<a href=\"{}\">{}</a><br/>\n",
                        escape(&link),
                        escape(&id)
                    ));
                }
                None => text.push_str(&format!("{}\n", Value::Object(r.clone()))),
            }
        }
        send(
            mailer,
            filter,
            &format!("Lasair query {}", filter.topic),
            &text,
            Some(&html),
        )
    }

    fn path(&self, topic: &str) -> PathBuf {
        self.dir.join(format!("{topic}.json"))
    }

    fn read(&self, topic: &str) -> anyhow::Result<State> {
        let path = self.path(topic);
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).with_context(|| format!("digest {}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(e).with_context(|| format!("digest {}", path.display())),
        }
    }

    fn write(&self, topic: &str, state: &State) -> anyhow::Result<()> {
        let path = self.path(topic);
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec(state)?;
        let file =
            std::fs::File::create(&tmp).with_context(|| format!("digest {}", tmp.display()))?;
        use std::io::Write;
        let mut out = std::io::BufWriter::new(file);
        out.write_all(&bytes)?;
        out.into_inner()?.sync_all()?;
        std::fs::rename(&tmp, &path).with_context(|| format!("digest {}", path.display()))
    }
}

/// Sends one email to the filter's owner; `Ok(false)` when the owner has no address.
fn send(
    mailer: &Mailer,
    filter: &ActiveFilter,
    subject: &str,
    text: &str,
    html: Option<&str>,
) -> anyhow::Result<bool> {
    let Some(to) = &filter.email else {
        return Ok(false);
    };
    let from: Mailbox = mailer
        .from
        .parse()
        .with_context(|| format!("sender {:?}", mailer.from))?;
    let to: Mailbox = to
        .parse()
        .with_context(|| format!("owner's address {to:?}"))?;
    let builder = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(subject);
    let message = match html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            text.to_owned(),
            html.to_owned(),
        ))?,
        None => builder.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(text.to_owned()),
        )?,
    };
    let transport = SmtpTransport::builder_dangerous(&mailer.host)
        .port(mailer.port)
        .build();
    transport
        .send(&message)
        .with_context(|| format!("SMTP {}:{}", mailer.host, mailer.port))?;
    Ok(true)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
