//! Accounts, as Lasair's: register (the account waits for the six-digit code mailed to its
//! address), activate, log in and out, the profile with the API token, and a password reset
//! by a mailed code. Sessions are HttpOnly, SameSite=Lax cookies (Secure behind HTTPS); every
//! form carries the visitor's CSRF token and a form without it is refused.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use lasair_service::accounts::{self, Purpose};
use lasair_service::users::{NewUser, User};
use minijinja::context;
use serde_json::{json, Value as Json};

use super::{answers, blocking, Answers, Page, SESSION_COOKIE};
use crate::reply::ApiError;
use crate::state::App;

/// Seconds a session cookie lives (the session's own end is kept in the database too).
const SESSION_SECONDS: u64 = (accounts::SESSION_DAYS as u64) * 86_400;

/// The shortest password taken (Django's default).
const MIN_PASSWORD: usize = 8;

/// One form of these pages: what it asks and where it goes.
struct Form {
    id: &'static str,
    title: &'static str,
    action: &'static str,
    intro: &'static str,
    /// name, label, input type, autocomplete.
    fields: &'static [(&'static str, &'static str, &'static str, &'static str)],
    submit: &'static str,
}

const LOGIN: Form = Form {
    id: "login",
    title: "Log in",
    action: "/accounts/login/",
    intro: "",
    fields: &[
        ("username", "Username", "text", "username"),
        ("password", "Password", "password", "current-password"),
    ],
    submit: "Log in",
};

const REGISTER: Form = Form {
    id: "register",
    title: "Register",
    action: "/accounts/register/",
    intro: "An account lets you save filters, watchlists and watchmaps, and gives you an API token. We mail a six-digit code to the address you give, to activate it.",
    fields: &[
        ("username", "Username (letters, digits and @ . + - _)", "text", "username"),
        ("email", "Email", "email", "email"),
        ("first_name", "First name", "text", "given-name"),
        ("last_name", "Last name", "text", "family-name"),
        ("password", "Password (at least 8 characters)", "password", "new-password"),
        ("password2", "The password again", "password", "new-password"),
    ],
    submit: "Register",
};

const ACTIVATE: Form = Form {
    id: "activate",
    title: "Activate your account",
    action: "/accounts/activate/",
    intro: "Give the six-digit code we mailed you; it works for an hour.",
    fields: &[
        ("username", "Username", "text", "username"),
        ("code", "Code", "text", "one-time-code"),
    ],
    submit: "Activate",
};

const RESET: Form = Form {
    id: "reset",
    title: "Reset your password",
    action: "/accounts/reset/",
    intro: "We mail a six-digit code to your account's address.",
    fields: &[("username", "Username", "text", "username")],
    submit: "Mail me a code",
};

const RESET_CONFIRM: Form = Form {
    id: "reset-confirm",
    title: "Choose a new password",
    action: "/accounts/reset/confirm/",
    intro: "Give the code we mailed you and your new password.",
    fields: &[
        ("username", "Username", "text", "username"),
        ("code", "Code", "text", "one-time-code"),
        (
            "password",
            "New password (at least 8 characters)",
            "password",
            "new-password",
        ),
        (
            "password2",
            "The password again",
            "password",
            "new-password",
        ),
    ],
    submit: "Set the password",
};

fn answer<'a>(a: &'a Answers, name: &str) -> &'a str {
    a.get(name).map_or("", |v| v.trim())
}

/// Shows `form`, refilled from `filled` (never a password or a code), with an error or a notice.
fn show(
    page: &Page,
    form: &Form,
    filled: &Answers,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, ApiError> {
    let fields: Vec<Json> = form
        .fields
        .iter()
        .map(|(name, label, kind, autocomplete)| {
            // Secrets are never sent back: a password, a code.
            let secret = *kind == "password" || *name == "code";
            let value = if secret { "" } else { answer(filled, name) };
            json!({"name": name, "label": label, "type": kind, "value": value, "autocomplete": autocomplete})
        })
        .collect();
    let links = match form.id {
        "login" => json!([
            {"url": "/accounts/register/", "text": "Register"},
            {"url": "/accounts/reset/", "text": "Forgot your password?"},
        ]),
        "register" => json!([{"url": "/accounts/activate/", "text": "I have a code"}]),
        "reset" => json!([{"url": "/accounts/reset/confirm/", "text": "I have a code"}]),
        _ => json!([]),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    // Where logging in goes on to (a page of this site only), carried from `?next=`.
    let next = (form.id == LOGIN.id).then(|| next_of(filled));
    let mut r = page.render(
        "form.html",
        context! {
            title => form.title, action => form.action, form_id => form.id, intro => form.intro,
            fields, submit => form.submit, links, error, notice, next,
        },
    )?;
    *r.status_mut() = status;
    Ok(r)
}

/// `GET`: an empty form (a code's form may be prefilled with the username).
macro_rules! get_form {
    ($name:ident, $form:expr) => {
        pub async fn $name(
            State(app): State<Arc<App>>,
            Query(filled): Query<Answers>,
            headers: HeaderMap,
        ) -> Response {
            blocking(app, &headers, move |page| {
                show(page, &$form, &filled, None, None)
            })
            .await
        }
    };
}

get_form!(login_page, LOGIN);
get_form!(register_page, REGISTER);
get_form!(activate_page, ACTIVATE);
get_form!(reset_page, RESET);
get_form!(reset_confirm_page, RESET_CONFIRM);

/// `POST`: the form's CSRF token checked, then `act` on its answers.
async fn posted<F>(
    app: Arc<App>,
    headers: HeaderMap,
    body: Bytes,
    form: &'static Form,
    act: F,
) -> Response
where
    F: FnOnce(&Page, &Answers) -> Result<Response, ApiError> + Send + 'static,
{
    let filled = answers(&body);
    blocking(app, &headers, move |page| {
        if !page.visitor.csrf_ok(filled.get("csrf").map(String::as_str)) {
            let mut r = show(
                page,
                form,
                &filled,
                Some("This form's security token is missing or stale: send it again.".into()),
                None,
            )?;
            *r.status_mut() = StatusCode::FORBIDDEN;
            return Ok(r);
        }
        act(page, &filled)
    })
    .await
}

/// A redirect to `to`, setting `cookie` when given.
fn redirect(to: &str, cookie: Option<String>) -> Response {
    let mut r = super::see_other(to);
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// A new session for `user`, its cookie set, then on to `next`.
fn logged_in(page: &Page, user: &User, next: &str) -> Result<Response, ApiError> {
    let token = accounts::start_session(&mut *page.app.db.get()?, user.id)?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={SESSION_SECONDS}{}",
        page.secure()
    );
    Ok(redirect(next, Some(cookie)))
}

/// Where to go after logging in: a path on this site only (never another site's address).
fn next_of(a: &Answers) -> &str {
    let next = answer(a, "next");
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if local {
        next
    } else {
        "/accounts/profile/"
    }
}

/// A password's problem, if any.
fn password_problem(a: &Answers) -> Option<String> {
    let (p, p2) = (answer(a, "password"), answer(a, "password2"));
    if p.chars().count() < MIN_PASSWORD {
        Some(format!(
            "A password has at least {MIN_PASSWORD} characters."
        ))
    } else if p != p2 {
        Some("The two passwords differ.".into())
    } else if p.eq_ignore_ascii_case(answer(a, "username")) {
        Some("A password is not the username.".into())
    } else {
        None
    }
}

/// Mails `user` a new code for `purpose`.
fn mail_code(app: &App, user: &User, purpose: Purpose) -> Result<(), ApiError> {
    let Some(mailer) = &app.mailer else {
        return Err(ApiError::error(
            "This server sends no mail (it has no --smtp): ask its staff to make your account.",
        ));
    };
    let code = accounts::issue_code(&mut *app.db.get()?, user.id, purpose)?;
    let (subject, what) = match purpose {
        Purpose::Activate => ("activate your account", "activate your account"),
        Purpose::Reset => ("reset your password", "choose a new password"),
    };
    let text = format!(
        "Hello {},\n\nYour code to {what} on Lasair is {code}. It works for an hour.\n\nIf you did not ask for it, ignore this message.\n",
        user.username
    );
    mailer
        .send(&user.email, &format!("Lasair: {subject}"), &text, None)
        .map_err(|e| ApiError::Internal(format!("mailing {}'s code: {e}", user.username)))
}

pub async fn login(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    posted(app, headers, body, &LOGIN, |page, a| {
        // Each check costs ~19 MiB and a core for tens of ms: a flood waits its turn here.
        let Ok(_turn) = page.app.logins.try_acquire() else {
            return Err(ApiError::Throttled(1));
        };
        let found = User::login(
            &mut *page.app.db.get()?,
            answer(a, "username"),
            a.get("password").map_or("", String::as_str),
        )?;
        match found {
            Some(user) => logged_in(page, &user, next_of(a)),
            None => show(
                page,
                &LOGIN,
                a,
                Some("That username and password do not match an active account.".into()),
                None,
            ),
        }
    })
    .await
}

pub async fn logout(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    posted(app, headers, body, &LOGIN, |page, _| {
        if let Some(token) = &page.visitor.session {
            accounts::end_session(&mut *page.app.db.get()?, token)?;
        }
        let gone = format!(
            "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
            page.secure()
        );
        Ok(redirect("/", Some(gone)))
    })
    .await
}

pub async fn register(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    posted(app, headers, body, &REGISTER, |page, a| {
        let email = answer(a, "email");
        let email_ok = email.len() <= 254
            && email.split('@').count() == 2
            && email.split('@').all(|p| !p.is_empty())
            && !email.contains(char::is_whitespace);
        let problem = if !email_ok {
            Some(format!("{email:?} is not an email address."))
        } else {
            password_problem(a)
        };
        if let Some(problem) = problem {
            return show(page, &REGISTER, a, Some(problem), None);
        }
        if page.app.mailer.is_none() {
            return show(page, &REGISTER, a, Some("This server sends no mail (it has no --smtp): ask its staff to make your account.".into()), None);
        }
        let new = NewUser {
            username: answer(a, "username").to_owned(),
            email: email.to_owned(),
            first_name: answer(a, "first_name").to_owned(),
            last_name: answer(a, "last_name").to_owned(),
            password: Some(a.get("password").cloned().unwrap_or_default()),
            inactive: true,
            ..NewUser::default()
        };
        let user = match User::create(&mut *page.app.db.get()?, &new) {
            Ok(user) => user,
            Err(lasair_service::ServiceError::Invalid { reason, .. }) => {
                return show(page, &REGISTER, a, Some(reason), None)
            }
            Err(e) => return Err(e.into()),
        };
        mail_code(page.app, &user, Purpose::Activate)?;
        let filled: Answers = [("username".to_owned(), user.username.clone())].into();
        show(page, &ACTIVATE, &filled, None, Some(format!("We mailed a code to {}.", user.email)))
    })
    .await
}

pub async fn activate(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    posted(app, headers, body, &ACTIVATE, |page, a| {
        let mut db = page.app.db.get()?;
        let user = User::by_name(&mut db, answer(a, "username"))?;
        let good = match &user {
            Some(u) => accounts::redeem_code(&mut db, u.id, Purpose::Activate, answer(a, "code"))?,
            None => false,
        };
        match user.filter(|_| good) {
            Some(user) => {
                accounts::activate(&mut db, user.id)?;
                drop(db);
                logged_in(
                    page,
                    &User {
                        is_active: true,
                        ..user
                    },
                    "/accounts/profile/",
                )
            }
            None => {
                drop(db);
                show(
                    page,
                    &ACTIVATE,
                    a,
                    Some("That code is wrong, used, or more than an hour old.".into()),
                    None,
                )
            }
        }
    })
    .await
}

pub async fn reset(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    posted(app, headers, body, &RESET, |page, a| {
        let user = User::by_name(&mut *page.app.db.get()?, answer(a, "username"))?;
        if let Some(user) = user.filter(|u| u.is_active && !u.email.is_empty()) {
            mail_code(page.app, &user, Purpose::Reset)?;
        }
        // The same answer whether or not the account exists: no one learns who has one.
        show(
            page,
            &RESET_CONFIRM,
            a,
            None,
            Some("If that account exists, we mailed a code to its address.".into()),
        )
    })
    .await
}

pub async fn reset_confirm(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    posted(app, headers, body, &RESET_CONFIRM, |page, a| {
        if let Some(problem) = password_problem(a) {
            return show(page, &RESET_CONFIRM, a, Some(problem), None);
        }
        let mut db = page.app.db.get()?;
        let user = User::by_name(&mut db, answer(a, "username"))?;
        let good = match &user {
            Some(u) => accounts::redeem_code(&mut db, u.id, Purpose::Reset, answer(a, "code"))?,
            None => false,
        };
        match user.filter(|_| good) {
            Some(user) => {
                User::set_password(
                    &mut db,
                    user.id,
                    a.get("password").map_or("", String::as_str),
                )?;
                drop(db);
                logged_in(page, &user, "/accounts/profile/")
            }
            None => {
                drop(db);
                show(
                    page,
                    &RESET_CONFIRM,
                    a,
                    Some("That code is wrong, used, or more than an hour old.".into()),
                    None,
                )
            }
        }
    })
    .await
}

pub async fn profile(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    blocking(app, &headers, |page| {
        let Some(user) = &page.visitor.user else {
            return Ok(redirect("/accounts/login/?next=/accounts/profile/", None));
        };
        let token = User::token(&mut *page.app.db.get()?, user.id)?;
        let profile = json!({
            "username": user.username, "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "date_joined": user.date_joined,
            "api_class": user.api_class.as_str(), "calls": user.api_class.calls_per_hour(),
            "rows": user.api_class.max_rows(),
        });
        let endpoint = format!("{}/api", page.app.public_url);
        page.render("profile.html", context! { profile, token, endpoint })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_login_only_this_sites_paths() {
        let a = |next: &str| -> Answers { [("next".to_owned(), next.to_owned())].into() };
        assert_eq!(next_of(&a("/query/?x=1")), "/query/?x=1");
        for away in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
        ] {
            assert_eq!(next_of(&a(away)), "/accounts/profile/", "{away}");
        }
    }

    #[test]
    fn passwords_are_long_the_same_twice_and_not_the_name() {
        let a = |p: &str, p2: &str| -> Answers {
            [
                ("password", p),
                ("password2", p2),
                ("username", "adalovelace"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into()
        };
        assert!(password_problem(&a("short", "short")).is_some());
        assert!(password_problem(&a("long enough", "long enougH")).is_some());
        assert!(password_problem(&a("AdaLovelace", "AdaLovelace")).is_some());
        assert_eq!(password_problem(&a("long enough", "long enough")), None);
    }
}
