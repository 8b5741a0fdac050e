//! Expiry, as Lasair's: an active filter, watchlist or watchmap stops 180 days after it was
//! last saved, unless its owner saves it again; the owner is warned 28 days before and told
//! when it stops. Each notice is recorded once mailed (table `notices`), so none goes twice
//! however often the job runs; a notice is recorded only after it is mailed, so a run cut short
//! mails it again rather than never. What the services own (user [`SERVICES`]) never expires.

use lasair_alert::time::{mjd_of_utc, utc_string};
use lasair_db::{Db, Select, Value};

use crate::users::User;
use crate::{Record, ServiceError};

/// Lasair's lifetime of an active resource after its last save, days.
pub const ACTIVE_DAYS: f64 = 180.0;
/// Lasair's warning ahead of expiry, days.
pub const WARN_DAYS: f64 = 28.0;

/// When a resource saved at `saved` (UTC, `YYYY-MM-DD HH:MM:SS`) stops unless saved again:
/// [`ACTIVE_DAYS`] later. `None` for a date that cannot be read.
pub fn expires(saved: &str) -> Option<String> {
    mjd_of_utc(saved).map(|mjd| utc_string(mjd + ACTIVE_DAYS))
}

/// The owner of what the services keep for everyone, such as TNS's watchlist.
pub const SERVICES: i64 = 0;

/// A kind of resource that expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Filter,
    Watchlist,
    Watchmap,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Filter, Kind::Watchlist, Kind::Watchmap];

    fn table(self) -> &'static str {
        match self {
            Kind::Filter => "filters",
            Kind::Watchlist => "watchlists",
            Kind::Watchmap => "watchmaps",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Kind::Filter => "mq_id",
            Kind::Watchlist => "wl_id",
            Kind::Watchmap => "ar_id",
        }
    }

    /// Its pages' path on the web site, as Lasair's links: `filters`, `watchlists`, ...
    pub fn path(self) -> &'static str {
        self.table()
    }
}

/// What a notice says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Said {
    /// It will stop at `expires` unless saved.
    Warning,
    /// It stopped (is no longer active).
    Expired,
}

/// A notice due to the owner of a resource.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Notice {
    pub kind: Kind,
    pub id: i64,
    pub name: String,
    pub user_id: i64,
    /// The owner's address, if the owner has one.
    pub email: Option<String>,
    /// When it expires or expired, UTC.
    pub expires: String,
    pub said: Said,
}

impl Notice {
    /// Its key in `notices`: one per resource, kind of notice and expiry date (saving the
    /// resource again moves the date, and so allows a new warning).
    pub fn key(&self) -> String {
        let said = match self.said {
            Said::Warning => "warning",
            Said::Expired => "expired",
        };
        format!("{}/{}/{said}/{}", self.kind.table(), self.id, self.expires)
    }
}

/// The notices due at `now` (MJD) and not yet sent: resources active for `active_days`
/// since their last save (or creation) have expired; those within `warn_days` of it are warned.
pub fn due(
    db: &mut Db,
    now: f64,
    active_days: f64,
    warn_days: f64,
) -> Result<Vec<Notice>, ServiceError> {
    let mut notices = Vec::new();
    for kind in Kind::ALL {
        let columns = [
            kind.key(),
            "user_id",
            "name",
            "date_modified",
            "date_created",
        ];
        let select = Select::from(kind.table())
            .columns(&columns)
            .gt("active", 0)
            .order_by(kind.key());
        for row in db.select(&select)?.rows {
            let Some(id) = row[0].as_i64() else { continue };
            // What the services keep for everyone (user 0: TNS's watchlist) never expires.
            if row[1].as_i64().unwrap_or(0) == SERVICES {
                continue;
            }
            let saved = [&row[3], &row[4]]
                .into_iter()
                .find_map(|v| v.as_str().and_then(mjd_of_utc));
            // A row with no date (made by hand) counts as saved now: it is not expired at once.
            let Some(saved) = saved else { continue };
            let expires = saved + active_days;
            let said = if expires <= now {
                Said::Expired
            } else if expires - now <= warn_days {
                Said::Warning
            } else {
                continue;
            };
            notices.push(Notice {
                kind,
                id,
                name: row[2].as_str().unwrap_or_default().to_owned(),
                user_id: row[1].as_i64().unwrap_or(0),
                email: None,
                expires: utc_string(expires),
                said,
            });
        }
    }
    let mut unsent = Vec::new();
    for mut n in notices {
        let sent = Select::from("notices").count().eq("notice", n.key());
        let seen = db.select(&sent)?.rows.first().and_then(|r| r[0].as_i64());
        if seen.unwrap_or(0) > 0 {
            if n.said == Said::Expired {
                // Mailed by a run cut short before it was stopped: stop it now, mail no more.
                stop(db, &n)?;
            }
            continue;
        }
        n.email = User::get(db, n.user_id)
            .ok()
            .map(|u| u.email)
            .filter(|e| !e.is_empty());
        unsent.push(n);
    }
    Ok(unsent)
}

/// Records `notice` as sent and, for an expiry, stops the resource (active 0). Call it after
/// the mail has gone.
pub fn done(db: &mut Db, notice: &Notice) -> Result<(), ServiceError> {
    let row = vec![Value::from(notice.key()), crate::now().into()];
    db.upsert("notices", &["notice", "sent"], &[row])?;
    if notice.said == Said::Expired {
        stop(db, notice)?;
    }
    Ok(())
}

fn stop(db: &mut Db, notice: &Notice) -> Result<(), ServiceError> {
    // Not through set_active: stopping is not a save, and must not move date_modified.
    let (table, key) = (notice.kind.table(), notice.kind.key());
    db.update_where(table, &[("active", Value::Int(0))], key, &notice.id.into())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{Delivery, Filter, NewFilter};

    fn filter_saved(db: &mut Db, name: &str, saved: &str) -> i64 {
        let new = NewFilter::new(1, name, "objects.objectId", "objects", "objects.gmag < 17");
        let f = Filter::create(db, &new, Some(Delivery::Kafka)).expect("filter");
        db.update_where(
            "filters",
            &[("date_modified", saved.into())],
            "mq_id",
            &f.id.into(),
        )
        .expect("dated");
        f.id
    }

    #[test]
    fn warned_once_then_expired_once_and_stopped() {
        let mut db = Db::open("sqlite::memory:").expect("db");
        let now = mjd_of_utc("2026-12-06 12:00:00").expect("now");
        let old = filter_saved(&mut db, "old", "2026-06-01 12:00:00"); // 188 days
        let soon = filter_saved(&mut db, "soon", "2026-06-20 12:00:00"); // 169 days
        let fresh = filter_saved(&mut db, "fresh", "2026-11-01 12:00:00");
        let due1 = due(&mut db, now, ACTIVE_DAYS, WARN_DAYS).expect("due");
        let got: Vec<(i64, Said)> = due1.iter().map(|n| (n.id, n.said)).collect();
        assert_eq!(got, [(old, Said::Expired), (soon, Said::Warning)]);
        assert_eq!(due1[1].expires, "2026-12-17 12:00:00");
        for n in &due1 {
            done(&mut db, n).expect("done");
        }
        assert!(due(&mut db, now, ACTIVE_DAYS, WARN_DAYS)
            .expect("again")
            .is_empty());
        assert_eq!(Filter::get(&mut db, old).expect("old").delivery, None);
        assert!(Filter::get(&mut db, soon).expect("soon").delivery.is_some());
        assert!(Filter::get(&mut db, fresh)
            .expect("fresh")
            .delivery
            .is_some());
        // Eleven days on, the warned one expires: a notice of its own.
        let later = due(&mut db, now + 11.0, ACTIVE_DAYS, WARN_DAYS).expect("later");
        let got: Vec<(i64, Said)> = later.iter().map(|n| (n.id, n.said)).collect();
        assert_eq!(got, [(soon, Said::Expired)]);
    }

    #[test]
    fn what_the_services_keep_never_expires() {
        let mut db = Db::open("sqlite::memory:").expect("db");
        let entries = crate::tns::read_csv(
            "\"2026-02-10\"\n\"name\",\"name_prefix\",\"ra\",\"declination\"\n\"2026cqa\",\"AT\",\"38.87\",\"23.96\"\n"
                .as_bytes(),
            "t.csv",
        )
        .expect("tns");
        crate::tns::sync(&mut db, &entries, 3.0).expect("tns watchlist");
        let years_on = lasair_alert::time::mjd_now() + 1000.0;
        assert!(due(&mut db, years_on, ACTIVE_DAYS, WARN_DAYS)
            .expect("due")
            .is_empty());
    }

    #[test]
    fn an_expiry_mailed_but_not_stopped_is_stopped_without_a_second_mail() {
        let mut db = Db::open("sqlite::memory:").expect("db");
        let now = mjd_of_utc("2026-12-06 12:00:00").expect("now");
        let id = filter_saved(&mut db, "old", "2026-01-01 00:00:00");
        let n = due(&mut db, now, ACTIVE_DAYS, WARN_DAYS)
            .expect("due")
            .remove(0);
        // The mail went and was recorded, then the run stopped before the filter did.
        let row = vec![Value::from(n.key()), "2026-12-06 12:00:01".into()];
        db.upsert("notices", &["notice", "sent"], &[row])
            .expect("recorded");
        assert!(due(&mut db, now, ACTIVE_DAYS, WARN_DAYS)
            .expect("due")
            .is_empty());
        assert_eq!(Filter::get(&mut db, id).expect("filter").delivery, None);
    }
}
