//! A graceful shutdown must not wait forever for live viewers: open event
//! streams are ended when `thidua serve` receives SIGTERM. A test binary of
//! its own, because it runs the real `thidua` executable.

#![cfg(unix)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;

#[tokio::test]
async fn sigterm_ends_open_event_streams_and_the_service_exits() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_thidua"))
        .args(["serve", "--demo"])
        .env(
            "THIDUA_DATABASE_URL",
            format!("sqlite://{}/t.db", dir.path().display()),
        )
        .env("THIDUA_BIND", format!("127.0.0.1:{port}"))
        .env_remove("THIDUA_REDIS_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start thidua");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            break;
        }
        assert!(Instant::now() < deadline, "thidua never became ready");
        assert!(child.try_wait().unwrap().is_none(), "thidua exited early");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let events = client.get(format!("{base}/events")).send().await.unwrap();
    assert_eq!(events.status(), 200);
    let mut body = events.bytes_stream();

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());

    // The stream ends (rather than hanging) ...
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = body.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the event stream stayed open after SIGTERM");
    // ... and the process exits by itself.
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("thidua did not exit within 10 s of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit:?}");
}
