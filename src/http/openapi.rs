//! The base of the OpenAPI description: its title and the bearer security
//! scheme. Each route adds its own operation where it is registered (see
//! `utoipa_axum::routes!` in the feature modules), so no route can exist
//! undocumented and this module imports no handler.

use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "thidua",
        description = "Bảng xếp hạng trực tiếp Tuần lễ thi đua thực hiện dịch vụ công trực tuyến"
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// Unit and organiser tokens are sent as `Authorization: Bearer TOKEN`.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The description the routes are added to.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// What every operation may answer whatever its handler says, because the
/// layers in front of every route answer it (`http::protect`): 400 for a
/// path or query that does not parse, 422 for text no database can store,
/// 408 for a body too slow. The live events are described event by event
/// (`event`, `id`, `data`), as a client of the stream reads them.
pub fn complete(mut description: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
    let error = |what: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/json",
                    Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                )
                .build(),
        )
    };
    for (path, item) in description.paths.paths.iter_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let responses = &mut operation.responses.responses;
            for (status, what) in [
                ("400", "Malformed path, query or body"),
                ("408", "The body came too slowly"),
                ("422", "Invalid values, or text with control characters"),
            ] {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| error(what));
            }
            if path == "/events"
                && let Some(RefOr::T(ok)) = responses.get_mut("200")
                && let Some(RefOr::T(stream)) = ok.content.get_mut("text/event-stream")
            {
                let text = || ObjectBuilder::new().schema_type(Type::String);
                stream.schema = Some(RefOr::T(
                    ObjectBuilder::new()
                        .property("event", text())
                        .property("id", text())
                        .property("data", text())
                        .into(),
                ));
            }
        }
    }
    description
}
