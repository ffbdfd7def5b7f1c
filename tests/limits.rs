//! Rate limits are the same whether one instance or several serve the
//! traffic: with Redis they are kept there (one atomic GCRA script per
//! check), so a second instance does not double a token's allowance; when
//! Redis does not answer, each instance still limits on its own.

mod support;

use support::web::Web;
use support::{Rank, backends, counters, report, spawn_app_with_config};
use thidua::config::Config;
use thidua::error::AppError;
use thidua::limits::Limits;

#[tokio::test]
async fn a_second_instance_does_not_double_an_allowance() {
    for backend in backends().into_iter().filter(|b| b.1 == Rank::Redis) {
        let tweak = |c: &mut Config| {
            c.ingest_per_minute = 3;
            c.login_per_minute = 2;
        };
        let one = spawn_app_with_config(backend, tweak).await;
        let two = one.another_instance(tweak).await;
        assert!(one.state.limits().is_shared());
        let code = "06001";
        let body = |n: u64| report("2025-10-06", counters(10 + n, 5, 1, 1, 5, 5));
        let mut statuses = Vec::new();
        for (i, app) in [&one, &two, &one, &two, &one].iter().enumerate() {
            statuses.push(app.post_report(code, &body(i as u64)).await.0);
        }
        assert_eq!(statuses, [201, 200, 200, 429, 429], "{backend:?}");
        assert_eq!(one.revision_count().await, 3);

        // Guessing a unit's access code: two tries a minute across both.
        let (web_one, web_two) = (Web::new(&one), Web::new(&two));
        let mut statuses = Vec::new();
        for web in [&web_one, &web_two, &web_one, &web_two] {
            statuses.push(web.login_unit("SNV", "wrong-code").await.status);
        }
        assert_eq!(statuses, [401, 401, 429, 429], "{backend:?}");
    }
}

#[tokio::test]
async fn without_redis_each_instance_limits_on_its_own() {
    let mut config = Config::for_database("sqlite::memory:");
    config.ingest_per_minute = 2;
    // Nothing listens on port 1: every shared check fails at once.
    let (connection, _) = thidua::redis_connection::connect("redis://127.0.0.1:1").unwrap();
    let limits = Limits::shared(&config, connection, "test:");
    assert!(limits.check_ingest("unit:1").await.is_ok());
    assert!(limits.check_ingest("unit:1").await.is_ok());
    match limits.check_ingest("unit:1").await {
        Err(AppError::RateLimited { retry_after }) => assert!((1..=60).contains(&retry_after)),
        other => panic!("expected 429, got {other:?}"),
    }
    assert!(limits.check_ingest("unit:2").await.is_ok());
}
