//! Email digests (Lasair's `active = 1` filters): each filter's results gather in a state file
//! per topic (on storage the filter nodes share), and at most once a day its owner is mailed
//! the objects gathered since the last email, with links. A filter whose query fails mails
//! its owner the error, once per distinct error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lasair_alert::time::{mjd_now, utc_string};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{escape_html, MailError, Mailer};

/// Whose digest: an email filter and its owner's address.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    /// The filter's id.
    pub id: i64,
    /// The filter's topic: names its state file and its emails.
    pub topic: String,
    /// The filter's name, as its owner gave it.
    pub name: String,
    /// The owner's address; no email without one.
    pub email: Option<String>,
}

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

/// The digests of this batch, written out by [`Digests::flush`].
pub struct Digests {
    dir: PathBuf,
    mailer: Option<Mailer>,
    /// The column of a result row that names its object (`objectId`, `diaObjectId`).
    key: &'static str,
    pending: BTreeMap<i64, (Recipient, Vec<Map<String, Value>>)>,
    errors: Vec<(Recipient, String)>,
    /// Emails sent by this run (results and errors).
    pub sent: u64,
}

impl Digests {
    /// Digests kept in folder `dir` (created), mailed through `mailer` when there is one;
    /// `key` is the result column that names an object, linked in the emails.
    pub fn new(
        dir: &Path,
        mailer: Option<Mailer>,
        key: &'static str,
    ) -> Result<Digests, MailError> {
        std::fs::create_dir_all(dir).map_err(|e| state_error(dir, &e))?;
        Ok(Digests {
            dir: dir.to_owned(),
            mailer,
            key,
            pending: BTreeMap::new(),
            errors: Vec::new(),
            sent: 0,
        })
    }

    /// Adds one result record of an email filter.
    pub fn add(&mut self, filter: &Recipient, record: Map<String, Value>) {
        self.pending
            .entry(filter.id)
            .or_insert_with(|| (filter.clone(), Vec::new()))
            .1
            .push(record);
    }

    /// Notes a filter's failure, to be mailed to its owner once.
    pub fn failed(&mut self, filter: &Recipient, error: &str) {
        self.errors.push((filter.clone(), error.to_owned()));
    }

    /// Appends the batch's records to each digest file, mails those due, and writes the files
    /// (temp file + rename, so a crash leaves the old or the new state, never half of one).
    pub fn flush(&mut self) -> Result<(), MailError> {
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
                        Err(e) => eprintln!("lasair-mail: email for {}: {e}", filter.topic),
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
                    Err(e) => eprintln!("lasair-mail: email for {}: {e}", filter.topic),
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
        filter: &Recipient,
        state: &State,
    ) -> Result<bool, MailError> {
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
            escape_html(&filter.topic)
        );
        for r in fresh {
            match r.get(self.key) {
                Some(id) => {
                    let id = id.as_str().map_or_else(|| id.to_string(), str::to_owned);
                    text.push_str(&format!("{id}\n"));
                    let link = mailer.object_link(&id);
                    html.push_str(&format!(
                        "<a href=\"{}\">{}</a><br/>\n",
                        escape_html(&link),
                        escape_html(&id)
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

    fn read(&self, topic: &str) -> Result<State, MailError> {
        let path = self.path(topic);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| state_error(&path, &e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(state_error(&path, &e)),
        }
    }

    fn write(&self, topic: &str, state: &State) -> Result<(), MailError> {
        use std::io::Write;
        let path = self.path(topic);
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec(state).map_err(|e| state_error(&path, &e))?;
        let written = std::fs::File::create(&tmp).and_then(|file| {
            let mut out = std::io::BufWriter::new(file);
            out.write_all(&bytes)?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()
        });
        written.map_err(|e| state_error(&tmp, &e))?;
        std::fs::rename(&tmp, &path).map_err(|e| state_error(&path, &e))
    }
}

fn state_error(path: &Path, cause: &dyn std::fmt::Display) -> MailError {
    MailError::State {
        path: path.display().to_string(),
        cause: cause.to_string(),
    }
}

/// Sends one email to the filter's owner; `Ok(false)` when the owner has no address.
fn send(
    mailer: &Mailer,
    filter: &Recipient,
    subject: &str,
    text: &str,
    html: Option<&str>,
) -> Result<bool, MailError> {
    let Some(to) = &filter.email else {
        return Ok(false);
    };
    mailer.send(to, subject, text, html)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> Recipient {
        Recipient {
            id: 3,
            topic: "lasair_7bright".into(),
            name: "bright".into(),
            email: Some("ada@example.org".into()),
        }
    }

    #[test]
    fn records_gather_in_the_state_file_across_batches() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut digests = Digests::new(dir.path(), None, "objectId").expect("digests");
        for batch in 0..2 {
            let mut record = Map::new();
            record.insert("objectId".into(), format!("ZTF{batch}").into());
            digests.add(&ada(), record);
            digests.flush().expect("flush");
        }
        digests.failed(&ada(), "no such column");
        digests.flush().expect("flush");
        let state: State = serde_json::from_slice(
            &std::fs::read(dir.path().join("lasair_7bright.json")).expect("state file"),
        )
        .expect("state");
        let ids: Vec<&str> = state
            .digest
            .iter()
            .filter_map(|r| r.get("objectId")?.as_str())
            .collect();
        assert_eq!(ids, ["ZTF0", "ZTF1"]);
        assert_eq!(state.last_error.as_deref(), Some("no such column"));
        assert_eq!(
            (state.last_email_mjd, digests.sent),
            (0.0, 0),
            "no mailer, no email"
        );
    }
}
