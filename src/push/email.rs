//! E-mail over SMTP (lettre): the same notification as a Web Push, for members who gave their
//! address, through the one server the admin set up. TLS is native-tls, already in the tree for
//! reqwest; plain SMTP is only ever used towards a loopback server (a local relay or a test).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message as Mail};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::Message;
use super::channels::Sent;

/// How the connection to the server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (usually port 465).
    Tls,
    /// Plain, then STARTTLS before anything else is sent (usually port 587).
    StartTls,
    /// No TLS at all: loopback servers only (checked when the admin saves it).
    None,
}

impl Security {
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "tls" => Some(Self::Tls),
            "starttls" => Some(Self::StartTls),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// The admin's server, with the password opened.
#[derive(Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: Option<String>,
    /// The From mailbox.
    pub sender: String,
}

impl std::fmt::Debug for Smtp {
    // The password never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The notification as a plain-text mail to `to`.
fn compose(smtp: &Smtp, to: &str, msg: &Message, link: Option<&str>) -> Result<Mail, String> {
    let from: Mailbox = smtp
        .sender
        .parse()
        .map_err(|_| "the sender address is not valid".to_owned())?;
    let to: Mailbox = to
        .parse()
        .map_err(|_| "the member's address is not valid".to_owned())?;
    let mut body = msg.field("body");
    if let Some(link) = link {
        body.push_str("\n\nOpen it: ");
        body.push_str(link);
    }
    body.push_str("\n\n-- \nAutoCode. Change which e-mails you get in Settings.\n");
    Mail::builder()
        .from(from)
        .to(to)
        .subject(msg.field("title"))
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| format!("the e-mail could not be built: {e}"))
}

pub async fn send(smtp: &Smtp, to: &str, msg: &Message, link: Option<&str>) -> Sent {
    let mail = match compose(smtp, to, msg, link) {
        Ok(mail) => mail,
        Err(why) => return Sent::Refused(why),
    };
    let builder = match smtp.security {
        Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host),
        Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host),
        Security::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            &smtp.host,
        )),
    };
    let mut builder = match builder {
        Ok(b) => b.port(smtp.port).timeout(Some(Duration::from_secs(15))),
        Err(e) => return Sent::Refused(format!("the SMTP server cannot be used: {e}")),
    };
    if !smtp.username.is_empty() {
        builder = builder.credentials(Credentials::new(
            smtp.username.clone(),
            smtp.password.clone().unwrap_or_default(),
        ));
    }
    match builder.build().send(mail).await {
        Ok(_) => Sent::Done,
        Err(e) if e.is_permanent() => Sent::Refused(format!("the SMTP server refused it: {e}")),
        Err(e) => {
            tracing::debug!(error = %e, "SMTP send failed; will retry");
            Sent::Retry
        }
    }
}
