//! A validating JSON scanner: it finds where each value of a text starts and ends, and
//! refuses exactly what serde_json refuses reading the text into a `serde_json::Value`
//! (strings with a control character, a bad escape or a lone surrogate, numbers out of
//! grammar or of range, nesting deeper than its limit), building nothing on the way. The
//! keeping reader's fast path (`fast.rs`) walks a line with it.

use std::fmt;

/// Where a text stops being JSON, and why; or where the fast path stops (an escaped key).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Bad {
    pub at: usize,
    pub what: &'static str,
}

impl fmt::Display for Bad {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at)
    }
}

/// serde_json's nesting limit: a `Value` may hold containers 127 deep, not 128.
const MAX_DEPTH: usize = 127;

/// Bytes that end the quick run through a string: the quote, the backslash, and the
/// control characters JSON refuses in a string.
const STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// A position in a text already checked as UTF-8 (so no multi-byte character needs
/// checking again: every byte the grammar looks at is ASCII).
pub(super) struct Scan<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pub at: usize,
}

impl<'a> Scan<'a> {
    pub fn new(text: &'a str) -> Scan<'a> {
        Scan {
            text,
            bytes: text.as_bytes(),
            at: 0,
        }
    }

    fn bad<T>(&self, what: &'static str) -> Result<T, Bad> {
        Err(Bad { at: self.at, what })
    }

    /// The text between two positions the scanner returned.
    pub fn slice(&self, (from, to): (usize, usize)) -> &'a str {
        self.text.get(from..to).unwrap_or_default()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte that is not whitespace, not consumed.
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.bytes.get(self.at).copied()
    }

    /// Consumes `c`, the next byte that is not whitespace, or refuses.
    #[inline]
    pub fn eat(&mut self, c: u8) -> Result<(), Bad> {
        if self.peek() == Some(c) {
            self.at += 1;
            Ok(())
        } else {
            self.bad(match c {
                b'{' => "expected `{`",
                b'}' => "expected `,` or `}`",
                b'[' => "expected `[`",
                b']' => "expected `,` or `]`",
                b':' => "expected `:`",
                _ => "unexpected byte",
            })
        }
    }

    /// Consumes `c` when it is the next byte that is not whitespace.
    #[inline]
    pub fn eat_if(&mut self, c: u8) -> bool {
        let next = self.peek() == Some(c);
        self.at += usize::from(next);
        next
    }

    /// After a container's first member: whether another follows (a comma), or the
    /// container ends with `close`.
    #[inline]
    pub fn more(&mut self, close: u8) -> Result<bool, Bad> {
        if self.eat_if(b',') {
            return Ok(true);
        }
        self.eat(close).map(|()| false)
    }

    /// The end of the text: only whitespace may follow.
    pub fn end(&mut self) -> Result<(), Bad> {
        match self.peek() {
            None => Ok(()),
            Some(_) => self.bad("trailing characters"),
        }
    }

    /// An object's key without escapes, and its colon; a key with escapes is refused (the
    /// fast path leaves such a line to serde_json).
    #[inline]
    pub fn key(&mut self) -> Result<&'a [u8], Bad> {
        self.eat(b'"')?;
        let from = self.at;
        // Most keys end within eight bytes: one word, and no call.
        if let Some(chunk) = self.bytes.get(from..from + 8) {
            let stops = stops(chunk);
            let end = from + stops.trailing_zeros() as usize / 8;
            if stops != 0 && self.bytes.get(end) == Some(&b'"') {
                self.at = end + 1;
                let key = self.bytes.get(from..end).unwrap_or_default();
                self.eat(b':')?;
                return Ok(key);
            }
        }
        if self.string_body()? {
            return Err(Bad {
                at: from,
                what: "an escaped key",
            });
        }
        let key = self.bytes.get(from..self.at - 1).unwrap_or_default();
        self.eat(b':')?;
        Ok(key)
    }

    /// The string after its opening quote, through its closing one; whether it has escapes.
    #[inline]
    pub fn string_body(&mut self) -> Result<bool, Bad> {
        let mut escaped = false;
        loop {
            let Some(run) = stop_run(self.bytes.get(self.at..).unwrap_or_default()) else {
                self.at = self.bytes.len();
                return self.bad("end of line in a string");
            };
            self.at += run + 1;
            match self.bytes.get(self.at - 1) {
                Some(b'"') => return Ok(escaped),
                Some(b'\\') => {
                    self.escape()?;
                    escaped = true;
                }
                _ => {
                    self.at -= 1;
                    return self.bad("a control character in a string");
                }
            }
        }
    }

    /// An escape after its backslash; a `\u` surrogate must be a leading one followed by a
    /// trailing one, as serde_json reads a string.
    fn escape(&mut self) -> Result<(), Bad> {
        match self.bytes.get(self.at) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.at += 1;
                Ok(())
            }
            Some(b'u') => {
                self.at += 1;
                match self.hex4()? {
                    0xDC00..=0xDFFF => self.bad("a lone trailing surrogate"),
                    0xD800..=0xDBFF => {
                        if self.bytes.get(self.at..self.at + 2) != Some(b"\\u") {
                            return self.bad("a lone leading surrogate");
                        }
                        self.at += 2;
                        match self.hex4()? {
                            0xDC00..=0xDFFF => Ok(()),
                            _ => self.bad("a lone leading surrogate"),
                        }
                    }
                    _ => Ok(()),
                }
            }
            _ => self.bad("a bad escape"),
        }
    }

    fn hex4(&mut self) -> Result<u32, Bad> {
        let mut n = 0;
        for _ in 0..4 {
            let d = self
                .bytes
                .get(self.at)
                .and_then(|&c| char::from(c).to_digit(16));
            let Some(d) = d else {
                return self.bad("a bad \\u escape");
            };
            n = n * 16 + d;
            self.at += 1;
        }
        Ok(n)
    }

    /// Any value, skipped; `depth` is how many containers hold it. Returns where it starts
    /// and ends.
    pub fn value(&mut self, depth: usize) -> Result<(usize, usize), Bad> {
        let from = match self.peek() {
            Some(_) => self.at,
            None => return self.bad("end of line where a value was expected"),
        };
        match self.bytes.get(self.at) {
            Some(b'"') => {
                self.at += 1;
                self.string_body()?;
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
            }
            Some(b'{') => self.object(depth + 1)?,
            Some(b'[') => self.array(depth + 1)?,
            Some(b'n') => self.literal(b"null")?,
            Some(b't') => self.literal(b"true")?,
            Some(b'f') => self.literal(b"false")?,
            _ => return self.bad("expected a value"),
        }
        Ok((from, self.at))
    }

    /// Any value, skipped, as [`Scan::value`] skips it; a number, a string or a `null` (most
    /// values of a line) without a call.
    #[inline]
    pub fn skip(&mut self, depth: usize) -> Result<(), Bad> {
        match self.bytes.get(self.at) {
            Some(b'0'..=b'9' | b'-') => self.number().map(drop),
            Some(b'"') => {
                self.at += 1;
                self.string_body().map(drop)
            }
            Some(b'n') => self.literal(b"null"),
            _ => self.value(depth).map(drop),
        }
    }

    /// The word (`null`, `true` or `false`) next, consumed, or refused.
    #[inline]
    pub fn literal(&mut self, word: &[u8]) -> Result<(), Bad> {
        if self.bytes.get(self.at..self.at + word.len()) != Some(word) {
            return self.bad("expected a value");
        }
        self.at += word.len();
        Ok(())
    }

    /// An object at `depth` (its own), from its opening brace.
    fn object(&mut self, depth: usize) -> Result<(), Bad> {
        if depth > MAX_DEPTH {
            return self.bad("nesting too deep");
        }
        self.at += 1;
        if self.eat_if(b'}') {
            return Ok(());
        }
        loop {
            self.eat(b'"')?;
            self.string_body()?;
            self.eat(b':')?;
            self.value(depth)?;
            if !self.more(b'}')? {
                return Ok(());
            }
        }
    }

    /// An array at `depth` (its own), from its opening bracket.
    fn array(&mut self, depth: usize) -> Result<(), Bad> {
        if depth > MAX_DEPTH {
            return self.bad("nesting too deep");
        }
        self.at += 1;
        if self.eat_if(b']') {
            return Ok(());
        }
        loop {
            self.value(depth)?;
            if !self.more(b']')? {
                return Ok(());
            }
        }
    }

    /// A number as JSON writes one; one too large for an `f64` is refused, as serde_json
    /// refuses it. Returns whether it has a fraction or an exponent (serde_json reads it
    /// as an `f64`, not as an integer).
    #[inline]
    pub fn number(&mut self) -> Result<bool, Bad> {
        let from = self.at;
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        match self.bytes.get(self.at) {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return self.bad("a number without digits"),
        }
        let fraction = self.bytes.get(self.at) == Some(&b'.');
        if fraction {
            self.at += 1;
            self.some_digits()?;
        }
        let exponent = matches!(self.bytes.get(self.at), Some(b'e' | b'E'));
        if exponent {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            self.some_digits()?;
        }
        // Without an exponent, only a number of over 300 digits can pass f64::MAX.
        if exponent || self.at - from > 300 {
            let text = self.text.get(from..self.at).unwrap_or_default();
            if !text.parse::<f64>().is_ok_and(f64::is_finite) {
                return Err(Bad {
                    at: from,
                    what: "a number out of range",
                });
            }
        }
        Ok(fraction || exponent)
    }

    #[inline]
    fn digits(&mut self) {
        self.at += digit_run(self.bytes.get(self.at..).unwrap_or_default());
    }

    fn some_digits(&mut self) -> Result<(), Bad> {
        let from = self.at;
        self.digits();
        if self.at == from {
            return self.bad("a number without digits");
        }
        Ok(())
    }
}

/// Eight bytes a word: the quick runs through strings and digits test a word at a time.
const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// In each byte of `w`, its high bit set where the byte is zero. The lowest byte so marked
/// is the first zero byte (a borrow can mark a byte only above a zero one).
#[inline]
fn zero_bytes(w: u64) -> u64 {
    w.wrapping_sub(ONES) & !w & HIGHS
}

/// In each of eight bytes, its high bit set where the byte is a [`STOP`] one; the lowest
/// byte so marked is the first.
#[inline]
fn stops(chunk: &[u8]) -> u64 {
    let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
    // Bytes below 0x20 (those of 0x80 and over keep their high bit out of `!w`).
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
    control | zero_bytes(w ^ (ONES * 0x22)) | zero_bytes(w ^ (ONES * 0x5c))
}

/// Where the first [`STOP`] byte of `rest` is: a quote, a backslash or a control character.
#[inline]
fn stop_run(rest: &[u8]) -> Option<usize> {
    let mut chunks = rest.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let stops = stops(chunk);
        if stops != 0 {
            return Some(at + stops.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let tail = chunks.remainder();
    tail.iter()
        .position(|&c| STOP[usize::from(c)])
        .map(|i| at + i)
}

/// How many ASCII digits `rest` starts with.
#[inline]
fn digit_run(rest: &[u8]) -> usize {
    let mut chunks = rest.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default()) ^ (ONES * 0x30);
        // A digit is now a byte of 0 to 9: adding 0x76 to its low seven bits leaves the high
        // bit clear, and carries into no other byte.
        let other = (((w & !HIGHS) + ONES * 0x76) | w) & HIGHS;
        if other != 0 {
            return at + other.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    let tail = chunks.remainder();
    at + tail
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(tail.len())
}

/// Refuses a text that serde_json would not read into a `serde_json::Value`.
pub(super) fn validate(text: &str) -> Result<(), Bad> {
    let mut scan = Scan::new(text);
    scan.value(0)?;
    scan.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_accepts(text: &str) -> bool {
        serde_json::from_str::<serde_json::Value>(text).is_ok()
    }

    #[test]
    fn accepts_exactly_what_serde_json_reads_into_a_value() {
        let cases = [
            "1",
            "-1",
            "-",
            "01",
            "1.",
            "1.5",
            ".5",
            "1e",
            "1e5",
            "1E+5",
            "1e-5",
            "+1",
            "-0",
            "1e400",
            "-1e400",
            "0e999999",
            "1e-99999",
            "1.5e308",
            "NaN",
            "Infinity",
            "null",
            "nul",
            "true",
            "tru",
            "false",
            "[]",
            "[1,]",
            "[,1]",
            "[1 2]",
            "{}",
            "{\"a\":1}",
            "{\"a\":1,}",
            "{\"a\"1}",
            "{a:1}",
            "{\"a\":}",
            "\"x\"",
            "\"\\u0041\"",
            "\"\\u00\"",
            "\"\\x\"",
            "\"\\/\"",
            "\"\t\"",
            "\"\u{7f}\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\udc00\"",
            "\"\\ud800\\u0041\"",
            "\"\\ud800x\"",
            "\"é\"",
            " [ 1 , 2 ] ",
            "[1] x",
            "",
            " ",
            "\"",
            "[\"a\\\"b\"]",
            "{\"\\u0061\":[{}]}",
            "1 2",
            "[-]",
            "[1.0e+]",
            "-01",
            "0.0e0",
            "[true,false,null]",
        ];
        for case in cases {
            assert_eq!(validate(case).is_ok(), serde_accepts(case), "{case:?}");
        }
        let long = "9".repeat(400);
        assert_eq!(validate(&long).is_ok(), serde_accepts(&long));
        let long = format!("0.{long}");
        assert_eq!(validate(&long).is_ok(), serde_accepts(&long));
    }

    #[test]
    fn the_word_runs_stop_where_the_byte_runs_stop() {
        // Each byte value at each place of a run (and the runs' tails), amid other bytes.
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 24] {
            for at in 0..=len {
                for b in 0..=255u8 {
                    for fill in [b'7', b'a', 0xe9] {
                        let mut text = vec![fill; len];
                        if at < len {
                            text[at] = b;
                        }
                        let stop = text.iter().position(|&c| STOP[usize::from(c)]);
                        assert_eq!(stop_run(&text), stop, "{text:?}");
                        let digits = text.iter().take_while(|c| c.is_ascii_digit()).count();
                        assert_eq!(digit_run(&text), digits, "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn nesting_is_limited_as_serde_json_limits_it() {
        for depth in [126, 127, 128, 129] {
            let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            for text in [arrays, objects] {
                assert_eq!(validate(&text).is_ok(), serde_accepts(&text), "{depth}");
            }
        }
    }
}
