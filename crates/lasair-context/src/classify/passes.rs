//! The synonym, association and annotation passes over one position's cone-search results:
//! which matches count, with what label and reliability.

use crate::catalogue::{Match, Source};
use crate::cosmology::{Cosmology, Distances};

use super::config::{Label, Pass, Search, SearchConfig};

/// Beyond this, a direct-distance physical match is refused (Sherlock: the nearest galaxies'
/// 50 kpc would otherwise reach across degrees).
const DIRECT_DISTANCE_MAX_ARCSEC: f64 = 300.0;

/// A catalogue source that a pass accepted.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub source: Source,
    pub separation: f64,
    pub label: Label,
    pub reliability: u8,
    pub distances: SourceDistances,
}

/// The distances a source's catalogue gives, each turned into a scale.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceDistances {
    pub direct: Option<Distances>,
    pub spec: Option<Distances>,
    pub photo: Option<Distances>,
}

impl SourceDistances {
    pub fn of(source: &Source, cosmology: &Cosmology) -> SourceDistances {
        SourceDistances {
            direct: source.distance_mpc.and_then(Distances::direct),
            spec: source.z.and_then(|z| cosmology.at(z)),
            photo: source.photo_z.and_then(|z| cosmology.at(z)),
        }
    }

    /// Direct distance, else spectroscopic redshift, else photometric redshift.
    pub fn best(&self) -> Option<Distances> {
        self.direct.or(self.spec).or(self.photo)
    }
}

/// Runs the passes over `found` (for each search, its catalogue's matches, nearest first).
pub fn run(
    config: &SearchConfig,
    found: &[Option<&[Match]>],
    cosmology: &Cosmology,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    for pass in Pass::ALL {
        let stop = match pass {
            Pass::Synonym => false,
            Pass::Association => config.stop_on_synonym && !out.is_empty(),
            Pass::Annotation => !out.is_empty(),
        };
        if stop {
            break;
        }
        for (search, matches) in config.searches.iter().zip(found) {
            let (Some(label), Some(matches)) = (search.label(pass), matches) else {
                continue;
            };
            let radius = search.radius(pass, config.synonym_radius_arcsec);
            for m in matches.iter().take_while(|m| m.separation_arcsec <= radius) {
                let distances = SourceDistances::of(&m.source, cosmology);
                if accepts(search, config, m, &distances) {
                    out.push(Candidate {
                        source: m.source.clone(),
                        separation: m.separation_arcsec,
                        label,
                        reliability: pass.reliability(),
                        distances,
                    });
                }
            }
        }
    }
    out
}

/// The cuts of a search beyond its radius: bright-star halo, size, physical distance.
fn accepts(search: &Search, config: &SearchConfig, m: &Match, d: &SourceDistances) -> bool {
    let sep = m.separation_arcsec;
    if search.magnitude_radius {
        if let Some(mag) = m.source.mag.filter(|v| v.is_finite()) {
            if sep >= 10f64.powf(3.7 - 0.2 * mag).min(search.radius_arcsec) {
                return false;
            }
        }
    }
    let within_axis = m
        .source
        .major_axis_arcsec
        .filter(|a| *a > 0.0 && a.is_finite())
        .map(|a| sep < a * stretch(a, config.galaxy_radius_stretch));
    if let Some(kpc) = search.physical_radius_kpc {
        if within_axis == Some(true) {
            return true;
        }
        let Some(best) = d.best() else {
            return false;
        };
        if d.direct.is_some() && sep > DIRECT_DISTANCE_MAX_ARCSEC {
            return false;
        }
        return best.kpc_per_arcsec * sep < kpc;
    }
    if search.within_major_axis {
        // Sherlock keeps a source whose size is unknown.
        return within_axis.unwrap_or(true);
    }
    true
}

/// Sherlock's stretch factor, smaller for galaxies that are large on the sky (its thresholds
/// are 10' and 100' in major-axis diameter: 300" and 3000" in semi-major axis).
fn stretch(semi_major_arcsec: f64, factor: f64) -> f64 {
    if semi_major_arcsec < 300.0 {
        factor
    } else if semi_major_arcsec < 3000.0 {
        factor * 0.7
    } else {
        factor * 0.5
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::catalogue::CatalogueKind;

    fn source(kind: CatalogueKind) -> Source {
        Source {
            catalogue: Arc::from("cat"),
            kind,
            ..crate::memory::point_source("s1", 10.0, 10.0)
        }
    }

    fn search(text: &str) -> (SearchConfig, Search) {
        let text = format!("[[search]]\ncatalogue = \"cat\"\n{text}");
        let config = SearchConfig::parse(&text, "t").expect("config");
        let s = config.searches[0].clone();
        (config, s)
    }

    fn accepted(s: &str, source: Source, sep: f64) -> bool {
        let (config, search) = search(s);
        let d = SourceDistances::of(&source, &Cosmology::default());
        let m = Match {
            source,
            separation_arcsec: sep,
        };
        accepts(&search, &config, &m, &d)
    }

    #[test]
    fn bright_star_halo_shrinks_with_magnitude() {
        let s = "radius_arcsec = 20.0\nassociation = \"BS\"\nmagnitude_radius = true\n";
        // V = 15: 10^(3.7 - 3) = 5.01"; V = 5: 10^2.7 = 501", capped at 20".
        let mut star = source(CatalogueKind::Star);
        star.mag = Some(15.0);
        assert!(accepted(s, star.clone(), 4.9));
        assert!(!accepted(s, star.clone(), 5.1));
        star.mag = Some(5.0);
        assert!(accepted(s, star.clone(), 19.9));
        assert!(!accepted(s, star, 20.0));
    }

    #[test]
    fn physical_search_uses_size_then_best_distance() {
        let s = "radius_arcsec = 300.0\nphysical_radius_kpc = 50.0\nassociation = \"SN\"\n";
        let g = source(CatalogueKind::Galaxy);
        assert!(
            !accepted(s, g.clone(), 1.0),
            "no size, no distance: no match"
        );
        // 10 Mpc direct: 10/206.264806 = 0.048481 kpc/"; 50 kpc is 1031.3": beyond 300"
        // direct-distance matches are refused anyway.
        let mut near = g.clone();
        near.distance_mpc = Some(10.0);
        assert!(accepted(s, near.clone(), 299.0));
        assert!(!accepted(s, near, 301.0));
        // z = 0.1: 1.8443 kpc/" (cosmology tests): 50 kpc is 27.11".
        let mut far = g.clone();
        far.z = Some(0.1);
        assert!(accepted(s, far.clone(), 27.0));
        assert!(!accepted(s, far.clone(), 27.3));
        // A size wins over distance: semi-major 20" * 2.5 = 50".
        far.major_axis_arcsec = Some(20.0);
        assert!(accepted(s, far.clone(), 49.0));
        assert!(!accepted(s, far, 51.0));
        // Photo-z only: used when nothing better is known.
        let mut pz = g;
        pz.photo_z = Some(0.1);
        assert!(accepted(s, pz, 27.0));
    }

    #[test]
    fn within_major_axis_keeps_sizeless_sources() {
        let s = "radius_arcsec = 600.0\nwithin_major_axis = true\nannotation = \"UNCLEAR\"\n";
        let mut src = source(CatalogueKind::HighEnergy);
        assert!(accepted(s, src.clone(), 500.0));
        // 400" semi-major is over 300": stretch 2.5 * 0.7 = 1.75, so 700".
        src.major_axis_arcsec = Some(100.0);
        assert!(!accepted(s, src.clone(), 260.0), "100 * 2.5 = 250");
        src.major_axis_arcsec = Some(400.0);
        assert!(accepted(s, src.clone(), 599.0));
        assert_eq!(stretch(400.0, 2.5), 1.75);
        assert_eq!(stretch(4000.0, 2.5), 1.25);
    }
}
