//! The toolkit every HTML page uses — the public board, `/report` and
//! `/admin`: the frame around a page, rendering with the right caching,
//! the viewer's language, links that keep the viewer's choices, and (in
//! [`form`]) the figures form shared by the unit and the organiser.
//! [`errors`] turns refused requests into pages people can read.

pub mod assets;
pub mod errors;
pub mod form;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use self::assets::asset_url;
use crate::catalog::Selected;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;

/// What every page shares: language, links that keep the viewer's choices,
/// the competition's title, assets.
pub struct Frame {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub title: String,
    pub competition_name: String,
    pub organizer: String,
    pub css: String,
    /// A second stylesheet (the forms' styles), if the page needs one.
    pub extra_css: Option<String>,
    pub js: String,
    pub home_href: String,
    pub switch_href: String,
    pub tv: bool,
}

impl Frame {
    /// A form page's frame (`/report`, `/admin`) in `lang`, whose language
    /// switch leads to `switch_href`.
    pub fn form(selected: &Selected, title: &str, lang: Lang, switch_href: String) -> Frame {
        let competition = &selected.record.competition;
        Frame {
            lang: lang.code(),
            other_lang: lang.other().code(),
            title: format!("{title} — {}", competition.name),
            competition_name: competition.name.clone(),
            organizer: competition.organizer.clone(),
            css: asset_url("app"),
            extra_css: Some(asset_url("forms")),
            js: String::new(),
            home_href: format!("/?competition={}", competition.slug),
            switch_href,
            tv: false,
        }
    }

    /// The admin area's frame: Vietnamese, its language link to the public board.
    pub fn admin(selected: &Selected, title: &str) -> Frame {
        let switch = format!("/?competition={}&lang=en", selected.record.competition.slug);
        Frame::form(selected, title, Lang::Vi, switch)
    }
}

/// How a page may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// The same for every viewer of a language: revalidate each time.
    Public,
    /// Never stored: it carries a CSRF token, sometimes access codes.
    Private,
}

/// A rendered page with its status and caching.
pub struct Page<T> {
    pub status: StatusCode,
    pub caching: Caching,
    pub template: T,
}

impl<T: Template> Page<T> {
    pub fn public(template: T) -> Page<T> {
        Page {
            status: StatusCode::OK,
            caching: Caching::Public,
            template,
        }
    }

    pub fn private(status: StatusCode, template: T) -> Page<T> {
        Page {
            status,
            caching: Caching::Private,
            template,
        }
    }
}

impl<T: Template> IntoResponse for Page<T> {
    fn into_response(self) -> Response {
        let body = match self.template.render() {
            Ok(body) => body,
            Err(e) => return AppError::Internal(anyhow::anyhow!("template: {e}")).into_response(),
        };
        let mut response = (self.status, Html(body)).into_response();
        let headers = response.headers_mut();
        match self.caching {
            Caching::Public => {
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                headers.insert(header::VARY, HeaderValue::from_static("accept-language"));
            }
            Caching::Private => {
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
        }
        response
    }
}

/// `response`, setting `cookie` if there is one.
pub fn with_cookie(response: impl IntoResponse, cookie: Option<HeaderValue>) -> Response {
    let mut response = response.into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `?lang=` (or a form's `lang` field), else the browser's language.
pub fn language(explicit: Option<&str>, headers: &HeaderMap) -> Lang {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::negotiate(explicit, accept)
}

/// The value of a form field, if sent.
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The query parameters of the public pages.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    pub competition: Option<String>,
    pub board: Option<String>,
    pub lang: Option<String>,
    pub tv: Option<String>,
    pub offset: Option<String>,
    pub around: Option<String>,
    pub q: Option<String>,
    /// Seconds a wall screen shows each page.
    pub every: Option<String>,
}

/// The query parameters a link keeps, so that language, competition and
/// wall-screen mode survive navigation.
#[derive(Clone)]
pub struct Keep {
    pub competition: Option<String>,
    pub lang: Option<Lang>,
    pub tv: bool,
}

impl Keep {
    pub fn href(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, String)> =
            extra.iter().map(|(k, v)| (*k, v.to_string())).collect();
        if let Some(c) = &self.competition {
            params.push(("competition", c.clone()));
        }
        if let Some(l) = self.lang {
            params.push(("lang", l.code().to_string()));
        }
        if self.tv {
            params.push(("tv", "1".into()));
        }
        if params.is_empty() {
            return path.to_string();
        }
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        format!("{path}?{}", query.join("&"))
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Who is looking at a public page: their language and what links keep.
pub struct Viewing {
    pub lang: Lang,
    pub keep: Keep,
}

impl Viewing {
    pub fn new(query: &PageQuery, headers: &HeaderMap) -> Viewing {
        let explicit = query.lang.as_deref().filter(|l| matches!(*l, "vi" | "en"));
        let lang = language(explicit, headers);
        Viewing {
            lang,
            keep: Keep {
                competition: query.competition.clone().filter(|c| !c.is_empty()),
                lang: explicit.map(|_| lang),
                tv: query.tv.as_deref().is_some_and(|v| v == "1" || v == "true"),
            },
        }
    }

    /// A public page's frame; the language switch leads to the same page
    /// (`here` with `here_extra`) in the other language.
    pub fn frame(
        &self,
        selected: &Selected,
        title: String,
        here: &str,
        here_extra: &[(&str, &str)],
    ) -> Frame {
        let competition = &selected.record.competition;
        let mut other = self.keep.clone();
        other.lang = Some(self.lang.other());
        Frame {
            lang: self.lang.code(),
            other_lang: self.lang.other().code(),
            title,
            competition_name: competition.name.clone(),
            organizer: competition.organizer.clone(),
            css: asset_url("app"),
            extra_css: None,
            js: asset_url("board"),
            home_href: self.keep.href("/", &[]),
            switch_href: other.href(here, here_extra),
            tv: self.keep.tv,
        }
    }
}

/// A public page request: who is looking, the competition they look at
/// (`?competition=`, else the current one) and the rest of the query.
pub struct PublicView {
    pub viewing: Viewing,
    pub selected: Selected,
    pub query: PageQuery,
}

impl FromRequestParts<AppState> for PublicView {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let query: PageQuery = super::extract::query(parts, state).await?;
        let viewing = Viewing::new(&query, &parts.headers);
        let selected = state
            .catalog()
            .competition(viewing.keep.competition.as_deref())?;
        Ok(PublicView {
            viewing,
            selected,
            query,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_viewers_choices_and_encode_values() {
        let keep = Keep {
            competition: Some("lang-son-2025".into()),
            lang: Some(Lang::En),
            tv: true,
        };
        assert_eq!(
            keep.href("/", &[("board", "xa-phuong")]),
            "/?board=xa-phuong&competition=lang-son-2025&lang=en&tv=1"
        );
        let bare = Keep {
            competition: None,
            lang: None,
            tv: false,
        };
        assert_eq!(bare.href("/units/06040", &[]), "/units/06040");
        assert_eq!(encode("a b/đ"), "a%20b%2F%C4%91");
    }
}
