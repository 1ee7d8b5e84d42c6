//! ntfy, Telegram and e-mail: the same notification as a Web Push, for phones without PWA
//! push.
//! Sent through the delivery queue's permits, retried like pushes; a refusal is logged.

use std::time::Duration;

use super::Message;
use super::deliver::Urgency;

/// Where one notification goes.
#[derive(Debug, Clone)]
pub enum Channel {
    /// `POST` the body to the topic URL, with the title, priority and link as headers.
    Ntfy { url: String },
    /// The Bot API's `sendMessage`.
    Telegram {
        api_base: String,
        token: String,
        chat_id: String,
    },
    /// A plain-text mail through the admin's SMTP server.
    Email {
        smtp: super::email::Smtp,
        to: String,
    },
}

pub enum Sent {
    Done,
    Retry,
    Refused(String),
}

/// `link_base` is the daemon's public URL, so a tap opens the project; None leaves it out.
pub async fn send(
    http: &reqwest::Client,
    channel: &Channel,
    msg: &Message,
    link_base: Option<&str>,
) -> Sent {
    let link = link_base.map(|b| format!("{}{}", b.trim_end_matches('/'), msg.field("url")));
    let request = match channel {
        Channel::Email { smtp, to } => {
            return super::email::send(smtp, to, msg, link.as_deref()).await;
        }
        Channel::Ntfy { url } => {
            let mut r = http
                .post(url)
                .header("Title", msg.field("title"))
                .header(
                    "Priority",
                    if msg.urgency == Urgency::High {
                        "high"
                    } else {
                        "default"
                    },
                )
                .header("Tags", msg.field("event"))
                .body(msg.field("body"));
            if let Some(link) = &link {
                r = r.header("Click", link);
            }
            r
        }
        Channel::Telegram {
            api_base,
            token,
            chat_id,
        } => {
            let mut body = format!("{}\n{}", msg.field("title"), msg.field("body"));
            if let Some(link) = &link {
                body.push('\n');
                body.push_str(link);
            }
            http.post(format!(
                "{}/bot{token}/sendMessage",
                api_base.trim_end_matches('/')
            ))
            .json(&serde_json::json!({"chat_id": chat_id, "text": body}))
        }
    };
    match request.timeout(Duration::from_secs(15)).send().await {
        Ok(r) if r.status().is_success() => Sent::Done,
        Ok(r) if r.status().as_u16() == 429 || r.status().is_server_error() => Sent::Retry,
        Ok(r) => Sent::Refused(format!("answered {}", r.status().as_u16())),
        Err(_) => Sent::Retry,
    }
}
