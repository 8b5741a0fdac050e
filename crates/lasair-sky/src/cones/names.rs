//! Cone names for up to 10^8 cones in little memory: one byte arena of length-prefixed names,
//! with the offset of every 32nd name, so a name costs its bytes plus about 1.25 bytes.

use super::MAX_NAME_BYTES;

const STRIDE: usize = 32;

#[derive(Debug, Clone, Default)]
pub(super) struct Names {
    bytes: Vec<u8>,
    /// `bytes` offset of names 0, 32, 64, ...
    marks: Vec<u64>,
    len: usize,
}

impl Names {
    /// Appends a name, cut to [`MAX_NAME_BYTES`] at a character boundary (callers refuse
    /// longer names before this).
    pub(super) fn push(&mut self, name: &str) {
        if self.marks.len() * STRIDE == self.len {
            self.marks.push(self.bytes.len() as u64);
        }
        let mut end = name.len().min(MAX_NAME_BYTES);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        self.bytes.push(end as u8);
        self.bytes.extend_from_slice(&name.as_bytes()[..end]);
        self.len += 1;
    }

    /// The i-th name; "" past the end.
    pub(super) fn get(&self, i: usize) -> &str {
        let Some(&mark) = self.marks.get(i / STRIDE).filter(|_| i < self.len) else {
            return "";
        };
        let mut at = mark as usize;
        for _ in 0..i % STRIDE {
            at += 1 + usize::from(self.bytes[at]);
        }
        let len = usize::from(self.bytes[at]);
        // Only whole UTF-8 names were pushed, so this never fails.
        std::str::from_utf8(&self.bytes[at + 1..at + 1 + len]).unwrap_or("")
    }

    pub(super) fn memory_bytes(&self) -> usize {
        self.bytes.capacity() + 8 * self.marks.capacity()
    }

    pub(super) fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.marks.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gets_back_every_name_across_strides() {
        let mut names = Names::default();
        let all: Vec<String> = (0..100)
            .map(|i| format!("cone é{i}").repeat(i % 4))
            .collect();
        for n in &all {
            names.push(n);
        }
        for (i, n) in all.iter().enumerate() {
            assert_eq!(names.get(i), n);
        }
        assert_eq!(names.get(100), "");
        names.push(&"é".repeat(200));
        assert_eq!(names.get(100), "é".repeat(127));
    }
}
