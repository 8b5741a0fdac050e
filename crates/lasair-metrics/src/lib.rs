//! What operators watch. Every long-running tool (ingest, sherlock, filter, serve, sync's
//! consumers) counts into one registry per process ([`Stage`], [`Steps`], [`http_request`],
//! [`filter_result`], [`consumer_lag`], ...); `--metrics-listen ADDR` serves it as Prometheus
//! text on `GET /metrics` ([`listen`]); errors that need a person are posted to a Slack
//! incoming webhook when one is configured ([`alarm`]).
//!
//! Every family's name starts `lasair_`; the alert rules (`monitoring/rules/lasair.yml`) and
//! the Grafana dashboards (`monitoring/grafana/`) use only names [`FAMILIES`] lists, which a
//! test holds true.

pub mod alarm;
mod families;
mod http;

pub use families::{
    alert_age, consumer_lag, filter_failed, filter_result, http_request, render, step, Stage,
    Steps, FAMILIES,
};
pub use http::{listen, Listening};
