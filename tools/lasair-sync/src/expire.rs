//! `lasair-sync expire`: lasair-service's expiry notices mailed (or, with no SMTP server,
//! printed on stderr) and then recorded, the expired resources stopped.

use lasair_db::Db;
use lasair_mail::Mailer;
use lasair_service::expiry::{self, Notice, Said};

use crate::{Args, TOOL};

#[derive(Debug, Clone, clap::Args)]
pub struct ExpireArgs {
    /// Days an active resource lasts after its last save [default: Lasair's 180].
    #[arg(long)]
    pub days: Option<f64>,

    /// Days ahead of expiry the owner is warned [default: Lasair's 28].
    #[arg(long)]
    pub warn_days: Option<f64>,

    /// List the notices due, send and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: &Args, expire: &ExpireArgs, db: &mut Db) -> anyhow::Result<serde_json::Value> {
    let days = expire.days.unwrap_or(expiry::ACTIVE_DAYS);
    let warn = expire.warn_days.unwrap_or(expiry::WARN_DAYS);
    if !(days > 0.0 && warn >= 0.0 && warn < days) {
        anyhow::bail!("--days must be above 0 and --warn-days from 0 to below it");
    }
    let mailer = args
        .smtp
        .as_deref()
        .map(|smtp| Mailer::new(smtp, args.mail_from.as_deref(), args.lasair_url.as_deref()))
        .transpose()?;
    let due = expiry::due(db, lasair_alert::time::mjd_now(), days, warn)?;
    let (mut warned, mut expired, mut mailed) = (0, 0, 0);
    for notice in &due {
        if expire.dry_run {
            continue;
        }
        let (subject, text) = message(notice, mailer.as_ref(), days);
        match (&mailer, &notice.email) {
            (Some(m), Some(to)) => {
                m.send(to, &subject, &text, None)?;
                mailed += 1;
            }
            (Some(_), None) => eprintln!(
                "{TOOL}: {} {} ({:?}): its owner (user {}) has no email address",
                notice.kind.path(),
                notice.id,
                notice.name,
                notice.user_id
            ),
            (None, _) => eprintln!("{TOOL}: no --smtp, not mailed: {subject}"),
        }
        expiry::done(db, notice)?;
        match notice.said {
            Said::Warning => warned += 1,
            Said::Expired => expired += 1,
        }
    }
    Ok(serde_json::json!({
        "job": "expire",
        "due": due,
        "warned": warned,
        "expired": expired,
        "mailed": mailed,
        "dry_run": expire.dry_run,
    }))
}

/// The subject and text of a notice, as Lasair words them: the link asks the owner to save it.
fn message(notice: &Notice, mailer: Option<&Mailer>, days: f64) -> (String, String) {
    let base = mailer.map_or("https://lasair.example.org", |m| m.lasair_url.as_str());
    let link = format!(
        "{}/{}/{}/",
        base.trim_end_matches('/'),
        notice.kind.path(),
        notice.id
    );
    let what = format!("{:?}", notice.kind).to_lowercase();
    match notice.said {
        Said::Warning => (
            format!("Lasair: your {what} \"{}\" expires on {}", notice.name, &notice.expires[..10]),
            format!(
                "Your Lasair {what} \"{}\" stops running on {} UTC.\n\nTo keep it active for another {days:.0} days, open it and save it again:\n{link}\n",
                notice.name, notice.expires
            ),
        ),
        Said::Expired => (
            format!("Lasair: your {what} \"{}\" has expired", notice.name),
            format!(
                "Your Lasair {what} \"{}\" was last saved more than {days:.0} days ago and is no longer active.\n\nTo make it active again for {days:.0} days, open it and save it:\n{link}\n",
                notice.name
            ),
        ),
    }
}
