//! Catalogues for the simulated sky, so Sherlock has something to find: a host galaxy beside
//! each supernova (offset from its nucleus by up to a few arcsec, inside its semi-major
//! axis, at a redshift), the star under each variable, the quasar under each AGN. Written as
//! CSV files that `lasair-sherlock catalogue add` loads.

use std::io::Write;
use std::path::Path;

use rand::Rng;

use crate::lightcurve::Kind;
use crate::object::Object;
use crate::random::{keyed, uniform, Purpose};

/// One catalogued source.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: String,
    pub ra: f64,
    pub dec: f64,
    /// Redshift (galaxies and quasars).
    pub z: Option<f64>,
    /// Semi-major axis, arcsec (galaxies).
    pub major_axis_arcsec: Option<f64>,
    pub mag: f64,
    /// The object it explains (for checking a crossmatch).
    pub object: String,
}

/// The three catalogues of a simulation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalogues {
    pub galaxies: Vec<Source>,
    pub stars: Vec<Source>,
    pub qsos: Vec<Source>,
}

/// Offsets a position by `arcsec` towards position angle `pa` (degrees east of north).
fn offset(ra: f64, dec: f64, arcsec: f64, pa: f64) -> (f64, f64) {
    let d = arcsec / 3600.0;
    let pa = pa.to_radians();
    let dec2 = dec + d * pa.cos();
    let ra2 = ra + d * pa.sin() / dec.to_radians().cos().max(1e-6);
    (ra2.rem_euclid(360.0), dec2.clamp(-90.0, 90.0))
}

/// The catalogues of `objects`, the same for the same seed.
pub fn build(objects: &[Object], seed: u64) -> Catalogues {
    let mut out = Catalogues::default();
    for (i, o) in objects.iter().enumerate() {
        let mut rng = keyed(seed, Purpose::Catalogue, &[i as u64]);
        let pa = uniform(&mut rng, 0.0, 360.0);
        match o.kind {
            Kind::Supernova => {
                let major = uniform(&mut rng, 4.0, 20.0);
                let sep = uniform(&mut rng, 1.5, major.min(8.0));
                let (ra, dec) = offset(o.ra, o.dec, sep, pa);
                out.galaxies.push(Source {
                    id: format!("SIMG{i:06}"),
                    ra,
                    dec,
                    z: Some(uniform(&mut rng, 0.005, 0.08)),
                    major_axis_arcsec: Some(major),
                    mag: o.context.nr_mag.unwrap_or(19.0),
                    object: o.name.clone(),
                });
            }
            Kind::Variable => {
                let (ra, dec) = offset(o.ra, o.dec, uniform(&mut rng, 0.05, 0.3), pa);
                out.stars.push(Source {
                    id: format!("SIMV{i:06}"),
                    ra,
                    dec,
                    z: None,
                    major_axis_arcsec: None,
                    mag: o.context.nr_mag.unwrap_or(17.0),
                    object: o.name.clone(),
                });
            }
            Kind::Agn => {
                let (ra, dec) = offset(o.ra, o.dec, uniform(&mut rng, 0.05, 0.4), pa);
                out.qsos.push(Source {
                    id: format!("SIMQ{i:06}"),
                    ra,
                    dec,
                    z: Some(uniform(&mut rng, 0.3, 2.5)),
                    major_axis_arcsec: None,
                    mag: o.context.nr_mag.unwrap_or(19.5),
                    object: o.name.clone(),
                });
            }
            Kind::FastTransient | Kind::Asteroid => {
                // Nothing catalogued here; draw anyway so later objects' offsets stay put.
                let _: f64 = rng.random();
            }
        }
    }
    out
}

impl Catalogues {
    /// Writes `galaxies.csv`, `stars.csv` and `qsos.csv` (header: id,ra,dec,z,major_axis_arcsec,mag,object).
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, rows) in [
            ("galaxies", &self.galaxies),
            ("stars", &self.stars),
            ("qsos", &self.qsos),
        ] {
            let mut out =
                std::io::BufWriter::new(std::fs::File::create(dir.join(format!("{name}.csv")))?);
            writeln!(out, "id,ra,dec,z,major_axis_arcsec,mag,object")?;
            for s in rows {
                let opt = |v: Option<f64>| v.map(|v| format!("{v:.5}")).unwrap_or_default();
                writeln!(
                    out,
                    "{},{:.7},{:.7},{},{},{:.2},{}",
                    s.id,
                    s.ra,
                    s.dec,
                    opt(s.z),
                    opt(s.major_axis_arcsec),
                    s.mag,
                    s.object
                )?;
            }
            out.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_land_where_asked() {
        for (ra, dec) in [(10.0, 0.0), (359.9999, 45.0), (180.0, -80.0)] {
            let (ra2, dec2) = offset(ra, dec, 3.0, 90.0);
            let sep = lasair_sky::separation_arcsec(ra, dec, ra2, dec2);
            assert!((sep - 3.0).abs() < 0.01, "{sep}");
            let (_, east) = lasair_sky::offsets_arcsec(ra, dec, ra2, dec2);
            assert!(east > 2.9, "{east}");
        }
    }

    #[test]
    fn each_kind_gets_its_catalogue_and_the_same_seed_the_same_sky() {
        let sim = crate::Simulation::new(&crate::SimConfig {
            alerts: 400,
            objects: 80,
            cutouts: false,
            ..crate::SimConfig::default()
        })
        .unwrap();
        let a = sim.context_catalogues(3);
        assert_eq!(a, sim.context_catalogues(3));
        assert!(!a.galaxies.is_empty() && !a.stars.is_empty(), "{a:?}");
        for g in &a.galaxies {
            let o = sim
                .timeline
                .objects
                .iter()
                .find(|o| o.name == g.object)
                .unwrap();
            assert_eq!(o.kind, Kind::Supernova);
            let sep = lasair_sky::separation_arcsec(o.ra, o.dec, g.ra, g.dec);
            assert!(
                sep >= 1.49 && sep <= g.major_axis_arcsec.unwrap() + 0.01,
                "{sep}"
            );
        }
        for s in &a.stars {
            let o = sim
                .timeline
                .objects
                .iter()
                .find(|o| o.name == s.object)
                .unwrap();
            assert_eq!(o.kind, Kind::Variable);
            assert!(lasair_sky::separation_arcsec(o.ra, o.dec, s.ra, s.dec) < 0.31);
        }
    }
}
