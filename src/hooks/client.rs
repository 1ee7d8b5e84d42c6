//! The HTTP client of `autocode hook`: one POST to the daemon's loopback hook listener,
//! over a plain socket. Claude Code waits for its hooks (a turn's end, a prompt's submit),
//! so every millisecond of this process is a millisecond of the step-to-step latency: no
//! runtime, no connection pool, just HTTP/1.1 with `Connection: close`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Posts `body` (JSON) to `url` (`http://127.0.0.1:PORT/path`, as the daemon hands out)
/// with the session's secret; returns the status and the response body.
pub fn post(
    url: &str,
    secret: &str,
    body: &[u8],
    timeout: Duration,
) -> Result<(u16, Vec<u8>), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("the hook URL must be http://: {url}"))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addr: SocketAddr = authority
        .parse()
        .map_err(|_| format!("the hook URL must name an IP address and port: {url}"))?;
    let path = if path.is_empty() { "/" } else { path };
    if secret.contains(['\r', '\n']) {
        return Err("the hook secret holds a line break".into());
    }
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n{}: {secret}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        super::SECRET_HEADER,
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body))
        .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    stream
        .take(super::MAX_BODY_BYTES as u64)
        .read_to_end(&mut response)
        .map_err(|e| e.to_string())?;
    parse_response(&response)
}

/// The status and body of an HTTP/1.1 response read to its end (`Connection: close`).
fn parse_response(response: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the daemon's answer has no header end")?;
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("the daemon's answer has no status")?;
    let body = &response[split + 4..];
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    Ok((
        status,
        if chunked {
            dechunk(body)?
        } else {
            body.to_vec()
        },
    ))
}

fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk without its size line")?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| "a chunk size that is not a number")?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = body.get(..size).ok_or("a chunk cut short")?;
        out.extend_from_slice(chunk);
        body = body.get(size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_are_read_plain_or_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(parse_response(plain), Ok((200, b"{}".to_vec())));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n3\r\n\":1\r\n1\r\n}\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), Ok((200, b"{\"a\":1}".to_vec())));
        let empty = b"HTTP/1.1 204 No Content\r\n\r\n";
        assert_eq!(parse_response(empty), Ok((204, Vec::new())));
        assert!(parse_response(b"garbage").is_err());
    }

    #[test]
    fn only_plain_http_to_an_address_is_posted() {
        let t = Duration::from_millis(100);
        assert!(post("https://127.0.0.1:1/x", "s", b"{}", t).is_err());
        assert!(post("http://localhost:1/x", "s", b"{}", t).is_err());
        assert!(post("http://127.0.0.1:1/x", "s\r\nX: y", b"{}", t).is_err());
    }
}
