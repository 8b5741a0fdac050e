//! Writer schemas for LSST's Confluent wire format: a schema registry (`GET /schemas/ids/{id}`,
//! cached) or a schema given once as a file or a folder of `.avsc` files.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use crate::avro::CompiledSchema;
use crate::error::AlertError;

/// Where wire-format messages find their writer schema.
#[derive(Debug)]
pub enum WireSchemas {
    /// One schema for every message, whatever its id (`--schema FILE`).
    Fixed(Arc<CompiledSchema>),
    /// A Confluent-compatible schema registry at this base URL.
    Registry {
        url: String,
        cache: RwLock<HashMap<u32, Result<Arc<CompiledSchema>, String>>>,
    },
}

impl WireSchemas {
    pub fn registry(url: &str) -> Self {
        WireSchemas::Registry {
            url: url.trim_end_matches('/').to_owned(),
            cache: RwLock::default(),
        }
    }

    /// Loads a schema file, or a folder of `.avsc` files whose named types refer to each other
    /// (Rubin publishes `lsst.vX_Y.alert.avsc` beside `lsst.vX_Y.diaSource.avsc`, ...).
    pub fn from_path(path: &Path) -> Result<Self, String> {
        let read =
            |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
        let compiled = if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "avsc"))
                .collect();
            files.sort();
            let texts = files
                .iter()
                .map(|p| read(p))
                .collect::<Result<Vec<_>, _>>()?;
            let root = files
                .iter()
                .filter_map(|p| p.file_stem()?.to_str())
                .find(|stem| stem.ends_with(".alert") || *stem == "alert")
                .ok_or_else(|| format!("{}: no *.alert.avsc in the folder", path.display()))?
                .to_owned();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            CompiledSchema::parse_list(&refs, &root)
        } else {
            CompiledSchema::parse(&read(path)?)
        };
        compiled
            .map(|c| WireSchemas::Fixed(Arc::new(c)))
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The writer schema of a schema id.
    pub fn get(&self, id: u32) -> Result<Arc<CompiledSchema>, AlertError> {
        match self {
            WireSchemas::Fixed(s) => Ok(s.clone()),
            WireSchemas::Registry { url, cache } => {
                let known = cache.read().ok().and_then(|c| c.get(&id).cloned());
                let result = match known {
                    Some(r) => r,
                    None => {
                        let fetched = fetch(url, id);
                        if let Ok(mut c) = cache.write() {
                            c.insert(id, fetched.clone());
                        }
                        fetched
                    }
                };
                result.map_err(|reason| AlertError::SchemaId { id, reason })
            }
        }
    }
}

fn fetch(base: &str, id: u32) -> Result<Arc<CompiledSchema>, String> {
    let url = format!("{base}/schemas/ids/{id}");
    let body = ureq::get(&url)
        .call()
        .map_err(|e| format!("GET {url}: {e}"))?
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("GET {url}: {e}"))?;
    #[derive(serde::Deserialize)]
    struct Reply {
        schema: String,
    }
    let reply: Reply = serde_json::from_str(&body).map_err(|e| format!("GET {url}: {e}"))?;
    CompiledSchema::parse(&reply.schema)
        .map(Arc::new)
        .map_err(|e| format!("GET {url}: {e}"))
}
