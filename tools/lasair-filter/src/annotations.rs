//! Filters triggered by annotations (Lasair's `run` codes 2 and 3). The web server stores each
//! annotation in the main database and writes it to the annotation stream; here each batch of
//! that stream gives the objects annotated under each annotator topic, and every active filter
//! run on annotations that names one of those annotators (`annotator:TOPIC`) runs on the main
//! database for those objects only, as Lasair runs it: one classifier's annotations never fire
//! filters on another's. Results go out as the alert stage's do, then the offsets are
//! committed.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use anyhow::Context;
use lasair_alert::time::{mjd_now, utc_string};
use lasair_cli::Counts;
use lasair_db::Db;
use lasair_service::annotations::Annotation;
use lasair_sql::catalog::Catalog;
use lasair_sql::{Limits, ObjectKey};
use lasair_stream::{Message, Source, SourceKind};

use crate::filters::{self, OnAnnotation, RunFilter};
use crate::results::{self, BatchView, Outputs};
use crate::{Args, TOOL};

/// The objects a batch of the annotation stream annotated, by annotator topic.
#[derive(Debug, Default)]
pub struct Annotated {
    by_topic: HashMap<String, BTreeSet<ObjectKey>>,
    /// Lines that are not annotations of this survey's objects (reported on stderr).
    pub bad: u64,
}

impl Annotated {
    /// Reads a batch of the annotation stream. Each object key is checked as the services
    /// check one (`lasair_service::objects::key`), so nothing from the stream reaches SQL
    /// unchecked; a line that is not an annotation of one of this survey's objects is counted
    /// bad and reported with where it came from, and the rest of the batch goes on.
    pub fn read(messages: &[Message], catalog: &Catalog) -> Annotated {
        let mut annotated = Annotated::default();
        for m in messages {
            match topic_and_key(&m.payload, catalog) {
                Ok((topic, key)) => {
                    annotated.by_topic.entry(topic).or_default().insert(key);
                }
                Err(e) => {
                    annotated.bad += 1;
                    eprintln!("{TOOL}: {}: {e}", m.origin);
                }
            }
        }
        annotated
    }

    /// The objects annotated under any of `topics`, each once.
    pub fn objects_of(&self, topics: &[String]) -> Vec<ObjectKey> {
        let keys = topics.iter().filter_map(|t| self.by_topic.get(t));
        let all: BTreeSet<&ObjectKey> = keys.flatten().collect();
        all.into_iter().cloned().collect()
    }

    /// How many objects were annotated (under any topic).
    pub fn objects(&self) -> usize {
        let all: BTreeSet<&ObjectKey> = self.by_topic.values().flatten().collect();
        all.len()
    }
}

fn topic_and_key(line: &[u8], catalog: &Catalog) -> Result<(String, ObjectKey), String> {
    let a: Annotation =
        serde_json::from_slice(line).map_err(|e| format!("not an annotation: {e}"))?;
    let key = lasair_service::objects::key(catalog, &a.object).map_err(|e| e.to_string())?;
    let key = ObjectKey::try_from(key).map_err(|v| format!("object key {v:?} is not one"))?;
    Ok((a.topic, key))
}

/// Everything a run on annotations holds between batches.
pub(crate) struct Node {
    catalog: &'static Catalog,
    main: Db,
    outputs: Outputs,
    filters: Vec<OnAnnotation>,
    limits: Limits,
    timeout: Duration,
    refreshed: Instant,
    refresh: Duration,
    quiet: bool,
}

/// The annotation stream and the main database, as `args` say; the filters read.
pub(crate) fn open(args: &Args) -> anyhow::Result<(Box<dyn Source>, Node)> {
    let url = args
        .db
        .as_deref()
        .context("--db is required (the main database)")?;
    let main = lasair_service::open(url, args.survey, false)?;
    let catalog = main.catalog();
    let kafka = args.stream.kafka(TOOL)?;
    let source = args.stream.source(SourceKind::Lines, &kafka)?;
    let mut node = Node {
        catalog,
        main,
        outputs: crate::outputs(args, catalog, &kafka)?,
        filters: Vec::new(),
        limits: crate::limits(args),
        timeout: crate::timeout(args),
        refreshed: Instant::now(),
        refresh: crate::refresh(args),
        quiet: args.stream.quiet,
    };
    node.reload()?;
    Ok((source, node))
}

impl Node {
    /// One batch: the filters run and their results out (flushed); the caller then commits
    /// the input offsets. Gives the objects annotated and the results sent.
    pub(crate) fn batch(
        &mut self,
        messages: &[Message],
        counts: &Counts,
    ) -> anyhow::Result<(u64, u64)> {
        if self.refreshed.elapsed() >= self.refresh {
            self.reload()?;
        }
        let t0 = Instant::now();
        let annotated = Annotated::read(messages, self.catalog);
        counts.add_bad(annotated.bad);
        let run: Vec<RunFilter> = self
            .filters
            .iter()
            .filter_map(|f| self.for_batch(f, &annotated))
            .collect();
        let utc = utc_string(mjd_now());
        let view = BatchView {
            alerts: None,
            catalog: self.catalog,
            utc: &utc,
        };
        let found =
            results::run_filters(&mut self.main, &run, &view, &mut self.outputs, self.timeout)?;
        self.outputs.flush()?;
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        let objects = annotated.objects();
        let stats = [
            ("filter.annotation_batch_annotations", messages.len() as f64),
            ("filter.annotation_batch_objects", objects as f64),
            ("filter.annotation_batch_results", found.results as f64),
            (
                "filter.annotation_batch_filters_failed",
                found.failed as f64,
            ),
            ("filter.annotation_filters_ms", ms),
        ];
        lasair_service::statistics::record(&mut self.main, &stats, &utc)?;
        if !self.quiet {
            eprintln!(
                "{TOOL}: batch of {} annotations: {objects} objects ({} bad), {} filters gave {} results ({} failed) in {ms:.0} ms",
                messages.len(), annotated.bad, found.run, found.results, found.failed
            );
        }
        counts.add_written(found.results);
        Ok((objects as u64, found.results))
    }

    /// Filter `f` ready to run on this batch's objects of the annotators it names, or `None`
    /// when it names none that annotated. One that does not compile runs (and fails) so its
    /// owner hears why, once a run.
    fn for_batch(&self, f: &OnAnnotation, annotated: &Annotated) -> Option<RunFilter> {
        let objects = match &f.compiled {
            Ok(c) => annotated.objects_of(&c.annotators),
            Err(_) => Vec::new(),
        };
        let runs = f.compiled.is_err() || !objects.is_empty();
        runs.then(|| f.for_objects(objects, &self.main, &self.limits))
    }

    /// Reads the active filters run on annotations again (users change them).
    fn reload(&mut self) -> anyhow::Result<()> {
        self.filters = filters::load_on_annotation(&mut self.main, &self.limits)?;
        self.refreshed = Instant::now();
        if !self.quiet {
            eprintln!(
                "{TOOL}: {} active filters run on annotations",
                self.filters.len()
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lasair_sql::catalog::{LSST, ZTF};
    use lasair_stream::Origin;

    fn messages(lines: &[&str]) -> Vec<Message> {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| Message {
                payload: l.as_bytes().to_vec().into(),
                key: None,
                origin: Origin::Line {
                    source: "notes.jsonl".into(),
                    line: i as u64 + 1,
                },
            })
            .collect()
    }

    #[test]
    fn keys_are_checked_and_grouped_by_annotator() {
        let batch = messages(&[
            r#"{"objectId": "ZTF1a", "topic": "fast", "classification": "SN"}"#,
            r#"{"objectId": "ZTF2b", "topic": "slow", "classification": "AGN"}"#,
            r#"{"objectId": "ZTF1a", "topic": "slow", "classification": "SN"}"#,
            r#"{"objectId": "ZTF1' OR '1'='1", "topic": "fast", "classification": "SN"}"#,
            "not JSON",
        ]);
        let a = Annotated::read(&batch, &ZTF);
        assert_eq!(a.bad, 2);
        assert_eq!(a.objects(), 2);
        assert_eq!(a.objects_of(&["fast".into()]), ["ZTF1a".into()]);
        let both: Vec<ObjectKey> = vec!["ZTF1a".into(), "ZTF2b".into()];
        assert_eq!(a.objects_of(&["slow".into(), "fast".into()]), both);
        assert!(a.objects_of(&["other".into()]).is_empty());

        let lsst = messages(&[
            r#"{"diaObjectId": 313853259557322802, "topic": "t", "classification": "SN"}"#,
            r#"{"objectId": "313853259557322803", "topic": "t", "classification": "SN"}"#,
            r#"{"objectId": "ZTF1a", "topic": "t", "classification": "SN"}"#,
        ]);
        let a = Annotated::read(&lsst, &LSST);
        assert_eq!(a.bad, 1);
        assert_eq!(
            a.objects_of(&["t".into()]),
            [
                ObjectKey::Int(313_853_259_557_322_802),
                ObjectKey::Int(313_853_259_557_322_803)
            ]
        );
    }
}
