//! Live viewers: N connections to `/events`, each noting when an
//! `event: board` arrives. A plain HTTP/1.1 client over TCP (chunked
//! decoding and the SSE line format) keeps 10,000 of them to a few MB on
//! the load core, where a browser-like client would need far more.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

pub struct Arrival {
    pub viewer: usize,
    /// When the event's bytes had been read.
    pub at: Instant,
    pub version: Option<u64>,
}

pub struct Viewers {
    pub arrivals: mpsc::UnboundedReceiver<Arrival>,
    /// Dropping it ends every stream.
    _tasks: JoinSet<()>,
}

/// Opens `n` event streams, `parallel` connection attempts at a time (a
/// burst of 10,000 would overflow the listen queue), and returns once
/// every one has its response headers.
pub async fn open(addr: SocketAddr, n: usize, parallel: usize) -> anyhow::Result<Viewers> {
    let (tx, arrivals) = mpsc::unbounded_channel();
    let (ready_tx, mut ready) = mpsc::unbounded_channel::<anyhow::Result<()>>();
    let gate = Arc::new(Semaphore::new(parallel));
    let mut tasks = JoinSet::new();
    for viewer in 0..n {
        let (tx, ready_tx, gate) = (tx.clone(), ready_tx.clone(), gate.clone());
        tasks.spawn(async move {
            let permit = gate.acquire_owned().await;
            let stream = connect(addr).await;
            drop(permit);
            match stream {
                Ok(reader) => {
                    let _ = ready_tx.send(Ok(()));
                    let _ = follow(viewer, reader, tx).await;
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            }
        });
    }
    drop(ready_tx);
    for _ in 0..n {
        match tokio::time::timeout(Duration::from_secs(120), ready.recv()).await {
            Ok(Some(Ok(()))) => {}
            Ok(Some(Err(e))) => return Err(e),
            Ok(None) | Err(_) => bail!("event streams did not all open"),
        }
    }
    Ok(Viewers {
        arrivals,
        _tasks: tasks,
    })
}

type Reader = BufReader<TcpStream>;

async fn connect(addr: SocketAddr) -> anyhow::Result<Reader> {
    let mut attempt = 0;
    let stream = loop {
        match TcpStream::connect(addr).await {
            Ok(s) => break s,
            // A full accept queue resets a few connects; try again.
            Err(_) if attempt < 10 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
            }
            Err(e) => return Err(e).context("cannot connect to /events"),
        }
    };
    stream.set_nodelay(true)?;
    let mut reader = BufReader::with_capacity(1024, stream);
    reader
        .get_mut()
        .write_all(
            format!("GET /events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n")
                .as_bytes(),
        )
        .await?;
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    if !line.starts_with("HTTP/1.1 200") {
        bail!("/events answered {}", line.trim());
    }
    let mut chunked = false;
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            bail!("/events closed during the headers");
        }
        let header = line.trim().to_ascii_lowercase();
        if header.is_empty() {
            break;
        }
        if header.starts_with("transfer-encoding:") && header.contains("chunked") {
            chunked = true;
        }
    }
    if !chunked {
        bail!("/events is not chunked; this client reads chunked streams only");
    }
    Ok(reader)
}

/// Reads chunks until the stream ends; every `event: board` becomes an
/// arrival stamped when its chunk was read.
async fn follow(
    viewer: usize,
    mut reader: Reader,
    tx: mpsc::UnboundedSender<Arrival>,
) -> anyhow::Result<()> {
    let mut size_line = String::new();
    let mut pending = String::new();
    let mut chunk = Vec::new();
    let mut event = String::new();
    let mut data = String::new();
    loop {
        size_line.clear();
        if reader.read_line(&mut size_line).await? == 0 {
            return Ok(());
        }
        let size_text = size_line.trim().split(';').next().unwrap_or("");
        if size_text.is_empty() {
            continue;
        }
        let size = usize::from_str_radix(size_text, 16)?;
        if size == 0 {
            return Ok(());
        }
        chunk.resize(size + 2, 0);
        reader.read_exact(&mut chunk).await?;
        let at = Instant::now();
        pending.push_str(&String::from_utf8_lossy(&chunk[..size]));
        while let Some(end) = pending.find('\n') {
            let line: String = pending.drain(..=end).collect();
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if event == "board" {
                    let version = serde_json::from_str::<serde_json::Value>(&data)
                        .ok()
                        .and_then(|v| v.get("version").and_then(serde_json::Value::as_u64));
                    let _ = tx.send(Arrival {
                        viewer,
                        at,
                        version,
                    });
                }
                event.clear();
                data.clear();
            } else if let Some(v) = line.strip_prefix("event:") {
                event = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.trim_start());
            }
        }
    }
}
