//! A proxy of a test's own, from a Debian package, on a free loopback port, stopped by its
//! PID when dropped: `tinyproxy` (an HTTP proxy: absolute-form requests and CONNECT
//! tunnels, basic auth, a request log) or `microsocks` (SOCKS5, user and password). Both
//! open their connections to the sites from [`ProxyServer::OUTGOING`], an address no
//! crawler uses on its own, so a site can tell a request that came through the proxy
//! from one that went around it by the peer address alone.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which proxy program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    /// Debian's `tinyproxy`: an HTTP proxy.
    Http,
    /// Debian's `microsocks`: a SOCKS5 proxy.
    Socks5,
}

/// A running proxy.
#[derive(Debug)]
pub struct ProxyServer {
    child: Child,
    port: u16,
    kind: ProxyKind,
    credentials: Option<(String, String)>,
    dir: PathBuf,
}

impl ProxyServer {
    /// The address the proxies open their outgoing connections from.
    pub const OUTGOING: &'static str = "127.0.0.3";

    /// Starts one on a free port of 127.0.0.1, asking for `credentials` when given, and
    /// waits (10 s at most) until it accepts connections. Fails with how to install it
    /// when the program is missing.
    pub fn start(kind: ProxyKind, credentials: Option<(&str, &str)>) -> io::Result<ProxyServer> {
        let credentials = credentials.map(|(u, p)| (u.to_string(), p.to_string()));
        for attempt in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let dir = std::env::temp_dir().join(format!(
                "trawler-proxy-{}-{port}-{attempt}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir)?;
            let (program, args) = match kind {
                ProxyKind::Http => {
                    let conf = dir.join("tinyproxy.conf");
                    std::fs::write(&conf, tinyproxy_conf(port, &dir, credentials.as_ref()))?;
                    (
                        "tinyproxy",
                        vec!["-d".to_string(), "-c".into(), conf.display().to_string()],
                    )
                }
                ProxyKind::Socks5 => {
                    let mut args = vec!["-i", "127.0.0.1", "-b", Self::OUTGOING];
                    let port_text = port.to_string();
                    args.extend(["-p", &port_text]);
                    if let Some((u, p)) = &credentials {
                        args.extend(["-u", u, "-P", p]);
                    }
                    ("microsocks", args.iter().map(|s| s.to_string()).collect())
                }
            };
            let child = Command::new(program)
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("{program}: {e} (Debian: apt-get install {program})"),
                    )
                })?;
            let mut server = ProxyServer {
                child,
                port,
                kind,
                credentials: credentials.clone(),
                dir,
            };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if server.child.try_wait()?.is_some() {
                    break; // the port was taken meanwhile: another one
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Ok(server);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Err(io::Error::other(format!(
            "the {kind:?} proxy did not start"
        )))
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its URL, with its credentials: `http://[user:pass@]127.0.0.1:PORT` or
    /// `socks5h://...`.
    pub fn url(&self) -> String {
        let scheme = match self.kind {
            ProxyKind::Http => "http",
            ProxyKind::Socks5 => "socks5h",
        };
        let auth = match &self.credentials {
            Some((u, p)) => format!("{u}:{p}@"),
            None => String::new(),
        };
        format!("{scheme}://{auth}127.0.0.1:{}", self.port)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What `tinyproxy` logged so far (its request lines, `CONNECT` ones included); empty
    /// for `microsocks`, which logs nothing.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("tinyproxy.log")).unwrap_or_default()
    }

    /// Stops it now (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ProxyServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `tinyproxy` configuration: loopback only, every port allowed for CONNECT (no
/// `ConnectPort` line), outgoing connections from [`ProxyServer::OUTGOING`], requests
/// logged.
fn tinyproxy_conf(port: u16, dir: &std::path::Path, auth: Option<&(String, String)>) -> String {
    let mut conf = format!(
        "Port {port}\nListen 127.0.0.1\nBind {}\nTimeout 30\nMaxClients 200\n\
         LogFile \"{}\"\nLogLevel Info\nPidFile \"{}\"\nAllow 127.0.0.1\n",
        ProxyServer::OUTGOING,
        dir.join("tinyproxy.log").display(),
        dir.join("tinyproxy.pid").display(),
    );
    if let Some((user, password)) = auth {
        conf.push_str(&format!("BasicAuth {user} {password}\n"));
    }
    conf
}
