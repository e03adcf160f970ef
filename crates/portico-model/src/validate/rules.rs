//! Format rules for single values (Backstage's field format validators),
//! written by hand so the crate needs no regex engine.

/// The rule each check enforces, worded for `expected <rule>` in messages.
pub mod expect {
    pub const API_VERSION: &str =
        "[<DNS subdomain>/]<version>, the version being 1-63 characters of [a-zA-Z0-9]";
    pub const KIND: &str = "a letter followed by letters or digits, at most 63 characters";
    pub const ENTITY_NAME: &str =
        "runs of [a-zA-Z0-9] joined by any of [-_.], starting and ending with [a-zA-Z0-9], at most 63 characters";
    pub const NAMESPACE: &str =
        "runs of [a-z0-9] joined by single [-] (a DNS label), at most 63 characters";
    pub const LABEL_KEY: &str =
        "[<DNS subdomain>/]<name>, the name being runs of [a-zA-Z0-9] joined by any of [-_.], at most 63 characters";
    pub const LABEL_VALUE: &str =
        "an empty string, or runs of [a-zA-Z0-9] joined by any of [-_.], at most 63 characters";
    pub const TAG: &str = "runs of [a-z0-9:+#] joined by single [-], at most 63 characters";
    pub const URL: &str = "an absolute URL";
    pub const NON_EMPTY: &str = "a non-empty string";
}

fn is_lower_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// True when `s` is runs of `is_run` characters joined by single `-`
/// (`^[x]+(-[x]+)*$`).
fn is_dash_joined(s: &str, is_run: impl Fn(u8) -> bool) -> bool {
    !s.is_empty()
        && s.split('-')
            .all(|run| !run.is_empty() && run.bytes().all(&is_run))
}

/// A DNS label (RFC 1123): 1-63 characters, `^[a-z0-9]+(-[a-z0-9]+)*$`.
pub fn is_valid_dns_label(s: &str) -> bool {
    s.len() <= 63 && is_dash_joined(s, is_lower_alnum)
}

/// A DNS subdomain: 1-253 characters of dot-separated DNS labels.
pub fn is_valid_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_valid_dns_label)
}

/// `metadata.name`: 1-63 characters, `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`.
pub fn is_valid_entity_name(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            b.len() <= 63
                && first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// `metadata.namespace`: a DNS label.
pub fn is_valid_namespace(s: &str) -> bool {
    is_valid_dns_label(s)
}

/// `kind`: 1-63 characters, `^[a-zA-Z][a-zA-Z0-9]*$`.
pub fn is_valid_kind(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() <= 63
        && b.first().is_some_and(u8::is_ascii_alphabetic)
        && b.iter().all(u8::is_ascii_alphanumeric)
}

/// Splits `[<prefix>/]<suffix>` the way Backstage does: at most one `/`.
fn prefix_and_suffix(s: &str) -> Option<(Option<&str>, &str)> {
    let mut parts = s.split('/');
    let first = parts.next()?;
    match (parts.next(), parts.next()) {
        (None, _) => Some((None, first)),
        (Some(second), None) => Some((Some(first), second)),
        (Some(_), Some(_)) => None,
    }
}

/// `apiVersion`: `[<DNS subdomain>/]<version>`, the version 1-63 characters
/// of `[a-zA-Z0-9]`. Backstage also accepts a bare version, so this does too.
pub fn is_valid_api_version(s: &str) -> bool {
    match prefix_and_suffix(s) {
        Some((prefix, version)) => {
            prefix.is_none_or(is_valid_dns_subdomain)
                && !version.is_empty()
                && version.len() <= 63
                && version.bytes().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// A label key: `[<DNS subdomain>/]<name>`, the name as `metadata.name`.
pub fn is_valid_label_key(s: &str) -> bool {
    match prefix_and_suffix(s) {
        Some((prefix, name)) => {
            prefix.is_none_or(is_valid_dns_subdomain) && is_valid_entity_name(name)
        }
        None => false,
    }
}

/// A label value: empty, or as `metadata.name`.
pub fn is_valid_label_value(s: &str) -> bool {
    s.is_empty() || is_valid_entity_name(s)
}

/// An annotation key: the same rule as a label key.
pub fn is_valid_annotation_key(s: &str) -> bool {
    is_valid_label_key(s)
}

/// A tag: 1-63 characters, `^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$`.
pub fn is_valid_tag(s: &str) -> bool {
    s.len() <= 63 && is_dash_joined(s, |c| is_lower_alnum(c) || matches!(c, b':' | b'+' | b'#'))
}

/// Schemes whose URLs must name a host (the WHATWG "special" schemes, as
/// the `URL` constructor Backstage uses treats them).
const HOST_SCHEMES: &[&str] = &["http", "https", "ws", "wss", "ftp"];

/// An absolute URL: `<scheme>:<rest>`, where http(s), ws(s) and ftp URLs
/// need a host. This approximates what a browser's `new URL(s)` accepts
/// without pulling in a URL parser.
pub fn is_valid_url(s: &str) -> bool {
    let s = s.trim();
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return false;
    }
    if !HOST_SCHEMES.iter().any(|h| scheme.eq_ignore_ascii_case(h)) {
        return true;
    }
    // Special schemes tolerate any number of slashes before the authority.
    let authority_and_path = rest.trim_start_matches(['/', '\\']);
    let authority = authority_and_path
        .split(['/', '\\', '?', '#'])
        .next()
        .unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    !host.is_empty()
        && !host.bytes().any(|c| {
            c.is_ascii_whitespace() || matches!(c, b'<' | b'>' | b'^' | b'|' | b'%' | b'"' | b'`')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_label() {
        for ok in ["a", "0", "abc-def", "a-b-c", "a1", &"a".repeat(63)] {
            assert!(is_valid_dns_label(ok), "{ok:?} should be valid");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "A",
            "a_b",
            "a.b",
            "é",
            &"a".repeat(64),
        ] {
            assert!(!is_valid_dns_label(bad), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn dns_subdomain() {
        assert!(is_valid_dns_subdomain("backstage.io"));
        assert!(is_valid_dns_subdomain("a.b-c.d"));
        assert!(is_valid_dns_subdomain("x"));
        let long = vec!["a".repeat(63); 4].join("."); // 255 characters
        assert!(!is_valid_dns_subdomain(&long));
        let max = format!("{}.{}", vec!["a".repeat(63); 3].join("."), "a".repeat(61));
        assert_eq!(max.len(), 253);
        assert!(is_valid_dns_subdomain(&max));
        for bad in ["", ".", "a.", ".a", "a..b", "Backstage.io", "a_b.io"] {
            assert!(!is_valid_dns_subdomain(bad), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn url() {
        for ok in [
            "https://example.com",
            "http://localhost:7007/api",
            "https://user@host.example/x?y#z",
            "http://[::1]:80/",
            "mailto:team@example.com",
            "slack:channel",
            "HTTPS://EXAMPLE.COM",
        ] {
            assert!(is_valid_url(ok), "{ok:?} should be valid");
        }
        for bad in [
            "",
            "example.com",
            "./relative",
            "/abs/path",
            "https://",
            "http:///",
            "1http://x",
            "http://a b/",
        ] {
            assert!(!is_valid_url(bad), "{bad:?} should be invalid");
        }
    }
}
