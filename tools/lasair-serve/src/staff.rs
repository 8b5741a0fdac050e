//! Staff commands: users (with their API token printed on stdout, for a shell or Ansible to
//! hand on) and annotators.

use std::io::{BufRead, Write};

use anyhow::{bail, Context};
use lasair_cli::Outcome;
use lasair_service::annotations::Annotator;
use lasair_service::users::{ApiClass, NewUser, User};

use crate::args::{AnnotatorCommand, Args, Command, UserCommand};

pub fn run(args: &Args, command: &Command, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let url = args
        .db
        .as_deref()
        .context("--db is required (the main database)")?;
    let mut db = lasair_service::open(url, args.survey, false)?;
    match command {
        Command::User {
            cmd:
                UserCommand::Add {
                    name,
                    email,
                    first_name,
                    last_name,
                    password_stdin,
                    power,
                    demo,
                    staff,
                },
        } => {
            let password = if *password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                let line = line.trim_end_matches(['\r', '\n']).to_owned();
                if line.is_empty() {
                    bail!("--password-stdin: standard input held no password");
                }
                Some(line)
            } else {
                None
            };
            let api_class = match (power, demo) {
                (true, _) => ApiClass::Power,
                (_, true) => ApiClass::Demo,
                _ => ApiClass::User,
            };
            let new = NewUser {
                username: name.clone(),
                email: email.clone(),
                first_name: first_name.clone(),
                last_name: last_name.clone(),
                is_staff: *staff,
                api_class,
                password,
                inactive: false,
            };
            let user = User::create(&mut db, &new)?;
            writeln!(out, "{}", User::token(&mut db, user.id)?)?;
        }
        Command::User {
            cmd: UserCommand::Token { name },
        } => {
            let user = User::by_name(&mut db, name)?
                .with_context(|| format!("no user called {name:?}"))?;
            writeln!(out, "{}", User::token(&mut db, user.id)?)?;
        }
        Command::User {
            cmd: UserCommand::Show { name },
        } => {
            let user = User::by_name(&mut db, name)?
                .with_context(|| format!("no user called {name:?}"))?;
            let shown = serde_json::json!({
                "id": user.id,
                "username": user.username,
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "api_class": user.api_class.as_str(),
                "is_active": user.is_active,
            });
            writeln!(out, "{shown}")?;
        }
        Command::Annotator {
            cmd:
                AnnotatorCommand::Add {
                    topic,
                    user,
                    description,
                    public,
                },
        } => {
            let owner = User::by_name(&mut db, user)?
                .with_context(|| format!("no user called {user:?}"))?;
            Annotator::register(&mut db, topic, owner.id, description, *public)?;
            writeln!(out, "annotator {topic} registered for {user}, active")?;
        }
    }
    Ok(Outcome::Ok)
}
