//! Percent-encoding and repository path arithmetic shared by the URL and
//! webhook code. Small enough that a dependency would cost more than it saves.

/// Decodes `%XX` escapes. A `%` not followed by two hex digits stays as it
/// is, as browsers do. `None` when the decoded bytes are not UTF-8, because a
/// path that cannot be shown cannot be matched against a repository either.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    decode_bytes(s.as_bytes(), false)
}

/// Decodes an `application/x-www-form-urlencoded` value (`+` is a space).
pub(crate) fn form_decode(s: &[u8]) -> Option<String> {
    decode_bytes(s, true)
}

fn decode_bytes(s: &[u8], plus_is_space: bool) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == b'%' {
            let hi = s.get(i + 1).copied().and_then(hex_value);
            let lo = s.get(i + 2).copied().and_then(hex_value);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(if plus_is_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// What may stay unescaped inside one path segment (RFC 3986 `pchar`).
fn is_pchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

fn encode_with(s: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if keep(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// A repository path for a URL: each segment escaped, `/` kept.
pub(crate) fn encode_path(path: &str) -> String {
    encode_with(path, |b| b == b'/' || is_pchar(b))
}

/// One URL path segment; a `/` inside it is escaped as `%2F`.
pub(crate) fn encode_segment(segment: &str) -> String {
    encode_with(segment, is_pchar)
}

/// A query parameter value. `/` and `:` stay readable (`at=refs/heads/main`);
/// `&`, `=`, `+`, `#` and the rest are escaped.
pub(crate) fn encode_query_value(value: &str) -> String {
    encode_with(value, |b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b':'
                    | b'@'
                    | b'!'
                    | b'$'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b','
                    | b';'
            )
    })
}

/// Resolves `.` and `..` in a repository path and drops empty segments and
/// leading/trailing `/`. A `..` that would climb above the repository root is
/// dropped; the flag says whether that happened, so callers can refuse or
/// clamp as they need.
pub(crate) fn normalize(path: &str) -> (String, bool) {
    let mut parts: Vec<&str> = Vec::new();
    let mut escaped = false;
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    escaped = true;
                }
            }
            other => parts.push(other),
        }
    }
    (parts.join("/"), escaped)
}

/// The directory part of a repository path (`""` for the root).
pub(crate) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_keeps_stray_percent_and_rejects_non_utf8() {
        assert_eq!(percent_decode("a%2Fb%20c").as_deref(), Some("a/b c"));
        assert_eq!(percent_decode("100%").as_deref(), Some("100%"));
        assert_eq!(percent_decode("%zz").as_deref(), Some("%zz"));
        assert_eq!(percent_decode("%ff"), None);
        assert_eq!(form_decode(b"a+b%2B").as_deref(), Some("a b+"));
    }

    #[test]
    fn encoding_escapes_only_what_it_must() {
        assert_eq!(encode_path("docs/a b/c?.yaml"), "docs/a%20b/c%3F.yaml");
        assert_eq!(encode_segment("feature/x"), "feature%2Fx");
        assert_eq!(encode_path("é"), "%C3%A9");
        assert_eq!(encode_query_value("refs/heads/a&b"), "refs/heads/a%26b");
    }

    #[test]
    fn normalize_clamps_and_reports_escape() {
        assert_eq!(normalize("/a/./b//c/"), ("a/b/c".to_string(), false));
        assert_eq!(normalize("a/../../b"), ("b".to_string(), true));
        assert_eq!(parent("a/b/c.yaml"), "a/b");
        assert_eq!(parent("c.yaml"), "");
    }
}
