//! The solar-system records of an asteroid's alert: its ssSource (the geometry of the Sun,
//! the Earth and the asteroid at the exposure, on a circular orbit seen along the observed
//! direction) and its mpc_orbits row (the orbit the Minor Planet Center would publish).

use rand::Rng;

use super::records::{MpcOrbits, SsSource};
use crate::object::{Epoch, Object};
use crate::photometry::njy_to_mag;
use crate::random::{keyed, uniform, Purpose};
use crate::sky::{self, OBLIQUITY};

/// The Gaussian gravitational constant squared: GM of the Sun in AU^3/day^2.
const GM_SUN: f64 = 0.017_202_098_95 * 0.017_202_098_95;
/// Unix time (microseconds) of MJD 0.
const MJD0_UNIX_US: f64 = -40_587.0 * 86_400.0 * 1e6;

type Vec3 = [f64; 3];

fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
fn scale(a: Vec3, s: f64) -> Vec3 {
    [a[0] * s, a[1] * s, a[2] * s]
}
fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}
fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
/// The angle between two vectors, degrees.
fn angle(a: Vec3, b: Vec3) -> f64 {
    (dot(a, b) / (norm(a) * norm(b)))
        .clamp(-1.0, 1.0)
        .acos()
        .to_degrees()
}

/// The unit vector of an equatorial direction (degrees).
fn unit(ra: f64, dec: f64) -> Vec3 {
    let (ra, dec) = (ra.to_radians(), dec.to_radians());
    [dec.cos() * ra.cos(), dec.cos() * ra.sin(), dec.sin()]
}

/// The ecliptic pole in equatorial coordinates.
fn ecliptic_pole() -> Vec3 {
    let eps = OBLIQUITY.to_radians();
    [0.0, -eps.sin(), eps.cos()]
}

/// The Earth's heliocentric position (AU, equatorial) at `mjd`: a circular orbit whose
/// longitude is the Sun's mean longitude plus 180 degrees.
fn earth(mjd: f64) -> Vec3 {
    let sun_longitude = (280.46 + 0.985_647_4 * (mjd - 51_544.5)).to_radians();
    let eps = OBLIQUITY.to_radians();
    let (x, y) = (-sun_longitude.cos(), -sun_longitude.sin());
    [x, y * eps.cos(), y * eps.sin()]
}

/// The velocity (AU/day) of a circular prograde orbit through heliocentric position `r`.
fn circular_velocity(r: Vec3) -> Vec3 {
    let along = cross(ecliptic_pole(), r);
    scale(along, (GM_SUN / norm(r)).sqrt() / norm(along))
}

/// On-sky rates (deg/day: total, in RA with cos(dec), in Dec) of a velocity seen at `topo`.
fn sky_rates(topo: Vec3, v: Vec3, ra: f64, dec: f64) -> (f64, f64, f64) {
    let (ra_r, dec_r) = (ra.to_radians(), dec.to_radians());
    let east = [-ra_r.sin(), ra_r.cos(), 0.0];
    let north = [
        -dec_r.sin() * ra_r.cos(),
        -dec_r.sin() * ra_r.sin(),
        dec_r.cos(),
    ];
    let d = norm(topo);
    let rate_ra = dot(v, east) / d;
    let rate_dec = dot(v, north) / d;
    let (rate_ra, rate_dec) = (rate_ra.to_degrees(), rate_dec.to_degrees());
    (rate_ra.hypot(rate_dec), rate_ra, rate_dec)
}

fn f32s(a: Vec3) -> [Option<f32>; 3] {
    a.map(|x| Some(x as f32))
}

/// The ssSource of an asteroid's detection.
pub fn ss_source(seed: u64, object: &Object, epoch: &Epoch) -> SsSource {
    let mut rng = keyed(seed, Purpose::Detection, &[epoch.source_id as u64, 1]);
    let (ecl_lambda, ecl_beta) = sky::ecliptic(epoch.ra, epoch.dec);
    let (gal_lon, gal_lat) = lasair_sky::galactic(epoch.ra, epoch.dec);
    // The asteroid lies along the observed direction, at a distance outside the Earth's orbit.
    let earth_r = earth(epoch.mjd);
    let earth_v = circular_velocity(earth_r);
    let look = unit(epoch.ra, epoch.dec);
    let topo = scale(look, uniform(&mut rng, 0.8, 3.5));
    let helio = add(earth_r, topo);
    let helio_v = circular_velocity(helio);
    let topo_v = sub(helio_v, earth_v);
    let (rate, rate_ra, rate_dec) = sky_rates(topo, topo_v, epoch.ra, epoch.dec);
    // The orbit's prediction is off by a fraction of an arcsecond.
    let off_ra = uniform(&mut rng, -0.3, 0.3) / 3600.0;
    let off_dec = uniform(&mut rng, -0.3, 0.3) / 3600.0;
    let along = if rate > 0.0 {
        (off_ra * rate_ra + off_dec * rate_dec) / rate
    } else {
        0.0
    };
    let cross_track = if rate > 0.0 {
        (off_dec * rate_ra - off_ra * rate_dec) / rate
    } else {
        0.0
    };
    let cos_dec = epoch.dec.to_radians().cos().max(1e-9);
    let [hx, hy, hz] = f32s(helio);
    let [hvx, hvy, hvz] = f32s(helio_v);
    let [tx, ty, tz] = f32s(topo);
    let [tvx, tvy, tvz] = f32s(topo_v);
    SsSource {
        diaSourceId: epoch.source_id,
        ssObjectId: object.number,
        designation: object.ss_name.clone(),
        eclLambda: ecl_lambda,
        eclBeta: ecl_beta,
        galLon: gal_lon,
        galLat: gal_lat,
        elongation: Some(angle(scale(earth_r, -1.0), topo) as f32),
        phaseAngle: Some(angle(scale(helio, -1.0), scale(topo, -1.0)) as f32),
        topoRange: Some(norm(topo) as f32),
        topoRangeRate: Some((dot(topo_v, topo) / norm(topo)) as f32),
        helioRange: Some(norm(helio) as f32),
        helioRangeRate: Some((dot(helio_v, helio) / norm(helio)) as f32),
        ephRa: Some(epoch.ra - off_ra / cos_dec),
        ephDec: Some(epoch.dec - off_dec),
        ephVmag: Some((njy_to_mag(epoch.measured.flux) + uniform(&mut rng, 0.0, 0.4)) as f32),
        ephRate: Some(rate as f32),
        ephRateRa: Some(rate_ra as f32),
        ephRateDec: Some(rate_dec as f32),
        ephOffset: Some((off_ra.hypot(off_dec) * 3600.0) as f32),
        ephOffsetRa: Some(off_ra * 3600.0),
        ephOffsetDec: Some(off_dec * 3600.0),
        ephOffsetAlongTrack: Some((along * 3600.0) as f32),
        ephOffsetCrossTrack: Some((cross_track * 3600.0) as f32),
        helio_x: hx,
        helio_y: hy,
        helio_z: hz,
        helio_vx: hvx,
        helio_vy: hvy,
        helio_vz: hvz,
        helio_vtot: Some(norm(helio_v) as f32),
        topo_x: tx,
        topo_y: ty,
        topo_z: tz,
        topo_vx: tvx,
        topo_vy: tvy,
        topo_vz: tvz,
        topo_vtot: Some(norm(topo_v) as f32),
        diaDistanceRank: Some(1),
    }
}

/// The Minor Planet Center's packed form of a provisional designation ("2019 KQ17" ->
/// "K19K17Q"); the designation itself when it is not of that form.
pub fn packed_designation(designation: &str) -> String {
    let Some((year, rest)) = designation.split_once(' ') else {
        return designation.to_owned();
    };
    let century = match year.get(..2) {
        Some("18") => 'I',
        Some("19") => 'J',
        Some("20") => 'K',
        _ => return designation.to_owned(),
    };
    let mut letters = rest.chars();
    let (Some(half), Some(second)) = (letters.next(), letters.next()) else {
        return designation.to_owned();
    };
    let number: u32 = letters.as_str().parse().unwrap_or(0);
    let tens = match number / 10 {
        t @ 0..=9 => char::from_digit(t, 10).unwrap_or('0'),
        t @ 10..=35 => char::from(b'A' + (t - 10) as u8),
        t => char::from(b'a' + (t.min(61) - 36) as u8),
    };
    let units = char::from_digit(number % 10, 10).unwrap_or('0');
    format!("{century}{}{half}{tens}{units}{second}", &year[2..])
}

/// The mpc_orbits row of an asteroid: a main-belt orbit, its uncertainties and bookkeeping.
pub fn mpc_orbits(seed: u64, object: &Object, epoch: &Epoch) -> MpcOrbits {
    let mut rng = keyed(seed, Purpose::Object, &[object.number as u64, 0x0b]);
    let designation = object.ss_name.clone().unwrap_or_default();
    let a = uniform(&mut rng, 2.1, 3.3);
    let e = uniform(&mut rng, 0.02, 0.3);
    let period = 365.256_898_3 * a.powf(1.5);
    let mean_anomaly = uniform(&mut rng, 0.0, 360.0);
    let epoch_mjd = (epoch.mjd / 200.0).floor() * 200.0;
    let h = uniform(&mut rng, 14.0, 21.0);
    let arc = uniform(&mut rng, 300.0, 9000.0);
    let nobs = rng.random_range(40..2000);
    let rel = |rng: &mut rand::rngs::StdRng, x: f64| Some(x * uniform(rng, 1e-7, 1e-5));
    let created = MJD0_UNIX_US + (epoch_mjd - arc) * 86_400e6;
    let updated = MJD0_UNIX_US + (epoch.mjd - uniform(&mut rng, 1.0, 30.0)) * 86_400e6;
    let elements = serde_json::json!({
        "designation": designation,
        "a": a, "e": e, "epoch_mjd": epoch_mjd, "H": h,
    });
    let i = uniform(&mut rng, 0.5, 25.0);
    let node = uniform(&mut rng, 0.0, 360.0);
    let argperi = uniform(&mut rng, 0.0, 360.0);
    MpcOrbits {
        id: (object.number % 1_000_000_000) as i32,
        packed_primary_provisional_designation: packed_designation(&designation),
        unpacked_primary_provisional_designation: designation.clone(),
        designation,
        mpc_orb_jsonb: Some(elements.to_string()),
        created_at: Some(created as i64),
        updated_at: Some(updated as i64),
        orbit_type_int: Some(1),
        u_param: Some(rng.random_range(0..4)),
        nopp: Some(rng.random_range(2..15)),
        arc_length_total: Some(arc),
        arc_length_sel: Some(arc * uniform(&mut rng, 0.9, 1.0)),
        nobs_total: Some(nobs),
        nobs_total_sel: Some(nobs - rng.random_range(0..nobs / 10 + 1)),
        a: Some(a),
        q: Some(a * (1.0 - e)),
        e: Some(e),
        i: Some(i),
        node: Some(node),
        argperi: Some(argperi),
        peri_time: Some(epoch_mjd - mean_anomaly / 360.0 * period),
        yarkovsky: None,
        srp: None,
        a1: None,
        a2: None,
        a3: None,
        dt: None,
        mean_anomaly: Some(mean_anomaly),
        period: Some(period),
        mean_motion: Some(360.0 / period),
        a_unc: rel(&mut rng, a),
        q_unc: rel(&mut rng, a),
        e_unc: rel(&mut rng, e),
        i_unc: rel(&mut rng, i),
        node_unc: rel(&mut rng, node),
        argperi_unc: rel(&mut rng, argperi),
        peri_time_unc: rel(&mut rng, period),
        yarkovsky_unc: None,
        srp_unc: None,
        a1_unc: None,
        a2_unc: None,
        a3_unc: None,
        dt_unc: None,
        mean_anomaly_unc: rel(&mut rng, mean_anomaly),
        period_unc: rel(&mut rng, period),
        mean_motion_unc: rel(&mut rng, 360.0 / period),
        epoch_mjd: Some(epoch_mjd),
        h: Some(h),
        g: Some(0.15),
        not_normalized_rms: Some(uniform(&mut rng, 0.2, 0.6)),
        normalized_rms: Some(uniform(&mut rng, 0.4, 1.2)),
        earth_moid: Some((a * (1.0 - e) - 1.0).max(0.0) + uniform(&mut rng, 0.0, 0.2)),
        fitting_datetime: Some(updated as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn designations_pack_as_the_mpc_does() {
        assert_eq!(packed_designation("2019 KQ17"), "K19K17Q");
        assert_eq!(packed_designation("1998 SS"), "J98S00S");
        assert_eq!(packed_designation("1998 SQ108"), "J98SA8Q");
        assert_eq!(packed_designation("2007 TA418"), "K07Tf8A");
        assert_eq!(packed_designation("2008 AA360"), "K08Aa0A");
    }

    #[test]
    fn geometry_is_consistent() {
        let earth_r = earth(60_900.0);
        assert!((norm(earth_r) - 1.0).abs() < 1e-12);
        let v = circular_velocity(earth_r);
        // The Earth moves at about 0.0172 AU/day, perpendicular to the Sun's direction.
        assert!((norm(v) - 0.017_2).abs() < 1e-4);
        assert!(dot(v, earth_r).abs() < 1e-12);
    }
}
