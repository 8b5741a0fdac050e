//! Web accounts: sessions (a browser's cookie token and its user, as Django keeps them) and
//! the one-time codes mailed to activate an account or to reset a password (Lasair mails a
//! six-digit code for both). The web server sets the cookie and mails the code; this keeps
//! them in the main database.

use lasair_db::{Db, Select, Value};

use crate::users::User;
use crate::{Record, ServiceError};

/// How long a session lasts without logging in again, in days (Django's default is 14).
pub const SESSION_DAYS: f64 = 14.0;

/// How long a mailed code may be used, in days (one hour).
pub const CODE_DAYS: f64 = 1.0 / 24.0;

/// Wrong tries a code takes before it is void: 5 of a million codes leaves a guesser a
/// chance in 200,000.
pub const CODE_TRIES: i64 = 5;

/// What a mailed code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A new account's first login.
    Activate,
    /// A new password.
    Reset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Activate => "activate",
            Purpose::Reset => "reset",
        }
    }
}

/// `days` from now, as the service tables stamp times.
fn from_now(days: f64) -> String {
    lasair_alert::time::utc_string(lasair_alert::time::mjd_now() + days)
}

/// A new random secret (40 hex digits): a session's token, a form's CSRF token.
pub fn new_secret() -> Result<String, ServiceError> {
    crate::users::new_token()
}

/// Starts a session for user `user_id`; gives the token its cookie carries.
pub fn start_session(db: &mut Db, user_id: i64) -> Result<String, ServiceError> {
    let token = crate::users::new_token()?;
    let row = vec![
        token.as_str().into(),
        user_id.into(),
        crate::now().into(),
        from_now(SESSION_DAYS).into(),
    ];
    db.upsert(
        "sessions",
        &["token", "user_id", "created", "expires"],
        &[row],
    )?;
    Ok(token)
}

/// The active user of the session `token`, if it has not ended.
pub fn session_user(db: &mut Db, token: &str) -> Result<Option<User>, ServiceError> {
    if !crate::users::looks_like_token(token) {
        return Ok(None);
    }
    let select = Select::from("sessions")
        .columns(&["user_id", "expires"])
        .eq("token", token);
    let rows = db.select(&select)?;
    let Some(row) = rows.rows.first() else {
        return Ok(None);
    };
    let (Some(user_id), Some(expires)) = (row[0].as_i64(), row[1].as_str()) else {
        return Ok(None);
    };
    if expires < crate::now().as_str() {
        end_session(db, token)?;
        return Ok(None);
    }
    match User::get(db, user_id) {
        Ok(user) if user.is_active => Ok(Some(user)),
        Ok(_) | Err(ServiceError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Ends the session `token` (logging out).
pub fn end_session(db: &mut Db, token: &str) -> Result<(), ServiceError> {
    db.delete_where("sessions", "token", &Value::from(token))?;
    Ok(())
}

fn code_key(user_id: i64, purpose: Purpose) -> String {
    format!("{user_id}/{}", purpose.as_str())
}

/// A new six-digit code for user `user_id` and `purpose`, replacing any earlier one.
pub fn issue_code(db: &mut Db, user_id: i64, purpose: Purpose) -> Result<String, ServiceError> {
    let bytes = crate::users::random_bytes::<4>()?;
    let code = format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000);
    let row = vec![
        code_key(user_id, purpose).into(),
        code.as_str().into(),
        0.into(),
        from_now(CODE_DAYS).into(),
    ];
    db.upsert(
        "codes",
        &["code_key", "code", "attempts", "expires"],
        &[row],
    )?;
    Ok(code)
}

/// Whether `code` is user `user_id`'s code for `purpose`, unexpired and not worn out by wrong
/// tries; a right code is used up, a wrong one counted.
pub fn redeem_code(
    db: &mut Db,
    user_id: i64,
    purpose: Purpose,
    code: &str,
) -> Result<bool, ServiceError> {
    let key = code_key(user_id, purpose);
    let select = Select::from("codes")
        .columns(&["code", "attempts", "expires"])
        .eq("code_key", key.as_str());
    let rows = db.select(&select)?;
    let Some(row) = rows.rows.first() else {
        return Ok(false);
    };
    let (stored, attempts, expires) = (
        row[0].as_str().unwrap_or_default().to_owned(),
        row[1].as_i64().unwrap_or(CODE_TRIES),
        row[2].as_str().unwrap_or_default().to_owned(),
    );
    let void = attempts >= CODE_TRIES || expires.as_str() < crate::now().as_str();
    let right = !void && constant_time_eq(stored.trim().as_bytes(), code.trim().as_bytes());
    if right || void {
        db.delete_where("codes", "code_key", &Value::from(key.as_str()))?;
    } else {
        let row = vec![
            key.as_str().into(),
            stored.as_str().into(),
            (attempts + 1).into(),
            expires.as_str().into(),
        ];
        db.upsert(
            "codes",
            &["code_key", "code", "attempts", "expires"],
            &[row],
        )?;
    }
    Ok(right)
}

/// Compares two secrets in a time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// Makes user `user_id` active (their account's code was right).
pub fn activate(db: &mut Db, user_id: i64) -> Result<(), ServiceError> {
    User::update(db, user_id, &[("is_active", Value::Int(1))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::NewUser;

    fn ada(db: &mut Db) -> User {
        User::create(
            db,
            &NewUser {
                username: "ada".into(),
                password: Some("s3cret-enough".into()),
                ..NewUser::default()
            },
        )
        .expect("user")
    }

    #[test]
    fn a_session_is_its_users_until_it_ends() {
        let mut db = Db::open("sqlite::memory:").expect("db");
        let user = ada(&mut db);
        let token = start_session(&mut db, user.id).expect("session");
        assert_eq!(
            session_user(&mut db, &token).expect("read"),
            Some(user.clone())
        );
        assert_eq!(
            session_user(&mut db, "nonsense' OR 1=1 --").expect("read"),
            None
        );
        end_session(&mut db, &token).expect("end");
        assert_eq!(session_user(&mut db, &token).expect("read"), None);
        // An expired session is no one's, and is removed.
        let token = start_session(&mut db, user.id).expect("session");
        db.upsert(
            "sessions",
            &["token", "user_id", "created", "expires"],
            &[vec![
                token.as_str().into(),
                user.id.into(),
                "2020-01-01 00:00:00".into(),
                "2020-01-15 00:00:00".into(),
            ]],
        )
        .expect("expire it");
        assert_eq!(session_user(&mut db, &token).expect("read"), None);
    }

    #[test]
    fn a_code_works_once_and_wears_out_with_wrong_tries() {
        let mut db = Db::open("sqlite::memory:").expect("db");
        let user = ada(&mut db);
        let code = issue_code(&mut db, user.id, Purpose::Activate).expect("code");
        assert_eq!(code.len(), 6);
        assert!(!redeem_code(&mut db, user.id, Purpose::Reset, &code).expect("other purpose"));
        assert!(redeem_code(&mut db, user.id, Purpose::Activate, &code).expect("redeem"));
        assert!(!redeem_code(&mut db, user.id, Purpose::Activate, &code).expect("used up"));
        let code = issue_code(&mut db, user.id, Purpose::Reset).expect("code");
        let wrong = if code == "000000" { "000001" } else { "000000" };
        for _ in 0..CODE_TRIES {
            assert!(!redeem_code(&mut db, user.id, Purpose::Reset, wrong).expect("wrong"));
        }
        assert!(
            !redeem_code(&mut db, user.id, Purpose::Reset, &code).expect("worn out"),
            "the right code after five wrong ones"
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
