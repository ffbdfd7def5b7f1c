//! Refused requests of the HTML pages, answered with a page people can read
//! (and act on) instead of the API's JSON, with the status code the API
//! would give and a link back.

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use super::{Frame, Page};
use crate::catalog::Selected;
use crate::error::ErrorDetails;
use crate::i18n::{BoardLabels, Lang};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin_message.html")]
pub struct MessagePage {
    pub frame: Frame,
    pub t: &'static BoardLabels,
    pub heading: String,
    pub message: String,
    pub back: String,
}

impl MessagePage {
    pub fn new(selected: &Selected, heading: &str, message: String, back: &str) -> MessagePage {
        MessagePage {
            frame: Frame::admin(selected, heading),
            t: Lang::Vi.board(),
            heading: heading.into(),
            message,
            back: back.into(),
        }
    }
}

/// Answers the refused requests of `pages` with a readable page and a link
/// back to `back`; 5xx stay as the API gives them.
pub fn readable(pages: Router<AppState>, state: &AppState, back: &'static str) -> Router<AppState> {
    pages.layer(middleware::map_response_with_state(
        (state.clone(), back),
        readable_page,
    ))
}

async fn readable_page(
    State((state, back)): State<(AppState, &'static str)>,
    response: Response,
) -> Response {
    let status = response.status();
    let Some(error) = response.extensions().get::<ErrorDetails>().cloned() else {
        return response;
    };
    if status.is_server_error() {
        return response;
    }
    let Ok(selected) = state.catalog().competition(None) else {
        return response;
    };
    let heading = match status {
        StatusCode::UNAUTHORIZED => "Cần đăng nhập lại",
        StatusCode::FORBIDDEN => "Không được phép",
        StatusCode::NOT_FOUND => "Không tìm thấy",
        StatusCode::TOO_MANY_REQUESTS => "Quá nhiều lần thử",
        _ => "Không thực hiện được",
    };
    let message = if error.code == "validation" {
        error.fields.into_values().collect::<Vec<_>>().join(" ")
    } else {
        error.message
    };
    let mut page =
        Page::private(status, MessagePage::new(&selected, heading, message, back)).into_response();
    if let Some(secs) = error.retry_after {
        page.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    page
}

/// A browser (one that asks for HTML) that reaches a path no page has, or
/// uses a method a page does not take, gets a page saying so; the API
/// (`/api/…`) and the event stream keep their JSON for every client.
pub async fn for_browsers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let api = path.starts_with("/api/") || path == "/api" || path.starts_with("/events");
    let browser = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let lang = super::language(None, request.headers());
    let response = next.run(request).await;
    let status = response.status();
    if api
        || !browser
        || !matches!(
            status,
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
        )
    {
        return response;
    }
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let Some(error) = response.extensions().get::<ErrorDetails>().cloned() else {
        return response;
    };
    if html {
        return response;
    }
    let Ok(selected) = state.catalog().competition(None) else {
        return response;
    };
    let (heading, message) = match (status, lang) {
        (StatusCode::NOT_FOUND, Lang::Vi) => ("Không tìm thấy", error.message),
        (StatusCode::NOT_FOUND, Lang::En) => {
            ("Not found", "There is no page at this address.".to_string())
        }
        (_, Lang::Vi) => ("Không thực hiện được", error.message),
        (_, Lang::En) => (
            "Not allowed here",
            "This page cannot be used that way.".to_string(),
        ),
    };
    let mut page = MessagePage::new(&selected, heading, message, "/");
    page.frame.lang = lang.code();
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut page = Page::private(status, page).into_response();
    if let Some(allow) = allow {
        page.headers_mut().insert(header::ALLOW, allow);
    }
    page
}
