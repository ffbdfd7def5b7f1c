//! The stylesheets and script, embedded so that the binary runs from
//! anywhere, and served at content-hashed URLs that browsers may cache for a
//! year.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::{AppError, Result};

struct Asset {
    stem: &'static str,
    extension: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: [Asset; 3] = [
    Asset {
        stem: "app",
        extension: "css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../../static/app.css"),
    },
    Asset {
        stem: "board",
        extension: "js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../../../static/board.js"),
    },
    Asset {
        stem: "forms",
        extension: "css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../../static/forms.css"),
    },
];

/// Content hashes, computed once: a new build gets new URLs.
fn fingerprints() -> &'static [String; 3] {
    static HASHES: OnceLock<[String; 3]> = OnceLock::new();
    HASHES.get_or_init(|| ASSETS.map(|a| hex::encode(&Sha256::digest(a.body.as_bytes())[..8])))
}

/// The versioned URL of an embedded asset, e.g. `/static/app.1f2e….css`.
pub fn asset_url(stem: &str) -> String {
    ASSETS
        .iter()
        .zip(fingerprints())
        .find(|(a, _)| a.stem == stem)
        .map(|(a, hash)| format!("/static/{}.{hash}.{}", a.stem, a.extension))
        .unwrap_or_default()
}

/// `GET /static/{file}`.
pub async fn static_asset(Path(file): Path<String>) -> Result<Response> {
    let not_found = || AppError::NotFound(format!("Không có tệp {file:?}"));
    let (rest, extension) = file.rsplit_once('.').ok_or_else(not_found)?;
    let (stem, hash) = rest.split_once('.').unwrap_or((rest, ""));
    let (asset, current) = ASSETS
        .iter()
        .zip(fingerprints())
        .find(|(a, _)| a.stem == stem && a.extension == extension)
        .ok_or_else(not_found)?;
    // A page rendered by an instance running another build may ask for
    // another hash: serve what this build has, but do not let it stick.
    let cache = if hash == current {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        asset.body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_have_stable_fingerprinted_urls() {
        let css = asset_url("app");
        assert!(
            css.starts_with("/static/app.") && css.ends_with(".css"),
            "{css}"
        );
        assert_eq!(css, asset_url("app"));
        assert_eq!(css.len(), "/static/app..css".len() + 16);
    }
}
