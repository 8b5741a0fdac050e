//! Lasair's email: a plain SMTP mailer to the site's relay (`Mailer`), and the digests of
//! users' email filters (`digest`), whose state lives in files the filter nodes share. The
//! filter sends digests now; the sync jobs' expiry notices and the web server's account mails
//! go through the same mailer.

pub mod digest;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{SmtpTransport, Transport};

pub use digest::{Digests, Recipient};

/// What went wrong, and where.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// `--smtp` is not `HOST:PORT`.
    #[error("SMTP server {0:?} is not HOST:PORT")]
    Server(String),
    /// An address that does not parse (`sender`, `recipient`).
    #[error("{role} address {address:?}: {cause}")]
    Address {
        role: &'static str,
        address: String,
        cause: String,
    },
    /// The message could not be built or sent.
    #[error("SMTP {server}: {cause}")]
    Smtp { server: String, cause: String },
    /// A digest state file could not be read or written.
    #[error("digest {path}: {cause}")]
    State { path: String, cause: String },
}

/// The SMTP side: where mail goes and what links in it point at.
#[derive(Debug, Clone)]
pub struct Mailer {
    pub host: String,
    pub port: u16,
    /// The sender.
    pub from: String,
    /// The web address object links point at.
    pub lasair_url: String,
}

impl Mailer {
    /// A mailer through `server` (`HOST:PORT`); `from` and `lasair_url` default to
    /// `lasair@localhost` and `https://lasair.example.org`.
    pub fn new(
        server: &str,
        from: Option<&str>,
        lasair_url: Option<&str>,
    ) -> Result<Mailer, MailError> {
        let (host, port) = server
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.to_owned(), p.parse().ok()?)))
            .filter(|(h, _)| !h.is_empty())
            .ok_or_else(|| MailError::Server(server.to_owned()))?;
        Ok(Mailer {
            host,
            port,
            from: from.unwrap_or("lasair@localhost").to_owned(),
            lasair_url: lasair_url
                .unwrap_or("https://lasair.example.org")
                .to_owned(),
        })
    }

    /// The page of object `id`.
    pub fn object_link(&self, id: &str) -> String {
        format!("{}/objects/{id}/", self.lasair_url.trim_end_matches('/'))
    }

    /// Sends one email to `to`: plain text, with an HTML alternative when given.
    pub fn send(
        &self,
        to: &str,
        subject: &str,
        text: &str,
        html: Option<&str>,
    ) -> Result<(), MailError> {
        let address = |role: &'static str, a: &str| {
            a.parse::<Mailbox>().map_err(|e| MailError::Address {
                role,
                address: a.to_owned(),
                cause: e.to_string(),
            })
        };
        let smtp = |e: &dyn std::fmt::Display| MailError::Smtp {
            server: format!("{}:{}", self.host, self.port),
            cause: e.to_string(),
        };
        let builder = lettre::Message::builder()
            .from(address("sender", &self.from)?)
            .to(address("recipient", to)?)
            .subject(subject);
        let message = match html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                text.to_owned(),
                html.to_owned(),
            )),
            None => builder.singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(text.to_owned()),
            ),
        }
        .map_err(|e| smtp(&e))?;
        let transport = SmtpTransport::builder_dangerous(&self.host)
            .port(self.port)
            .build();
        transport.send(&message).map_err(|e| smtp(&e))?;
        Ok(())
    }
}

/// `s` safe inside HTML text and attribute values.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_host_and_port() {
        let m = Mailer::new("mail.example.org:2525", None, Some("https://l.org/")).unwrap();
        assert_eq!((m.host.as_str(), m.port), ("mail.example.org", 2525));
        assert_eq!(m.object_link("ZTF1"), "https://l.org/objects/ZTF1/");
        for bad in ["mail", ":25", "mail:x", "mail:99999"] {
            assert!(Mailer::new(bad, None, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_addresses_are_named() {
        let m = Mailer::new("127.0.0.1:1", Some("not an address"), None).unwrap();
        let err = m.send("ada@example.org", "s", "t", None).unwrap_err();
        assert!(
            err.to_string()
                .contains("sender address \"not an address\""),
            "{err}"
        );
    }
}
