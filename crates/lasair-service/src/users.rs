//! Users, their passwords and their API tokens. A token is 40 hex digits from the operating
//! system's random source, as Django REST Framework makes Lasair's; the API finds its user by
//! it. Passwords are kept as argon2id hashes (PHC strings), never as given. A user's API class
//! (demo, user, power) sets how many rows and calls the API gives them.

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use lasair_db::{Db, Select, Value};

use crate::record::{Cells, Record};
use crate::ServiceError;

/// What the API allows a user: Lasair's public demo account (`dummy`), an ordinary user, or
/// a member of its `powerapi` group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ApiClass {
    Demo,
    #[default]
    User,
    Power,
}

impl ApiClass {
    pub const ALL: [ApiClass; 3] = [ApiClass::Demo, ApiClass::User, ApiClass::Power];

    pub fn as_str(self) -> &'static str {
        match self {
            ApiClass::Demo => "demo",
            ApiClass::User => "user",
            ApiClass::Power => "power",
        }
    }

    /// The most rows one query returns, as Lasair's API caps them.
    pub fn max_rows(self) -> u64 {
        match self {
            ApiClass::Demo => 1_000,
            ApiClass::User => 10_000,
            ApiClass::Power => 1_000_000,
        }
    }

    /// API calls allowed per hour, as Lasair's throttle allows them.
    pub fn calls_per_hour(self) -> u32 {
        match self {
            ApiClass::Demo => 10,
            ApiClass::User => 100,
            ApiClass::Power => 10_000,
        }
    }
}

impl fmt::Display for ApiClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An API class name that is not one.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown API class {0:?} (expected demo, user or power)")]
pub struct UnknownClass(pub String);

impl FromStr for ApiClass {
    type Err = UnknownClass;
    fn from_str(s: &str) -> Result<ApiClass, UnknownClass> {
        ApiClass::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownClass(s.to_owned()))
    }
}

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
    pub api_class: ApiClass,
}

/// A user to add.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub is_staff: bool,
    pub api_class: ApiClass,
    /// Their password, hashed before it is stored; `None`: they cannot log in by password
    /// (staff set one later), only use the API token.
    pub password: Option<String>,
    /// Made inactive, until the code mailed to them comes back (a registration on the web).
    pub inactive: bool,
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
        "api_class",
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
            // NULL in rows made before the column: ordinary users.
            api_class: c.text(8).parse().unwrap_or_default(),
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
            self.api_class.as_str().into(),
        ]
    }
}

impl User {
    /// Adds a user, active unless `new.inactive`; a username already taken is refused.
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
            is_active: !new.inactive,
            date_joined: crate::now(),
            api_class: new.api_class,
        };
        let id = db.insert(Self::TABLE, &Self::COLUMNS[1..], &user.fields()[1..])?;
        if let Some(password) = &new.password {
            User::set_password(db, id, password)?;
        }
        Ok(User { id, ..user })
    }

    /// Sets user `id`'s password (stored as an argon2id hash).
    pub fn set_password(db: &mut Db, id: i64, password: &str) -> Result<(), ServiceError> {
        if password.is_empty() || password.len() > 4096 {
            return Err(ServiceError::invalid(
                format!("the password of user {id}"),
                "a password is 1 to 4096 bytes",
            ));
        }
        let salt = SaltString::encode_b64(&random_bytes::<16>()?)
            .map_err(|e| ServiceError::invalid("a password salt", e.to_string()))?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| ServiceError::invalid("hashing a password", e.to_string()))?
            .to_string();
        User::update(db, id, &[("password", Value::from(hash.as_str()))])
    }

    /// The active user `username` when `password` is theirs; `None` for a wrong password,
    /// an unknown or inactive user, or one without a password.
    pub fn login(
        db: &mut Db,
        username: &str,
        password: &str,
    ) -> Result<Option<User>, ServiceError> {
        let Some(user) = User::by_name(db, username)? else {
            return Ok(None);
        };
        let select = Select::from(Self::TABLE)
            .columns(&["password"])
            .eq(Self::KEY, user.id);
        let rows = db.select(&select)?;
        let stored = rows.rows.first().and_then(|r| r[0].as_str()).unwrap_or("");
        let Ok(hash) = PasswordHash::new(stored) else {
            return Ok(None);
        };
        let good = Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok();
        Ok((good && user.is_active).then_some(user))
    }

    /// Sets user `id`'s API class.
    pub fn set_class(db: &mut Db, id: i64, class: ApiClass) -> Result<(), ServiceError> {
        User::update(db, id, &[("api_class", Value::from(class.as_str()))])
    }

    /// The user called `username`.
    pub fn by_name(db: &mut Db, username: &str) -> Result<Option<User>, ServiceError> {
        Ok(User::list_where(db, "username", username.into())?
            .into_iter()
            .next())
    }

    /// The active user whose API token is `token`.
    pub fn by_token(db: &mut Db, token: &str) -> Result<Option<User>, ServiceError> {
        if !looks_like_token(token) {
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

/// Whether `token` has the form of one of ours (40 hex digits), before any database read.
pub(crate) fn looks_like_token(token: &str) -> bool {
    token.len() == TOKEN_HEX && token.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(crate) fn new_token() -> Result<String, ServiceError> {
    let bytes = random_bytes::<{ TOKEN_HEX / 2 }>()?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `N` bytes from the operating system's random source.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], ServiceError> {
    let mut bytes = [0u8; N];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| ServiceError::invalid("random bytes", format!("no random source: {e}")))?;
    Ok(bytes)
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

    #[test]
    fn passwords_are_hashed_and_checked() {
        let mut db = Db::open("sqlite::memory:").expect("db");
        let new = NewUser {
            username: "grace".into(),
            password: Some("correct horse".into()),
            api_class: ApiClass::Power,
            ..NewUser::default()
        };
        let grace = User::create(&mut db, &new).expect("created");
        assert_eq!(grace.api_class, ApiClass::Power);
        let stored = db
            .select(&Select::from("users").columns(&["password"]))
            .expect("read");
        let stored = stored.rows[0][0].as_str().expect("text").to_owned();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!stored.contains("correct horse"));
        let login = |db: &mut Db, u: &str, p: &str| User::login(db, u, p).expect("read");
        assert_eq!(
            login(&mut db, "grace", "correct horse"),
            Some(grace.clone())
        );
        assert_eq!(login(&mut db, "grace", "correct horsE"), None);
        assert_eq!(login(&mut db, "nobody", "correct horse"), None);
        let plain = NewUser {
            username: "nopass".into(),
            ..NewUser::default()
        };
        User::create(&mut db, &plain).expect("created");
        assert_eq!(login(&mut db, "nopass", ""), None);
        User::set_class(&mut db, grace.id, ApiClass::Demo).expect("set");
        assert_eq!(
            User::get(&mut db, grace.id).expect("read").api_class,
            ApiClass::Demo
        );
        assert_eq!("POWER".parse::<ApiClass>().ok(), Some(ApiClass::Power));
        assert!("root".parse::<ApiClass>().is_err());
    }
}
