//! The normalised event every parser produces.
//!
//! Observations borrow from the parser's line buffer so the hot path allocates nothing;
//! [`OwnedObservation`] is the owned form used by tests and examples.

use crate::time::Timestamp;

/// What kind of event the device logged.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObsKind {
    /// A DNS question asked by a client.
    #[default]
    DnsQuery,
    /// A DNS answer or a resolver's follow-up line (forwarded, reply, cached). It dates the
    /// name but is not counted as a separate use.
    DnsResponse,
    /// An HTTP request seen with a host (and usually a path).
    HttpRequest,
    /// An HTTPS tunnel (`CONNECT host:port`): only the host is visible.
    HttpConnect,
    /// A TLS (or QUIC) ClientHello server name.
    TlsServerName,
    /// A connection (in a packet capture) to an address that an earlier DNS answer gave
    /// for the name: no server name or Host was visible in the connection itself.
    Connection,
    /// Software installed or stored on an endpoint (an app, extension, package, model,
    /// agent config, MCP server or API key).
    Software,
}

impl ObsKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObsKind::DnsQuery => "dns_query",
            ObsKind::DnsResponse => "dns_response",
            ObsKind::HttpRequest => "http_request",
            ObsKind::HttpConnect => "http_connect",
            ObsKind::TlsServerName => "tls_server_name",
            ObsKind::Connection => "connection",
            ObsKind::Software => "software",
        }
    }

    /// Responses date a name but are not a separate use of the service.
    pub fn counts_as_event(self) -> bool {
        !matches!(self, ObsKind::DnsResponse)
    }
}

/// What the logging device did with the request, mapped from its own vocabulary.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    #[default]
    Unknown,
    Allowed,
    /// Denied by policy (proxy 403 / TCP_DENIED, DNS RPZ rewrite, sinkhole).
    Blocked,
    /// An authentication challenge (Squid `TCP_DENIED/407`): not a policy block.
    AuthRequired,
}

impl Action {
    pub const ALL: [Action; 4] = [
        Action::Unknown,
        Action::Allowed,
        Action::Blocked,
        Action::AuthRequired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Unknown => "unknown",
            Action::Allowed => "allowed",
            Action::Blocked => "blocked",
            Action::AuthRequired => "auth_required",
        }
    }
}

/// One thing a log line says was seen. Fields a format does not carry stay `None`.
///
/// `host` is passed as logged (any case, trailing dot, `:port`, IDN); the signature engine
/// normalises it once, so parsers don't each re-implement that.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observation<'a> {
    pub kind: ObsKind,
    pub time: Option<Timestamp>,
    /// DNS name, HTTP Host / URL authority, CONNECT target or TLS server name.
    pub host: Option<&'a [u8]>,
    /// URL path and query (starting with `/`), when the device logged the URL.
    pub path: Option<&'a [u8]>,
    pub user_agent: Option<&'a [u8]>,
    /// The client address as text (IPv4 or IPv6), as logged.
    pub client: Option<&'a [u8]>,
    /// An authenticated user name, when the device knows one.
    pub user: Option<&'a [u8]>,
    /// Bytes client → server.
    pub bytes_out: Option<u64>,
    /// Bytes server → client.
    pub bytes_in: Option<u64>,
    pub action: Action,
}

impl Observation<'_> {
    pub fn to_owned(&self) -> OwnedObservation {
        let s = |v: Option<&[u8]>| v.map(|b| String::from_utf8_lossy(b).into_owned());
        OwnedObservation {
            kind: self.kind,
            time: self.time,
            host: s(self.host),
            path: s(self.path),
            user_agent: s(self.user_agent),
            client: s(self.client),
            user: s(self.user),
            bytes_out: self.bytes_out,
            bytes_in: self.bytes_in,
            action: self.action,
        }
    }
}

/// Owned copy of an [`Observation`], for tests and for callers that keep observations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnedObservation {
    pub kind: ObsKind,
    pub time: Option<Timestamp>,
    pub host: Option<String>,
    pub path: Option<String>,
    pub user_agent: Option<String>,
    pub client: Option<String>,
    pub user: Option<String>,
    pub bytes_out: Option<u64>,
    pub bytes_in: Option<u64>,
    pub action: Action,
}

impl OwnedObservation {
    pub fn as_observation(&self) -> Observation<'_> {
        fn b(v: &Option<String>) -> Option<&[u8]> {
            v.as_deref().map(str::as_bytes)
        }
        Observation {
            kind: self.kind,
            time: self.time,
            host: b(&self.host),
            path: b(&self.path),
            user_agent: b(&self.user_agent),
            client: b(&self.client),
            user: b(&self.user),
            bytes_out: self.bytes_out,
            bytes_in: self.bytes_in,
            action: self.action,
        }
    }
}
