//! Merging the matches that are one astrophysical source, and ranking the sources as
//! Sherlock ranks them.

use std::cmp::Ordering;

use crate::catalogue::CatalogueKind;
use crate::cosmology::Distances;

use super::config::Label;
use super::passes::Candidate;

/// One astrophysical source: the matches within the merge radius of each other, combined.
#[derive(Debug, Clone)]
pub struct Merged {
    pub label: Label,
    pub reliability: u8,
    pub kind: CatalogueKind,
    pub object_type: Option<String>,
    /// The catalogues, in the order matched, joined by "/".
    pub catalogues: String,
    pub id: String,
    /// The nearest member's position and separation.
    pub ra: f64,
    pub dec: f64,
    pub separation: f64,
    pub direct: Option<(f64, Distances)>,
    pub spec: Option<(f64, Distances)>,
    pub photo: Option<(f64, Option<f64>, Distances)>,
    pub major_axis: Option<f64>,
    pub mag: Option<f64>,
    pub mag_filter: Option<String>,
    pub mag_err: Option<f64>,
    pub physical_kpc: Option<f64>,
    /// Sherlock's rank score: lower is better.
    pub score: f64,
}

impl Merged {
    fn new(c: &Candidate) -> Merged {
        let s = &c.source;
        let d = &c.distances;
        Merged {
            label: c.label,
            reliability: c.reliability,
            kind: s.kind,
            object_type: s.object_type.clone(),
            catalogues: s.catalogue.to_string(),
            id: s.id.clone(),
            ra: s.ra,
            dec: s.dec,
            separation: c.separation,
            direct: s.distance_mpc.zip(d.direct),
            spec: s.z.zip(d.spec),
            photo: s.photo_z.zip(d.photo).map(|(z, d)| (z, s.photo_z_err, d)),
            major_axis: s.major_axis_arcsec,
            mag: s.mag,
            mag_filter: s.mag_filter.clone(),
            mag_err: s.mag_err,
            physical_kpc: None,
            score: 0.0,
        }
    }

    /// Folds another match of the same source in, as Sherlock does: the preferred type (an
    /// annotation gives way to any other pass; otherwise AGN, CV, NT, SN, VS, BS), the first
    /// of each kind of distance, the best-measured magnitude, the nearest position.
    fn absorb(&mut self, c: &Candidate) {
        let s = &c.source;
        let better = (self.reliability == 3 && c.reliability < 3)
            || (c.reliability != 3 && c.label.preference() < self.label.preference());
        if better {
            self.label = c.label;
            self.reliability = c.reliability;
            self.kind = s.kind;
            self.object_type = s.object_type.clone();
        }
        if !self.catalogues.split('/').any(|n| n == &*s.catalogue) {
            self.catalogues.push('/');
            self.catalogues.push_str(&s.catalogue);
        }
        let d = &c.distances;
        self.direct = self.direct.or(s.distance_mpc.zip(d.direct));
        self.spec = self.spec.or(s.z.zip(d.spec));
        self.photo = self
            .photo
            .or(s.photo_z.zip(d.photo).map(|(z, d)| (z, s.photo_z_err, d)));
        self.major_axis = self.major_axis.or(s.major_axis_arcsec);
        let smaller_error = match (s.mag_err, self.mag_err) {
            (Some(new), Some(old)) => new < old,
            (Some(_), None) => true,
            _ => false,
        };
        if s.mag.is_some() && (self.mag.is_none() || smaller_error) {
            self.mag = s.mag;
            self.mag_filter = s.mag_filter.clone();
            self.mag_err = s.mag_err;
        }
        if c.separation < self.separation {
            self.separation = c.separation;
            self.ra = s.ra;
            self.dec = s.dec;
        }
    }

    /// The scale for the physical separation: direct distance, else spec-z, else photo-z.
    pub fn best_distance(&self) -> Option<Distances> {
        self.direct
            .map(|d| d.1)
            .or(self.spec.map(|d| d.1))
            .or(self.photo.map(|d| d.2))
    }

    /// Sherlock's rank score (transient_classifier._rank_classifications): reliability
    /// first (1000 per step), then, for galaxy-like matches with a distance, the physical
    /// separation; for others the angular one, with bright stars before variables.
    fn rank_score(&self) -> f64 {
        let base = f64::from(self.reliability) * 1000.0;
        let penalty = (self.separation / 60.0).min(100.0);
        let photo_only = self.direct.is_none() && self.spec.is_none() && self.photo.is_some();
        match (self.physical_kpc, self.label) {
            (Some(kpc), _) if !photo_only => base + 2.0 - (50.0 - kpc) + penalty,
            // Sherlock means this branch for photo-z galaxies (its test compares the label
            // with a list, so it never fires there; we rank them as intended).
            (Some(kpc), l) if l.is_galactic() => base + 5.0 - (50.0 - kpc) + penalty,
            (_, l) if l.is_galactic() => base + 2.0 + penalty,
            (_, Label::CV | Label::VS) => base + self.separation + 2.0,
            (_, Label::BS) => base + self.separation,
            _ => base + 10.0 + penalty,
        }
    }
}

/// Groups the candidates into sources (each joins the first source whose first match is
/// within `merge_radius` arcsec of it) and returns them best first.
pub fn rank(candidates: &[Candidate], merge_radius: f64) -> Vec<Merged> {
    let mut anchors: Vec<(f64, f64)> = Vec::new();
    let mut merged: Vec<Merged> = Vec::new();
    for c in candidates {
        let (ra, dec) = (c.source.ra, c.source.dec);
        let group = anchors.iter().position(|&(ra0, dec0)| {
            lasair_sky::separation_arcsec(ra0, dec0, ra, dec) < merge_radius
        });
        match group {
            Some(i) => merged[i].absorb(c),
            None => {
                anchors.push((ra, dec));
                merged.push(Merged::new(c));
            }
        }
    }
    for m in &mut merged {
        m.physical_kpc = m.best_distance().map(|d| d.kpc_per_arcsec * m.separation);
        m.score = m.rank_score();
    }
    // Stable: equal scores keep the order of the passes and searches.
    merged.sort_by(|a, b| a.score.partial_cmp(&b.score).unwrap_or(Ordering::Equal));
    merged
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::catalogue::Source;
    use crate::classify::passes::SourceDistances;
    use crate::cosmology::SHERLOCK;

    fn cand(cat: &str, ra: f64, dec: f64, sep: f64, label: Label, rel: u8) -> Candidate {
        let source = Source {
            catalogue: Arc::from(cat),
            id: format!("{cat}-{ra}"),
            ..crate::memory::point_source("", ra, dec)
        };
        Candidate {
            distances: SourceDistances::of(&source, &SHERLOCK),
            source,
            separation: sep,
            label,
            reliability: rel,
        }
    }

    #[test]
    fn matches_within_an_arcsecond_are_one_source() {
        // 0.5" apart in Dec (0.5/3600 deg): one source; 2" away: another.
        let a = cand("gcvs", 10.0, 0.0, 1.0, Label::VS, 2);
        let b = cand("spicy", 10.0, 0.5 / 3600.0, 0.6, Label::VS, 2);
        let c = cand("bsc5", 10.0, 2.0 / 3600.0, 2.0, Label::BS, 2);
        let ranked = rank(&[a, b, c], 1.0);
        assert_eq!(ranked.len(), 2);
        let vs = ranked
            .iter()
            .find(|m| m.label == Label::VS)
            .expect("the merged VS");
        assert_eq!(vs.catalogues, "gcvs/spicy");
        assert_eq!(vs.separation, 0.6, "nearest member's separation");
        assert_eq!(vs.dec, 0.5 / 3600.0);
        assert_eq!(vs.id, "gcvs-10", "first member's id");
    }

    #[test]
    fn reliability_ranks_first_then_separation() {
        // VS at 1.4" (rel 2): 2000 + 1.4 + 2 = 2003.4; BS at 10" (rel 2): 2010;
        // an annotation at 0.1": 3000 + 10 + 0.1/60.
        let vs = cand("gcvs", 10.0, 0.0, 1.4, Label::VS, 2);
        let bs = cand("bsc5", 11.0, 0.0, 10.0, Label::BS, 2);
        let un = cand("fermi", 12.0, 0.0, 0.1, Label::UNCLEAR, 3);
        let ranked = rank(&[un, bs, vs], 1.0);
        let labels: Vec<_> = ranked.iter().map(|m| m.label).collect();
        assert_eq!(labels, [Label::VS, Label::BS, Label::UNCLEAR]);
        assert!((ranked[0].score - 2003.4).abs() < 1e-9);
        assert!((ranked[1].score - 2010.0).abs() < 1e-9);
        assert!((ranked[2].score - (3010.0 + 0.1 / 60.0)).abs() < 1e-9);
    }

    #[test]
    fn a_galaxy_with_a_distance_ranks_by_physical_separation() {
        // z = 0.1: 1.8443 kpc/"; 5" is 9.22 kpc: 2000 + 2 - (50 - 9.22) + 5/60 = 1961.30.
        let mut g = cand("glade", 10.0, 0.0, 5.0, Label::SN, 2);
        g.source.z = Some(0.1);
        g.distances = SourceDistances::of(&g.source, &SHERLOCK);
        let ranked = rank(&[g], 1.0);
        let kpc = ranked[0].physical_kpc.expect("a distance");
        assert!((kpc - 9.2215).abs() < 1e-3, "{kpc}");
        assert!((ranked[0].score - (1952.0 + kpc + 5.0 / 60.0)).abs() < 1e-9);
    }

    #[test]
    fn an_annotation_gives_way_to_another_pass_in_the_same_source() {
        let a = cand("fermi", 10.0, 0.0, 1.0, Label::UNCLEAR, 3);
        let b = cand("milliquas", 10.0, 0.0, 1.0, Label::AGN, 1);
        let ranked = rank(&[a, b], 1.0);
        assert_eq!(ranked.len(), 1);
        assert_eq!((ranked[0].label, ranked[0].reliability), (Label::AGN, 1));
    }
}
