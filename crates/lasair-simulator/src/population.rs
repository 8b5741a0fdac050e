//! The population: how many objects, which kinds, how many alerts each, where and when.
//!
//! Alerts are shared out first (a few objects with many, most with a few, known asteroids
//! with one), then each object gets a kind and a lightcurve able to deliver its share.

use rand::Rng;

use crate::lightcurve::{self, Fit, Kind, Model};
use crate::object::{observe, Context, Object, Plan};
use crate::random::{keyed, normal, uniform, weighted, Purpose};
use crate::sky;
use crate::survey::SurveyParams;

/// More alerts than this per object would not fit in the surveys' date ranges (LSST's is
/// under two years); more objects are added instead.
pub const MAX_ALERTS_PER_OBJECT: usize = 150;

/// One object's share of the alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    pub quota: usize,
    pub asteroid: bool,
}

/// Shares `alerts` among `objects` objects (fewer if there are fewer alerts, more if some
/// would exceed the maximum share); the quotas sum to `alerts` exactly.
pub fn plan(rng: &mut impl Rng, alerts: usize, objects: usize, ss_fraction: f64) -> Vec<Share> {
    if alerts == 0 {
        return Vec::new();
    }
    let objects = objects.max(1);
    let asteroids = ((alerts as f64 * ss_fraction).round() as usize).min(objects / 2);
    let rest = alerts - asteroids;
    let others = (objects - asteroids)
        .max(rest.div_ceil(MAX_ALERTS_PER_OBJECT))
        .min(rest);
    let spare = rest - others;
    // Log-normal weights: most objects get a few alerts, a few get many.
    let weights: Vec<f64> = (0..others).map(|_| (1.2 * normal(rng)).exp()).collect();
    let total: f64 = weights.iter().sum();
    let cap = MAX_ALERTS_PER_OBJECT - 1;
    let mut extra: Vec<usize> = weights
        .iter()
        .map(|w| ((spare as f64 * w / total) as usize).min(cap))
        .collect();
    let mut left = spare - extra.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..others).collect();
    order.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]));
    while left > 0 {
        for &i in &order {
            if left > 0 && extra[i] < cap {
                extra[i] += 1;
                left -= 1;
            }
        }
    }
    let mut shares: Vec<Share> = extra
        .into_iter()
        .map(|e| Share {
            quota: 1 + e,
            asteroid: false,
        })
        .collect();
    shares.extend((0..asteroids).map(|_| Share {
        quota: 1,
        asteroid: true,
    }));
    shares
}

/// Builds the population with each object's lightcurve up to its last alert.
pub fn build(seed: u64, alerts: usize, objects: usize, params: &SurveyParams) -> Vec<Object> {
    let mut rng = keyed(seed, Purpose::Population, &[]);
    let shares = plan(&mut rng, alerts, objects, params.ss_fraction);
    let mean_quota = alerts as f64 / shares.len().max(1) as f64;
    // Objects appear over a span long enough that a field's nights are not all crowded.
    let span = (mean_quota * params.cadence.days_per_visit() * 2.0).clamp(20.0, 400.0);
    shares
        .iter()
        .enumerate()
        .map(|(i, share)| object(seed, i as u64, *share, span, params))
        .collect()
}

fn kind(rng: &mut impl Rng, share: Share) -> Kind {
    const KINDS: [Kind; 4] = [
        Kind::FastTransient,
        Kind::Supernova,
        Kind::Variable,
        Kind::Agn,
    ];
    let weights: [f64; 4] = match share.quota {
        _ if share.asteroid => return Kind::Asteroid,
        0..=3 => [0.25, 0.45, 0.15, 0.15],
        4..=40 => [0.0, 0.5, 0.25, 0.25],
        _ => [0.0, 0.0, 0.5, 0.5],
    };
    KINDS[weighted(rng, &weights)]
}

fn object(seed: u64, index: u64, share: Share, span: f64, params: &SurveyParams) -> Object {
    let mut rng = keyed(seed, Purpose::Object, &[index]);
    let kind = kind(&mut rng, share);
    let (ra, dec) = sky::sample(&mut rng, &params.sky);
    let (field, sub) = params.grid.locate(ra, dec);
    let cadence = &params.cadence;
    // Long-lived objects start early enough to deliver their alerts before the survey ends.
    let window = (cadence.last_night - cadence.first_night) as f64;
    let needed = share.quota as f64 * cadence.days_per_visit() / 0.6 + 20.0;
    let latest = span.min(window - needed).max(0.0);
    let start = cadence.first_night as f64 + uniform(&mut rng, 0.0, latest);
    let limit = params.cadence.mean_depth();
    let host_mag = uniform(&mut rng, limit - 1.0, limit + 2.5);
    let fit = Fit {
        limit,
        quota: share.quota,
        days_per_visit: params.cadence.days_per_visit(),
    };
    let mut model = lightcurve::draw(&mut rng, kind, fit, start, host_mag);
    let context = context(&mut rng, kind, &model, host_mag, (ra, dec));
    let visits = cadence.visits(seed, field, start);
    let plan = Plan {
        quota: share.quota,
        patience: if share.asteroid {
            0
        } else {
            4 * share.quota + 40
        },
        end: cadence.last_night as f64,
        days_per_visit: cadence.days_per_visit(),
    };
    let visits = visits.take(if share.asteroid { 1 } else { usize::MAX });
    let epochs = observe(
        &mut rng,
        &mut model,
        visits,
        plan,
        (ra, dec),
        params.astrometry,
    );
    let first = epochs.iter().find(|e| e.detected).map_or(start, |e| e.mjd);
    let steady = matches!(kind, Kind::Variable | Kind::Agn);
    let history_start = if steady {
        (first - uniform(&mut rng, 30.0, 1100.0))
            .max(params.history_from)
            .min(first)
    } else {
        first
    };
    let prior_detections = if history_start < first {
        rng.random_range(3..300)
    } else {
        0
    };
    Object {
        kind,
        ra,
        dec,
        field,
        sub,
        context,
        epochs,
        name: String::new(),
        number: 0,
        history_start,
        prior_detections,
        prior_coverage: prior_detections + rng.random_range(20..600),
        ss_name: share
            .asteroid
            .then(|| rng.random_range(1000..700_000u32).to_string()),
    }
}

/// What the catalogues hold at the position: a host galaxy, the star itself, or nothing near.
fn context(
    rng: &mut impl Rng,
    kind: Kind,
    model: &Model,
    host_mag: f64,
    (ra, dec): (f64, f64),
) -> Context {
    let zone = ((dec + 90.0) * 120.0).floor() as i64;
    let ps1_id = zone * 10_000_000_000_000
        + (ra / 360.0 * 1e9) as i64 * 10_000
        + rng.random_range(0..10_000);
    let own_mag = match model {
        Model::Periodic { mean_mag, .. } | Model::Drw { mean_mag, .. } => *mean_mag,
        _ => host_mag - 1.0,
    };
    let (nr_dist, nr_mag, ps1_dist, ps1_score, r) = match kind {
        Kind::Supernova => (
            Some(uniform(rng, 0.5, 4.0)),
            Some(own_mag),
            uniform(rng, 0.3, 5.0),
            uniform(rng, 0.0, 0.25),
            own_mag,
        ),
        Kind::Variable => (
            Some(uniform(rng, 0.05, 0.3)),
            Some(own_mag),
            uniform(rng, 0.02, 0.3),
            uniform(rng, 0.9, 1.0),
            own_mag,
        ),
        Kind::Agn => (
            Some(uniform(rng, 0.05, 0.4)),
            Some(own_mag),
            uniform(rng, 0.02, 0.3),
            uniform(rng, 0.3, 0.8),
            own_mag,
        ),
        Kind::FastTransient | Kind::Asteroid => {
            let mag = uniform(rng, 19.0, 22.0);
            (
                None,
                None,
                uniform(rng, 3.0, 25.0),
                uniform(rng, 0.3, 1.0),
                mag,
            )
        }
    };
    Context {
        nr_dist,
        nr_mag,
        ps1_dist,
        ps1_score,
        ps1_g: r + uniform(rng, 0.3, 0.9),
        ps1_r: r,
        ps1_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_sum_to_the_alerts() {
        for (alerts, objects) in [
            (1, 1),
            (10, 100),
            (100, 10),
            (1000, 3),
            (100_000, 400),
            (100_000, 10_000),
            (37, 37),
        ] {
            let mut rng = keyed(5, Purpose::Population, &[]);
            let shares = plan(&mut rng, alerts, objects, 0.03);
            assert_eq!(
                shares.iter().map(|s| s.quota).sum::<usize>(),
                alerts,
                "{alerts} {objects}"
            );
            assert!(shares
                .iter()
                .all(|s| (1..=MAX_ALERTS_PER_OBJECT).contains(&s.quota)));
            assert!(shares.len() <= objects + alerts.div_ceil(MAX_ALERTS_PER_OBJECT));
        }
    }

    #[test]
    fn about_three_percent_are_asteroids() {
        let mut rng = keyed(5, Purpose::Population, &[]);
        let shares = plan(&mut rng, 10_000, 1_000, 0.03);
        assert_eq!(shares.iter().filter(|s| s.asteroid).count(), 300);
    }

    #[test]
    fn no_alerts_no_objects() {
        let mut rng = keyed(5, Purpose::Population, &[]);
        assert!(plan(&mut rng, 0, 10, 0.03).is_empty());
    }
}
