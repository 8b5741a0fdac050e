//! One object on a worker: its full lightcurve from the lightcurve store, as the alert its
//! latest detection would make (lasair-alert's `lightcurve_alert`), handed to the user's
//! command as a JSON alert line, or to lasair-features for its `objects` row.

use std::collections::BTreeMap;

use lasair_alert::{Alert, AlertError, AlertJson, LineReader, ObjectId, Survey};
use lasair_features::{Context, Options};
use lasair_store::LightcurveStore;
use serde::ser::{SerializeMap, Serializer};

/// An object whose lightcurve was read.
pub struct Object {
    alert: Alert,
}

impl Object {
    /// Reads object `id` of `survey`: `None` when its lightcurve has no detection (nothing
    /// to compute on), the reason when it cannot be mined (a bad id, no lightcurve at all,
    /// the store failing).
    pub fn read(
        id: &str,
        survey: Survey,
        store: &mut dyn LightcurveStore,
        reader: &mut LineReader,
    ) -> Result<Option<Object>, String> {
        let model = survey.model();
        // The head checked it too; an id is checked where it is used.
        model.check_object_id(id).map_err(|e| e.to_string())?;
        let stored = store
            .lightcurve(survey, &ObjectId(id.to_owned()))
            .map_err(|e| format!("reading its lightcurve: {e}"))?;
        if stored.is_empty() {
            return Err("no lightcurve in the store".into());
        }
        let points = stored
            .into_iter()
            .map(|p| p.into_point(reader))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("a point of its stored lightcurve: {e}"))?;
        match model.lightcurve_alert(id, points) {
            Ok(alert) => Ok(Some(Object { alert })),
            Err(AlertError::Missing { field: "detection" }) => Ok(None),
            Err(e) => Err(format!("its stored lightcurve: {e}")),
        }
    }

    /// The JSON alert line the user's command reads (no newline).
    pub fn line(&self) -> Vec<u8> {
        AlertJson::new(&self.alert, BTreeMap::new()).to_line()
    }

    /// The object's `objects` row as a JSON object in the catalogue's column order; `None`
    /// when the features make no row (a known solar-system object not kept).
    pub fn features(&self, keep_solar_system: bool) -> Option<Vec<u8>> {
        let features = lasair_features::for_survey(self.alert.survey);
        let opts = Options {
            keep_solar_system,
            ..Options::default()
        };
        let row = features
            .object_row(&self.alert, &Context::default(), &opts)
            .ok()?;
        let mut out = Vec::with_capacity(2048);
        let mut ser = serde_json::Serializer::new(&mut out);
        let mut map = ser.serialize_map(Some(row.len())).ok()?;
        for (column, value) in features.columns().iter().zip(&row) {
            map.serialize_entry(column.name, value).ok()?;
        }
        map.end().ok()?;
        Some(out)
    }
}
