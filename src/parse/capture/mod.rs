//! Building blocks of the packet-capture input (issue 4): a streaming pcap/pcapng reader,
//! link/IP/transport decoding with tunnels, and the DNS, TLS ClientHello and HTTP/1
//! request parsers for the payloads. Each is tested against tshark on real captures. The
//! scan engine does not read captures yet: flows, TCP reassembly, QUIC Initial decryption
//! and the wiring into `scan` come next.

pub mod dns;
pub mod http;
pub mod link;
pub mod reader;
pub mod tls;
