//! A Redis Cluster of three masters started for one test alone, on free
//! ports with its own directories, stopped (by PID) when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn required() -> bool {
    std::env::var("THIDUA_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Three ports for cluster nodes: each node also listens on its port +
/// 10000 (the cluster bus), so a node's port must be at most 55535 and both
/// must be free. Drawn from the ports the kernel hands out, kept when they
/// fit.
fn node_ports() -> Vec<u16> {
    let fits = |p: u16| p <= 55535 && std::net::TcpListener::bind(("127.0.0.1", p + 10000)).is_ok();
    let mut ports = Vec::new();
    let mut held = Vec::new();
    while ports.len() < 3 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        if fits(port) && !ports.contains(&port) {
            ports.push(port);
        }
        // Held until all three are chosen, so the kernel hands out others.
        held.push(listener);
    }
    ports
}

/// Three cluster-enabled redis-servers with their own directories.
pub struct Cluster {
    pub ports: Vec<u16>,
    dir: tempfile::TempDir,
    nodes: Vec<Child>,
}

impl Cluster {
    pub fn start() -> Option<Cluster> {
        let dir = tempfile::tempdir().unwrap();
        let ports = node_ports();
        let mut cluster = Cluster {
            ports,
            dir,
            nodes: Vec::new(),
        };
        if let Err(e) = cluster.spawn_nodes() {
            assert!(!required(), "redis-server unavailable: {e}");
            eprintln!("skipping: redis-server unavailable ({e})");
            return None;
        }
        cluster.wait_up();
        let addresses: Vec<String> = cluster
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli");
        assert!(created.success(), "redis-cli --cluster create");
        cluster.wait_ok();
        Some(cluster)
    }

    fn node_dir(&self, port: u16) -> PathBuf {
        let dir = self.dir.path().join(port.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn spawn_nodes(&mut self) -> std::io::Result<()> {
        for port in self.ports.clone() {
            let child = Command::new("redis-server")
                .current_dir(self.node_dir(port))
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args([
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                ])
                .args(["--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            self.nodes.push(child);
        }
        Ok(())
    }

    fn info(&self, port: u16) -> Option<String> {
        let out = Command::new("redis-cli")
            .args(["-p", &port.to_string(), "cluster", "info"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn wait_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.ports.iter().all(|p| self.info(*p).is_some()) {
            assert!(Instant::now() < deadline, "cluster nodes did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_ok(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.ports.iter().all(|p| {
            self.info(*p)
                .is_some_and(|i| i.contains("cluster_state:ok"))
        }) {
            assert!(Instant::now() < deadline, "cluster never became ok");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn url(&self) -> String {
        let nodes: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        format!("redis+cluster://{}", nodes.join(","))
    }

    pub fn stop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.kill();
            let _ = node.wait();
        }
        self.nodes.clear();
    }

    /// Every node again, with its cluster configuration but no data.
    pub fn restart_empty(&mut self) {
        self.stop();
        self.spawn_nodes().unwrap();
        self.wait_up();
        self.wait_ok();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}
