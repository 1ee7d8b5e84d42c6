//! The rule for a server a member names and the daemon then talks to (a git remote, a push
//! service, an ntfy topic, an SMTP server): https, or plain http only to a loopback address
//! (a local test server), so a member's setting cannot make the daemon speak unencrypted or
//! reach into the private network in the clear.

/// The longest URL taken.
pub const MAX_LEN: usize = 2048;

/// Parses `text` as an `https://` URL with a host, or `http://` to a loopback address; the
/// error says what is wrong, in words for the member.
pub fn parse(text: &str) -> Result<reqwest::Url, &'static str> {
    if text.len() > MAX_LEN {
        return Err("must be at most 2048 characters");
    }
    let url = reqwest::Url::parse(text).map_err(|_| "must be an https:// URL")?;
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err("must be an https:// URL"),
    }
}

/// Whether `url`'s host is a loopback address.
pub fn is_loopback(url: &reqwest::Url) -> bool {
    url.host_str().is_some_and(is_loopback_host)
}

/// Whether `host` (a name, an IP address, or an IPv6 address in brackets) is a loopback
/// address. Names are not resolved: `localhost` could be anything in `/etc/hosts`.
pub fn is_loopback_host(host: &str) -> bool {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        assert!(parse("https://push.example.org/x").is_ok());
        assert!(parse("http://127.0.0.1:9/x").is_ok());
        assert!(parse("http://[::1]:9/x").is_ok());
        assert!(parse("http://10.0.0.1/x").is_err());
        assert!(parse("http://localhost/x").is_err());
        assert!(parse("file:///etc/passwd").is_err());
        assert!(parse(&format!("https://a.example/{}", "x".repeat(MAX_LEN))).is_err());
        assert!(is_loopback_host("127.0.0.1") && is_loopback_host("[::1]"));
        assert!(!is_loopback_host("smtp.example.org"));
    }
}
