//! Secrets never reach a log line, an error message, the manifest or
//! `pulsetier config`: URLs lose their userinfo and query strings (signed
//! URLs carry their signature there), secret-looking option names are masked,
//! and the values of secret environment variables are replaced in free text.

use url::Url;

/// Whether an option or environment variable name looks like it holds a secret.
pub fn is_secret_key(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "secret",
        "key",
        "token",
        "password",
        "sas",
        "credential",
        "signature",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Remove credentials from a URL: userinfo and the query string (signed URLs
/// carry their signature there) are replaced by `***`.
pub fn redact(text: &str) -> String {
    match Url::parse(text) {
        Ok(mut url) if url.has_host() => {
            let mut changed = false;
            if !url.username().is_empty() || url.password().is_some() {
                let _ = url.set_username("***");
                let _ = url.set_password(None);
                changed = true;
            }
            if url.query().is_some() {
                url.set_query(Some("***"));
                changed = true;
            }
            if changed {
                url.to_string()
            } else {
                text.to_string()
            }
        }
        _ => text.to_string(),
    }
}

/// Replace the userinfo of every URL inside a free text (`scheme://user:pw@host`
/// → `scheme://***@host`): error chains of HTTP clients quote request URLs.
pub fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"' || c == '\''
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Replace the values of secret-looking environment variables
/// (`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AZURE_STORAGE_ACCOUNT_KEY`,
/// …) by `***` in a message, before it is printed or stored. A last line of
/// defence: messages are built from redacted URLs already.
pub fn redact_secrets(text: &str) -> String {
    let mut out = redact_userinfo(text);
    for (name, value) in std::env::vars() {
        if value.len() >= 6 && is_secret_key(&name) && out.contains(&value) {
            out = out.replace(&value, "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_userinfo_and_signatures() {
        assert_eq!(
            redact("https://user:secret@example.com/a?X-Amz-Signature=abc"),
            "https://***@example.com/a?***"
        );
        assert_eq!(redact("s3://bucket/in"), "s3://bucket/in");
        assert_eq!(redact("relative/path"), "relative/path");
    }

    #[test]
    fn userinfo_is_removed_from_free_text() {
        assert_eq!(
            redact_userinfo("PROPFIND https://user:pw@127.0.0.1:9/x failed; see s3://b/k"),
            "PROPFIND https://***@127.0.0.1:9/x failed; see s3://b/k"
        );
        assert_eq!(redact_userinfo("no urls here"), "no urls here");
    }
}
