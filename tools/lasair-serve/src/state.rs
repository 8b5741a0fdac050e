//! What every request shares: the database pools, the lightcurve stores, the cutout tree,
//! Sherlock's classifier, the annotation stream, the tokens seen and the throttle.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::http::HeaderMap;
use lasair_alert::Survey;
use lasair_context::catalogue::{CatalogueStore, Searcher};
use lasair_context::{Classifier, SearchConfig};
use lasair_db::Pool;
use lasair_service::users::{ApiClass, User};
use lasair_store::{open_cutouts, open_lightcurves, Cutouts, LightcurveStore};
use lasair_stream::{open_appending, KafkaOptions, Sink};

use crate::args::Args;

/// The API's limits, by class of user.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Calls per hour: demo, user, power.
    pub calls: [u32; 3],
    /// Time limit of a user's query.
    pub query_timeout: Duration,
}

impl Limits {
    pub fn calls(&self, class: ApiClass) -> u32 {
        match class {
            ApiClass::Demo => self.calls[0],
            ApiClass::User => self.calls[1],
            ApiClass::Power => self.calls[2],
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            calls: ApiClass::ALL.map(ApiClass::calls_per_hour),
            query_timeout: Duration::from_secs(crate::args::DEFAULT_QUERY_TIMEOUT),
        }
    }
}

/// Lightcurve stores open and idle, for the next request to take.
type Stores = Mutex<Vec<Box<dyn LightcurveStore>>>;

/// The server's shared state.
pub struct App {
    pub survey: Survey,
    pub db_url: String,
    /// The main database, for our own keyed reads and the annotations we write.
    pub db: Pool,
    /// The main database read-only, for users' queries.
    pub readonly: Pool,
    lightcurves: Option<(String, Stores)>,
    pub cutouts: Option<Box<dyn Cutouts>>,
    pub sherlock: Option<Arc<Classifier>>,
    pub annotations: Option<Mutex<Box<dyn Sink>>>,
    /// Prefix of the links in answers (`http://host:port`).
    pub public_url: String,
    /// The public Kafka broker users read their filters' topics from (`HOST:PORT`).
    pub public_kafka: String,
    /// The mailer of the accounts' codes (`--smtp`), if any.
    pub mailer: Option<lasair_mail::Mailer>,
    /// Where npm installed the pages' browser libraries (`web/node_modules`).
    pub web_assets: Option<std::path::PathBuf>,
    pub limits: Limits,
    /// Tokens recently looked up, so a busy client costs no read per call.
    tokens: Mutex<HashMap<String, (Option<User>, Instant)>>,
    /// Each user's calls in the last hour.
    calls: Mutex<HashMap<i64, VecDeque<Instant>>>,
    /// Each address's anonymous queries on the web pages in the last hour.
    anonymous: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Password checks under way at once: each argon2 check takes ~19 MiB and a core for tens
    /// of milliseconds, so a flood of logins waits here rather than exhausting memory.
    pub logins: tokio::sync::Semaphore,
    /// Turns to compute an answer on the blocking pool: as many as the database pool keeps
    /// connections. A taker beyond those opened a connection of its own and closed it after:
    /// under load (`scripts/bench serve`, 32 clients) opening them, reading the schema,
    /// closing them and filling their empty page caches again took about a third of the
    /// server's time (perf).
    pub answering: Arc<tokio::sync::Semaphore>,
    /// The home page's figures and recent objects, and when they were read (the counts over
    /// the whole database are too dear to make for every visitor).
    pub home: Mutex<Option<(Instant, Arc<serde_json::Value>)>>,
    /// Each watchmap's sky fraction and MOC order by (id, date modified, MOC length), as
    /// [`App::watchmap_size`] gives them: the list page shows them for every watchmap, and a
    /// large MOC is too dear to decode on every visit.
    watchmap_sizes: Mutex<HashMap<WatchmapVersion, Option<(f64, u8)>>>,
}

/// A watchmap's id, date modified and MOC length: one version of it.
type WatchmapVersion = (i64, String, usize);

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("survey", &self.survey)
            .field("db", &self.db_url)
            .finish_non_exhaustive()
    }
}

/// How long a token's user is trusted before it is read again (a deactivated user or a
/// changed class takes effect within this).
const TOKEN_TTL: Duration = Duration::from_secs(60);

/// The throttle's window.
const HOUR: Duration = Duration::from_secs(3600);

impl App {
    /// Opens everything `args` names; fails on the first that cannot be opened.
    pub fn open(args: &Args) -> anyhow::Result<App> {
        let url = args
            .db
            .as_deref()
            .context("--db is required (the main database)")?;
        let db = lasair_service::open(url, args.survey, false)?;
        let catalog = db.catalog();
        let survey: Survey = catalog.survey.parse()?;
        drop(db);
        let db_pool = Pool::open(url, catalog, false)?;
        let readonly = Pool::open(args.readonly_db.as_deref().unwrap_or(url), catalog, true)?;
        let answering = db_pool.capacity().min(readonly.capacity());
        let mailer = match &args.smtp {
            Some(server) => Some(
                lasair_mail::Mailer::new(
                    server,
                    args.mail_from.as_deref(),
                    args.public_url.as_deref(),
                )
                .with_context(|| format!("--smtp {server}"))?,
            ),
            None => None,
        };
        let lightcurves = match &args.lightcurves {
            Some(url) => {
                let first = open_lightcurves(url)
                    .with_context(|| format!("opening the lightcurve store {url}"))?;
                Some((url.clone(), Mutex::new(vec![first])))
            }
            None => None,
        };
        let cutouts = match &args.cutouts {
            Some(url) => {
                Some(open_cutouts(url).with_context(|| format!("opening the cutout store {url}"))?)
            }
            None => None,
        };
        let sherlock = match &args.store {
            Some(path) => {
                if !path.exists() {
                    anyhow::bail!("no catalogue store at {}", path.display());
                }
                let store = CatalogueStore::open(path)?;
                let searcher = Arc::new(Searcher::open(&store)?);
                let config = match &args.search {
                    Some(p) => SearchConfig::load(p)?,
                    None => SearchConfig::default_config(),
                };
                Some(Arc::new(Classifier::new(config, searcher)))
            }
            None => None,
        };
        let annotations = match &args.annotations {
            Some(spec) => {
                let options = KafkaOptions {
                    client_id: crate::TOOL.into(),
                    ..KafkaOptions::default()
                };
                let sink = open_appending(spec, &options)
                    .with_context(|| format!("opening the annotation stream {spec}"))?;
                Some(Mutex::new(sink))
            }
            None => None,
        };
        let listen = args.listen.as_deref().unwrap_or(crate::args::LISTEN);
        let mut limits = Limits::default();
        for (slot, given) in [args.calls_demo, args.calls_user, args.calls_power]
            .into_iter()
            .enumerate()
        {
            if let Some(n) = given {
                limits.calls[slot] = n;
            }
        }
        if let Some(secs) = args.query_timeout {
            limits.query_timeout = Duration::from_secs(secs);
        }
        Ok(App {
            survey,
            db_url: url.to_owned(),
            db: db_pool,
            readonly,
            lightcurves,
            cutouts,
            sherlock,
            annotations,
            public_url: args
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{listen}"))
                .trim_end_matches('/')
                .to_owned(),
            web_assets: args.web_assets.clone(),
            mailer,
            public_kafka: args
                .public_kafka
                .clone()
                .unwrap_or_else(|| "localhost:9092".to_owned()),
            limits,
            tokens: Mutex::new(HashMap::new()),
            calls: Mutex::new(HashMap::new()),
            anonymous: Mutex::new(HashMap::new()),
            trusted_proxies: args.trusted_proxies.clone().unwrap_or_default(),
            logins: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            ),
            answering: Arc::new(tokio::sync::Semaphore::new(answering)),
            home: Mutex::new(None),
            watchmap_sizes: Mutex::new(HashMap::new()),
        })
    }

    /// Runs `f` with a lightcurve store of the pool (opened when every one is in use);
    /// `None` when the server has none.
    pub fn with_lightcurves<T>(
        &self,
        f: impl FnOnce(&mut dyn LightcurveStore) -> T,
    ) -> anyhow::Result<Option<T>> {
        let Some((url, idle)) = &self.lightcurves else {
            return Ok(None);
        };
        let taken = idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut store = match taken {
            Some(store) => store,
            None => open_lightcurves(url).with_context(|| format!("opening {url}"))?,
        };
        let out = f(store.as_mut());
        idle.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(store);
        Ok(Some(out))
    }

    /// A watchmap's sky fraction and MOC order (none when its MOC cannot be read), decoded
    /// once per version of the watchmap.
    pub fn watchmap_size(&self, w: &lasair_service::watch::Watchmap) -> Option<(f64, u8)> {
        let key = (w.id, w.date_modified.clone(), w.moc.len());
        let sizes = || {
            self.watchmap_sizes
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if let Some(size) = sizes().get(&key) {
            return *size;
        }
        let size = w.area().ok().map(|a| (a.sky_fraction(), a.depth()));
        let mut known = sizes();
        // Bounded: versions replaced or deleted are forgotten now and then.
        if known.len() >= 10_000 {
            known.clear();
        }
        known.insert(key, size);
        size
    }

    /// The active user whose token this is, read at most once a minute per token.
    pub fn user_of(&self, token: &str) -> anyhow::Result<Option<User>> {
        let now = Instant::now();
        {
            let seen = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((user, at)) = seen.get(token) {
                if now.duration_since(*at) < TOKEN_TTL {
                    return Ok(user.clone());
                }
            }
        }
        let mut db = self.db.get()?;
        let user = User::by_token(&mut db, token)?;
        let mut seen = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        // Bounded: a flood of made-up tokens cannot grow it without end.
        if seen.len() >= 100_000 {
            seen.retain(|_, (_, at)| now.duration_since(*at) < TOKEN_TTL);
            if seen.len() >= 100_000 {
                seen.clear();
            }
        }
        seen.insert(token.to_owned(), (user.clone(), now));
        Ok(user)
    }

    /// Counts a call of `user`; when they have used their calls of the last hour, the
    /// seconds until the oldest of them leaves the window (and the call is not counted).
    pub fn throttle(&self, user: &User) -> Result<(), u64> {
        count_call(&self.calls, user.id, self.limits.calls(user.api_class))
    }

    /// Counts an anonymous visitor's query from `address`, at the demo account's calls per
    /// hour, as [`App::throttle`] counts a user's.
    pub fn throttle_anonymous(&self, address: IpAddr) -> Result<(), u64> {
        count_call(&self.anonymous, address, self.limits.calls(ApiClass::Demo))
    }

    /// The visitor's address: the peer's, or when the peer is a trusted proxy, the last
    /// address of `X-Forwarded-For` that is not itself a trusted proxy (the ones before it
    /// are the client's to write). `None` without a peer (a request made in-process).
    pub fn visitor_address(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|a| a.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        for address in forwarded.into_iter().rev() {
            match address {
                Some(a) if self.trusted_proxies.contains(&a) => continue,
                // An address the proxy did not write as one: the proxy, for want of better.
                None => return Some(peer),
                Some(a) => return Some(a),
            }
        }
        Some(peer)
    }
}

/// Counts a call of `key` among `calls` of the last hour, at most `allowed`; when they are
/// used, the seconds until the oldest leaves the window (and the call is not counted).
fn count_call<K: std::hash::Hash + Eq>(
    calls: &Mutex<HashMap<K, VecDeque<Instant>>>,
    key: K,
    allowed: u32,
) -> Result<(), u64> {
    let now = Instant::now();
    let mut calls = calls.lock().unwrap_or_else(PoisonError::into_inner);
    // Bounded: keys whose calls have all left the window are forgotten now and then.
    if calls.len() >= 100_000 {
        calls.retain(|_, h| h.back().is_some_and(|t| now.duration_since(*t) < HOUR));
    }
    let history = calls.entry(key).or_default();
    while history
        .front()
        .is_some_and(|t| now.duration_since(*t) >= HOUR)
    {
        history.pop_front();
    }
    if history.len() >= allowed as usize {
        let wait = history
            .front()
            .map_or(HOUR, |t| HOUR.saturating_sub(now.duration_since(*t)));
        return Err(wait.as_secs().max(1));
    }
    history.push_back(now);
    Ok(())
}
