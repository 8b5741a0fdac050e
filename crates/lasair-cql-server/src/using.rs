//! `USING TIMESTAMP n` in a statement's text. kassandra's parser stops before it and drops the
//! rest silently, so the server reads it here to give the write its Cassandra write time.
//! `USING TTL n` is read and accepted, but nothing ever expires here.

/// The write time a statement's text asks for, if any. Anything else after `USING` is refused
/// rather than ignored, so a test never passes because the server skipped part of a statement.
pub fn using_timestamp(cql: &str) -> Result<Option<i64>, String> {
    let Some(at) = find_using(cql) else {
        return Ok(None);
    };
    let clause = cql[at + "using".len()..].trim().trim_end_matches(';');
    let mut timestamp = None;
    for part in split_and(clause) {
        let mut words = part.split_whitespace();
        let (Some(what), Some(value), None) = (words.next(), words.next(), words.next()) else {
            return Err(format!("cannot read `USING {clause}`"));
        };
        if what.eq_ignore_ascii_case("ttl") {
            // Accepted so the cutout store's statements run here; nothing expires in this
            // server, which lives for one test run (README.md says so).
            value
                .parse::<u32>()
                .map_err(|_| format!("USING TTL takes an integer literal here, not `{value}`"))?;
            continue;
        }
        if !what.eq_ignore_ascii_case("timestamp") {
            return Err(format!(
                "`USING {what}` is not supported by this test server"
            ));
        }
        let value = value
            .parse::<i64>()
            .map_err(|_| format!("USING TIMESTAMP takes an integer literal here, not `{value}`"))?;
        timestamp = Some(value);
    }
    Ok(timestamp)
}

/// Byte offset of the keyword `USING` outside quoted strings and identifiers.
fn find_using(cql: &str) -> Option<usize> {
    let bytes = cql.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            // A doubled quote inside a literal toggles twice, which leaves the state right.
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None => {
                let word_start = i == 0 || !is_word(bytes[i - 1]);
                let rest = &bytes[i..];
                if word_start
                    && rest.len() >= 5
                    && rest[..5].eq_ignore_ascii_case(b"using")
                    && rest.get(5).is_none_or(|&c| !is_word(c))
                {
                    return Some(i);
                }
            }
        }
    }
    None
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Splits `TIMESTAMP 1 AND TTL 2` on the keyword AND, whatever its case.
fn split_and(clause: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    for word in clause.split_whitespace() {
        if word.eq_ignore_ascii_case("and") {
            parts.push(String::new());
        } else if let Some(last) = parts.last_mut() {
            last.push_str(word);
            last.push(' ');
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::using_timestamp;

    #[test]
    fn reads_a_literal_timestamp() {
        let cql = "INSERT INTO ks.t (a, b) VALUES (?, ?) using  timestamp 2;";
        assert_eq!(using_timestamp(cql), Ok(Some(2)));
    }

    #[test]
    fn ignores_the_word_inside_strings_and_names() {
        assert_eq!(
            using_timestamp("INSERT INTO t (a) VALUES ('x using y')"),
            Ok(None)
        );
        assert_eq!(using_timestamp("SELECT using_x FROM t"), Ok(None));
        assert_eq!(
            using_timestamp("INSERT INTO t (a) VALUES ('it''s') USING TIMESTAMP 5"),
            Ok(Some(5))
        );
    }

    #[test]
    fn refuses_what_it_would_otherwise_skip() {
        assert!(using_timestamp("INSERT INTO t (a) VALUES (1) USING TTL ?").is_err());
        assert!(using_timestamp("INSERT INTO t (a) VALUES (1) USING TTL -1").is_err());
        assert!(using_timestamp("INSERT INTO t (a) VALUES (?) USING TIMESTAMP ?").is_err());
        assert!(using_timestamp("INSERT INTO t (a) VALUES (1) USING TIMESTAMP 1 AND x 5").is_err());
    }

    #[test]
    fn accepts_a_literal_ttl_beside_the_timestamp() {
        assert_eq!(
            using_timestamp("INSERT INTO t (a) VALUES (1) USING TTL 10"),
            Ok(None)
        );
        assert_eq!(
            using_timestamp("INSERT INTO t (a) VALUES (1) USING TIMESTAMP 1 AND TTL 5"),
            Ok(Some(1))
        );
    }
}
