//! The packet-capture input: a streaming pcap/pcapng reader, link/IP/transport decoding
//! with tunnels, the DNS, TLS ClientHello, QUIC Initial and HTTP/1 request parsers for the
//! payloads, stream reassembly, passive DNS, and the [`session::Session`] that turns a
//! capture's packets into observations per flow.

pub mod dns;
pub mod http;
pub mod link;
pub mod pdns;
pub mod quic;
pub mod reader;
pub mod reassembly;
pub mod session;
pub mod tls;
