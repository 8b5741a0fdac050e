//! A watchmap's area drawn on the whole sky for its web page: Mollweide's equal-area
//! projection, as astronomers draw sky maps (RA 180° at the centre, increasing to the left,
//! north up), a graticule every 30°, the area filled. A small area is never lost: every cell of
//! it at about the picture's resolution marks its pixel, however little of the pixel it fills.

use std::f64::consts::{FRAC_PI_2, PI, SQRT_2};

use super::{Area, MAX_DEPTH};
use crate::picture::{png, Colours, PngError};

/// The picture's colours: off the sky (transparent), the sky, the graticule, the area.
const PALETTE: [[u8; 4]; 4] = [
    [255, 255, 255, 0],
    [234, 240, 247, 255],
    [180, 190, 205, 255],
    [200, 30, 45, 255],
];
const OFF: u8 = 0;
const SKY: u8 = 1;
const GRID: u8 = 2;
const AREA: u8 = 3;

/// Graticule spacing, degrees.
const GRID_STEP: f64 = 30.0;

/// The widest picture drawn.
pub const MAX_WIDTH: usize = 2048;

impl Area {
    /// The area on the whole sky, `width` pixels wide (at most [`MAX_WIDTH`]) and half as
    /// high, as a PNG.
    pub fn preview_png(&self, width: usize) -> Result<Vec<u8>, PngError> {
        let (width, height, pixels) = self.preview(width);
        png(width, height, Colours::Palette(&PALETTE), &pixels)
    }

    /// The preview's size and pixels (palette indices, rows top first).
    fn preview(&self, width: usize) -> (usize, usize, Vec<u8>) {
        let width = width.clamp(16, MAX_WIDTH) & !1;
        let height = width / 2;
        let mut pixels = vec![OFF; width * height];
        // Degrees a pixel spans at the centre, for the graticule's line width.
        let step = 360.0 / width as f64;
        for y in 0..height {
            for x in 0..width {
                let Some((ra, dec)) = inverse(x, y, width, height) else {
                    continue;
                };
                let on_grid = near_multiple(dec, GRID_STEP, step / 2.0)
                    || near_multiple(
                        ra,
                        GRID_STEP,
                        step / (2.0 * dec.to_radians().cos().max(0.05)),
                    );
                pixels[y * width + x] = if self.contains(ra, dec) {
                    AREA
                } else if on_grid {
                    GRID
                } else {
                    SKY
                };
            }
        }
        // Every cell at about a pixel's size marks its pixel, so that an area smaller than a
        // pixel (a few square degrees on a small picture) still shows.
        let depth = pixel_depth(step).min(self.depth);
        let shift = 2 * u32::from(MAX_DEPTH - depth);
        for range in self.ranges.iter().filter(|r| !r.is_empty()) {
            for cell in (range.start >> shift)..=((range.end - 1) >> shift) {
                let (lon, lat) = cdshealpix::nested::center(depth, cell);
                if let Some((x, y)) = forward(lon.to_degrees(), lat.to_degrees(), width, height) {
                    pixels[y * width + x] = AREA;
                }
            }
        }
        (width, height, pixels)
    }
}

/// The coarsest HEALPix depth whose cells are no larger than `degrees` across.
fn pixel_depth(degrees: f64) -> u8 {
    // A depth-d cell is about 58.6 / 2^d degrees across.
    (0..=MAX_DEPTH)
        .find(|d| 58.6 / f64::from(1u32 << (*d).min(31)) <= degrees)
        .unwrap_or(MAX_DEPTH)
}

fn near_multiple(v: f64, step: f64, within: f64) -> bool {
    let r = v.rem_euclid(step);
    r <= within || step - r <= within
}

/// The position (degrees) at the centre of pixel (x, y), or `None` off the sky's ellipse.
fn inverse(x: usize, y: usize, width: usize, height: usize) -> Option<(f64, f64)> {
    // Mollweide's plane: x in [-2√2, 2√2], y in [-√2, √2], y up.
    let px = ((x as f64 + 0.5) / width as f64 * 2.0 - 1.0) * 2.0 * SQRT_2;
    let py = (1.0 - (y as f64 + 0.5) / height as f64 * 2.0) * SQRT_2;
    if px * px / 8.0 + py * py / 2.0 > 1.0 {
        return None;
    }
    let theta = (py / SQRT_2).asin();
    let lat = ((2.0 * theta + (2.0 * theta).sin()) / PI)
        .clamp(-1.0, 1.0)
        .asin();
    let lon = PI * px / (2.0 * SQRT_2 * theta.cos());
    // Longitude 0 at the centre is RA 180; RA grows to the left.
    let ra = (180.0 - lon.to_degrees()).rem_euclid(360.0);
    Some((ra, lat.to_degrees()))
}

/// The pixel holding position (ra, dec), degrees.
fn forward(ra: f64, dec: f64, width: usize, height: usize) -> Option<(usize, usize)> {
    let lat = dec.to_radians();
    let lon = (180.0 - ra.rem_euclid(360.0)).to_radians();
    // Newton's method on 2θ + sin 2θ = π sin φ; at the poles θ = φ.
    let mut theta = lat;
    if lat.abs() < FRAC_PI_2 - 1e-9 {
        for _ in 0..50 {
            let f = 2.0 * theta + (2.0 * theta).sin() - PI * lat.sin();
            let d = 2.0 + 2.0 * (2.0 * theta).cos();
            if d.abs() < 1e-12 {
                break;
            }
            let next = theta - f / d;
            let done = (next - theta).abs() < 1e-12;
            theta = next;
            if done {
                break;
            }
        }
    }
    let px = 2.0 * SQRT_2 / PI * lon * theta.cos();
    let py = SQRT_2 * theta.sin();
    let x = ((px / (2.0 * SQRT_2) + 1.0) / 2.0 * width as f64).floor();
    let y = ((1.0 - py / SQRT_2) / 2.0 * height as f64).floor();
    let inside = |v: f64, n: usize| v >= 0.0 && v < n as f64;
    (inside(x, width) && inside(y, height)).then_some((x as usize, y as usize))
}

#[cfg(test)]
mod tests {
    use super::*;
    use moc::moc::range::{CellSelection, RangeMOC};
    use moc::qty::Hpx;

    fn cone(ra: f64, dec: f64, radius: f64) -> Area {
        let moc = RangeMOC::<u64, Hpx<u64>>::from_cone(
            ra.to_radians(),
            dec.to_radians(),
            radius.to_radians(),
            10,
            2,
            CellSelection::All,
        );
        Area::from_moc("cone", &moc)
    }

    #[test]
    fn forward_and_inverse_agree() {
        let (w, h) = (720, 360);
        for (ra, dec) in [(180.0, 0.0), (10.0, 45.0), (300.0, -60.0), (90.0, 89.0)] {
            let (x, y) = forward(ra, dec, w, h).expect("on the picture");
            let (r, d) = inverse(x, y, w, h).expect("on the sky");
            assert!((d - dec).abs() < 1.0, "{ra},{dec} -> {x},{y} -> {r},{d}");
        }
        // The centre is RA 180, Dec 0; RA 90 is right of it, RA 270 left.
        assert_eq!(forward(180.0, 0.0, w, h), Some((360, 180)));
        assert!(forward(90.0, 0.0, w, h).expect("right").0 > 360);
        assert!(forward(270.0, 0.0, w, h).expect("left").0 < 360);
        assert!(inverse(0, 0, w, h).is_none(), "the corner is off the sky");
    }

    #[test]
    fn the_area_is_drawn_where_it_is_and_a_small_one_still_shows() {
        let big = cone(90.0, 30.0, 20.0);
        let (w, h, pixels) = big.preview(360);
        let painted = pixels.iter().filter(|p| **p == AREA).count();
        // A 20° cone is 1,264 deg² (3.06% of the sky), the ellipse pi/4 of the picture.
        let expected = 0.0306 * (w * h) as f64 * PI / 4.0;
        assert!(
            (painted as f64 - expected).abs() < 0.15 * expected,
            "{painted} pixels, about {expected} expected"
        );
        let (x, y) = forward(90.0, 30.0, w, h).expect("centre");
        assert_eq!(pixels[y * w + x], AREA);
        let (x, y) = forward(270.0, -30.0, w, h).expect("opposite");
        assert_ne!(pixels[y * w + x], AREA);

        // A cone of 0.1° is far smaller than a pixel of a 360-pixel picture (1°), and shows.
        let small = cone(200.0, -10.0, 0.1);
        let (w, h, pixels) = small.preview(360);
        let (x, y) = forward(200.0, -10.0, w, h).expect("centre");
        assert_eq!(pixels[y * w + x], AREA);
        assert!(pixels.iter().filter(|p| **p == AREA).count() <= 4);
    }

    #[test]
    fn the_png_is_the_size_asked_for() {
        let png = cone(10.0, 10.0, 5.0).preview_png(400).expect("png");
        assert_eq!(&png[1..4], b"PNG");
        // IHDR: width and height, big-endian, at bytes 16..24.
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 400);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 200);
    }
}
