//! The Hierarchical Triangular Mesh (Szalay, Kunszt et al.): the sphere cut into the eight
//! faces of an octahedron, each face cut into four triangles level after level. An id is
//! the root face (8-15: S0-S3, N0-N3) followed by two bits per level, the child (0-3) the
//! position falls in; Lasair-LSST keeps each object's level-16 id in `objects.htm16`.
//!
//! The faces, their vertex order, the children's order and the inside test (a position on
//! an edge belongs to the first triangle tried that holds it) follow the HTM library that
//! Lasair calls (gkhtm's `htmID`); `tests/htm.rs` holds us to its answers.

type Vec3 = [f64; 3];

/// The octahedron's vertices.
const ANCHORS: [Vec3; 6] = [
    [0.0, 0.0, 1.0],
    [1.0, 0.0, 0.0],
    [0.0, 1.0, 0.0],
    [-1.0, 0.0, 0.0],
    [0.0, -1.0, 0.0],
    [0.0, 0.0, -1.0],
];

/// The root faces S0, S1, S2, S3, N0, N1, N2, N3 (ids 8-15) as indexes into [`ANCHORS`].
const ROOTS: [[usize; 3]; 8] = [
    [1, 5, 2],
    [2, 5, 3],
    [3, 5, 4],
    [4, 5, 1],
    [1, 0, 4],
    [4, 0, 3],
    [3, 0, 2],
    [2, 0, 1],
];

/// How far outside an edge a position may lie and still count as inside (rounding).
const EPSILON: f64 = 1e-15;

/// The deepest level whose id fits the 64-bit integer Lasair stores.
pub const MAX_LEVEL: u32 = 29;

fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// The unit vector halfway between two.
fn midpoint(a: Vec3, b: Vec3) -> Vec3 {
    let m = [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
    let n = dot(m, m).sqrt();
    [m[0] / n, m[1] / n, m[2] / n]
}

/// Whether `p` is inside the triangle `t` (counter-clockwise seen from outside).
fn inside(p: Vec3, [a, b, c]: [Vec3; 3]) -> bool {
    dot(cross(a, b), p) >= -EPSILON
        && dot(cross(b, c), p) >= -EPSILON
        && dot(cross(c, a), p) >= -EPSILON
}

/// The HTM id of (ra, dec) in degrees at `level` (0 gives the root face, 8-15); levels above
/// [`MAX_LEVEL`] are taken as it.
pub fn htm_id(level: u32, ra: f64, dec: f64) -> i64 {
    let (ra, dec) = (ra.to_radians(), dec.to_radians());
    let p = [dec.cos() * ra.cos(), dec.cos() * ra.sin(), dec.sin()];
    let (root, mut t) = ROOTS
        .iter()
        .enumerate()
        .map(|(i, r)| (i, r.map(|k| ANCHORS[k])))
        .find(|(_, t)| inside(p, *t))
        // A position no face holds (NaN): the last face, as a search that ran out would end.
        .unwrap_or((7, ROOTS[7].map(|k| ANCHORS[k])));
    let mut id = 8 + root as i64;
    for _ in 0..level.min(MAX_LEVEL) {
        let [v0, v1, v2] = t;
        let (w0, w1, w2) = (midpoint(v1, v2), midpoint(v2, v0), midpoint(v0, v1));
        let children = [[v0, w2, w1], [v1, w0, w2], [v2, w1, w0], [w0, w1, w2]];
        let child = (0..3).find(|&c| inside(p, children[c])).unwrap_or(3);
        id = id * 4 + child as i64;
        t = children[child];
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_a_root_and_two_bits_a_level() {
        assert_eq!(htm_id(0, 0.0, 0.0), 8);
        assert_eq!(htm_id(0, 45.0, 45.0), 15);
        assert_eq!(htm_id(0, 45.0, -45.0), 8);
        let id = htm_id(16, 123.4, -56.7);
        assert_eq!(id >> 32, htm_id(0, 123.4, -56.7));
        assert_eq!(id >> 2, htm_id(15, 123.4, -56.7));
        assert!(htm_id(40, 1.0, 2.0) > 0);
    }
}
