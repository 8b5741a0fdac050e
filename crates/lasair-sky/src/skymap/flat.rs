//! Flat (single-resolution) HEALPix maps made multi-order: four sibling pixels whose values
//! are all equal are one pixel of the order above, repeatedly (ligo.skymap's `derasterize`,
//! so a map rasterized from a multi-order one gets its pixels back, and the credible levels
//! are those ligo.skymap gives). Pixels arrive in NESTED order and are merged on a stack, so
//! a map of 12 million pixels takes memory for the pixels it ends with, not for all.

use super::credible::{cell_uniq, Pixel};
use super::distance::Ansatz;

/// One pixel's values: density, DISTMU, DISTSIGMA, DISTNORM (0 when the map has none).
pub(crate) type Values = [f64; 4];

enum Node {
    /// A cell whose leaves all have these values: it may merge further.
    Whole {
        order: u8,
        ipix: u64,
        values: Values,
    },
    /// A cell some of whose descendants differ: already given out.
    Split { order: u8, ipix: u64 },
}

impl Node {
    fn cell(&self) -> (u8, u64) {
        match self {
            Node::Whole { order, ipix, .. } | Node::Split { order, ipix } => (*order, *ipix),
        }
    }
}

/// Merges the pixels of one order, given in NESTED order, into multi-order pixels.
pub(crate) struct Derasterizer {
    order: u8,
    next: u64,
    stack: Vec<Node>,
    out: Vec<Pixel>,
}

impl Derasterizer {
    /// For a map of `order` (NSIDE = 2^order).
    pub fn new(order: u8) -> Derasterizer {
        Derasterizer {
            order,
            next: 0,
            stack: Vec::with_capacity(4 * (order as usize + 1)),
            out: Vec::new(),
        }
    }

    /// The next pixel (NESTED index one more than the last).
    pub fn push(&mut self, values: Values) {
        let ipix = self.next;
        self.next += 1;
        self.stack.push(Node::Whole {
            order: self.order,
            ipix,
            values,
        });
        while let Some(parent) = self.siblings_on_top() {
            let four = self.stack.split_off(self.stack.len() - 4);
            let first = match &four[0] {
                Node::Whole { values, .. } => Some(*values),
                Node::Split { .. } => None,
            };
            let equal = four.iter().all(|n| match (n, first) {
                (Node::Whole { values, .. }, Some(v)) => *values == v,
                _ => false,
            });
            match first {
                Some(values) if equal => self.stack.push(Node::Whole {
                    order: parent.0,
                    ipix: parent.1,
                    values,
                }),
                _ => {
                    for node in four {
                        self.give_out(node);
                    }
                    self.stack.push(Node::Split {
                        order: parent.0,
                        ipix: parent.1,
                    });
                }
            }
        }
    }

    /// The parent cell when the last four nodes are its four children.
    fn siblings_on_top(&self) -> Option<(u8, u64)> {
        let n = self.stack.len();
        if n < 4 {
            return None;
        }
        let (order, first) = self.stack[n - 4].cell();
        let last = self.stack[n - 1].cell();
        (order > 0 && first % 4 == 0 && last == (order, first + 3)).then(|| (order - 1, first / 4))
    }

    fn give_out(&mut self, node: Node) {
        if let Node::Whole {
            order,
            ipix,
            values: [density, mu, sigma, norm],
        } = node
        {
            self.out.push(Pixel {
                uniq: cell_uniq(order, ipix),
                density,
                ansatz: Ansatz { mu, sigma, norm },
            });
        }
    }

    /// How many pixels were pushed.
    pub fn pushed(&self) -> u64 {
        self.next
    }

    /// The multi-order pixels (in NESTED order of their cells' starts).
    pub fn finish(mut self) -> Vec<Pixel> {
        let rest = std::mem::take(&mut self.stack);
        for node in rest {
            self.give_out(node);
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::skymap::credible::uniq_cell;

    fn cells(values: &[f64], order: u8) -> Vec<(u8, u64)> {
        let mut d = Derasterizer::new(order);
        for v in values {
            d.push([*v, 0.0, 0.0, 0.0]);
        }
        let mut out: Vec<(u8, u64)> = d
            .finish()
            .iter()
            .filter_map(|p| uniq_cell(p.uniq))
            .collect();
        out.sort_unstable();
        out
    }

    #[test]
    fn equal_siblings_merge_as_ligo_skymap_does() {
        // The cases of ligo.skymap's healpix_tree.reconstruct_nested docstring.
        let base: Vec<(u8, u64)> = (0..12).map(|i| (0, i)).collect();
        assert_eq!(cells(&[0.0; 12], 0), base);
        assert_eq!(cells(&[0.0; 768], 3), base);
        let mut m = vec![0.0; 48];
        m[..4].copy_from_slice(&[0.0, 1.0, 2.0, 3.0]);
        let mut want: Vec<(u8, u64)> = (1..12).map(|i| (0, i)).collect();
        want.extend((0..4).map(|i| (1, i)));
        assert_eq!(cells(&m, 1), want);
        let mut m: Vec<f64> = (0..48).map(f64::from).collect();
        m[..4].fill(0.0);
        let mut want = vec![(0, 0)];
        want.extend((4..48).map(|i| (1, i)));
        assert_eq!(cells(&m, 1), want);
        // NaN never equals itself: never merged.
        assert_eq!(cells(&[f64::NAN; 48], 1).len(), 48);
    }
}
