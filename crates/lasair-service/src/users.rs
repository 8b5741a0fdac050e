//! Users and their API tokens. A token is 40 hex digits from the operating system's random
//! source, as Django REST Framework makes Lasair's; the API finds its user by it.

use std::io::Read;

use lasair_db::{Db, Select, Value};

use crate::record::{Cells, Record};
use crate::ServiceError;

/// A user of the web site and the API.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub is_staff: bool,
    pub is_active: bool,
    pub date_joined: String,
}

/// A user to add.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub is_staff: bool,
}

impl Record for User {
    const TABLE: &'static str = "users";
    const KEY: &'static str = "id";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "username",
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "is_active",
        "date_joined",
    ];

    fn from_row(row: &[Value]) -> Option<User> {
        let c = Cells(row);
        Some(User {
            id: c.int(0)?,
            username: c.text(1),
            email: c.text(2),
            first_name: c.text(3),
            last_name: c.text(4),
            is_staff: c.flag(5),
            is_active: c.flag(6),
            date_joined: c.text(7),
        })
    }

    fn fields(&self) -> Vec<Value> {
        vec![
            self.id.into(),
            self.username.as_str().into(),
            self.email.as_str().into(),
            self.first_name.as_str().into(),
            self.last_name.as_str().into(),
            i64::from(self.is_staff).into(),
            i64::from(self.is_active).into(),
            self.date_joined.as_str().into(),
        ]
    }
}

impl User {
    /// Adds an active user; a username already taken is refused.
    pub fn create(db: &mut Db, new: &NewUser) -> Result<User, ServiceError> {
        let what = format!("user {:?}", new.username);
        let plain = |c: char| c.is_ascii_alphanumeric() || "@.+-_".contains(c);
        if new.username.is_empty() || new.username.len() > 150 || !new.username.chars().all(plain) {
            return Err(ServiceError::invalid(
                what,
                "a username is 1 to 150 letters, digits and @ . + - _",
            ));
        }
        if User::by_name(db, &new.username)?.is_some() {
            return Err(ServiceError::invalid(what, "that username is taken"));
        }
        let user = User {
            id: 0,
            username: new.username.clone(),
            email: new.email.clone(),
            first_name: new.first_name.clone(),
            last_name: new.last_name.clone(),
            is_staff: new.is_staff,
            is_active: true,
            date_joined: crate::now(),
        };
        let id = db.insert(Self::TABLE, &Self::COLUMNS[1..], &user.fields()[1..])?;
        Ok(User { id, ..user })
    }

    /// The user called `username`.
    pub fn by_name(db: &mut Db, username: &str) -> Result<Option<User>, ServiceError> {
        Ok(User::list_where(db, "username", username.into())?
            .into_iter()
            .next())
    }

    /// The active user whose API token is `token`.
    pub fn by_token(db: &mut Db, token: &str) -> Result<Option<User>, ServiceError> {
        if token.len() != TOKEN_HEX || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let select = Select::from("tokens")
            .columns(&["user_id"])
            .eq("token", token);
        let Some(user_id) = db.select(&select)?.rows.first().and_then(|r| r[0].as_i64()) else {
            return Ok(None);
        };
        match User::get(db, user_id) {
            Ok(user) if user.is_active => Ok(Some(user)),
            Ok(_) | Err(ServiceError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The user's API token, made on first asking.
    pub fn token(db: &mut Db, user_id: i64) -> Result<String, ServiceError> {
        User::get(db, user_id)?;
        let select = Select::from("tokens")
            .columns(&["token"])
            .eq("user_id", user_id)
            .order_by("created")
            .limit(1);
        if let Some(t) = db.select(&select)?.rows.first().and_then(|r| r[0].as_str()) {
            return Ok(t.to_owned());
        }
        let token = new_token()?;
        let row = vec![token.as_str().into(), user_id.into(), crate::now().into()];
        db.upsert("tokens", &["token", "user_id", "created"], &[row])?;
        Ok(token)
    }
}

/// Hex digits in a token.
const TOKEN_HEX: usize = 40;

fn new_token() -> Result<String, ServiceError> {
    let mut bytes = [0u8; TOKEN_HEX / 2];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| ServiceError::invalid("a new API token", format!("no random source: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_found_by_name_and_by_token() {
        let mut db = Db::open("sqlite::memory:").expect("db");
        let new = NewUser {
            username: "ada".into(),
            email: "ada@example.org".into(),
            ..NewUser::default()
        };
        let ada = User::create(&mut db, &new).expect("created");
        assert!(User::create(&mut db, &new).is_err(), "taken");
        let bad = NewUser {
            username: "a b'".into(),
            ..NewUser::default()
        };
        assert!(User::create(&mut db, &bad).is_err());
        assert_eq!(
            User::by_name(&mut db, "ada").expect("read"),
            Some(ada.clone())
        );
        let token = User::token(&mut db, ada.id).expect("token");
        assert_eq!(token.len(), 40);
        assert_eq!(
            User::token(&mut db, ada.id).expect("again"),
            token,
            "the same token"
        );
        assert_eq!(User::by_token(&mut db, &token).expect("read"), Some(ada));
        assert_eq!(
            User::by_token(&mut db, &"0".repeat(40)).expect("read"),
            None
        );
        assert_eq!(User::by_token(&mut db, "' OR 1=1 --").expect("read"), None);
        assert!(User::token(&mut db, 999).is_err());
    }
}
