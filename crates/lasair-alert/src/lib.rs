//! The alert model of both surveys (ZTF, LSST) and their Avro decoding.
//!
//! [`Decoder::decode`] turns one message or file (an Avro object container, or a Confluent
//! wire-format message) into normalised [`Alert`]s; [`AlertJson`] is the JSON line ingest writes.

pub mod avro;
mod decoder;
mod error;
pub mod hash;
mod json;
mod json_read;
mod model;
mod registry;
mod survey;
pub mod time;

pub use decoder::{frame_wire, split_wire, Decoder};
pub use error::{AlertError, WireError};
pub use json::AlertJson;
pub use json_read::{read_alert_line, AlertLine, JsonAlertError, LineReader};
pub use model::{
    jd_to_mjd, Alert, Cutout, CutoutKind, ObjectId, Point, PointKind, Survey, UnknownSurvey,
};
pub use registry::WireSchemas;
pub use survey::check::check_line;
pub use survey::SurveyModel;
