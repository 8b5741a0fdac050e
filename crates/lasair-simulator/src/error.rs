//! Why a simulated alert could not be produced.

use lasair_alert::Survey;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SimError {
    /// The simulator's own schema is inconsistent: a bug here, never bad input.
    #[error("simulator schema: {0}")]
    Schema(String),
    #[error("encoding {survey} alert {source_id}: {source}")]
    Encode {
        survey: Survey,
        source_id: i64,
        #[source]
        source: Box<apache_avro::Error>,
    },
}

impl SimError {
    pub(crate) fn encode(
        survey: Survey,
        source_id: i64,
    ) -> impl FnOnce(apache_avro::Error) -> Self {
        move |e| SimError::Encode {
            survey,
            source_id,
            source: Box::new(e),
        }
    }
}
