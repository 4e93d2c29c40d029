pub mod bind;
pub mod dnsmasq;
pub mod unbound;
