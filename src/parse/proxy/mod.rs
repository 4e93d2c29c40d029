pub mod squid;
