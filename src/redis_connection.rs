//! The connection to Redis that the live ranking and the shared rate limits
//! use: one Redis, or a Redis Cluster.
//!
//! `THIDUA_REDIS_URL` names one Redis (`redis://host:6379`) or a cluster:
//! several nodes separated by commas (`redis://a:7000,redis://b:7001`) or
//! `redis+cluster://a:7000,b:7001` (the redis crate's cluster client).

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster::{ClusterClient, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::{Client, Cmd, Pipeline, RedisError, RedisFuture, Value};

/// A connection to one Redis, or to a Redis Cluster.
#[derive(Clone)]
pub enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

/// How long a request may take, whatever the client's own timeouts do: the
/// cluster client retries and reconnects inside a request, and its response
/// timeout is not always enforced (redis-rs issues #1528 and #1532 advise a
/// timeout outside the client). A request past its deadline is an error like
/// any other Redis failure — the ranking is marked stale and rebuilt — rather
/// than an answer that never comes to a report already committed.
fn deadline(commands: usize) -> Duration {
    // The connection's own timeouts (2 s to connect, 2 s for a reply, one
    // retry) first; then a millisecond a command for the largest pipelines
    // (a 10,000-unit batch sends 20,000 scripts).
    Duration::from_secs(10) + Duration::from_millis(commands as u64)
}

fn within<'a, T: Send + 'a>(commands: usize, request: RedisFuture<'a, T>) -> RedisFuture<'a, T> {
    let limit = deadline(commands);
    Box::pin(async move {
        match tokio::time::timeout(limit, request).await {
            Ok(answer) => answer,
            Err(_) => Err(RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer from Redis within {} ms", limit.as_millis()),
            ))),
        }
    })
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        within(
            1,
            match self {
                Connection::Single(c) => c.req_packed_command(cmd),
                Connection::Cluster(c) => c.req_packed_command(cmd),
            },
        )
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        within(
            pipeline.len(),
            match self {
                Connection::Single(c) => c.req_packed_commands(pipeline, offset, count),
                Connection::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
            },
        )
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(c) => c.get_db(),
            Connection::Cluster(c) => c.get_db(),
        }
    }
}

/// The nodes a `THIDUA_REDIS_URL` names, and whether they form a cluster.
fn nodes(url: &str) -> (Vec<String>, bool) {
    let cluster = url.starts_with("redis+cluster://");
    let nodes: Vec<String> = url
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            let n = n.strip_prefix("redis+cluster://").unwrap_or(n);
            if n.contains("://") {
                n.to_string()
            } else {
                format!("redis://{n}")
            }
        })
        .collect();
    let cluster = cluster || nodes.len() > 1;
    (nodes, cluster)
}

/// Connects lazily (the service starts, and serves from the database,
/// while Redis is down), with short timeouts. Also returns a client per
/// node, for subscriptions.
pub fn connect(url: &str) -> anyhow::Result<(Connection, Vec<Client>)> {
    let (nodes, cluster) = nodes(url);
    let clients = nodes
        .iter()
        .map(|n| Client::open(n.as_str()))
        .collect::<Result<Vec<_>, _>>()?;
    let first = clients
        .first()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("THIDUA_REDIS_URL names no Redis"))?;
    let connection = if cluster {
        let config = ClusterConfig::new()
            .set_connection_timeout(Duration::from_secs(2))
            .set_response_timeout(Duration::from_secs(2));
        Connection::Cluster(
            ClusterClient::builder(nodes.iter().map(String::as_str))
                .retries(1)
                .build()?
                .get_pending_async_connection_with_config(config),
        )
    } else {
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1);
        Connection::Single(ConnectionManager::new_lazy_with_config(first, config)?)
    };
    Ok((connection, clients))
}
