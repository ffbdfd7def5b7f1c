//! Refusals on the HTML pages (`/admin…`, `/report…`) are pages people can
//! read, with the status code the API would give and a link back; the JSON
//! API under `/api/v1/admin/` keeps its error shape.

mod support;

use serde_json::Value;
use support::web::{Page, Web};
use support::{backends, spawn_app};

const ADMIN: &str = "tran.thi.b";
const PASSWORD: &str = "một mật khẩu đủ dài 2025";

fn assert_readable(page: &Page, heading: &str, back: &str) {
    assert!(page.content_type.starts_with("text/html"), "{page:?}");
    assert!(
        page.body.contains(&format!("<h1>{heading}</h1>")),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("<a href=\"{back}\">Quay lại</a>")),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn html_pages_answer_errors_with_a_page_and_the_api_with_json() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.add_organizer(ADMIN, PASSWORD).await;
        let web = Web::new(&app);
        assert_eq!(web.login_admin(ADMIN, PASSWORD).await.status, 303);

        // A page naming a competition that does not exist.
        let missing = web.get("/admin?competition=khong-co").await;
        assert_eq!(missing.status, 404, "{}", missing.body);
        assert_readable(&missing, "Không tìm thấy", "/admin");

        // A form refused field by field: the field's message, and nothing
        // rotated (the unit's access code still signs in).
        let csrf = web.get("/admin").await.csrf();
        let refused = web
            .post_form("/admin/tokens", &[("csrf", &csrf), ("unit", "KHONG-CO")])
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert_readable(&refused, "Không thực hiện được", "/admin");
        assert!(
            refused.body.contains("Không có đơn vị mã"),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("KHONG-CO"), "{}", refused.body);
        let mut codes: Vec<_> = app.tokens.keys().cloned().collect();
        codes.sort();
        let unit = Web::new(&app);
        let signed_in = unit.login_unit(&codes[0], app.token(&codes[0])).await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);

        let unknown = web
            .post_form("/admin/competition/explode", &[("csrf", &csrf)])
            .await;
        assert_eq!(unknown.status, 404, "{}", unknown.body);
        assert_readable(&unknown, "Không tìm thấy", "/admin");
        assert!(unknown.body.contains("Không có thao tác này"));

        // The unit pages lead back to the unit form.
        let stranger = Web::new(&app);
        let missing = stranger.get("/report?competition=khong-co").await;
        assert_eq!(missing.status, 404, "{}", missing.body);
        assert_readable(&missing, "Không tìm thấy", "/report");

        // The API answers the same refusal in JSON.
        let api = app
            .post_as_organizer("/api/v1/admin/freeze?competition=khong-co")
            .await;
        assert_eq!(api.status(), 404);
        let content_type = api.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        let body: Value = api.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{body}");
        assert!(body["error"]["message"].is_string(), "{body}");
    }
}
