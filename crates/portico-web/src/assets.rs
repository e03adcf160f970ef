//! The stylesheet and scripts, compiled into the binary and served under
//! `/static/`.

/// A file served under `/static/`.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "portico.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../assets/portico.css"),
    },
    Asset {
        name: "portico.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/portico.js"),
    },
    Asset {
        name: "task.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/task.js"),
    },
    Asset {
        name: "form.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/form.js"),
    },
];

/// The asset called `name`, if there is one.
pub fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// A short hash of every asset (FNV-1a): the `?v=` that busts caches.
pub fn version() -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for asset in ASSETS {
        for byte in asset.body.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{:08x}", hash >> 32)
}
