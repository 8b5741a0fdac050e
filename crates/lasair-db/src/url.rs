//! Database URLs: which backend, where, and how to print one without its password.

use lasair_sql::Dialect;

use crate::DbError;

/// A parsed database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DbUrl {
    /// `sqlite:PATH`, or `sqlite::memory:` (`path` None).
    Sqlite { path: Option<String> },
    /// `mysql://...` (or `mariadb://...`), as the `mysql` crate takes it.
    MySql { url: String },
}

impl DbUrl {
    pub fn parse(url: &str) -> Result<DbUrl, DbError> {
        let bad = |reason: &str| DbError::Url {
            url: redact(url),
            reason: reason.into(),
        };
        if let Some(rest) = url.strip_prefix("sqlite:") {
            return match rest {
                ":memory:" => Ok(DbUrl::Sqlite { path: None }),
                "" => Err(bad("no path after sqlite:")),
                path => Ok(DbUrl::Sqlite {
                    path: Some(path.strip_prefix("//").unwrap_or(path).to_owned()),
                }),
            };
        }
        let rest = url
            .strip_prefix("mysql://")
            .or_else(|| url.strip_prefix("mariadb://"))
            .ok_or_else(|| bad("unknown scheme"))?;
        Ok(DbUrl::MySql {
            url: with_tcp(&format!("mysql://{rest}")),
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            DbUrl::Sqlite { .. } => Dialect::Sqlite,
            DbUrl::MySql { .. } => Dialect::MariaDb,
        }
    }

    /// The database (schema) a MySQL URL names; None for SQLite or a URL without one.
    pub fn database(&self) -> Option<String> {
        match self {
            DbUrl::Sqlite { .. } => None,
            DbUrl::MySql { url } => mysql::Opts::from_url(url)
                .ok()
                .and_then(|o| o.get_db_name().map(str::to_owned)),
        }
    }

    pub fn redacted(&self) -> String {
        match self {
            DbUrl::Sqlite { path: None } => "sqlite::memory:".into(),
            DbUrl::Sqlite { path: Some(p) } => format!("sqlite:{p}"),
            DbUrl::MySql { url } => redact(url),
        }
    }
}

/// The `mysql` crate connects to localhost through the Unix socket it asks the server for,
/// unless told otherwise; a URL names a TCP port, so honour it unless the caller chose.
fn with_tcp(url: &str) -> String {
    if url.contains("prefer_socket=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&prefer_socket=false")
    } else {
        format!("{url}?prefer_socket=false")
    }
}

/// `url` with the password (between `user:` and `@`) replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((auth, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        let u = DbUrl::parse("mysql://lasair:s3cret@127.0.0.1:3306/lasair").unwrap();
        assert_eq!(
            u.redacted(),
            "mysql://lasair:***@127.0.0.1:3306/lasair?prefer_socket=false"
        );
        let err = DbUrl::parse("postgres://u:s3cret@h/db").unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }

    #[test]
    fn tcp_is_preferred_unless_asked_otherwise() {
        let url = |s| match DbUrl::parse(s).unwrap() {
            DbUrl::MySql { url } => url,
            other => panic!("{other:?}"),
        };
        assert!(url("mysql://u:p@h/db?pool_min=1").ends_with("?pool_min=1&prefer_socket=false"));
        assert!(url("mysql://u:p@h/db?prefer_socket=true").ends_with("prefer_socket=true"));
        assert_eq!(
            DbUrl::parse("sqlite:var/l.db").unwrap(),
            DbUrl::Sqlite {
                path: Some("var/l.db".into())
            }
        );
        assert_eq!(
            DbUrl::parse("sqlite::memory:").unwrap().dialect(),
            Dialect::Sqlite
        );
    }
}
