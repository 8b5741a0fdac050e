//! The stream: every detection of every object in time order, with survey ids given out in
//! that order, so that ids grow with time as the surveys' do.

use std::collections::HashMap;

use crate::object::Object;
use crate::population;
use crate::survey::SurveySim;

/// The population and the order of its alerts: (object, epoch) pairs by time.
#[derive(Debug)]
pub struct Timeline {
    pub objects: Vec<Object>,
    pub order: Vec<(u32, u32)>,
}

pub fn build(survey: &dyn SurveySim, seed: u64, alerts: usize, objects: usize) -> Timeline {
    let mut objects = population::build(seed, alerts, objects, survey.params());
    let mut all: Vec<(f64, u32, u32)> = objects
        .iter()
        .enumerate()
        .flat_map(|(o, obj)| {
            obj.epochs
                .iter()
                .enumerate()
                .map(move |(k, e)| (e.mjd, o as u32, k as u32))
        })
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));

    // Sources are numbered within their exposure, detections and forced measurements apart.
    let mut detections: HashMap<i64, u32> = HashMap::new();
    let mut forced: HashMap<i64, u32> = HashMap::new();
    let mut order = Vec::with_capacity(alerts);
    for (_, o, k) in all {
        let object = &objects[o as usize];
        let exposure = survey.exposure(object, &object.epochs[k as usize]);
        let forced_seq = forced.entry(exposure).or_insert(0);
        let forced_id = survey.forced_id(exposure, *forced_seq);
        *forced_seq += 1;
        let epoch = &mut objects[o as usize].epochs[k as usize];
        epoch.forced_id = forced_id;
        if epoch.detected {
            let seq = detections.entry(exposure).or_insert(0);
            epoch.source_id = survey.source_id(exposure, *seq);
            *seq += 1;
            order.push((o, k));
        }
    }
    survey.name_objects(&mut objects);
    Timeline { objects, order }
}
