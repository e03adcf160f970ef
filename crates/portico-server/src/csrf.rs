//! Cross-site request forgery: a write request that a browser sends from a
//! page of another site says so in its `Origin` header (or, from older
//! browsers, its `Referer`); such requests are refused before any handler
//! runs. With the SameSite=Lax session cookie this keeps other sites from
//! acting with a signed-in user's cookie. Clients that are not browsers
//! send neither header and are not affected.

use actix_web::dev::ServiceRequest;
use actix_web::http::{header, Method};

/// Why a write request looks forged, when it does.
pub fn refusal(req: &ServiceRequest) -> Option<String> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let headers = req.headers();
    let (name, value) = match headers.get(header::ORIGIN) {
        Some(origin) => ("Origin", origin.to_str().ok()?),
        None => ("Referer", headers.get(header::REFERER)?.to_str().ok()?),
    };
    // Browsers send `Origin: null` from sandboxed and privacy-sensitive
    // contexts: never one of our pages.
    let host = authority(value);
    let ours = req.connection_info().host().to_ascii_lowercase();
    match host {
        Some(host) if host.eq_ignore_ascii_case(&ours) => None,
        _ => Some(format!(
            "this request came from another site ({name}: {value}); writes are only taken from Portico's own pages"
        )),
    }
}

/// `host[:port]` of an absolute http(s) URL.
pub(crate) fn authority(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::authority;

    #[test]
    fn the_authority_of_a_url() {
        assert_eq!(authority("http://127.0.0.1:7007"), Some("127.0.0.1:7007"));
        assert_eq!(
            authority("https://portal.example.com/catalog?x=1"),
            Some("portal.example.com")
        );
        assert_eq!(authority("null"), None);
        assert_eq!(authority("https://"), None);
    }
}
