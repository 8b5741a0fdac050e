//! Cutout images: a noisy sky with a PSF-shaped source as bright as the alert's, as FITS.
//!
//! Rendering and compressing three images per alert would dominate the simulator's time, so
//! images are made once per (image, brightness to 0.25 mag, noise variant) and reused: a
//! benchmark of a million alerts renders a few hundred images.

use std::collections::HashMap;
use std::sync::Arc;

use crate::fits::{self, Value};
use crate::object::Epoch;
use crate::photometry::{mag_to_njy, njy_to_mag};
use crate::random::{keyed, normal, Purpose};

/// How a survey's cutouts look.
#[derive(Debug, Clone)]
pub struct StampParams {
    pub size: usize,
    pub psf_sigma_px: f64,
    /// Noise and sky per pixel of the science image, in nJy.
    pub noise: f64,
    pub sky: f64,
    /// Pixel units per nJy (ZTF images are in DN, LSST's in nJy).
    pub per_njy: f64,
    pub unit: &'static str,
    pub gzip: bool,
}

/// The three cutouts of one alert, each a whole FITS file (gzipped for ZTF).
#[derive(Debug, Clone)]
pub struct Cutouts {
    pub science: Arc<[u8]>,
    pub template: Arc<[u8]>,
    pub difference: Arc<[u8]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Image {
    Science,
    Template,
    Difference,
}

/// Brightness to a quarter magnitude, signed (negative difference images); `None` is blank.
type Bin = Option<(bool, i32)>;

const VARIANTS: u64 = 4;
/// Sources fainter than this are lost in the noise anyway.
const FAINTEST: f64 = 28.0;

/// Renders cutouts, caching each distinct image.
#[derive(Debug)]
pub struct Stamps {
    params: StampParams,
    seed: u64,
    cache: HashMap<(Image, Bin, u64), Arc<[u8]>>,
}

impl Stamps {
    pub fn new(params: StampParams, seed: u64) -> Self {
        Stamps {
            params,
            seed,
            cache: HashMap::new(),
        }
    }

    /// The cutouts of a detection: the reference source on the template, reference plus
    /// difference on the science image, the difference alone on the difference image.
    pub fn cutouts(&mut self, epoch: &Epoch) -> Cutouts {
        let variant = epoch.source_id.unsigned_abs() % VARIANTS;
        let diff = epoch.measured.flux;
        Cutouts {
            science: self.image(Image::Science, epoch.reference + diff, variant),
            template: self.image(Image::Template, epoch.reference, variant),
            difference: self.image(Image::Difference, diff, variant),
        }
    }

    fn image(&mut self, image: Image, flux: f64, variant: u64) -> Arc<[u8]> {
        let mag = njy_to_mag(flux);
        let bin = (flux != 0.0 && mag < FAINTEST).then(|| (flux < 0.0, (mag * 4.0).round() as i32));
        if let Some(found) = self.cache.get(&(image, bin, variant)) {
            return found.clone();
        }
        let rendered: Arc<[u8]> = self.render(image, bin, variant).into();
        self.cache.insert((image, bin, variant), rendered.clone());
        rendered
    }

    fn render(&self, image: Image, bin: Bin, variant: u64) -> Vec<u8> {
        let p = &self.params;
        let (sign, bin_key) = bin.map_or((0, i32::MAX), |(neg, b)| (i32::from(neg), b));
        let flux = bin.map_or(0.0, |(neg, b)| {
            let f = mag_to_njy(f64::from(b) / 4.0);
            if neg {
                -f
            } else {
                f
            }
        });
        // Templates are deep coadds; the difference carries the noise of both images.
        let (noise, sky) = match image {
            Image::Science => (p.noise, p.sky),
            Image::Template => (p.noise * 0.5, p.sky),
            Image::Difference => (p.noise * 1.25f64.sqrt(), 0.0),
        };
        let key = [image as u64, sign as u64, bin_key as u64, variant];
        let mut rng = keyed(self.seed, Purpose::Stamp, &key);
        let centre = (p.size as f64 - 1.0) / 2.0 + 0.3;
        let norm = 1.0 / (std::f64::consts::TAU * p.psf_sigma_px * p.psf_sigma_px);
        let pixels: Vec<f32> = (0..p.size * p.size)
            .map(|i| {
                let (x, y) = ((i % p.size) as f64 - centre, (i / p.size) as f64 - centre);
                let psf = norm * (-(x * x + y * y) / (2.0 * p.psf_sigma_px * p.psf_sigma_px)).exp();
                ((sky + noise * normal(&mut rng) + flux * psf) * p.per_njy) as f32
            })
            .collect();
        let cards = [
            ("BUNIT", Value::Str(p.unit), "pixel units"),
            ("ORIGIN", Value::Str("lasair-sim"), ""),
        ];
        let fits = fits::image(p.size, p.size, &pixels, &cards);
        if p.gzip {
            fits::gzip(&fits)
        } else {
            fits
        }
    }
}
